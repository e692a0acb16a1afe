package chargedesk

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

const formContentType = "application/x-www-form-urlencoded; charset=utf-8"

func TestFormRefundMatchesJSON(t *testing.T) {
	form := "refund_amount=12.34&action_reason=x&charge[amount]=34.00&charge[currency]=USD&charge[charge_id]=ch_1" +
		"&charge[metadata][k]=v&charge[methods_supported][]=edit&charge[methods_supported][]=email"
	jsonBody := `{"refund_amount":"12.34","action_reason":"x","charge":{"amount":"34.00","currency":"USD","charge_id":"ch_1",` +
		`"metadata":{"k":"v"},"methods_supported":["edit","email"]}}`

	fromForm, _, err := decodeEnv(formContentType, []byte(form), false)
	require.NoError(t, err)
	fromJSON, _, err := decodeEnv("application/json", []byte(jsonBody), false)
	require.NoError(t, err)
	assert.Equal(t, fromJSON, fromForm)

	r, ok := requestFor(fromForm, ActionRefund, Raw{}).(*RefundRequest)
	require.True(t, ok)
	assert.Equal(t, "12.34", r.RefundAmount.String())
	assert.Equal(t, "x", r.ActionReason)
	require.NotNil(t, r.Charge)
	assert.Equal(t, "34.00", r.Charge.Amount.String())
	assert.Equal(t, "USD", r.Charge.Currency)
	assert.Equal(t, "ch_1", r.Charge.ChargeID)
	assert.Equal(t, map[string]string{"k": "v"}, r.Charge.Metadata)
	assert.Equal(t, []string{"edit", "email"}, r.Charge.MethodsSupported)
	assert.NoError(t, validateRequest(r))
}

func TestFormContentTypes(t *testing.T) {
	form := []byte("refund_amount=1.00&charge[charge_id]=ch_1")
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=utf-8",
		"Application/X-WWW-Form-URLEncoded; charset=UTF-8",
	} {
		t.Run(ct, func(t *testing.T) {
			env, _, err := decodeEnv(ct, form, false)
			require.NoError(t, err)
			assert.Equal(t, "1.00", env.RefundAmount.String())
			require.NotNil(t, env.Charge)
			assert.Equal(t, "ch_1", env.Charge.ChargeID)
		})
	}
	t.Run("JSON without a content type", func(t *testing.T) {
		env, _, err := decodeEnv("", []byte(`{"refund_amount":"1.00"}`), false)
		require.NoError(t, err)
		assert.Equal(t, "1.00", env.RefundAmount.String())
	})
	t.Run("JSON sent as text/plain", func(t *testing.T) {
		_, _, err := decodeEnv("text/plain", []byte(`{"refund_amount":"1.00"}`), false)
		require.NoError(t, err)
	})
	t.Run("a form without the form content type is not JSON", func(t *testing.T) {
		_, _, err := decodeEnv("", form, false)
		assert.ErrorIs(t, err, errNotObject)
	})
}

func TestFormPlans(t *testing.T) {
	form := "plans[0][product_id]=p&plans[0][quantity]=2&plans[1][product_id]=q&plans[1][quantity]=3" +
		"&subscription[subscription_id]=sub_1&subscription[interval_count]=1&subscription[has_items]=0"
	env, _, err := decodeEnv(formContentType, []byte(form), false)
	require.NoError(t, err)
	r, ok := requestFor(env, ActionEditPlans, Raw{}).(*EditPlansRequest)
	require.True(t, ok)
	assert.Equal(t, []Plan{{ProductID: "p", Quantity: 2}, {ProductID: "q", Quantity: 3}}, r.Plans)
	require.NotNil(t, r.Subscription)
	assert.Equal(t, "sub_1", r.Subscription.SubscriptionID)
	assert.Equal(t, 1, r.Subscription.IntervalCount)
	assert.False(t, r.Subscription.HasItems)
	assert.NoError(t, validateRequest(r))
}

func TestFormTwelvePlansKeepNumericOrder(t *testing.T) {
	// Sent out of order, and with 10 and 11 sorting before 2 as text.
	order := []int{11, 0, 10, 1, 2, 9, 3, 8, 4, 7, 5, 6}
	var pairs []string
	for _, i := range order {
		pairs = append(pairs, fmt.Sprintf("plans[%d][product_id]=p%d&plans[%d][quantity]=%d", i, i, i, i+1))
	}
	env, _, err := decodeEnv(formContentType, []byte(strings.Join(pairs, "&")), false)
	require.NoError(t, err)
	require.Len(t, env.Plans, 12)
	for i, p := range env.Plans {
		assert.Equal(t, Plan{ProductID: fmt.Sprintf("p%d", i), Quantity: i + 1}, p)
	}
}

func TestFormEncoding(t *testing.T) {
	tests := []struct {
		name, form, want string
	}{
		{"plus is a space", "action_reason=wrong+size", "wrong size"},
		{"percent-encoded", "action_reason=caf%C3%A9%20%26%20more", "café & more"},
		{"encoded brackets in the key", "charge%5Bcharge_id%5D=ch_1&action_reason=ok", "ok"},
		{"empty value", "action_reason=", ""},
		{"key without a value", "action_reason", ""},
		{"empty pairs are skipped", "&&action_reason=a&&", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, err := decodeEnv(formContentType, []byte(tt.form), false)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(env.ActionReason))
		})
	}
	t.Run("url.Values encoding round trip", func(t *testing.T) {
		values := url.Values{}
		values.Set("refund_amount", "12.34")
		values.Set("action_reason", "a=b&c [d]")
		values.Set("charge[charge_id]", "ch/1?")
		values.Set("charge[amount]", "34.00")
		values.Set("charge[currency]", "USD")
		env, _, err := decodeEnv(formContentType, []byte(values.Encode()), false)
		require.NoError(t, err)
		assert.Equal(t, "a=b&c [d]", string(env.ActionReason))
		assert.Equal(t, "ch/1?", env.Charge.ChargeID)
	})
	t.Run("encoded brackets are brackets", func(t *testing.T) {
		env, _, err := decodeEnv(formContentType, []byte("charge%5Bcharge_id%5D=ch_1"), false)
		require.NoError(t, err)
		require.NotNil(t, env.Charge)
		assert.Equal(t, "ch_1", env.Charge.ChargeID)
	})
}

func TestFormListsWithIndexes(t *testing.T) {
	env, _, err := decodeEnv(formContentType, []byte("charge[methods_supported][0]=edit&charge[methods_supported][1]=email"), false)
	require.NoError(t, err)
	assert.Equal(t, []string{"edit", "email"}, env.Charge.MethodsSupported)

	env, _, err = decodeEnv(formContentType, []byte("subscription[metadata][0]=a&subscription[metadata][x]=b"), false)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"0": "a", "x": "b"}, env.Subscription.Metadata)
}

func TestFormRefused(t *testing.T) {
	tests := []struct {
		name    string
		form    string
		wantErr error
		want    string
	}{
		{"empty", "", errEmptyBody, ""},
		{"spaces", "   ", errEmptyBody, ""},
		{"duplicate key", "refund_amount=1.00&refund_amount=30.00", errBadJSON, `"refund_amount"`},
		{"duplicate nested key", "charge[amount]=1&charge[amount]=2", errBadJSON, `"charge[amount]"`},
		{"duplicate key, one encoded", "charge[amount]=1&charge%5Bamount%5D=2", errBadJSON, "given twice"},
		{"duplicate key, different case", "refund_amount=1&REFUND_AMOUNT=2", errBadJSON, "spelled in another case or form"},
		{"value then object", "charge=x&charge[a]=1", errBadJSON, `"charge[a]"`},
		{"object then value", "charge[a]=1&charge=x", errBadJSON, `"charge"`},
		{"value then list", "a=1&a[]=2", errBadJSON, "conflicts"},
		{"list then value", "a[]=1&a=2", errBadJSON, "conflicts"},
		{"list then index", "a[]=1&a[0]=2", errBadJSON, "conflicts"},
		{"unclosed bracket", "charge[amount=1", errBadJSON, "malformed brackets"},
		{"reversed brackets", "charge]amount[=1", errBadJSON, "malformed brackets"},
		{"text after a bracket", "charge[amount]x=1", errBadJSON, "malformed brackets"},
		{"no name before brackets", "[amount]=1", errBadJSON, "malformed brackets"},
		{"empty key", "=1", errBadJSON, "malformed brackets"},
		{"[] in the middle", "plans[][product_id]=p", errBadJSON, "[] before its last bracket"},
		{"bad percent-encoding in a value", "action_reason=100%", errBadJSON, "URL-encoded"},
		{"bad percent-encoding in a key", "action%zzreason=x", errBadJSON, "URL-encoded"},
		{"invalid UTF-8 in a value", "action_reason=caf%E9", errBadJSON, "UTF-8"},
		{"invalid UTF-8 in a key", "charge[%FF]=1", errBadJSON, "UTF-8"},
		{"too deep", "a" + strings.Repeat("[b]", wire.MaxDepth+1) + "=1", errBadJSON, "deeper"},
		{"amount that is not a number", "refund_amount=twelve", errBadJSON, "refund_amount"},
		{"boolean that is not one", "charge[is_paid]=maybe", errBadJSON, "charge.is_paid"},
		{"charge given as text", "charge=ch_1", errBadJSON, "charge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, err := decodeEnv(formContentType, []byte(tt.form), false)
			require.Error(t, err)
			assert.Nil(t, env)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
