package chargedesktest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

func TestPayloadReturnsACopy(t *testing.T) {
	a, err := Payload(chargedesk.ActionRefund)
	require.NoError(t, err)
	a[0] = 'X'
	b, err := Payload(chargedesk.ActionRefund)
	require.NoError(t, err)
	assert.Equal(t, byte('{'), b[0])
}

func TestPayloadUnknownAction(t *testing.T) {
	_, err := Payload("refunds")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"refunds" is not a ChargeDesk action`)
	_, err = Build("")
	require.Error(t, err)
}

func TestBuildWithoutOverridesIsByteExact(t *testing.T) {
	want, err := Payload(chargedesk.ActionCancel)
	require.NoError(t, err)
	got, err := Build(chargedesk.ActionCancel)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// rawField returns the JSON text of a top-level or nested field of body.
func rawField(t *testing.T, body []byte, path ...string) string {
	t.Helper()
	var cur json.RawMessage = body
	for _, p := range path {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(cur, &m), "decoding %s", p)
		v, ok := m[p]
		require.True(t, ok, "no field %s", p)
		cur = v
	}
	return string(cur)
}

func TestSetValues(t *testing.T) {
	tests := []struct {
		name string
		over Override
		path []string
		want string
	}{
		{"number keeps its text", Set("refund_amount", "5.00"), []string{"refund_amount"}, `5.00`},
		{"exponent kept", Set("refund_amount", "1.5e1"), []string{"refund_amount"}, `1.5e1`},
		{"many digits never rounded", Set("refund_amount", "12345678901234567.89"), []string{"refund_amount"}, `12345678901234567.89`},
		{"nested amount as number", Set("charge.amount", "50.00"), []string{"charge", "amount"}, `50.00`},
		{"bare word is a string", Set("charge.status", "authorized"), []string{"charge", "status"}, `"authorized"`},
		{"quoted number is a string", Set("charge.amount", `"50.00"`), []string{"charge", "amount"}, `"50.00"`},
		{"SetString", SetString("charge.charge_id", "12345"), []string{"charge", "charge_id"}, `"12345"`},
		{"boolean", Set("charge.is_paid", "false"), []string{"charge", "is_paid"}, `false`},
		{"null", Set("charge.customer_phone", "null"), []string{"charge", "customer_phone"}, `null`},
		{"object", Set("charge.metadata", `{"a":"b"}`), []string{"charge", "metadata"}, `{"a":"b"}`},
		{"text with spaces stays a string", Set("action_reason", " 5"), []string{"action_reason"}, `" 5"`},
		{"empty string", Set("action_reason", ""), []string{"action_reason"}, `""`},
		{"html not escaped", Set("action_reason", "a<b&c"), []string{"action_reason"}, `"a<b&c"`},
		{"new leaf field", Set("charge.new_field", "x"), []string{"charge", "new_field"}, `"x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Build(chargedesk.ActionRefund, tt.over)
			require.NoError(t, err)
			assert.Equal(t, tt.want, rawField(t, body, tt.path...))
			assert.Equal(t, `"USD"`, rawField(t, body, "charge", "currency"), "untouched fields keep their value")
			assert.Equal(t, `1732181492`, rawField(t, body, "charge", "occurred"), "untouched numbers keep their text")
		})
	}
}

func TestApplyKeepsKeyOrderAndUnsets(t *testing.T) {
	body, err := Build(chargedesk.ActionCancel,
		Set("action", "suspend"), Unset("refund"), Unset("charge"))
	require.NoError(t, err)
	assert.Regexp(t, `^\{"action":"suspend","action_reason":"Customer is planning on upgrading subscription","subscription":\{"subscription_id":"sub-example-vkx55s374c",`, string(body))
	assert.NotContains(t, string(body), `"charge"`)
	assert.NotContains(t, string(body), `"refund"`)
	assert.Contains(t, string(body), `"current_period_start":1732181492`)
	assert.Contains(t, string(body), `"manage_url":"https://chargedesk.com/manage/company-example/subscriptions/sub-example-vkx55s374c"`)
}

func TestApplyLists(t *testing.T) {
	body, err := Build(chargedesk.ActionEditPlans,
		Set("plans.0.quantity", "3"),
		Set("plans.1", `{"product_id":"prod-2","quantity":1}`),
		Set("plans.1.quantity", "4"))
	require.NoError(t, err)
	assert.JSONEq(t, `[{"product_id":"prod-example-AyL17r5mIC","quantity":3},{"product_id":"prod-2","quantity":4}]`,
		rawField(t, body, "plans"))

	body, err = Build(chargedesk.ActionEditPlans, Unset("plans.0"))
	require.NoError(t, err)
	assert.Equal(t, `[]`, rawField(t, body, "plans"))
}

func TestOverrideCanBeReused(t *testing.T) {
	meta := Set("charge.metadata", `{"a":"b"}`)
	first, err := Build(chargedesk.ActionRefund, meta, Set("charge.metadata.c", "d"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"b","c":"d"}`, rawField(t, first, "charge", "metadata"))
	second, err := Build(chargedesk.ActionRefund, meta)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"b"}`, rawField(t, second, "charge", "metadata"), "the first build must not change the override")
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		over Override
		want string
	}{
		{"misspelt object", Set("chrage.amount", "1"), "the payload has no field chrage"},
		{"through a scalar", Set("plans.0.quantity.x", "1"), "plans.0.quantity is not an object or a list"},
		{"index out of range", Set("plans.5", "1"), `"5" is not an index of the list plans`},
		{"index not a number", Set("plans.x.quantity", "1"), `"x" is not an index of the list plans`},
		{"unset missing", Unset("charge.nope"), "charge.nope: the payload has no such field"},
		{"empty part", Set("charge..amount", "1"), "has an empty part"},
		{"zero override", Override{}, "no field path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(chargedesk.ActionEditPlans, Set("charge", "{}"), tt.over)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestApplyRefusesANonObject(t *testing.T) {
	_, err := Apply([]byte(`[1]`), Set("a", "1"))
	require.ErrorContains(t, err, "not a JSON object")
	_, err = Apply([]byte(`{"a":`), Set("a", "1"))
	require.ErrorContains(t, err, "not valid JSON")
}

func TestParseOverride(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "refund_amount=5.00", want: "refund_amount=5.00"},
		{in: "charge.status=authorized", want: `charge.status="authorized"`},
		{in: "action_reason=a=b", want: `action_reason="a=b"`},
		{in: "action_reason=", want: `action_reason=""`},
		{in: "-charge", want: "-charge"},
		{in: "refund_amount", wantErr: "is not path=value"},
		{in: "=5", wantErr: "empty field path"},
		{in: "-", wantErr: "empty field path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			o, err := ParseOverride(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, o.String())
		})
	}
}
