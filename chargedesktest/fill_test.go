package chargedesktest

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// TestFillPlaceholders checks the placeholder filling the simulator relies
// on, the handler's own: which object a field comes from, and how its value
// is written as text.
func TestFillPlaceholders(t *testing.T) {
	cancel, err := Build(chargedesk.ActionCancel)
	require.NoError(t, err)
	refund, err := Build(chargedesk.ActionRefund,
		Set("charge.is_paid", "true"), Set("charge.customer_phone", "null"), Set("charge.gateway_url", "false"))
	require.NoError(t, err)

	tests := []struct {
		name   string
		action chargedesk.Action
		body   []byte
		field  string
		want   string
		ok     bool
	}{
		{"top level first", chargedesk.ActionRefund, refund, "refund_amount", "12.34", true},
		{"number as sent", chargedesk.ActionRefund, refund, "occurred", "1732181492", true},
		{"refund: charge's customer", chargedesk.ActionRefund, refund, "customer_id", "cus-example-RLf9f6T6Ok", true},
		{"cancel: subscription's customer", chargedesk.ActionCancel, cancel, "customer_id", "cus-example-RAFiJBiib1", true},
		{"cancel: charge's field after the subscription's", chargedesk.ActionCancel, cancel, "charge_id", "example-dcVNtrQoNtyLxadmoPmbIAX2", true},
		{"cancel: top-level action", chargedesk.ActionCancel, cancel, "action", "cancel-immediately", true},
		{"true is 1", chargedesk.ActionRefund, refund, "is_paid", "1", true},
		{"null is empty", chargedesk.ActionRefund, refund, "customer_phone", "", true},
		{"false is empty", chargedesk.ActionRefund, refund, "gateway_url", "", true},
		{"slashes unescaped", chargedesk.ActionRefund, refund, "support_url", "https://chargedesk.com/company-example/example-Xs84hY5BSt5IttuRSIsQIA8r", true},
		{"an object fills nothing", chargedesk.ActionRefund, refund, "metadata", "", false},
		{"absent", chargedesk.ActionRefund, refund, "nope", "", false},
		{"not JSON", chargedesk.ActionRefund, []byte("nope"), "charge_id", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if !tt.ok {
				want = "{" + tt.field + "}" // left as written
			}
			assert.Equal(t, want, chargedesk.FillPlaceholders(tt.action, tt.body, "{"+tt.field+"}", nil))
		})
	}
}

func TestFillPlaceholdersEscapes(t *testing.T) {
	body, err := Build(chargedesk.ActionRefund, Set("charge.charge_id", "a b/c"))
	require.NoError(t, err)
	same := func(s string) string { return s }
	tests := []struct {
		tpl    string
		escape func(string) string
		want   string
	}{
		{"Bearer {charge_id}", same, "Bearer a b/c"},
		{"/x/{charge_id}", url.PathEscape, "/x/a%20b%2Fc"},
		{"{customer_id}:{refund_amount}", same, "cus-example-RLf9f6T6Ok:12.34"},
		{"{absent} stays", same, "{absent} stays"},
		{"{not a field} {} {", same, "{not a field} {} {"},
	}
	for _, tt := range tests {
		t.Run(tt.tpl, func(t *testing.T) {
			assert.Equal(t, tt.want, chargedesk.FillPlaceholders(chargedesk.ActionRefund, body, tt.tpl, tt.escape))
		})
	}
}
