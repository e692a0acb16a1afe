package chargedesk_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

func amt(s string) chargedesk.Amount { return chargedesk.MustParseAmount(s) }

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestChargeRefunded(t *testing.T) {
	tests := []struct {
		name     string
		amount   string
		refunded string
		want     string // exact JSON: amounts keep their scale
	}{
		{"nothing refunded", "34.00", "0.00", `{"status":"paid","amount_refunded":0.00}`},
		{"nothing refunded, bare zero", "34.00", "0", `{"status":"paid","amount_refunded":0}`},
		{"part refunded", "34.00", "12.34", `{"status":"partially refunded","amount_refunded":12.34}`},
		{"a cent left", "34.00", "33.99", `{"status":"partially refunded","amount_refunded":33.99}`},
		{"all refunded", "34.00", "34.00", `{"status":"refunded","amount_refunded":34.00}`},
		{"all refunded, other scale", "34.00", "34", `{"status":"refunded","amount_refunded":34}`},
		{"free charge", "0.00", "0.00", `{"status":"paid","amount_refunded":0.00}`},
		{"yen", "500", "200", `{"status":"partially refunded","amount_refunded":200}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chargedesk.ChargeRefunded(amt(tt.amount), amt(tt.refunded))
			require.NotNil(t, got)
			require.NotNil(t, got.AmountRefunded)
			assert.Equal(t, tt.want, marshal(t, got))
		})
	}
}

func TestRefundAnswer(t *testing.T) {
	refund := func(amount, refunded, refund string) *chargedesk.RefundRequest {
		return &chargedesk.RefundRequest{
			RefundAmount: amt(refund),
			Charge:       &chargedesk.Charge{ChargeID: "ch_1", Amount: amt(amount), AmountRefunded: amt(refunded), Currency: "USD"},
		}
	}
	tests := []struct {
		name string
		req  *chargedesk.RefundRequest
		want string
	}{
		{"first partial refund", refund("34.00", "0.00", "12.34"),
			`{"charge":{"status":"partially refunded","amount_refunded":12.34}}`},
		{"second partial refund", refund("34.00", "12.34", "10"),
			`{"charge":{"status":"partially refunded","amount_refunded":22.34}}`},
		{"the rest", refund("34.00", "30.00", "4.00"), `{"charge":{"status":"refunded","amount_refunded":34.00}}`},
		{"all at once", refund("34.00", "0.00", "34.00"), `{"charge":{"status":"refunded","amount_refunded":34.00}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chargedesk.RefundAnswer(tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, marshal(t, got))
			assert.Nil(t, got.Subscription)
		})
	}

	t.Run("no charge", func(t *testing.T) {
		_, err := chargedesk.RefundAnswer(&chargedesk.RefundRequest{RefundAmount: amt("1")})
		assert.Error(t, err)
		_, err = chargedesk.RefundAnswer(nil)
		assert.Error(t, err)
	})
}

func TestStatusAnswers(t *testing.T) {
	assert.Equal(t, `{"charge":{"status":"void"}}`, marshal(t, chargedesk.ChargeStatusAnswer(chargedesk.ChargeStatusVoid)))
	assert.Equal(t, `{"subscription":{"status":"canceled"}}`,
		marshal(t, chargedesk.SubscriptionStatusAnswer(chargedesk.SubscriptionStatusCanceled)))
}

func TestStatusValid(t *testing.T) {
	for _, s := range []chargedesk.ChargeStatus{chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded,
		chargedesk.ChargeStatusInvoiceCanceled, chargedesk.ChargeStatusUnclaimed} {
		assert.True(t, s.Valid(), s)
	}
	for _, s := range []chargedesk.ChargeStatus{"", "Paid", "partially_refunded", "cancelled"} {
		assert.False(t, s.Valid(), s)
	}
	for _, s := range []chargedesk.SubscriptionStatus{chargedesk.SubscriptionStatusCanceled,
		chargedesk.SubscriptionStatusPendingCancel, chargedesk.SubscriptionStatusPastDue} {
		assert.True(t, s.Valid(), s)
	}
	// The webhook page's example answer spells it "cancelled"; the API does not.
	for _, s := range []chargedesk.SubscriptionStatus{"", "cancelled", "pending cancel", "past due"} {
		assert.False(t, s.Valid(), s)
	}
}

// TestUpdateJSONNames checks every update field against the API's *Input
// schemas: a whole object sends every field under the API's name.
func TestUpdateJSONNames(t *testing.T) {
	start := time.Date(2024, 11, 21, 9, 31, 32, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"charge", &chargedesk.ChargeUpdate{
			Status: chargedesk.ChargeStatusPartiallyRefunded, Amount: ptr(amt("34.00")),
			AmountRefunded: ptr(amt("12.34")), Currency: "USD", TransactionID: "tx_1",
			Description: "An example charge", Last4Digits: "1234",
			Customer: &chargedesk.Ref{ID: "cus_1"}, Product: &chargedesk.Ref{ID: "prod_1"},
			Subscription: &chargedesk.Ref{ID: "sub_1"}, Metadata: map[string]string{"k": "v"},
			PayLink: "https://pay.example.com/1",
		}, `{"status":"partially refunded","amount":34.00,"amount_refunded":12.34,"currency":"USD",
			"transaction_id":"tx_1","description":"An example charge","last_4_digits":"1234",
			"customer":{"id":"cus_1"},"product":{"id":"prod_1"},"subscription":{"id":"sub_1"},
			"metadata":{"k":"v"},"pay_link":"https://pay.example.com/1"}`},
		{"subscription", &chargedesk.SubscriptionUpdate{
			SubscriptionID: "sub_1", CustomerID: "cus_1", Status: chargedesk.SubscriptionStatusActive,
			Amount: ptr(amt("34.00")), Currency: "USD", Interval: "month", IntervalCount: ptr(1),
			Quantity: ptr(2), TrialStart: &start, TrialEnd: ptr(start.Add(14 * 24 * time.Hour)),
			BillingCyclesTotal: ptr(12), BillingCyclesCurrent: ptr(1), Items: []string{"prod_1"},
			Metadata: map[string]string{"k": "v"},
		}, `{"subscription_id":"sub_1","customer_id":"cus_1","status":"active","amount":34.00,
			"currency":"USD","interval":"month","interval_count":1,"quantity":2,
			"trial_start":"2024-11-21T09:31:32Z","trial_end":"2024-12-05T09:31:32Z",
			"billing_cycles_total":12,"billing_cycles_current":1,"items":["prod_1"],"metadata":{"k":"v"}}`},
		{"customer", &chargedesk.CustomerUpdate{
			CustomerID: "cus_1", Email: "jane@example.com", Name: "Jane Customer", Phone: "+1 555 0100",
			Username: "janecustomer", Country: "US", CustomerCompany: "Example Inc",
			Website: "https://example.com", Description: "VIP", Delinquent: ptr(false), CardOnFile: ptr(true),
			TaxNumber: "US123", BillingAddress: &chargedesk.BillingAddress{Line1: "1 Main St", Line2: "Suite 2",
				City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
			InvoiceDetails: "PO 42", Metadata: map[string]string{"k": "v"},
		}, `{"customer_id":"cus_1","email":"jane@example.com","name":"Jane Customer","phone":"+1 555 0100",
			"username":"janecustomer","country":"US","customer_company":"Example Inc",
			"website":"https://example.com","description":"VIP","delinquent":false,"card_on_file":true,
			"tax_number":"US123","billing_address":{"line1":"1 Main St","line2":"Suite 2","city":"Springfield",
			"state":"IL","postal_code":"62701","country":"US"},"invoice_details":"PO 42","metadata":{"k":"v"}}`},
		{"product", &chargedesk.ProductUpdate{
			ProductID: "prod_1", Name: "Pro", Description: "The pro plan", URL: "https://example.com/pro",
			Amount: ptr(amt("34.00")), Currency: "USD", Interval: "month", TrialPeriodDays: ptr(14),
			BillingCyclesTotal: ptr(0), SetupAmount: ptr(amt("10")), Chargeable: ptr(true),
		}, `{"product_id":"prod_1","name":"Pro","description":"The pro plan","url":"https://example.com/pro",
			"amount":34.00,"currency":"USD","interval":"month","trial_period_days":14,
			"billing_cycles_total":0,"setup_amount":10,"chargeable":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.JSONEq(t, tt.want, marshal(t, tt.v))
		})
	}
}

// TestPartialUpdates checks that only the fields set are sent, and that a
// zero is sent when pointed at.
func TestPartialUpdates(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"empty charge", &chargedesk.ChargeUpdate{}, `{}`},
		{"charge status", &chargedesk.ChargeUpdate{Status: chargedesk.ChargeStatusRefunded}, `{"status":"refunded"}`},
		{"charge zero refunded", &chargedesk.ChargeUpdate{AmountRefunded: ptr(amt("0"))}, `{"amount_refunded":0}`},
		{"empty subscription", &chargedesk.SubscriptionUpdate{}, `{}`},
		{"subscription zero quantity", &chargedesk.SubscriptionUpdate{Quantity: ptr(0)}, `{"quantity":0}`},
		{"empty customer", &chargedesk.CustomerUpdate{}, `{}`},
		{"customer not delinquent", &chargedesk.CustomerUpdate{Delinquent: ptr(false)}, `{"delinquent":false}`},
		{"empty product", &chargedesk.ProductUpdate{}, `{}`},
		{"product free setup", &chargedesk.ProductUpdate{SetupAmount: ptr(amt("0.00"))}, `{"setup_amount":0.00}`},
		{"empty response", &chargedesk.Response{}, `{}`},
		{"response with a subscription only", &chargedesk.Response{
			Subscription: &chargedesk.SubscriptionUpdate{Status: chargedesk.SubscriptionStatusCanceled},
		}, `{"subscription":{"status":"canceled"}}`},
		{"response with every object", &chargedesk.Response{
			Charge:       &chargedesk.ChargeUpdate{Status: chargedesk.ChargeStatusVoid},
			Subscription: &chargedesk.SubscriptionUpdate{Status: chargedesk.SubscriptionStatusSuspended},
			Customer:     &chargedesk.CustomerUpdate{CardOnFile: ptr(false)},
			Product:      &chargedesk.ProductUpdate{Chargeable: ptr(false)},
		}, `{"charge":{"status":"void"},"subscription":{"status":"suspended"},` +
			`"customer":{"card_on_file":false},"product":{"chargeable":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, marshal(t, tt.v))
		})
	}
}

func TestPaymentResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		v    chargedesk.PaymentResponse
		want string
	}{
		{"redirect only", chargedesk.PaymentResponse{RedirectURL: "https://pay.example.com/invoices/1"},
			`{"redirect_url":"https://pay.example.com/invoices/1"}`},
		{"redirect with a charge update", chargedesk.PaymentResponse{
			RedirectURL: "https://pay.example.com/invoices/1",
			Response: chargedesk.Response{Charge: &chargedesk.ChargeUpdate{
				Status: chargedesk.ChargeStatusInvoiced, PayLink: "https://pay.example.com/invoices/1"}},
		}, `{"redirect_url":"https://pay.example.com/invoices/1",` +
			`"charge":{"status":"invoiced","pay_link":"https://pay.example.com/invoices/1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, marshal(t, tt.v))
			assert.Equal(t, tt.want, marshal(t, &tt.v))
		})
	}
}
