package chargedesktest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

func TestReadOutcome(t *testing.T) {
	tests := []struct {
		name     string
		action   chargedesk.Action
		status   int
		body     string
		ok       bool
		message  string
		problems []string // substrings, one per expected problem
	}{
		{"success with updates", chargedesk.ActionRefund, 200,
			`{"charge":{"status":"refunded","amount_refunded":34.00}}`, true, "", nil},
		{"empty 2xx acknowledges", chargedesk.ActionRefund, 204, ``, true, "", nil},
		{"empty object", chargedesk.ActionCancel, 200, `{}`, true, "", nil},
		{"refusal", chargedesk.ActionRefund, 422, `{"error":"No."}`, false, "No.", nil},
		{"not JSON", chargedesk.ActionRefund, 200, `<html>ok</html>`, true, "", []string{"not JSON"}},
		{"JSON but not an object", chargedesk.ActionRefund, 200, `"ok"`, true, "", []string{"not an object"}},
		{"2xx with error key", chargedesk.ActionRefund, 200, `{"error":"declined"}`, false, "declined",
			[]string{`carries an "error" key`}},
		{"error as API object", chargedesk.ActionRefund, 400, `{"error":{"message":"bad","type":"x"}}`, false, "bad",
			[]string{`"error" is an object`}},
		{"error not a string", chargedesk.ActionRefund, 400, `{"error":3}`, false, "",
			[]string{`"error" is not a string`, "without an error message"}},
		{"failure without message", chargedesk.ActionRefund, 502, `Bad Gateway`, false, "",
			[]string{"not JSON", "a 502 answer without an error message"}},
		{"payment request without redirect", chargedesk.ActionRequestPayment, 200, `{}`, false, "",
			[]string{"without a redirect_url"}},
		{"payment request, empty body", chargedesk.ActionRequestPayment, 200, ``, false, "",
			[]string{"without a redirect_url"}},
		{"payment request, relative redirect", chargedesk.ActionRequestPayment, 200, `{"redirect_url":"/pay/1"}`, false, "",
			[]string{"not an absolute http(s) URL"}},
		{"payment request ok", chargedesk.ActionRequestPayment, 200, `{"redirect_url":"https://p.example/1"}`, true, "", nil},
		{"redirect ignored elsewhere", chargedesk.ActionRefund, 200, `{"redirect_url":"/x"}`, true, "", nil},
		{"update not an object", chargedesk.ActionRefund, 200, `{"charge":"refunded"}`, true, "",
			[]string{`"charge" is not an object`}},
		{"update a list", chargedesk.ActionRefund, 200, `{"charge":["refunded"]}`, true, "",
			[]string{`"charge" is a list`}},
		{"PHP empty object", chargedesk.ActionRefund, 200, `{"charge":[]}`, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ReadOutcome(tt.action, tt.status, []byte(tt.body))
			assert.Equal(t, tt.ok, o.OK)
			assert.Equal(t, tt.message, o.ErrorMessage)
			assert.Equal(t, tt.status, o.Status)
			assert.Equal(t, tt.body, o.Body)
			require.Len(t, o.Problems, len(tt.problems), "%q", o.Problems)
			for i, p := range tt.problems {
				assert.Contains(t, o.Problems[i], p)
			}
		})
	}
}

func TestOutcomeChangesAndFields(t *testing.T) {
	o := ReadOutcome(chargedesk.ActionCancel, 200, []byte(`{
		"subscription": {"status": "canceled", "items": ["a", "b"], "quantity": 2},
		"charge": {"status": "partially refunded", "amount_refunded": 11.20, "is_paid": true, "x": null},
		"customer": {"metadata": {"k": "v"}},
		"other": {"ignored": 1}
	}`))
	require.True(t, o.OK)
	assert.Equal(t, []Change{
		{"charge.amount_refunded", "11.20"},
		{"charge.is_paid", "true"},
		{"charge.status", "partially refunded"},
		{"charge.x", "null"},
		{"subscription.items", `["a","b"]`},
		{"subscription.quantity", "2"},
		{"subscription.status", "canceled"},
		{"customer.metadata", `{"k":"v"}`},
	}, o.Changes())
	v, ok := o.Field("charge.amount_refunded")
	assert.True(t, ok)
	assert.Equal(t, "11.20", v, "numbers keep their exact text")
	_, ok = o.Field("product.amount")
	assert.False(t, ok)
	_, ok = o.Field("charge")
	assert.False(t, ok)
	_, ok = o.Field("other.ignored")
	assert.False(t, ok, "only the four update objects are read")

	out, err := json.Marshal(o)
	require.NoError(t, err)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &back))
	assert.JSONEq(t, `{"charge":{"status":"partially refunded","amount_refunded":11.20,"is_paid":true,"x":null},
		"subscription":{"status":"canceled","items":["a","b"],"quantity":2},"customer":{"metadata":{"k":"v"}}}`,
		string(back["updates"]))
	assert.Contains(t, string(back["updates"]), `11.20`, "exact in JSON output too")
}
