package chargedesk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// payloadFixture returns chargedesktest/payloads/<action>.json, the example
// payload from ChargeDesk's documentation, byte for byte.
func payloadFixture(t *testing.T, action Action) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("chargedesktest", "payloads", string(action)+".json"))
	require.NoError(t, err)
	return body
}

// occurredExample is the "occurred" and "first_seen" time of every example.
var occurredExample = time.Unix(1732181492, 0).UTC()

// assertExampleCharge checks every documented field of the example charge
// (the examples differ only in their ids).
func assertExampleCharge(t *testing.T, c *Charge, chargeID string) {
	t.Helper()
	require.NotNil(t, c)
	assert.Equal(t, chargeID, c.ChargeID)
	assert.Equal(t, MustParseAmount("34.00"), c.Amount)
	assert.Equal(t, 2, c.Amount.Decimal().Scale(), "34.00 keeps its scale")
	assert.Equal(t, "34.00", c.Amount.String())
	assert.Equal(t, "0.00", c.AmountRefunded.String())
	assert.Equal(t, "0.00", c.AddedTax.String())
	assert.Equal(t, "USD", c.Currency)
	assert.Equal(t, ChargeStatusPaid, c.Status)
	assert.Equal(t, "paid", c.StatusText)
	assert.True(t, c.IsPaid)
	assert.Equal(t, occurredExample, c.Occurred)
	assert.Equal(t, time.UTC, c.Occurred.Location())
	assert.True(t, c.EmailLastSent.IsZero(), "email_last_sent 0 means unset")
	assert.Equal(t, time.Time{}, c.EmailLastSent)
	assert.Equal(t, "", c.GatewayID)
	assert.Equal(t, "Credit", c.PaymentMethod)
	assert.Equal(t, "Visa", c.PaymentMethodBrand)
	assert.Equal(t, "Visa credit card", c.PaymentMethodDescribe)
	assert.Equal(t, "1234", c.Last4Digits)
	assert.Equal(t, "Jane Customer", c.CustomerName)
	assert.Equal(t, "jane@example.com", c.CustomerEmail)
	assert.Equal(t, "janecustomer", c.CustomerUsername)
	assert.Equal(t, "US", c.CustomerCountry)
	assert.Equal(t, "", c.CustomerPhone, "customer_phone null")
	assert.Equal(t, "", c.InvoiceCompany, "invoice_company null")
	assert.Equal(t, "An example charge", c.Description)
	assert.Equal(t, "charge", c.Object)
	assert.Equal(t, "company-example", c.Company)
	assert.Equal(t, "34.00", c.AmountWithCommas)
	assert.Equal(t, "$34.00 USD", c.AmountFormatted)
	assert.Equal(t, "$0.00 USD", c.AmountRefundedFormatted)
	assert.Equal(t, "$", c.AmountSymbol)
	assert.Equal(t, "moments ago", c.OccurredRelative)
	assert.Equal(t, "moments ago", c.OccurredFormatted)
	assert.Equal(t, "", c.RefundedAtFormatted)
	assert.Equal(t, "company-example+"+chargeID+"@chargedesk.com", c.SupportEmail)
	assert.Equal(t, "https://chargedesk.com/company-example/"+chargeID, c.SupportURL, `"\/" is unescaped`)
	assert.Equal(t, "https://chargedesk.com/manage/company-example/charges/"+chargeID, c.ManageURL)
	assert.Equal(t, "https://chargedesk.com/company-example/"+chargeID+"/invoice", c.InvoiceURL)
	assert.Equal(t, "https://chargedesk.com/company-example/"+chargeID+"/invoice/download", c.InvoiceDownloadURL)
	assert.Equal(t, "", c.GatewayURL)
	assert.Equal(t, "", c.SentInvoice)
	assert.Equal(t, "", c.SentInvoiceReminder)
	assert.Equal(t, "", c.ProductDesc)
	assert.Equal(t, "receipt", c.NameEmail)
	assert.Equal(t, "Send Receipt", c.NameSendEmail)
	assert.Equal(t, []string{"edit", "remind", "email"}, c.MethodsSupported)
	assert.Equal(t, []string{"email"}, c.MethodsActive)
	assert.Equal(t, map[string]string{"example_key": "Example charge metadata"}, c.Metadata)
	assert.Equal(t, json.RawMessage("[]"), c.Logs)
}

// assertExampleSubscription checks every documented field of the example
// subscription.
func assertExampleSubscription(t *testing.T, s *Subscription, subscriptionID string) {
	t.Helper()
	require.NotNil(t, s)
	assert.Equal(t, subscriptionID, s.SubscriptionID)
	assert.Equal(t, "", s.GatewayID)
	assert.Equal(t, "34.00", s.Amount.String())
	assert.Equal(t, 2, s.Amount.Decimal().Scale())
	assert.Equal(t, MustParseAmount("10"), s.SetupAmount, "setup_amount is the JSON number 10")
	assert.Equal(t, "USD", s.Currency)
	assert.Equal(t, SubscriptionStatus("active"), s.Status)
	assert.Equal(t, "Active", s.StatusText)
	assert.Equal(t, "month", s.Interval)
	assert.Equal(t, 1, s.IntervalCount)
	assert.Equal(t, "Monthly", s.ReadableInterval)
	assert.Equal(t, 2, s.Quantity)
	assert.Equal(t, 1, s.Charges)
	assert.False(t, s.HasItems, "has_items 0")
	assert.Equal(t, 0, s.BillingCyclesTotal)
	assert.Equal(t, 1, s.BillingCyclesCurrent)
	assert.Equal(t, 14, s.TrialPeriodDays)
	assert.Equal(t, occurredExample, s.CurrentPeriodStart)
	assert.Equal(t, time.Unix(1734811235, 0).UTC(), s.CurrentPeriodEnd)
	assert.True(t, s.TrialStart.IsZero(), "trial_start 0 means unset")
	assert.Equal(t, time.Unix(1733391092, 0).UTC(), s.TrialEnd)
	assert.True(t, s.EndedAt.IsZero())
	assert.True(t, s.CanceledAt.IsZero())
	assert.Equal(t, occurredExample, s.FirstSeen)
	assert.Equal(t, "subscription", s.Object)
	assert.Equal(t, "company-example", s.Company)
	assert.Equal(t, "2x $34.00 USD", s.AmountFormatted)
	assert.Equal(t, "$", s.AmountSymbol)
	assert.Equal(t, "", s.ProductDesc)
	assert.Equal(t, "https://chargedesk.com/manage/company-example/subscriptions/"+subscriptionID, s.ManageURL)
	assert.Equal(t, "", s.GatewayURL)
	assert.Equal(t, []string{"edit"}, s.MethodsSupported)
	assert.Equal(t, []string{"edit"}, s.MethodsActive)
	assert.Equal(t, map[string]string{"example_key": "Example subscription metadata"}, s.Metadata)
	assert.Equal(t, json.RawMessage("[]"), s.Items)
	assert.Equal(t, json.RawMessage("[]"), s.Logs)
}

func TestRefundExample(t *testing.T) {
	check := func(t *testing.T, r *RefundRequest) {
		assert.Equal(t, MustParseAmount("12.34"), r.RefundAmount)
		assert.Equal(t, "12.34", r.RefundAmount.String())
		assert.Equal(t, "Customer received incorrect product", r.ActionReason)
		assertExampleCharge(t, r.Charge, "example-Xs84hY5BSt5IttuRSIsQIA8r")
		assert.Equal(t, "cus-example-RLf9f6T6Ok", r.Charge.CustomerID)
		assert.Equal(t, "prod-example-uloKnvvT6J", r.Charge.ProductID)
		assert.Equal(t, "sub-example-GVajOxJRvZ", r.Charge.SubscriptionID)
		assert.Equal(t, "transaction-example-y9Tut8QrPt", r.Charge.TransactionID)
	}
	body := payloadFixture(t, ActionRefund)

	t.Run("json.Unmarshal", func(t *testing.T) {
		var r RefundRequest
		require.NoError(t, json.Unmarshal(body, &r))
		check(t, &r)
		assert.Empty(t, r.Raw.Body, "json.Unmarshal leaves Raw empty")
	})
	t.Run("envelope", func(t *testing.T) {
		env, err := decodeEnvelope(body)
		require.NoError(t, err)
		raw := Raw{Body: body}
		r, ok := requestFor(env, ActionRefund, raw).(*RefundRequest)
		require.True(t, ok)
		check(t, r)
		assert.Equal(t, body, r.Raw.Body)
	})
}

func TestChargeOnlyExamples(t *testing.T) {
	tests := []struct {
		action   Action
		chargeID string
		decode   func([]byte) (*Charge, error)
	}{
		{ActionCapture, "example-r5D8vjzaXNTLwFZA4cM9Cg5b", func(b []byte) (*Charge, error) {
			var r CaptureRequest
			err := json.Unmarshal(b, &r)
			return r.Charge, err
		}},
		{ActionVoid, "example-r5D8vjzaXNTLwFZA4cM9Cg5b", func(b []byte) (*Charge, error) {
			var r VoidRequest
			err := json.Unmarshal(b, &r)
			return r.Charge, err
		}},
		{ActionRequestPayment, "example-gM7eI914EY5RAgDf82sESg3U", func(b []byte) (*Charge, error) {
			var r PaymentRequest
			err := json.Unmarshal(b, &r)
			return r.Charge, err
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			body := payloadFixture(t, tt.action)
			c, err := tt.decode(body)
			require.NoError(t, err)
			assertExampleCharge(t, c, tt.chargeID)

			env, err := decodeEnvelope(body)
			require.NoError(t, err)
			var viaEnvelope *Charge
			switch r := requestFor(env, tt.action, Raw{}).(type) {
			case *CaptureRequest:
				viaEnvelope = r.Charge
			case *VoidRequest:
				viaEnvelope = r.Charge
			case *PaymentRequest:
				viaEnvelope = r.Charge
			default:
				require.Failf(t, "wrong request type", "%T", r)
			}
			assert.Equal(t, c, viaEnvelope)
		})
	}
}

func TestCancelExample(t *testing.T) {
	body := payloadFixture(t, ActionCancel)
	check := func(t *testing.T, r *CancelRequest) {
		assert.Equal(t, CancelImmediately, r.Action)
		assert.Equal(t, RefundPartial, r.Refund)
		assert.Equal(t, "Customer is planning on upgrading subscription", r.ActionReason)
		assertExampleSubscription(t, r.Subscription, "sub-example-vkx55s374c")
		assert.Equal(t, "cus-example-RAFiJBiib1", r.Subscription.CustomerID)
		assert.Equal(t, "prod-example-UR9KyyjODh", r.Subscription.ProductID)
		assertExampleCharge(t, r.Charge, "example-dcVNtrQoNtyLxadmoPmbIAX2")
		assert.Equal(t, "cus-example-6vsE7EUPfk", r.Charge.CustomerID)
	}
	t.Run("json.Unmarshal", func(t *testing.T) {
		var r CancelRequest
		require.NoError(t, json.Unmarshal(body, &r))
		check(t, &r)
	})
	t.Run("envelope", func(t *testing.T) {
		env, err := decodeEnvelope(body)
		require.NoError(t, err)
		r, ok := requestFor(env, ActionCancel, Raw{}).(*CancelRequest)
		require.True(t, ok)
		check(t, r)
	})
}

func TestCancelWithoutRefundIsRefundNone(t *testing.T) {
	var r CancelRequest
	require.NoError(t, json.Unmarshal([]byte(`{"action":"cancel","subscription":{"subscription_id":"s"}}`), &r))
	assert.Equal(t, RefundNone, r.Refund)
	assert.Nil(t, r.Charge)

	require.NoError(t, json.Unmarshal([]byte(`{"action":"cancel","refund":null,"subscription":{"subscription_id":"s"}}`), &r))
	assert.Equal(t, RefundNone, r.Refund, "refund null")
}

func TestReactivateExample(t *testing.T) {
	body := payloadFixture(t, ActionReactivate)
	var r ReactivateRequest
	require.NoError(t, json.Unmarshal(body, &r))
	assertExampleSubscription(t, r.Subscription, "sub-example-uqj4QP2rEQ")

	env, err := decodeEnvelope(body)
	require.NoError(t, err)
	viaEnvelope, ok := requestFor(env, ActionReactivate, Raw{}).(*ReactivateRequest)
	require.True(t, ok)
	assert.Equal(t, r.Subscription, viaEnvelope.Subscription)
}

func TestEditPlansExample(t *testing.T) {
	body := payloadFixture(t, ActionEditPlans)
	var r EditPlansRequest
	require.NoError(t, json.Unmarshal(body, &r))
	assert.Equal(t, []Plan{{ProductID: "prod-example-AyL17r5mIC", Quantity: 2}}, r.Plans)
	assertExampleSubscription(t, r.Subscription, "sub-example-7bJT0T1dcy")

	env, err := decodeEnvelope(body)
	require.NoError(t, err)
	viaEnvelope, ok := requestFor(env, ActionEditPlans, Raw{}).(*EditPlansRequest)
	require.True(t, ok)
	assert.Equal(t, r.Plans, viaEnvelope.Plans)
	assert.Equal(t, r.Subscription, viaEnvelope.Subscription)
}

func TestEnvelopeRequestTypes(t *testing.T) {
	want := map[Action]any{
		ActionRefund:         &RefundRequest{},
		ActionCapture:        &CaptureRequest{},
		ActionVoid:           &VoidRequest{},
		ActionCancel:         &CancelRequest{},
		ActionReactivate:     &ReactivateRequest{},
		ActionEditPlans:      &EditPlansRequest{},
		ActionRequestPayment: &PaymentRequest{},
	}
	require.Len(t, want, len(Actions()), "every action has a request type")
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			env, err := decodeEnvelope(payloadFixture(t, action))
			require.NoError(t, err)
			assert.IsType(t, want[action], requestFor(env, action, Raw{}))
		})
	}
}

func TestChargeRoundTrip(t *testing.T) {
	var r RefundRequest
	require.NoError(t, json.Unmarshal(payloadFixture(t, ActionRefund), &r))
	c := *r.Charge
	c.EmailLastSent = time.Unix(1732190000, 0).UTC()

	out, err := json.Marshal(c)
	require.NoError(t, err)

	var back Charge
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, c, back)

	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &fields))
	assert.Equal(t, "1732181492", string(fields["occurred"]), "timestamps are unix seconds")
	assert.Equal(t, "1732190000", string(fields["email_last_sent"]))
	assert.Equal(t, "34.00", string(fields["amount"]), "amounts keep their scale")
	assert.Equal(t, "0.00", string(fields["amount_refunded"]))
	assert.Equal(t, "true", string(fields["is_paid"]))
	assert.Equal(t, `"example-Xs84hY5BSt5IttuRSIsQIA8r"`, string(fields["charge_id"]))
	assert.Equal(t, `["edit","remind","email"]`, string(fields["methods_supported"]))
	assert.Equal(t, `{"example_key":"Example charge metadata"}`, string(fields["metadata"]))
	assert.Equal(t, "[]", string(fields["logs"]))

	t.Run("RFC 3339 times come back as the same instant", func(t *testing.T) {
		var c Charge
		require.NoError(t, json.Unmarshal([]byte(`{"occurred":"2024-11-21T10:31:32+01:00"}`), &c))
		out, err := json.Marshal(c)
		require.NoError(t, err)
		var back Charge
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, c, back)
		assert.Equal(t, occurredExample, back.Occurred)
	})
	t.Run("zero time is 0", func(t *testing.T) {
		out, err := json.Marshal(Charge{})
		require.NoError(t, err)
		var fields map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(out, &fields))
		assert.Equal(t, "0", string(fields["occurred"]))
		assert.Equal(t, "0", string(fields["amount"]))
		var back Charge
		require.NoError(t, json.Unmarshal(out, &back))
		assert.True(t, back.Occurred.IsZero())
	})
}

func TestSubscriptionRoundTrip(t *testing.T) {
	var r EditPlansRequest
	require.NoError(t, json.Unmarshal(payloadFixture(t, ActionEditPlans), &r))
	s := *r.Subscription

	out, err := json.Marshal(s)
	require.NoError(t, err)
	var back Subscription
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, s, back)

	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &fields))
	assert.Equal(t, "1732181492", string(fields["current_period_start"]))
	assert.Equal(t, "0", string(fields["trial_start"]))
	assert.Equal(t, "1", string(fields["interval_count"]))
	assert.Equal(t, "false", string(fields["has_items"]))
	assert.Equal(t, "10", string(fields["setup_amount"]))
}

// TestRequestsWithoutObjects checks that a request whose object is absent
// decodes with a nil pointer, for validation to refuse.
func TestRequestsWithoutObjects(t *testing.T) {
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			env, err := decodeEnvelope([]byte(`{}`))
			require.NoError(t, err)
			c, s := requestFor(env, action, Raw{}).objects()
			assert.Nil(t, c)
			assert.Nil(t, s)
		})
	}
}

// envelope is every top-level field any webhook carries: the decoder's
// tests decode a body into it.
type envelope struct {
	RefundAmount Amount        `json:"refund_amount"`
	ActionReason string        `json:"action_reason"`
	Action       CancelAction  `json:"action"`
	Refund       RefundMode    `json:"refund"`
	Plans        []Plan        `json:"plans"`
	Charge       *Charge       `json:"charge"`
	Subscription *Subscription `json:"subscription"`
}

// decodeEnvelope checks body's structure and decodes it, in one pass, as
// the handler does.
func decodeEnvelope(body []byte) (*envelope, error) {
	env := new(envelope)
	if err := wire.Decode(body, env); err != nil {
		return nil, decodeError(err)
	}
	return env, nil
}

// decodeEnv decodes body into an envelope as the handler decodes a
// request, with its Content-Type and placeholders' fields.
func decodeEnv(contentType string, body []byte, fields bool) (*envelope, payloadFields, error) {
	env := new(envelope)
	pf, err := decodeBody(contentType, body, env, fields)
	if err != nil {
		return nil, payloadFields{}, err
	}
	return env, pf, nil
}

// requestFor builds action's request from a decoded envelope, as decoding
// the same body as the action does: each field from the envelope's field
// of the same json name.
func requestFor(env *envelope, action Action, raw Raw) request {
	req := definition(action).newRequest()
	rv, ev := reflect.ValueOf(req).Elem(), reflect.ValueOf(env).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		for j := range ev.NumField() {
			if en, _, _ := strings.Cut(ev.Type().Field(j).Tag.Get("json"), ","); en == name && name != "" && name != "-" {
				rv.Field(i).Set(ev.Field(j))
			}
		}
	}
	req.received(raw)
	return req
}

// Every member of every documented example payload has a field that keeps
// it: at the top level, in the charge, the subscription and each plan. A
// field missing from a declaration (customer_phone dropped from Charge, say)
// fails here, rather than go silently undecoded.
func TestEveryDocumentedMemberIsKept(t *testing.T) {
	names := func(v any) map[string]bool {
		out := map[string]bool{}
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				out[name] = true
			}
		}
		return out
	}
	records := map[string]map[string]bool{
		"charge": names(Charge{}), "subscription": names(Subscription{}), "plans": names(Plan{}),
	}
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			var body map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(payloadFixture(t, action), &body))
			top := names(reflect.ValueOf(definition(action).newRequest()).Elem().Interface())
			for key, raw := range body {
				assert.True(t, top[key], "%s's %q has no field", action, key)
				fields, isRecord := records[key]
				if !isRecord {
					continue
				}
				var members []map[string]json.RawMessage
				if key == "plans" {
					require.NoError(t, json.Unmarshal(raw, &members))
				} else {
					var m map[string]json.RawMessage
					require.NoError(t, json.Unmarshal(raw, &m))
					members = append(members, m)
				}
				for _, m := range members {
					for member := range m {
						assert.True(t, fields[member], "%s's %s.%s has no field", action, key, member)
					}
				}
			}
		})
	}
}
