package chargedesk

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// Raw is the webhook as it arrived, for what the typed fields do not carry:
// fields ChargeDesk adds later stay in Body, and custom headers in Header.
// The handler fills it; a request decoded with json.Unmarshal has it empty.
type Raw struct {
	// Body is the request body exactly as received (for a form-encoded
	// webhook, the form as sent).
	Body []byte
	// Header is the request's header, secrets included: do not log it.
	Header http.Header
}

// RefundRequest is a refund webhook: refund RefundAmount of Charge.
type RefundRequest struct {
	Raw Raw `json:"-"`
	// RefundAmount is the amount to refund, in the charge's currency. The
	// handler has checked that it is more than 0, not more than what remains
	// on the charge, and has no more decimal places than the currency allows.
	RefundAmount Amount `json:"refund_amount"`
	// ActionReason is the agent's reason, "" when none was given.
	ActionReason string  `json:"action_reason"`
	Charge       *Charge `json:"charge"`

	phpFloat bool // RefundAmount was read as a PHP float, for the log
}

// CaptureRequest is a capture webhook: capture the authorized Charge.
type CaptureRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// VoidRequest is a void webhook: void the authorized Charge. ChargeDesk
// sends the same payload as for a capture, to the void path.
type VoidRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// CancelRequest is a cancel webhook: cancel or suspend Subscription, and
// refund Charge when Refund is not RefundNone.
type CancelRequest struct {
	Raw Raw `json:"-"`
	// Action is how to cancel; ChargeDesk always sends it.
	Action CancelAction `json:"action"`
	// Refund is what to refund of the subscription's last charge. ChargeDesk
	// sends it only with cancel-immediately; when it is absent it is
	// RefundNone.
	Refund       RefundMode    `json:"refund"`
	ActionReason string        `json:"action_reason"`
	Subscription *Subscription `json:"subscription"`
	// Charge is the charge to refund; present whenever Refund is not none.
	Charge *Charge `json:"charge,omitempty"`
}

// ReactivateRequest is a reactivate webhook: reactivate the suspended or
// pending-cancellation Subscription.
type ReactivateRequest struct {
	Raw          Raw           `json:"-"`
	Subscription *Subscription `json:"subscription"`
}

// EditPlansRequest is an edit plans webhook: replace the plans of
// Subscription with Plans.
type EditPlansRequest struct {
	Raw Raw `json:"-"`
	// Plans are the subscription's new plans: 1 to MaxPlans of them, each
	// with a product and a quantity of at least 1.
	Plans        []Plan        `json:"plans"`
	Subscription *Subscription `json:"subscription"`
}

// PaymentRequest is a payment request webhook: ask the customer to pay
// Charge, and answer the payment page's URL.
type PaymentRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// request is what the handler asks of every action's request type; with
// the action's entry in actionTable, it is all the handler knows of the
// action. The body is decoded straight into it, by its json tags.
type request interface {
	// received completes the decoded request: its Raw, and the defaults
	// of fields ChargeDesk may leave out.
	received(raw Raw)
	// member sees every top-level member of the body as it is decoded.
	member(key string, raw []byte)
	// objects returns the charge and the subscription the action acts on,
	// nil when it has none: each is locked while the Gateway works.
	objects() (*Charge, *Subscription)
	// identity adds what makes two webhooks the same action, for the
	// duplicate guard: its objects' ids and whatever else it asks for.
	identity(id *identity)
	// check applies the action's rules: the objects it needs and their ids
	// and currencies, its own fields, then the money rules. The first
	// broken one is the agent's 422 message.
	check() error
	// logFields adds the action's own fields to the webhook's log line (the
	// objects' ids are added for every action). It runs before validation,
	// so a value is logged only once it is known to be one of its kind.
	logFields(c zerolog.Context) zerolog.Context
}

// UnmarshalJSON implements [json.Unmarshaler] with the package's tolerant
// decoding; unknown fields are ignored, and Raw is left empty.
func (r *RefundRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *CaptureRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *VoidRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *CancelRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *ReactivateRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *EditPlansRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *PaymentRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// unmarshalRequest is every request type's UnmarshalJSON.
func unmarshalRequest(raw []byte, r request) error {
	if err := wire.DecodeCollect(raw, r, func(record, key string, raw []byte) {
		if record == "" {
			r.member(key, raw)
		}
	}); err != nil {
		return decodeError(err)
	}
	r.received(Raw{})
	return nil
}

func (r *RefundRequest) received(raw Raw)     { r.Raw = raw }
func (r *CaptureRequest) received(raw Raw)    { r.Raw = raw }
func (r *VoidRequest) received(raw Raw)       { r.Raw = raw }
func (r *ReactivateRequest) received(raw Raw) { r.Raw = raw }
func (r *EditPlansRequest) received(raw Raw)  { r.Raw = raw }
func (r *PaymentRequest) received(raw Raw)    { r.Raw = raw }

// ChargeDesk sends refund only with cancel-immediately: absent, it is none.
func (r *CancelRequest) received(raw Raw) {
	r.Raw = raw
	if r.Refund == "" {
		r.Refund = RefundNone
	}
}

// A refund_amount written as a PHP float is noted for the log.
func (r *RefundRequest) member(key string, raw []byte) {
	if key == "refund_amount" {
		r.phpFloat = IsPHPFloat(raw)
	}
}

func (r *CaptureRequest) member(string, []byte)    {}
func (r *VoidRequest) member(string, []byte)       {}
func (r *CancelRequest) member(string, []byte)     {}
func (r *ReactivateRequest) member(string, []byte) {}
func (r *EditPlansRequest) member(string, []byte)  {}
func (r *PaymentRequest) member(string, []byte)    {}

func (r *RefundRequest) objects() (*Charge, *Subscription)     { return r.Charge, nil }
func (r *CaptureRequest) objects() (*Charge, *Subscription)    { return r.Charge, nil }
func (r *VoidRequest) objects() (*Charge, *Subscription)       { return r.Charge, nil }
func (r *CancelRequest) objects() (*Charge, *Subscription)     { return r.Charge, r.Subscription }
func (r *ReactivateRequest) objects() (*Charge, *Subscription) { return nil, r.Subscription }
func (r *EditPlansRequest) objects() (*Charge, *Subscription)  { return nil, r.Subscription }
func (r *PaymentRequest) objects() (*Charge, *Subscription)    { return r.Charge, nil }

// Amounts are compared by value: 12.3 and 12.30 are the same refund.
func (r *RefundRequest) identity(id *identity) {
	id.charge(r.Charge)
	id.add("amount", r.RefundAmount.canonical(), "reason", r.ActionReason)
}

func (r *CaptureRequest) identity(id *identity) { id.charge(r.Charge) }

func (r *VoidRequest) identity(id *identity) { id.charge(r.Charge) }

func (r *CancelRequest) identity(id *identity) {
	id.subscription(r.Subscription)
	id.charge(r.Charge)
	id.add("cancel", string(r.Action), "refund", string(r.Refund), "reason", r.ActionReason)
}

func (r *ReactivateRequest) identity(id *identity) { id.subscription(r.Subscription) }

func (r *EditPlansRequest) identity(id *identity) {
	id.subscription(r.Subscription)
	for _, p := range r.Plans {
		id.add("plan", p.ProductID, "quantity", strconv.Itoa(p.Quantity))
	}
}

func (r *PaymentRequest) identity(id *identity) {
	id.charge(r.Charge)
	id.add("amount", r.Charge.Amount.canonical())
}

// msgRefundTooLarge is ChargeDesk's own wording for this refusal.
const msgRefundTooLarge = "Refund amount was greater than amount remaining on charge."

// check applies the rules of a refund: more than zero, no finer than the
// currency, and no more than what remains on the charge.
func (r *RefundRequest) check() error {
	if err := chargeRules(r.Charge); err != nil {
		return err
	}
	if r.RefundAmount.Sign() <= 0 {
		return invalid("refund_amount must be more than 0, not %s.", r.RefundAmount)
	}
	scale, _ := currencyScale(r.Charge.Currency)
	if err := checkScale(r.RefundAmount, scale, r.Charge.Currency); err != nil {
		return invalid("refund_amount %s.", err)
	}
	remaining, err := r.Charge.Amount.Sub(r.Charge.AmountRefunded)
	if err != nil || r.RefundAmount.Cmp(remaining) > 0 {
		return invalid(msgRefundTooLarge)
	}
	return nil
}

func (r *CaptureRequest) check() error { return chargeRules(r.Charge) }

func (r *VoidRequest) check() error { return chargeRules(r.Charge) }

func (r *CancelRequest) check() error {
	switch {
	case r.Action == "":
		return invalid("action is required.")
	case !r.Action.valid():
		return invalid("action must be one of cancel, cancel-immediately, cancel-period-end, suspend.")
	case !r.Refund.valid():
		return invalid("refund must be one of none, partial, full.")
	}
	if err := requireSubscription("subscription", r.Subscription); err != nil {
		return err
	}
	if r.Charge == nil && r.Refund != RefundNone {
		return invalid("charge is required when refund is not none.")
	}
	if r.Charge != nil {
		if err := requireCharge("charge", r.Charge); err != nil {
			return err
		}
	}
	if err := checkSubscription("subscription", r.Subscription); err != nil {
		return err
	}
	return checkCharge("charge", r.Charge)
}

func (r *ReactivateRequest) check() error { return subscriptionRules(r.Subscription) }

func (r *EditPlansRequest) check() error {
	if err := checkPlans(r.Plans); err != nil {
		return err
	}
	return subscriptionRules(r.Subscription)
}

func (r *PaymentRequest) check() error { return chargeRules(r.Charge) }

// chargeRules are the rules of an action on a charge and nothing else.
func chargeRules(c *Charge) error {
	if err := requireCharge("charge", c); err != nil {
		return err
	}
	return checkCharge("charge", c)
}

// subscriptionRules are the rules of an action on a subscription and
// nothing else.
func subscriptionRules(s *Subscription) error {
	if err := requireSubscription("subscription", s); err != nil {
		return err
	}
	return checkSubscription("subscription", s)
}

func (r *RefundRequest) logFields(c zerolog.Context) zerolog.Context {
	c = amountField(c, r.RefundAmount, r.Charge)
	if r.phpFloat {
		c = c.Bool("refund_amount_php_float", true)
	}
	return c
}

func (r *CaptureRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Charge == nil {
		return c
	}
	return amountField(c, r.Charge.Amount, r.Charge)
}

func (r *VoidRequest) logFields(c zerolog.Context) zerolog.Context { return c }

// The reason is free text, often with a customer's details in it: it is
// never logged.
func (r *CancelRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Action.valid() {
		c = c.Str("cancel_action", string(r.Action))
	}
	if r.Refund.valid() {
		c = c.Str("refund", string(r.Refund))
	}
	return c
}

func (r *ReactivateRequest) logFields(c zerolog.Context) zerolog.Context { return c }

func (r *EditPlansRequest) logFields(c zerolog.Context) zerolog.Context { return c }

func (r *PaymentRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Charge == nil {
		return c
	}
	return amountField(c, r.Charge.Amount, r.Charge)
}

// amountField logs an amount, with the charge's currency once it is known
// to be one.
func amountField(c zerolog.Context, a Amount, charge *Charge) zerolog.Context {
	c = c.Str("amount", a.String())
	if charge != nil && validCurrency(charge.Currency) {
		c = c.Str("currency", strings.ToUpper(charge.Currency))
	}
	return c
}
