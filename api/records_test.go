package api

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// The answers under testdata/answers are ChargeDesk's documented example
// objects, paraphrased (the same fields and habits: amounts as text, unix
// seconds, 0/1, [] for an empty object, a customer's address as one text),
// and the same records in the seed specification's shape.
func answer(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", name))
	require.NoError(t, err)
	return b
}

// wrapped is raw under its class name, as a gateway operation answers.
func wrapped(class string, raw []byte) []byte {
	return []byte(fmt.Sprintf(`{%q: %s}`, class, raw))
}

// listed is raw as the only item of a list in each envelope.
func listed(raw []byte) [][]byte {
	return [][]byte{
		[]byte(fmt.Sprintf(`{"data": [%s]}`, raw)),
		[]byte(fmt.Sprintf(`{"object": "list", "data": [%s], "total_count": 1, "count": 1, "offset": 0}`, raw)),
	}
}

// decodeEvery decodes raw into a T bare, wrapped under class and as the
// item of a list, and checks that the three agree; it returns the bare one.
func decodeEvery[T any](t *testing.T, class string, raw []byte) T {
	t.Helper()
	var bare, wrap T
	require.NoError(t, json.Unmarshal(raw, &bare))
	require.NoError(t, json.Unmarshal(wrapped(class, raw), &wrap))
	assert.Equal(t, bare, wrap, "wrapped under %q", class)
	for _, l := range listed(raw) {
		var pg page[T]
		require.NoError(t, json.Unmarshal(l, &pg))
		require.Len(t, pg.Data, 1)
		assert.Equal(t, bare, pg.Data[0], "in a list")
	}
	return bare
}

func amountText(a chargedesk.Amount) string { return a.Decimal().Trim(0).String() }

func TestChargeAnswersInBothShapes(t *testing.T) {
	doc := decodeEvery[Charge](t, "charge", answer(t, "charge-documented.json"))
	seed := decodeEvery[Charge](t, "charge", answer(t, "charge-seed.json"))
	for name, c := range map[string]Charge{"documented": doc, "seed": seed} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, "cd-7Rq2LmZt", c.ID, "ChargeDesk's id, whichever came")
			assert.Equal(t, "cd-7Rq2LmZt", c.ChargeID)
			assert.Equal(t, "pi_3Qx9Kd", c.TransactionID, "the platform's id")
			assert.Equal(t, "58.2", amountText(c.Amount))
			assert.Equal(t, "8.2", amountText(c.AmountRefunded))
			assert.Equal(t, "EUR", c.Currency)
			assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, c.Status)
			assert.Equal(t, "Annual plan renewal", c.Description)
			assert.Equal(t, "4444", c.Last4Digits)
			assert.Equal(t, CustomerRef{ID: "cus-anna-41", Email: "anna@example.org", Name: "Anna Example"}, c.Customer)
			assert.Equal(t, "cus-anna-41", c.CustomerID)
			assert.Equal(t, "anna@example.org", c.CustomerEmail)
			assert.Equal(t, "Anna Example", c.CustomerName)
			assert.Equal(t, "prod-annual", c.Product.ID)
			assert.Equal(t, "prod-annual", c.ProductID)
			assert.Equal(t, "sub-anna-41", c.Subscription.ID)
			assert.Equal(t, "sub-anna-41", c.SubscriptionID)
			assert.Equal(t, map[string]string{"plan": "annual", "seats": "3"}, c.Metadata)
			assert.True(t, time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC).Equal(c.Occurred))
			assert.Equal(t, "charge", c.Object)
		})
	}
	// What only one shape carries.
	assert.Equal(t, "€58.20 EUR", doc.AmountFormatted)
	assert.Equal(t, "company-demo", doc.Company)
	assert.True(t, doc.IsPaid)
	assert.Empty(t, doc.Lines, "ChargeDesk's charge has no lines: they are its items")
	require.Len(t, seed.Lines, 1)
	assert.Equal(t, "Annual plan", seed.Lines[0].Description)
}

func TestSubscriptionAnswersInBothShapes(t *testing.T) {
	doc := decodeEvery[Subscription](t, "subscription", answer(t, "subscription-documented.json"))
	seed := decodeEvery[Subscription](t, "subscription", answer(t, "subscription-seed.json"))
	for name, s := range map[string]Subscription{"documented": doc, "seed": seed} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, "sub-anna-41", s.ID)
			assert.Equal(t, "sub-anna-41", s.SubscriptionID)
			assert.Equal(t, "cus-anna-41", s.CustomerID)
			assert.Equal(t, chargedesk.SubscriptionStatusActive, s.Status)
			assert.Equal(t, "58.2", amountText(s.Amount))
			assert.Equal(t, "EUR", s.Currency)
			assert.Equal(t, "year", s.Interval)
			assert.Equal(t, 1, s.IntervalCount)
			assert.Equal(t, 3, s.Quantity)
			assert.True(t, s.TrialStart.IsZero(), "0 and null are no time")
			assert.True(t, time.Date(2024, 11, 1, 12, 0, 0, 0, time.UTC).Equal(s.TrialEnd))
			assert.Equal(t, 3, s.BillingCyclesCurrent)
			assert.Empty(t, s.Items)
			assert.Empty(t, s.Metadata)
		})
	}
	assert.Equal(t, "10", amountText(doc.SetupAmount))
	assert.Equal(t, 14, doc.TrialPeriodDays)
}

func TestCustomerAnswersInBothShapes(t *testing.T) {
	doc := decodeEvery[Customer](t, "customer", answer(t, "customer-documented.json"))
	seed := decodeEvery[Customer](t, "customer", answer(t, "customer-seed.json"))
	for name, c := range map[string]Customer{"documented": doc, "seed": seed} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, "cus-anna-41", c.ID, "the platform's customer_id is ChargeDesk's id")
			assert.Equal(t, "cus-anna-41", c.CustomerID)
			assert.Equal(t, "anna@example.org", c.Email)
			assert.Equal(t, "Anna Example", c.Name)
			assert.Equal(t, "anna41", c.Username)
			assert.Equal(t, "Example GmbH", c.CustomerCompany)
			assert.Equal(t, "DE", c.Country)
			assert.False(t, c.Delinquent)
			assert.True(t, c.CardOnFile)
			assert.Equal(t, "DE123456789", c.TaxNumber)
			assert.Empty(t, c.Metadata)
		})
	}
	assert.Equal(t, "Hauptstrasse 1\n10115 Berlin", doc.BillingAddress.Text, "an address as one text is kept whole")
	assert.Equal(t, Address{Line1: "Hauptstrasse 1", City: "Berlin", PostalCode: "10115", Country: "DE"}, seed.BillingAddress.Address)
	assert.Equal(t, "company-demo", doc.Company)
	assert.Equal(t, int64(1698840000), doc.FirstSeen.Unix())
}

func TestProductAnswersInBothShapes(t *testing.T) {
	doc := decodeEvery[Product](t, "product", answer(t, "product-documented.json"))
	seed := decodeEvery[Product](t, "product", answer(t, "product-seed.json"))
	for name, p := range map[string]Product{"documented": doc, "seed": seed} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, "prod-annual", p.ID)
			assert.Equal(t, "prod-annual", p.ProductID)
			assert.Equal(t, "Annual", p.Name)
			assert.Equal(t, "58.2", amountText(p.Amount))
			assert.Equal(t, "year", p.Interval)
			assert.Equal(t, 14, p.TrialPeriodDays)
			assert.True(t, p.Chargeable)
			assert.True(t, p.SetupAmount.IsZero())
		})
	}
}

func TestWebhookAndItemAnswersInBothShapes(t *testing.T) {
	doc := decodeEvery[Webhook](t, "webhook", answer(t, "webhook-documented.json"))
	seed := decodeEvery[Webhook](t, "webhook", answer(t, "webhook-seed.json"))
	assert.Equal(t, "318", doc.ID, "a numeric webhook_id is read as its text")
	assert.Equal(t, "318", seed.ID)
	assert.Equal(t, doc.ID, doc.WebhookID)

	for _, name := range []string{"items-documented.json", "items-seed.json"} {
		var pg itemsPage
		require.NoError(t, json.Unmarshal(answer(t, name), &pg), name)
		items := pg.Data
		if items == nil {
			items = pg.Items
		}
		require.Len(t, items, 1, name)
		assert.Equal(t, "it-1", items[0].ID, name)
		assert.Equal(t, "it-1", items[0].ItemID, name)
		assert.Equal(t, "Annual plan", items[0].Description, name)
		assert.Equal(t, "58.2", amountText(items[0].Amount), name)
		assert.Equal(t, 1, items[0].Quantity, name)
	}
}

// A record that does not decode names the field, never the value; an
// answer wrapped under another class is not unwrapped.
func TestRecordDecodingErrors(t *testing.T) {
	var c Charge
	err := json.Unmarshal([]byte(`{"charge_id": "c1", "amount": "secret-4111"}`), &c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "amount")
	assert.NotContains(t, err.Error(), "secret-4111")

	err = json.Unmarshal([]byte(`{"charge": {"customer": "not an object"}}`), &c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "customer")

	var s Subscription
	require.NoError(t, json.Unmarshal([]byte(`{"charge": {"charge_id": "c1"}, "subscription": {"subscription_id": "s1"}}`), &s))
	assert.Equal(t, "s1", s.ID, "a cancel's answer: the subscription is read from its own member")
	require.NoError(t, json.Unmarshal([]byte(`{"charge": {"charge_id": "c1"}, "subscription": {"subscription_id": "s1"}}`), &c))
	assert.Equal(t, "c1", c.ID)
	assert.Equal(t, "c1", c.ChargeID)
}

// Encoding writes every field of both shapes once, and decodes back.
func TestRecordsEncodeBothShapes(t *testing.T) {
	var c Charge
	require.NoError(t, json.Unmarshal(answer(t, "charge-documented.json"), &c))
	out, err := json.Marshal(c)
	require.NoError(t, err)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &keys))
	for _, k := range []string{"id", "charge_id", "customer", "customer_id", "transaction_id", "amount_formatted", "lines"} {
		assert.Contains(t, keys, k)
	}
	var back Charge
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, c.ID, back.ID)
	assert.Equal(t, c.Customer, back.Customer)
	assert.Equal(t, amountText(c.Amount), amountText(back.Amount))

	var s Subscription
	require.NoError(t, json.Unmarshal(answer(t, "subscription-seed.json"), &s))
	out, err = json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"id":"sub-anna-41"`)
	var sb Subscription
	require.NoError(t, json.Unmarshal(out, &sb))
	assert.Equal(t, s.ID, sb.ID)
	assert.Equal(t, s.SubscriptionID, sb.SubscriptionID)
}

// A documented charge is read in one pass; a member of the seed's in any
// case, or a name written with escapes, is still read.
func TestChargeSeedFieldsInAnotherCase(t *testing.T) {
	// As strict as the receiver: a key spelled in another case is refused,
	// never matched to the field; an escaped spelling of the key is the key.
	var c Charge
	err := json.Unmarshal([]byte(`{"charge_id": "", "ID": "ch_1", "amount": "1.00"}`), &c)
	assert.ErrorContains(t, err, `is "id" spelled in another case`)
	require.NoError(t, json.Unmarshal([]byte(`{"\u0069d": "ch_1", "amount": "1.00", "customer": {"id": "cus_1"}}`), &c))
	assert.Equal(t, "ch_1", c.ID)
	assert.Equal(t, "ch_1", c.ChargeID)
	assert.Equal(t, "cus_1", c.CustomerID)
}
