package apitest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "sk_test_apitest_0123456789"

func do(t *testing.T, s http.Handler, method, target, body string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	if body != "" && !strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b), w.Result().Header
}

func TestSaveAndLoad(t *testing.T) {
	s := New(Options{Key: key})
	_, err := s.Seed("customers", map[string]any{"customer_id": "cus_1", "email": "a@example.com", "delinquent": "1",
		"billing_address": map[string]any{"city": "Oslo"}})
	require.NoError(t, err)
	_, err = s.Seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "34.00", "currency": "USD",
		"customer": map[string]any{"id": "cus_1"}, "metadata": map[string]any{"k": "v"}, "lines": []any{"a"}})
	require.NoError(t, err)
	_, err = s.Seed("subscriptions", map[string]any{"subscription_id": "sub_1", "quantity": "3", "trial_end": "2026-12-01T00:00:00Z"})
	require.NoError(t, err)
	code, _, _ := do(t, s, "POST", "/v1/gateway/charges/tx_1/refund", "amount=4.00&log_reason=test")
	require.Equal(t, 200, code)

	saved, err := s.Save()
	require.NoError(t, err)
	restored := New(Options{Key: key})
	require.NoError(t, restored.Load(saved))
	for _, name := range []string{"customers", "charges", "subscriptions"} {
		for _, id := range []string{"cus_1", "tx_1", "sub_1"} {
			want, ok := s.Record(name, id)
			got, ok2 := restored.Record(name, id)
			assert.Equal(t, ok, ok2)
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(got)
			assert.JSONEq(t, string(w), string(g), "%s %s", name, id)
		}
	}
	again, err := restored.Save()
	require.NoError(t, err)
	assert.JSONEq(t, string(saved), string(again))
	assert.Error(t, restored.Load([]byte(`{"version": 99}`)))
}

func TestAPIRules(t *testing.T) {
	s := New(Options{Key: key})
	cases := []struct {
		name, method, target, body string
		status                     int
		has                        string
	}{
		{"no auth", "GET", "/v1/charges", "", 401, "authentication_error"},
		{"create needs customer", "POST", "/v1/charges", "amount=1.00&currency=USD", 400, `"incorrect_parameter":"customer[id]"`},
		{"unknown parameter", "POST", "/v1/customers", "customer_id=c&nickname=x", 400, `"incorrect_parameter":"nickname"`},
		{"create", "POST", "/v1/customers", "customer_id=c&email=a%40b.c", 200, `"customer_id":"c"`},
		{"duplicate without update", "POST", "/v1/customers", "customer_id=c", 400, `"code":"duplicate"`},
		{"duplicate=update", "POST", "/v1/customers", "customer_id=c&name=Zed&duplicate=update", 200, `"name":"Zed"`},
		{"JSON body", "POST", "/v1/products", `{"product_id": "p", "amount": 5, "currency": "jpy"}`, 200, `"amount":"5"`},
		{"amount finer than currency", "POST", "/v1/products", "product_id=q&amount=5.5&currency=JPY", 400, `"incorrect_parameter":"amount"`},
		{"count too large", "GET", "/v1/customers?count=501", "", 400, `"incorrect_parameter":"count"`},
		{"offset past the limit", "GET", "/v1/customers?offset=50001", "", 400, `"code":"offset_too_large"`},
		{"list envelope", "GET", "/v1/customers", "", 200, `{"data":[{`},
		{"empty metadata is []", "GET", "/v1/customers/c", "", 200, `"metadata":[]`},
		{"missing", "GET", "/v1/charges/nope", "", 404, `"code":"resource_missing"`},
		{"refund more than remains", "POST", "/v1/gateway/charges/x/refund", "", 404, "No such charge"},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		if tc.name != "no auth" {
			req.SetBasicAuth(key, "")
		}
		if strings.HasPrefix(tc.body, "{") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // JSON whatever it says
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		assert.Equal(t, tc.status, w.Code, tc.name)
		assert.Contains(t, w.Body.String(), tc.has, tc.name)
	}
}

func TestFaults(t *testing.T) {
	now := time.Unix(1000, 0)
	s := New(Options{Key: key, RateLimit: 2, Now: func() time.Time { return now }})
	for i, want := range []int{200, 200, 429} {
		code, _, h := do(t, s, "GET", "/v1/customers", "")
		assert.Equal(t, want, code, i)
		if code == 429 {
			assert.Equal(t, "1", h.Get("Retry-After"))
		}
	}
	now = now.Add(time.Second)
	code, _, _ := do(t, s, "GET", "/v1/customers", "")
	assert.Equal(t, 200, code, "a new second, a new allowance")

	failing := New(Options{Key: key, FailRate: 0.5, Rand: func() float64 { return 0.4 }})
	code, body, _ := do(t, failing, "GET", "/v1/customers", "")
	assert.Equal(t, 503, code)
	assert.Contains(t, body, "unavailable")
}
