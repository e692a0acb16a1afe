package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each line is read with the receiver's strictness: a line that would be
// ambiguous to encoding/json, or an id ChargeDesk would keep as another
// record than the one meant, is a reported failure and nothing is sent.
// The reason names the problem, never the line's values.
func TestJSONLRefusesAmbiguousLines(t *testing.T) {
	tests := []struct {
		name, line, reason string
	}{
		{"invalid UTF-8", "{\"object\": \"customer\", \"customer_id\": \"cus_\xff\"}", "not valid UTF-8"},
		{"a repeated key", `{"object": "customer", "customer_id": "cus_a", "customer_id": "cus_b"}`, `the key "customer_id" appears twice in one object`},
		{"a repeated object", `{"object": "customer", "object": "charge", "customer_id": "cus_a"}`, `the key "object" appears twice`},
		{"a repeated nested key", `{"object": "charge", "transaction_id": "ch_1", "amount": "1.00", "currency": "USD", "customer": {"id": "a", "id": "b"}}`, `the key "id" appears twice`},
		{"a repeated metadata key", `{"object": "customer", "customer_id": "cus_a", "metadata": {"plan": "a", "plan": "b"}}`, `the key "plan" appears twice`},
		{"metadata keys in two cases", `{"object": "customer", "customer_id": "cus_a", "metadata": {"Plan": "a", "plan": "b"}}`, `appears twice`},
		{"a key in another case", `{"object": "customer", "Customer_ID": "cus_a"}`, `the key "Customer_ID" is "customer_id" spelled in another case or form`},
		{"a key beside its variant", `{"object": "customer", "customer_id": "cus_a", "CUSTOMER_ID": "cus_b"}`, `appears twice`},
		{"object in capitals", `{"OBJECT": "customer", "customer_id": "cus_a"}`, `"object" spelled in another case`},
		{"a nested key in another case", `{"object": "charge", "transaction_id": "ch_1", "amount": "1.00", "currency": "USD", "customer": {"ID": "a"}}`, `the key "ID" is "id" spelled`},
		{"a Unicode variant", `{"object": "customer", "cuſtomer_id": "cus_a"}`, `"customer_id" spelled in another case or form`},
		{"an id with a trailing space", `{"object": "customer", "customer_id": "cus_a "}`, "customer_id starts or ends with a space"},
		{"an id with a leading tab", `{"object": "product", "product_id": "\tgold"}`, "product_id starts or ends with a space"},
		{"a zero-width space", `{"object": "charge", "transaction_id": "ch_1\u200b", "amount": "1.00", "currency": "USD", "customer": {"id": "a"}}`, "transaction_id holds the invisible or control character U+200B"},
		{"a NUL", `{"object": "subscription", "subscription_id": "sub\u0000", "customer_id": "c"}`, "subscription_id holds the invisible or control character U+0000"},
		{"a ref with a bidi mark", `{"object": "charge", "transaction_id": "ch_1", "amount": "1.00", "currency": "USD", "customer": {"id": "\u202ecus"}}`, "customer.id holds the invisible or control character U+202E"},
		{"a subscription's customer", `{"object": "subscription", "subscription_id": "sub_1", "customer_id": " c"}`, "customer_id starts or ends with a space"},
		{"a lone surrogate", `{"object": "customer", "customer_id": "cus_\ud800"}`, "customer_id holds the invisible or control character U+FFFD"},
		{"two objects on a line", `{"object": "customer", "customer_id": "a"} {"object": "customer", "customer_id": "b"}`, "unexpected data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeRecord([]byte(tt.line))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.reason)
			for _, value := range []string{"cus_a", "cus_b", "gold", "plan\": \"a"} {
				assert.NotContains(t, err.Error(), value, "no value is quoted")
			}

			_, rec, client, _ := newTestAPI(t)
			sum, runErr := (&Importer{Client: client}).Run(context.Background(), NewJSONLReader(strings.NewReader(tt.line+"\n")).Records(1))
			require.NoError(t, runErr)
			assert.Equal(t, 1, sum.Failed)
			assert.Empty(t, rec.requests(), "nothing is sent")
		})
	}
}

// Lines as a platform writes them still decode: keys in any order,
// metadata with any keys, ids with inner spaces and non-ASCII letters.
func TestJSONLAcceptsCleanLines(t *testing.T) {
	for _, line := range []string{
		`{"customer_id": "cus 1", "object": "customer", "metadata": {"Plan": "a", "tier": "b"}, "billing_address": {"line1": "1 Main St"}}`,
		`{"object": "charge", "transaction_id": "ch_ü", "amount": 34, "currency": "USD", "customer": {"id": "c"}, "product": {"id": "p"}}`,
		`{"object": "subscription", "subscription_id": "sub_1", "customer_id": "c", "items": ["gold", "silver"], "trial_end": "2031-01-01T00:00:00Z"}`,
		`{"object": "product", "product_id": "gold", "amount": "9.99", "currency": "USD", "interval": "month"}`,
	} {
		_, params, err := DecodeRecord([]byte(line))
		require.NoError(t, err, line)
		require.NotNil(t, params)
	}
}

// A time in a line is RFC 3339, in any zone; a number is refused with
// the form a time takes, rather than guessed to be seconds or
// milliseconds.
func TestJSONLTimes(t *testing.T) {
	want := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	line := func(occurred string) []byte {
		return []byte(`{"object": "charge", "transaction_id": "t", "amount": "1", "currency": "USD", "occurred": ` + occurred + `}`)
	}
	for _, occurred := range []string{`"2031-01-01T00:00:00Z"`, `"2031-01-01T01:00:00+01:00"`} {
		_, params, err := DecodeRecord(line(occurred))
		require.NoError(t, err, occurred)
		p, ok := params.(*ChargeParams)
		require.True(t, ok, "%T", params)
		require.NotNil(t, p.Occurred, occurred)
		assert.True(t, want.Equal(*p.Occurred), "%s: %s", occurred, p.Occurred)
	}
	_, _, err := DecodeRecord(line(`1924992000`))
	assert.ErrorContains(t, err, "times RFC 3339")
}

// The object of a line is found however the line is written.
func TestJSONLObjectAnywhere(t *testing.T) {
	for _, line := range []string{
		`{"object": "customer", "customer_id": "c"}`,
		`  {  "object"  :  "customer" , "customer_id": "c"}`,
		`{"customer_id": "c", "object": "customer"}`,
		`{"\u006fbject": "customer", "customer_id": "c"}`,
		`{"object": "cust\u006fmer", "customer_id": "c"}`,
	} {
		object, _, err := DecodeRecord([]byte(line))
		require.NoError(t, err, line)
		assert.Equal(t, "customer", object, line)
	}
	for line, reason := range map[string]string{
		`{"customer_id": "c"}`:                 `no "object"`,
		`{"object": 5, "customer_id": "c"}`:    `"object" must be text`,
		`{"object": "refund", "id": "c"}`:      `"object" must be charge, customer, subscription or product`,
		`{"object": "customer\"", "x": "c"}`:   `"object" must be charge`,
		`{"object": "customer", "object2": 1}`: `unknown field "object2"`,
	} {
		_, _, err := DecodeRecord([]byte(line))
		assert.ErrorContains(t, err, reason, line)
	}
}
