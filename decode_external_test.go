package chargedesk_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ids are well-formed or refused with 400 naming the field: a spelling a
// platform could read as another id (a database ignoring trailing spaces,
// a numeric parse) would take a lock of its own and move money twice.
func TestIDsAreWellFormedOrRefused(t *testing.T) {
	refused := map[string]any{
		"leading space":      " 123",
		"trailing space":     "123 ",
		"trailing tab":       "123\t",
		"only a space":       " ",
		"NUL":                "12\u00003",
		"zero-width space":   "12\u200b3",
		"byte-order mark":    "\ufeff123",
		"bidi override":      "12\u202e3",
		"line separator":     "12\u20283",
		"lone surrogate":     json.RawMessage(`"12\ud8003"`),
		"too long":           strings.Repeat("x", 256),
		"a fraction":         json.RawMessage(`123.0`),
		"an exponent":        json.RawMessage(`1e3`),
		"true":               true,
		"an object":          map[string]any{"id": "123"},
		"a list":             []any{"123"},
		"control in the end": "123\u0085",
		"a leading +":        "+12",
		"fullwidth digits":   "\uff11\uff12",
		"Arabic-Indic digit": "1\u0662",
		"Devanagari digits":  "\u0967\u0968",
	}
	fields := []struct {
		action chargedesk.Action
		path   []string
		name   string
	}{
		{chargedesk.ActionRefund, []string{"charge", "charge_id"}, "charge.charge_id"},
		{chargedesk.ActionRefund, []string{"charge", "transaction_id"}, "charge.transaction_id"},
		{chargedesk.ActionRefund, []string{"charge", "customer_id"}, "charge.customer_id"},
		{chargedesk.ActionRefund, []string{"charge", "product_id"}, "charge.product_id"},
		{chargedesk.ActionRefund, []string{"charge", "subscription_id"}, "charge.subscription_id"},
		{chargedesk.ActionReactivate, []string{"subscription", "subscription_id"}, "subscription.subscription_id"},
		{chargedesk.ActionReactivate, []string{"subscription", "customer_id"}, "subscription.customer_id"},
		{chargedesk.ActionEditPlans, []string{"plans", "0", "product_id"}, "plans[0].product_id"},
	}
	for _, f := range fields {
		for name, value := range refused {
			t.Run(f.name+"/"+name, func(t *testing.T) {
				gw := &fakeGateway{}
				h := newHandler(t, gw, nil)
				body := setPath(t, readRequest(t, f.action), f.path, value)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, webhook("/chargedesk/"+string(f.action), body))
				require.Equal(t, http.StatusBadRequest, rec.Code, "body: %s", rec.Body)
				assert.Contains(t, errorMessage(t, rec), f.name)
				assert.Empty(t, gw.Calls())
			})
		}
	}
}

// A whole number is an id, read as its decimal text: 123 and "123" are
// the same charge, under one lock and one duplicate identity.
func TestNumericIDIsItsText(t *testing.T) {
	gw := &fakeGateway{}
	h := newHandler(t, gw, nil)
	asNumber := setPath(t, readRequest(t, chargedesk.ActionRefund), []string{"charge", "charge_id"}, json.RawMessage(`123`))
	asText := setPath(t, readRequest(t, chargedesk.ActionRefund), []string{"charge", "charge_id"}, "123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhook("/chargedesk/refund", asNumber))
	require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, webhook("/chargedesk/refund", asText))
	assert.Equal(t, http.StatusConflict, rec.Code, "the same refund of the same charge")
	calls := gw.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "123", calls[0].Req.(*chargedesk.RefundRequest).Charge.ChargeID)
}

// setPath sets the field at path (object keys, or list indexes as digits)
// in a JSON body.
func setPath(t *testing.T, body []byte, path []string, value any) []byte {
	t.Helper()
	var root any
	require.NoError(t, json.Unmarshal(body, &root))
	node := root
	for i, key := range path {
		last := i == len(path)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				n[key] = value
			} else {
				node = n[key]
			}
		case []any:
			idx := int(key[0] - '0')
			if last {
				n[idx] = value
			} else {
				node = n[idx]
			}
		}
	}
	out, err := json.Marshal(root)
	require.NoError(t, err)
	return out
}
