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
	for _, shape := range Shapes() {
		t.Run(string(shape), func(t *testing.T) { testAPIRules(t, shape) })
	}
}

func testAPIRules(t *testing.T, shape Shape) {
	s := New(Options{Key: key, Shape: shape})
	envelope, emptyMetadata := `{"data":[{`, `"metadata":[]`
	if shape == ShapeSeed {
		envelope, emptyMetadata = `"object":"list"`, `"metadata":{}`
	}
	cases := []struct {
		name, method, target, body string
		status                     int
		has                        string
	}{
		{"no auth", "GET", "/v1/charges", "", 401, "authentication_error"},
		{"create needs customer", "POST", "/v1/charges", "amount=1.00&currency=USD", 400, `"incorrect_parameter":"customer[id]"`},
		{"unknown parameter", "POST", "/v1/customers", "customer_id=c&nickname=x", 400, `"incorrect_parameter":"nickname"`},
		{"unknown key of a reference", "POST", "/v1/charges", "amount=1.00&currency=USD&customer[email]=a", 400, `"incorrect_parameter":"customer[email]"`},
		{"unknown address line", "POST", "/v1/customers", "customer_id=c&billing_address[street]=x", 400, `"incorrect_parameter":"billing_address[street]"`},
		{"unknown list filter", "GET", "/v1/charges?colour=red", "", 400, `"incorrect_parameter":"colour"`},
		{"unknown gateway parameter", "POST", "/v1/gateway/charges/x/refund", "amount=1.00&speed=fast", 400, `"incorrect_parameter":"speed"`},
		{"create", "POST", "/v1/customers", "customer_id=c&email=a%40b.c", 200, `"customer_id":"c"`},
		{"duplicate without update", "POST", "/v1/customers", "customer_id=c", 400, `"code":"duplicate"`},
		{"duplicate=update", "POST", "/v1/customers", "customer_id=c&name=Zed&duplicate=update", 200, `"name":"Zed"`},
		{"JSON body", "POST", "/v1/products", `{"product_id": "p", "amount": 5, "currency": "jpy"}`, 200, `"currency":"JPY"`},
		{"amount finer than currency", "POST", "/v1/products", "product_id=q&amount=5.5&currency=JPY", 400, `"incorrect_parameter":"amount"`},
		{"count too large", "GET", "/v1/customers?count=501", "", 400, `"incorrect_parameter":"count"`},
		{"offset past the limit", "GET", "/v1/customers?offset=50001", "", 400, `"code":"offset_too_large"`},
		{"list envelope", "GET", "/v1/customers", "", 200, envelope},
		{"empty metadata", "GET", "/v1/customers/c", "", 200, emptyMetadata},
		{"time as unix seconds", "GET", "/v1/charges?occurred[max]=1900000000", "", 200, `"data":[]`},
		{"time in RFC 3339", "GET", "/v1/charges?occurred[min]=2030-01-01T00:00:00Z", "", 200, `"data":[]`},
		{"not a time", "GET", "/v1/charges?occurred[min]=yesterday", "", 400, `"incorrect_parameter":"occurred[min]"`},
		{"missing", "GET", "/v1/charges/nope", "", 404, `"code":"resource_missing"`},
		{"refund of no charge", "POST", "/v1/gateway/charges/x/refund", "", 404, "No such charge"},
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

// The same charge in each shape: ChargeDesk's documented charge object, or
// the seed's; gateway answers wrapped under the class name only in the
// first.
func TestAnswerShapes(t *testing.T) {
	for _, shape := range Shapes() {
		t.Run(string(shape), func(t *testing.T) {
			s := New(Options{Key: key, Shape: shape, Now: func() time.Time { return time.Unix(1_900_000_000, 0) }})
			_, err := s.Seed("customers", map[string]any{"customer_id": "cus_1", "email": "jane@example.com", "name": "Jane"})
			require.NoError(t, err)
			id, err := s.Seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "34.00", "currency": "USD",
				"customer": map[string]any{"id": "cus_1"}, "lines": []any{"Pro plan"}})
			require.NoError(t, err)
			object := func(body string) map[string]any {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(body), &m), body)
				return m
			}
			code, body, _ := do(t, s, "GET", "/v1/charges/"+id, "")
			require.Equal(t, 200, code)
			got := object(body)
			_, refund, _ := do(t, s, "POST", "/v1/gateway/charges/"+id+"/refund", "amount=4.00")
			_, items, _ := do(t, s, "GET", "/v1/charges/"+id+"/items", "")
			if shape == ShapeSeed {
				assert.Equal(t, id, got["id"])
				assert.Equal(t, map[string]any{"id": "cus_1", "email": "jane@example.com", "name": "Jane"}, got["customer"])
				assert.Contains(t, body, `"amount":34.00`, "an exact JSON number")
				assert.Equal(t, "2030-03-17T17:46:40Z", got["occurred"])
				assert.NotContains(t, got, "charge_id")
				assert.Equal(t, id, object(refund)["id"], "bare")
				assert.Contains(t, items, `"data":[{`)
				return
			}
			assert.Equal(t, id, got["charge_id"])
			assert.Equal(t, "tx_1", got["transaction_id"])
			assert.Equal(t, "cus_1", got["customer_id"])
			assert.Equal(t, "jane@example.com", got["customer_email"])
			assert.Equal(t, "34.00", got["amount"])
			assert.Equal(t, "$34.00 USD", got["amount_formatted"])
			assert.EqualValues(t, 1_900_000_000, got["occurred"])
			assert.NotContains(t, got, "id")
			assert.NotContains(t, got, "customer")
			assert.Equal(t, []string{"charge"}, keysOf(object(refund)), "wrapped under the class name")
			assert.Contains(t, items, `"items":[{`)
			assert.Contains(t, items, `"taxes":[]`)
		})
	}
	_, err := ParseShape("nested")
	assert.ErrorContains(t, err, "documented or seed")
	s := New(Options{Key: key, Shape: "nested"})
	code, body, _ := do(t, s, "GET", "/v1/charges", "")
	assert.Equal(t, 500, code, "an unknown shape answers nothing else")
	assert.Contains(t, body, "nested")
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The calls ChargeDesk's own PHP client (Deele/chargedesk-php) makes, as it
// makes them: form bodies with indexed arrays, GET and DELETE parameters
// in the query, and the paths the seed lacks (customers/history,
// charges/{id}/refund, subscriptions/{id}/cancel). Each answers 2xx with
// no error.
func TestThePHPClientsCalls(t *testing.T) {
	s := New(Options{Key: key})
	calls := []struct{ method, target, body string }{
		{"POST", "/v1/customers", "customer_id=cus_1&email=jane%40example.com&name=Jane"},
		{"GET", "/v1/customers/cus_1", ""},
		{"POST", "/v1/customers/cus_1", "phone=555"},
		{"GET", "/v1/customers?count=1&offset=0", ""},
		{"GET", "/v1/customers/history?query=jane", ""},
		{"POST", "/v1/products", "product_id=gold&name=Gold&amount=9.99&currency=USD"},
		{"GET", "/v1/products/gold", ""},
		{"POST", "/v1/products/gold", "name=Gold+plan"},
		{"GET", "/v1/products?count=10&offset=0", ""},
		{"POST", "/v1/subscriptions", "subscription_id=sub_1&customer_id=cus_1&status=active&items%5B0%5D=gold"},
		{"GET", "/v1/subscriptions/sub_1", ""},
		{"POST", "/v1/subscriptions/sub_1", "quantity=2"},
		{"GET", "/v1/subscriptions?count=10&offset=0", ""},
		{"POST", "/v1/charges", "amount=34.00&currency=USD&customer%5Bid%5D=cus_1&transaction_id=tx_1&subscription%5Bid%5D=sub_1&metadata%5Border%5D=42"},
		{"GET", "/v1/charges/tx_1", ""},
		{"POST", "/v1/charges/tx_1", "description=Renewal"},
		{"GET", "/v1/charges?count=1&offset=0", ""},
		{"GET", "/v1/charges/preview?amount=10.00&currency=USD", ""},
		{"POST", "/v1/charges/tx_1/email", ""},
		{"POST", "/v1/charges/tx_1/refund", "amount=4.00"},
		{"POST", "/v1/subscriptions/sub_1/cancel", ""},
		{"DELETE", "/v1/customers/cus_1?delete_all=0", ""},
	}
	for _, c := range calls {
		code, body, _ := do(t, s, c.method, c.target, c.body)
		assert.Equal(t, 200, code, "%s %s: %s", c.method, c.target, body)
		assert.NotContains(t, body, `"error"`, "%s %s", c.method, c.target)
	}
	rec, ok := s.Record("charges", "tx_1")
	require.True(t, ok)
	assert.Equal(t, "4.00", rec["amount_refunded"], "charges/{id}/refund refunds")
	sub, _ := s.Record("subscriptions", "sub_1")
	assert.Equal(t, "canceled", sub["status"], "subscriptions/{id}/cancel cancels")
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

// A gateway charge with product[interval] starts a subscription, its trial
// ending product[trial_period_days] from now.
func TestGatewayChargeStartsASubscription(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	s := New(Options{Key: key, Shape: ShapeSeed, Now: func() time.Time { return now }})
	code, body, _ := do(t, s, "POST", "/v1/gateway/products/charge", "using=card&customer[id]=cus_1&amount=5.00&currency=USD"+
		"&product[interval]=month&product[interval_count]=3&product[trial_period_days]=7&product[billing_cycles_total]=12")
	require.Equal(t, 200, code, body)
	var charge struct {
		ID           string            `json:"id"`
		Subscription map[string]string `json:"subscription"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &charge))
	sub, ok := s.Record("subscriptions", charge.Subscription["id"])
	require.True(t, ok, body)
	assert.EqualValues(t, now.Add(7*24*time.Hour).Unix(), sub["trial_end"])
	assert.EqualValues(t, 3, sub["interval_count"])
	assert.EqualValues(t, 12, sub["billing_cycles_total"])
	assert.Equal(t, "cus_1", sub["customer_id"])

	code, body, _ = do(t, s, "POST", "/v1/gateway/products/charge", "using=card&customer[id]=cus_1&amount=5.00&currency=USD"+
		"&product[interval]=month&product[trial_period_days]=soon")
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `"incorrect_parameter":"product[trial_period_days]"`)
	assert.Equal(t, 1, s.Len("charges"), "a refused gateway charge leaves no charge behind")
}
