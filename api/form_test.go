package api

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// appendForm writes exactly what phpquery writes, for every kind of field
// the params hold: set and unset pointers, zeros that matter, amounts,
// times, nested records, metadata in key order, lists with a gap, and
// text that needs encoding.
func TestFormMatchesPHPQuery(t *testing.T) {
	when := time.Date(2031, 6, 30, 12, 0, 0, 0, time.FixedZone("x", 3600))
	odd := "a b&c=d/é+%\x00\"[0]"
	params := []any{
		&ChargeParams{TransactionID: "tx 1/é", Amount: amount("34.00"), Currency: "USD", Status: chargedesk.ChargeStatusPaid,
			AmountRefunded: amount("0"), Last4Digits: "4242", Description: odd, Customer: &Ref{ID: "cus[1]"},
			Product: &Ref{ID: "gold"}, Subscription: &Ref{}, Metadata: map[string]string{"z": "1", "a b": odd, "empty": "", "é": "x"}},
		&ChargeParams{TransactionID: "tx_2", Amount: amount("-1.5"), Currency: "JPY", Customer: &Ref{ID: "c"}},
		&CustomerParams{CustomerID: "cus_1", Email: "jane+x@example.com", Name: odd, Delinquent: ptr(false), CardOnFile: ptr(true),
			BillingAddress: &chargedesk.BillingAddress{Line1: "1 Main St", PostalCode: "10 001"}, Metadata: map[string]string{"k": "v"}},
		&CustomerParams{CustomerID: "cus_2", BillingAddress: &chargedesk.BillingAddress{}},
		&SubscriptionParams{SubscriptionID: "sub_1", CustomerID: "cus_1", Status: chargedesk.SubscriptionStatusActive,
			Amount: amount("9.99"), Quantity: ptr(0), IntervalCount: ptr(3), TrialEnd: &when, TrialStart: ptr(when.UTC()),
			Items: []string{"gold", "", "silver & co"}, Metadata: map[string]string{}},
		&ProductParams{ProductID: "gold", Name: "Gold", Amount: amount("10"), SetupAmount: amount("0.00"),
			TrialPeriodDays: ptr(14), Chargeable: ptr(false), URL: "https://example.com/p?q=1"},
		&ProductParams{},
	}
	for _, p := range params {
		want, err := encodeForm(p, upsert)
		require.NoError(t, err)
		got, err := appendForm(p, upsert)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.True(t, strings.HasSuffix(got, "duplicate=update"))
	}
	for _, line := range strings.Split(strings.TrimSpace(sampleJSONL), "\n") {
		_, p, err := DecodeRecord([]byte(line))
		if err != nil || p == nil {
			continue
		}
		want, _ := encodeForm(p, upsert)
		got, err := appendForm(p, upsert)
		require.NoError(t, err)
		assert.Equal(t, want, got, line)
	}
}

// BenchmarkForm compares, in the same run, the form written straight into
// a buffer with phpquery's tree then text.
func BenchmarkForm(b *testing.B) {
	_, p, err := DecodeRecord([]byte(`{"object": "charge", "transaction_id": "tx_00000001", "amount": "2.01", "currency": "USD", "status": "paid", "description": "Order 1", "customer": {"id": "cus_0000000"}, "metadata": {"order": "1", "channel": "web"}}`))
	require.NoError(b, err)
	b.Run("phpquery", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = encodeForm(p, upsert)
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = appendForm(p, upsert)
		}
	})
}
