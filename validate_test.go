package chargedesk

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleRequest decodes the documented example of action as the handler
// does, for a test to change and validate.
func exampleRequest[T any](t *testing.T, action Action) *T {
	t.Helper()
	env, err := decodeEnvelope(payloadFixture(t, action))
	require.NoError(t, err)
	req, ok := any(requestFor(env, action, Raw{})).(*T)
	require.True(t, ok, "request type of %s", action)
	return req
}

// requireInvalid checks that err is the handler's 422 refusal and returns
// the message the agent sees.
func requireInvalid(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var re *requestError
	require.ErrorAs(t, err, &re)
	status, msg, outcome := errorAnswer(ActionRefund, err)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, OutcomeInvalid, outcome)
	assert.Equal(t, re.message, msg)
	return msg
}

func TestValidateExamples(t *testing.T) {
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			env, err := decodeEnvelope(payloadFixture(t, action))
			require.NoError(t, err)
			assert.NoError(t, validateRequest(requestFor(env, action, Raw{})))
		})
	}
}

func TestValidateRefundAmount(t *testing.T) {
	tests := []struct {
		name   string
		amount string // "" leaves refund_amount out (0)
		change func(c *Charge)
		want   string // "" means valid
	}{
		{name: "example", amount: "12.34"},
		{name: "exactly what remains", amount: "34.00"},
		{name: "exactly what remains, other scale", amount: "34"},
		{name: "exactly what remains after a partial refund", amount: "21.66",
			change: func(c *Charge) { c.AmountRefunded = MustParseAmount("12.34") }},
		{name: "one cent", amount: "0.01"},
		{name: "trailing zeros beyond the currency", amount: "12.340"},
		{name: "lower-case currency", amount: "12.34", change: func(c *Charge) { c.Currency = "usd" }},
		{name: "JPY whole amount", amount: "1000",
			change: func(c *Charge) { c.Currency = "JPY"; c.Amount = MustParseAmount("3400") }},
		{name: "KWD three places", amount: "1.234",
			change: func(c *Charge) { c.Currency = "KWD"; c.Amount = MustParseAmount("34.000") }},

		{name: "zero", amount: "0", want: "refund_amount"},
		{name: "zero with scale", amount: "0.00", want: "refund_amount"},
		{name: "negative", amount: "-5.00", want: "refund_amount"},
		{name: "missing", amount: "", want: "refund_amount"},
		{name: "one cent over", amount: "34.01", want: msgRefundTooLarge},
		{name: "over what remains after a partial refund", amount: "21.67",
			change: func(c *Charge) { c.AmountRefunded = MustParseAmount("12.34") }, want: msgRefundTooLarge},
		{name: "fully refunded charge", amount: "0.01",
			change: func(c *Charge) { c.AmountRefunded = MustParseAmount("34.00") }, want: msgRefundTooLarge},
		{name: "USD 12.345", amount: "12.345", want: "refund_amount"},
		{name: "JPY 1.5", amount: "1.5",
			change: func(c *Charge) { c.Currency = "JPY"; c.Amount = MustParseAmount("3400") }, want: "JPY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exampleRequest[RefundRequest](t, ActionRefund)
			r.RefundAmount = Amount{}
			if tt.amount != "" {
				r.RefundAmount = MustParseAmount(tt.amount)
			}
			if tt.change != nil {
				tt.change(r.Charge)
			}
			err := validateRequest(r)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.Contains(t, requireInvalid(t, err), tt.want)
		})
	}
}

func TestValidateRefundMessages(t *testing.T) {
	refund := func(t *testing.T, amount string) error {
		r := exampleRequest[RefundRequest](t, ActionRefund)
		r.RefundAmount = MustParseAmount(amount)
		return validateRequest(r)
	}
	t.Run("more than remains is ChargeDesk's own message", func(t *testing.T) {
		assert.Equal(t, "Refund amount was greater than amount remaining on charge.", requireInvalid(t, refund(t, "34.01")))
	})
	t.Run("too many decimal places names the field and the currency", func(t *testing.T) {
		msg := requireInvalid(t, refund(t, "12.345"))
		assert.Contains(t, msg, "refund_amount")
		assert.Contains(t, msg, "12.345")
		assert.Contains(t, msg, "USD")
	})
	t.Run("zero says it must be more than 0", func(t *testing.T) {
		msg := requireInvalid(t, refund(t, "0"))
		assert.Contains(t, msg, "refund_amount")
		assert.Contains(t, msg, "more than 0")
	})
	t.Run("a refund decoded from JSON without refund_amount", func(t *testing.T) {
		var r RefundRequest
		require.NoError(t, json.Unmarshal([]byte(`{"charge":{"charge_id":"ch","amount":"34.00","currency":"USD"}}`), &r))
		assert.Contains(t, requireInvalid(t, validateRequest(&r)), "refund_amount")
	})
}

func TestValidateCharge(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Charge)
		want   []string // substrings of the message; nil means valid
	}{
		{"lower-case currency", func(c *Charge) { c.Currency = "usd" }, nil},
		{"amount_refunded equals amount", func(c *Charge) { c.AmountRefunded = MustParseAmount("34.00") }, nil},
		{"amount 0", func(c *Charge) { c.Amount = MustParseAmount("0.00") }, nil},
		{"unknown currency", func(c *Charge) { c.Currency = "XYZ" }, []string{"charge.currency", "ISO 4217"}},
		{"two-letter currency", func(c *Charge) { c.Currency = "US" }, []string{"charge.currency", "ISO 4217"}},
		{"currency symbol", func(c *Charge) { c.Currency = "$" }, []string{"charge.currency"}},
		{"missing currency", func(c *Charge) { c.Currency = "" }, []string{"charge.currency", "required"}},
		{"missing charge_id", func(c *Charge) { c.ChargeID = "" }, []string{"charge.charge_id", "required"}},
		{"amount_refunded over amount", func(c *Charge) { c.AmountRefunded = MustParseAmount("34.01") },
			[]string{"charge.amount_refunded", "charge.amount"}},
		{"negative amount", func(c *Charge) { c.Amount = MustParseAmount("-1.00") }, []string{"charge.amount", "negative"}},
		{"negative amount_refunded", func(c *Charge) { c.AmountRefunded = MustParseAmount("-1.00") },
			[]string{"charge.amount_refunded", "negative"}},
		{"negative added_tax", func(c *Charge) { c.AddedTax = MustParseAmount("-0.01") }, []string{"charge.added_tax"}},
		{"amount finer than USD", func(c *Charge) { c.Amount = MustParseAmount("34.001") }, []string{"charge.amount", "USD"}},
		{"amount finer than JPY", func(c *Charge) { c.Currency = "JPY"; c.Amount = MustParseAmount("34.5") },
			[]string{"charge.amount", "JPY"}},
		{"added_tax finer than USD", func(c *Charge) { c.AddedTax = MustParseAmount("0.005") }, []string{"charge.added_tax", "USD"}},
	}
	requests := []struct {
		action Action
		charge func(t *testing.T) (request, *Charge)
	}{
		{ActionCapture, func(t *testing.T) (request, *Charge) {
			r := exampleRequest[CaptureRequest](t, ActionCapture)
			return r, r.Charge
		}},
		{ActionVoid, func(t *testing.T) (request, *Charge) {
			r := exampleRequest[VoidRequest](t, ActionVoid)
			return r, r.Charge
		}},
		{ActionRequestPayment, func(t *testing.T) (request, *Charge) {
			r := exampleRequest[PaymentRequest](t, ActionRequestPayment)
			return r, r.Charge
		}},
		{ActionCancel, func(t *testing.T) (request, *Charge) {
			r := exampleRequest[CancelRequest](t, ActionCancel)
			return r, r.Charge
		}},
	}
	for _, rq := range requests {
		for _, tt := range tests {
			t.Run(string(rq.action)+"/"+tt.name, func(t *testing.T) {
				req, c := rq.charge(t)
				tt.change(c)
				err := validateRequest(req)
				if tt.want == nil {
					assert.NoError(t, err)
					return
				}
				msg := requireInvalid(t, err)
				for _, want := range tt.want {
					assert.Contains(t, msg, want)
				}
			})
		}
	}
	t.Run("refund with a bad charge", func(t *testing.T) {
		r := exampleRequest[RefundRequest](t, ActionRefund)
		r.Charge.AmountRefunded = MustParseAmount("40.00")
		assert.Contains(t, requireInvalid(t, validateRequest(r)), "charge.amount_refunded")
	})
}

func TestValidateMissingObjects(t *testing.T) {
	tests := []struct {
		action Action
		want   string
	}{
		{ActionRefund, "charge is required"},
		{ActionCapture, "charge is required"},
		{ActionVoid, "charge is required"},
		{ActionRequestPayment, "charge is required"},
		{ActionCancel, "subscription is required"},
		{ActionReactivate, "subscription is required"},
		{ActionEditPlans, "plans"},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			for _, body := range []string{`{"action":"cancel"}`, `{"charge":null,"subscription":null,"action":"cancel","refund_amount":"1.00"}`} {
				env, err := decodeEnvelope([]byte(body))
				require.NoError(t, err)
				assert.Contains(t, requireInvalid(t, validateRequest(requestFor(env, tt.action, Raw{}))), tt.want, body)
			}
		})
	}
	t.Run("edit plans without a subscription", func(t *testing.T) {
		r := exampleRequest[EditPlansRequest](t, ActionEditPlans)
		r.Subscription = nil
		assert.Contains(t, requireInvalid(t, validateRequest(r)), "subscription is required")
	})
	t.Run("empty objects", func(t *testing.T) {
		env, err := decodeEnvelope([]byte(`{"charge":[],"subscription":{}}`))
		require.NoError(t, err)
		assert.Contains(t, requireInvalid(t, validateRequest(requestFor(env, ActionCapture, Raw{}))), "charge.charge_id is required")
		assert.Contains(t, requireInvalid(t, validateRequest(requestFor(env, ActionReactivate, Raw{}))), "subscription.subscription_id is required")
	})
}

func TestValidateCancel(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *CancelRequest)
		want   []string // nil means valid
	}{
		{"example", func(*CancelRequest) {}, nil},
		{"cancel", func(r *CancelRequest) { r.Action = CancelDefault; r.Refund = RefundNone; r.Charge = nil }, nil},
		{"cancel-period-end", func(r *CancelRequest) { r.Action = CancelAtPeriodEnd; r.Refund = RefundNone; r.Charge = nil }, nil},
		{"suspend", func(r *CancelRequest) { r.Action = CancelSuspend; r.Refund = RefundNone; r.Charge = nil }, nil},
		{"full refund", func(r *CancelRequest) { r.Refund = RefundFull }, nil},
		{"no refund with a charge sent anyway", func(r *CancelRequest) { r.Refund = RefundNone }, nil},
		{"action pause", func(r *CancelRequest) { r.Action = "pause" },
			[]string{"action", "cancel", "cancel-immediately", "cancel-period-end", "suspend"}},
		{"action missing", func(r *CancelRequest) { r.Action = "" }, []string{"action", "required"}},
		{"action in upper case", func(r *CancelRequest) { r.Action = "CANCEL" }, []string{"action", "must be one of cancel"}},
		{"refund half", func(r *CancelRequest) { r.Refund = "half" }, []string{"refund", "none", "partial", "full"}},
		{"partial refund without a charge", func(r *CancelRequest) { r.Charge = nil }, []string{"charge is required"}},
		{"full refund without a charge", func(r *CancelRequest) { r.Refund = RefundFull; r.Charge = nil }, []string{"charge is required"}},
		{"no subscription", func(r *CancelRequest) { r.Subscription = nil }, []string{"subscription is required"}},
		{"subscription without id", func(r *CancelRequest) { r.Subscription.SubscriptionID = "" }, []string{"subscription.subscription_id"}},
		{"subscription currency unknown", func(r *CancelRequest) { r.Subscription.Currency = "XYZ" }, []string{"subscription.currency", "ISO 4217"}},
		{"subscription amount finer than USD", func(r *CancelRequest) { r.Subscription.Amount = MustParseAmount("34.001") },
			[]string{"subscription.amount", "USD"}},
		{"subscription setup_amount negative", func(r *CancelRequest) { r.Subscription.SetupAmount = MustParseAmount("-10") },
			[]string{"subscription.setup_amount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exampleRequest[CancelRequest](t, ActionCancel)
			tt.change(r)
			err := validateRequest(r)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			msg := requireInvalid(t, err)
			for _, want := range tt.want {
				assert.Contains(t, msg, want)
			}
		})
	}

	t.Run("refund absent is none and needs no charge", func(t *testing.T) {
		var r CancelRequest
		require.NoError(t, json.Unmarshal([]byte(`{"action":"cancel","subscription":{"subscription_id":"sub_1"}}`), &r))
		assert.Equal(t, RefundNone, r.Refund)
		assert.NoError(t, validateRequest(&r))
	})
	t.Run("partial refund without a charge, decoded", func(t *testing.T) {
		env, err := decodeEnvelope([]byte(`{"action":"cancel-immediately","refund":"partial","subscription":{"subscription_id":"sub_1"}}`))
		require.NoError(t, err)
		msg := requireInvalid(t, validateRequest(requestFor(env, ActionCancel, Raw{})))
		assert.Contains(t, msg, "charge is required")
		assert.Contains(t, msg, "refund")
	})
}

func TestValidateEditPlans(t *testing.T) {
	tests := []struct {
		name  string
		plans []Plan
		want  []string // nil means valid
	}{
		{"one plan", []Plan{{ProductID: "p", Quantity: 1}}, nil},
		{"several plans", []Plan{{ProductID: "p", Quantity: 2}, {ProductID: "q", Quantity: 10}}, nil},
		{"no plans", nil, []string{"plans"}},
		{"empty plans", []Plan{}, []string{"plans must not be empty."}},
		{"plan without product_id", []Plan{{Quantity: 1}}, []string{"plans[0].product_id", "required"}},
		{"second plan without product_id", []Plan{{ProductID: "p", Quantity: 1}, {Quantity: 1}}, []string{"plans[1].product_id"}},
		{"quantity 0", []Plan{{ProductID: "p"}}, []string{"plans[0].quantity", "at least 1"}},
		{"negative quantity", []Plan{{ProductID: "p", Quantity: -1}}, []string{"plans[0].quantity", "-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exampleRequest[EditPlansRequest](t, ActionEditPlans)
			r.Plans = tt.plans
			err := validateRequest(r)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			msg := requireInvalid(t, err)
			for _, want := range tt.want {
				assert.Contains(t, msg, want)
			}
		})
	}
	t.Run("decoded plans", func(t *testing.T) {
		for body, want := range map[string]string{
			`{"plans":[],"subscription":{"subscription_id":"s"}}`:                                             "plans",
			`{"plans":{},"subscription":{"subscription_id":"s"}}`:                                             "plans",
			`{"plans":[{"product_id":"p","quantity":"0"}],"subscription":{"subscription_id":"s"}}`:            "plans[0].quantity",
			`{"plans":[{"product_id":null,"quantity":1}],"subscription":{"subscription_id":"s"}}`:             "plans[0].product_id",
			`{"plans":{"0":{"product_id":"p","quantity":1},"1":null},"subscription":{"subscription_id":"s"}}`: "plans[1].product_id",
		} {
			env, err := decodeEnvelope([]byte(body))
			require.NoError(t, err, body)
			assert.Contains(t, requireInvalid(t, validateRequest(requestFor(env, ActionEditPlans, Raw{}))), want, body)
		}
	})
}

func TestValidateReactivate(t *testing.T) {
	r := exampleRequest[ReactivateRequest](t, ActionReactivate)
	r.Subscription.Currency = ""
	assert.NoError(t, validateRequest(r), "a subscription's currency is optional")
	r.Subscription.Currency = "usd"
	assert.NoError(t, validateRequest(r))
	r.Subscription.Currency = "EURO"
	assert.Contains(t, requireInvalid(t, validateRequest(r)), "subscription.currency")
}

func TestValidateStructMessagesUseJSONNames(t *testing.T) {
	// No message names a Go field.
	for _, req := range []request{
		&RefundRequest{},
		&CaptureRequest{Charge: &Charge{}},
		&CancelRequest{Action: "x", Refund: RefundNone, Subscription: &Subscription{SubscriptionID: "s"}},
		&EditPlansRequest{Plans: []Plan{{}}, Subscription: &Subscription{SubscriptionID: "s"}},
	} {
		msg := requireInvalid(t, validateRequest(req))
		for _, goName := range []string{"Charge", "ChargeID", "Currency", "Action", "Plans", "ProductID", "Request"} {
			assert.NotContains(t, msg, goName, msg)
		}
	}
}
