package apitest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// keys lists a payload's field paths, objects' keys nested with dots.
func keys(t *testing.T, body []byte) []string {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(body, &v))
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, val := range m {
			if k == "metadata" || k == "logs" || k == "items" || k == "plans" {
				out = append(out, prefix+k)
				continue
			}
			if sub, ok := val.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			out = append(out, prefix+k)
		}
	}
	walk("", v)
	slices.Sort(out)
	return out
}

// The webhook a gateway operation sends has every field of ChargeDesk's
// documented payload for the action, no other, and the receiver's own
// decoding and validation accept it.
func TestWebhookPayloadsMatchTheDocumentedOnes(t *testing.T) {
	sent := map[chargedesk.Action][]byte{}
	s := New(Options{Key: key, Agent: func(_ context.Context, a chargedesk.Action, payload []byte) AgentAnswer {
		sent[a] = payload
		return AgentAnswer{RedirectURL: "https://pay.example.com/1"}
	}})
	seed := func(name string, p map[string]any) {
		_, err := s.Seed(name, p)
		require.NoError(t, err)
	}
	seed("customers", map[string]any{"customer_id": "cus_1", "email": "a@example.com", "name": "A"})
	seed("subscriptions", map[string]any{"subscription_id": "sub_1", "customer_id": "cus_1", "status": "active",
		"amount": "34.00", "currency": "USD", "quantity": "2", "interval": "month"})
	seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "34.00", "currency": "USD",
		"customer": map[string]any{"id": "cus_1"}, "subscription": map[string]any{"id": "sub_1"}, "status": "authorized"})
	seed("charges", map[string]any{"transaction_id": "tx_2", "amount": "34.00", "currency": "USD",
		"customer": map[string]any{"id": "cus_1"}})
	calls := []struct{ path, body string }{
		{"/v1/gateway/charges/tx_2/refund", "amount=1.00&log_reason=r"},
		{"/v1/gateway/charges/tx_1/capture", ""},
		{"/v1/gateway/charges/tx_2/void", ""},
		{"/v1/gateway/subscriptions/sub_1/reactivate", ""},
		{"/v1/gateway/subscriptions/sub_1/plans", "plans[0][id]=gold&plans[0][quantity]=2"},
		{"/v1/gateway/subscriptions/sub_1/cancel", "action=cancel-immediately&refund=partial&log_reason=r"},
		{"/v1/gateway/products/charge", "using=invoice&customer[id]=cus_1&amount=5.00&currency=USD"},
	}
	for _, c := range calls {
		code, body, _ := do(t, s, "POST", c.path, c.body)
		require.Equal(t, 200, code, "%s: %s", c.path, body)
	}
	for _, action := range chargedesk.Actions() {
		documented, err := chargedesktest.Payload(action)
		require.NoError(t, err)
		require.Contains(t, sent, action)
		assert.Equal(t, keys(t, documented), keys(t, sent[action]), action)

		// The receiver decodes and validates it.
		quiet := zerolog.Nop()
		h, err := chargedesk.NewHandler(chargedesk.UnimplementedGateway{}, chargedesk.Config{AllowUnauthenticated: true, Logger: &quiet})
		require.NoError(t, err)
		req, err := chargedesktest.Integration{BasePath: "/"}.NewRequest(context.Background(), action, sent[action])
		require.NoError(t, err)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		assert.NotEqual(t, 400, w.Code, "%s: %s", action, w.Body.String())
		assert.NotEqual(t, 422, w.Code, "%s: %s", action, w.Body.String())
		assert.False(t, strings.Contains(w.Body.String(), "must be"), action)
	}
}
