package chargedesk

import (
	"cmp"
	"fmt"
	"net/url"
)

// The checks of a gateway's answer. Once the Gateway returned success the
// action counts as done, whatever its answer holds: an update object that
// ChargeDesk cannot use (an unknown status, a negative amount, more
// refunded than the answer's own amount, an amount finer than its currency,
// a malformed URL) is dropped and logged, and the agent gets the rest, or
// none, in which case ChargeDesk updates the objects itself. The checks
// compare the answer with itself, never with ChargeDesk's payload, whose
// copy may be stale; only the currency, which does not change, comes from
// the payload when the answer does not restate it. The one answer that
// fails the action is a payment request without a usable redirect_url:
// nothing reached the customer.

// settleAnswer drops the parts of a successful gateway's answer that
// ChargeDesk cannot use and returns what remains, with why each part was
// dropped. Its error is for a payment request without a usable
// redirect_url, the one answer that fails the action.
func settleAnswer(answer any, req request) (any, []error, error) {
	charge, sub := req.objects()
	chargeCurrency, subCurrency := "", ""
	if charge != nil {
		chargeCurrency = charge.Currency
	}
	if sub != nil {
		subCurrency = sub.Currency
	}
	switch a := answer.(type) {
	case *Response:
		if a == nil { // nothing to update: the empty answer {}
			return struct{}{}, nil, nil
		}
		cp := *a // the Gateway's own answer is never changed
		return &cp, cp.settle(chargeCurrency, subCurrency), nil
	case *PaymentResponse:
		if a == nil || a.RedirectURL == "" {
			return nil, nil, fmt.Errorf("%w: a payment request must answer a redirect_url", ErrBadAnswer)
		}
		if err := checkURL("redirect_url", a.RedirectURL); err != nil {
			return nil, nil, err
		}
		cp := *a
		return &cp, cp.Response.settle(chargeCurrency, subCurrency), nil
	}
	return answer, nil, nil
}

// settle drops each update object that fails its checks.
func (r *Response) settle(chargeCurrency, subCurrency string) []error {
	if r == nil {
		return nil
	}
	// Each update object is copied before it is changed.
	if r.Charge != nil {
		c := *r.Charge
		r.Charge = &c
	}
	if r.Subscription != nil {
		s := *r.Subscription
		r.Subscription = &s
	}
	if r.Product != nil {
		p := *r.Product
		r.Product = &p
	}
	var dropped []error
	drop := func(err error) bool {
		if err != nil {
			dropped = append(dropped, err)
		}
		return err != nil
	}
	if drop(r.Charge.problem(chargeCurrency)) {
		r.Charge = nil
	} else if c := r.Charge; c != nil {
		currency := cmp.Or(c.Currency, chargeCurrency)
		c.Amount, c.AmountRefunded = atScale(c.Amount, currency), atScale(c.AmountRefunded, currency)
	}
	if drop(r.Subscription.problem(subCurrency)) {
		r.Subscription = nil
	} else if s := r.Subscription; s != nil {
		s.Amount = atScale(s.Amount, cmp.Or(s.Currency, subCurrency))
	}
	if drop(r.Product.problem()) {
		r.Product = nil
	} else if p := r.Product; p != nil {
		p.Amount, p.SetupAmount = atScale(p.Amount, p.Currency), atScale(p.SetupAmount, p.Currency)
	}
	if drop(r.Customer.problem()) {
		r.Customer = nil
	}
	return dropped
}

// problem is what ChargeDesk cannot use in c; currency is the charge's
// when c does not say.
func (c *ChargeUpdate) problem(currency string) error {
	if c == nil {
		return nil
	}
	if c.Status != "" && !c.Status.Valid() {
		return fmt.Errorf("%w: charge.status %q is not a ChargeDesk charge status", ErrBadAnswer, c.Status)
	}
	if c.Currency != "" {
		if !validCurrency(c.Currency) {
			return fmt.Errorf("%w: charge.currency %q is not an ISO 4217 code", ErrBadAnswer, c.Currency)
		}
		currency = c.Currency
	}
	if err := checkAnswerAmount("charge.amount", c.Amount, currency); err != nil {
		return err
	}
	if err := checkAnswerAmount("charge.amount_refunded", c.AmountRefunded, currency); err != nil {
		return err
	}
	if c.Amount != nil && c.AmountRefunded != nil && c.AmountRefunded.Cmp(*c.Amount) > 0 {
		return fmt.Errorf("%w: charge.amount_refunded %s is more than the answer's charge.amount %s",
			ErrBadAnswer, c.AmountRefunded, c.Amount)
	}
	if c.PayLink != "" {
		return checkURL("charge.pay_link", c.PayLink)
	}
	return nil
}

// problem is what ChargeDesk cannot use in s; currency is the
// subscription's when s does not say.
func (s *SubscriptionUpdate) problem(currency string) error {
	if s == nil {
		return nil
	}
	if s.Status != "" && !s.Status.Valid() {
		return fmt.Errorf("%w: subscription.status %q is not a ChargeDesk subscription status", ErrBadAnswer, s.Status)
	}
	if s.Currency != "" {
		if !validCurrency(s.Currency) {
			return fmt.Errorf("%w: subscription.currency %q is not an ISO 4217 code", ErrBadAnswer, s.Currency)
		}
		currency = s.Currency
	}
	if err := checkAnswerAmount("subscription.amount", s.Amount, currency); err != nil {
		return err
	}
	if err := checkInterval("subscription.interval", s.Interval); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		n    *int
	}{{"interval_count", s.IntervalCount}, {"quantity", s.Quantity},
		{"billing_cycles_total", s.BillingCyclesTotal}, {"billing_cycles_current", s.BillingCyclesCurrent}} {
		if f.n != nil && *f.n < 0 {
			return fmt.Errorf("%w: subscription.%s %d is negative", ErrBadAnswer, f.name, *f.n)
		}
	}
	return nil
}

// problem is what ChargeDesk cannot use in p.
func (p *ProductUpdate) problem() error {
	if p == nil {
		return nil
	}
	if p.Currency != "" && !validCurrency(p.Currency) {
		return fmt.Errorf("%w: product.currency %q is not an ISO 4217 code", ErrBadAnswer, p.Currency)
	}
	if err := checkAnswerAmount("product.amount", p.Amount, p.Currency); err != nil {
		return err
	}
	if err := checkAnswerAmount("product.setup_amount", p.SetupAmount, p.Currency); err != nil {
		return err
	}
	if err := checkInterval("product.interval", p.Interval); err != nil {
		return err
	}
	if p.URL != "" {
		return checkURL("product.url", p.URL)
	}
	return nil
}

// problem is what ChargeDesk cannot use in c.
func (c *CustomerUpdate) problem() error {
	if c == nil || c.Website == "" {
		return nil
	}
	return checkURL("customer.website", c.Website)
}

func checkAnswerAmount(field string, a *Amount, currency string) error {
	if a == nil {
		return nil
	}
	if a.Sign() < 0 {
		return fmt.Errorf("%w: %s %s is negative", ErrBadAnswer, field, a)
	}
	if scale, ok := currencyScale(currency); ok {
		if err := checkScale(*a, scale, currency); err != nil {
			return fmt.Errorf("%w: %s: %s", ErrBadAnswer, field, err)
		}
	}
	return nil
}

func checkInterval(field, interval string) error {
	switch interval {
	case "", "day", "week", "month", "year":
		return nil
	}
	return fmt.Errorf("%w: %s %q is not day, week, month or year", ErrBadAnswer, field, interval)
}

// checkURL requires an absolute http or https URL with a host. The URL is
// not quoted in the error: it may carry a customer's details.
func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s is not an absolute http(s) URL", ErrBadAnswer, field)
	}
	return nil
}

// atScale writes an answer's amount at its currency's scale (12.34, not
// 12.34000000000000000; JPY 5, not 5.00). The answer is copied, never the
// Gateway's own value changed.
func atScale(a *Amount, currency string) *Amount {
	if a == nil {
		return nil
	}
	v := a.atScale(currency)
	return &v
}
