package chargedesk

import "fmt"

// The rules each request is held to are written out in its check method
// (payloads.go), in the order of its fields: which objects it needs, what
// those objects need (an id, a currency), its own fields, then the money.
// They were once validator tags; the validator copied every charge it
// checked twice through reflect.Value.Interface, and cost a webhook more
// than all the rules it applied.

// requireCharge refuses a missing charge, one without an id, or one whose
// currency is missing or not an ISO 4217 code. field is where it lies in
// the payload ("charge").
func requireCharge(field string, c *Charge) error {
	switch {
	case c == nil:
		return invalid("%s is required.", field)
	case c.ChargeID == "":
		return invalid("%s.charge_id is required.", field)
	case c.Currency == "":
		return invalid("%s.currency is required.", field)
	case !validCurrency(c.Currency):
		return invalid("%s.currency is not an ISO 4217 currency code.", field)
	}
	return nil
}

// requireSubscription refuses a missing subscription, one without an id,
// or one whose currency, when it has one, is not an ISO 4217 code.
func requireSubscription(field string, s *Subscription) error {
	switch {
	case s == nil:
		return invalid("%s is required.", field)
	case s.SubscriptionID == "":
		return invalid("%s.subscription_id is required.", field)
	case s.Currency != "" && !validCurrency(s.Currency):
		return invalid("%s.currency is not an ISO 4217 currency code.", field)
	}
	return nil
}

// checkPlans refuses a missing or empty list of plans, more than MaxPlans,
// and a plan without a product or with a quantity below 1.
func checkPlans(plans []Plan) error {
	switch {
	case plans == nil:
		return invalid("plans is required.")
	case len(plans) == 0:
		return invalid("plans must not be empty.")
	case len(plans) > MaxPlans:
		return invalid("plans lists %d plans; at most %d are accepted.", len(plans), MaxPlans)
	}
	for i, p := range plans {
		switch {
		case p.ProductID == "":
			return invalid("plans[%d].product_id is required.", i)
		case p.Quantity < 1:
			return invalid("plans[%d].quantity must be at least 1, not %d.", i, p.Quantity)
		}
	}
	return nil
}

func validCurrency(code string) bool {
	_, ok := currencyScale(code)
	return ok
}

// invalid returns the 422 refusal with msg for the agent.
func invalid(format string, args ...any) error {
	return &requestError{kind: refusedInvalid, message: fmt.Sprintf(format, args...)}
}

// checkCharge applies the money rules to a charge ChargeDesk sent: amounts
// not negative, no finer than the currency, and no more refunded than paid.
func checkCharge(field string, c *Charge) error {
	if c == nil {
		return nil
	}
	scale, _ := currencyScale(c.Currency) // the currency tag has checked it
	for _, a := range []struct {
		name string
		v    Amount
	}{{"amount", c.Amount}, {"amount_refunded", c.AmountRefunded}, {"added_tax", c.AddedTax}} {
		if err := checkPayloadAmount(field+"."+a.name, a.v, scale, c.Currency); err != nil {
			return err
		}
	}
	if c.AmountRefunded.Cmp(c.Amount) > 0 {
		return invalid("%s.amount_refunded (%s) is more than %s.amount (%s).", field, c.AmountRefunded, field, c.Amount)
	}
	return nil
}

// checkSubscription applies the money rules to a subscription.
func checkSubscription(field string, s *Subscription) error {
	if s == nil {
		return nil
	}
	scale, known := currencyScale(s.Currency)
	if !known {
		scale = -1
	}
	for _, a := range []struct {
		name string
		v    Amount
	}{{"amount", s.Amount}, {"setup_amount", s.SetupAmount}} {
		if err := checkPayloadAmount(field+"."+a.name, a.v, scale, s.Currency); err != nil {
			return err
		}
	}
	return nil
}

// checkPayloadAmount refuses a negative amount, or one with more decimal
// places than the currency allows (scale < 0: currency unknown, not checked).
func checkPayloadAmount(field string, a Amount, scale int32, currency string) error {
	if a.Sign() < 0 {
		return invalid("%s must not be negative, not %s.", field, a)
	}
	if scale >= 0 {
		if err := checkScale(a, scale, currency); err != nil {
			return invalid("%s %s.", field, err)
		}
	}
	return nil
}

// MaxPlans is the most plans an edit plans webhook may list; more is
// refused with 422 rather than checked entry by entry.
const MaxPlans = 1000

// validateRequest checks a decoded request of any action against its
// action's rules.
func validateRequest(req request) error { return req.check() }
