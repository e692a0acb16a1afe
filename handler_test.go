package chargedesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// secretValue is the shared secret the tests configure; secret is the whole
// Authorization value.
const (
	secretValue = "test-secret-0123456789abcdef"
	secret      = "Bearer " + secretValue
)

// rawOf returns the Raw of any request type.
func rawOf(t *testing.T, req any) chargedesk.Raw {
	t.Helper()
	switch r := req.(type) {
	case *chargedesk.RefundRequest:
		return r.Raw
	case *chargedesk.CaptureRequest:
		return r.Raw
	case *chargedesk.VoidRequest:
		return r.Raw
	case *chargedesk.CancelRequest:
		return r.Raw
	case *chargedesk.ReactivateRequest:
		return r.Raw
	case *chargedesk.EditPlansRequest:
		return r.Raw
	case *chargedesk.PaymentRequest:
		return r.Raw
	}
	t.Fatalf("unknown request type %T", req)
	return chargedesk.Raw{}
}

// readRequest returns ChargeDesk's documented payload for action.
func readRequest(t *testing.T, action chargedesk.Action) []byte {
	t.Helper()
	b, err := chargedesktest.Payload(action)
	require.NoError(t, err)
	return b
}

// patched returns action's documented payload after change edits it.
func patched(t *testing.T, action chargedesk.Action, change func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(readRequest(t, action)))
	d.UseNumber()
	var m map[string]any
	require.NoError(t, d.Decode(&m))
	change(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// testConfig is the configuration most tests use: Base Path /chargedesk,
// a shared secret, no logs.
func testConfig() chargedesk.Config {
	l := zerolog.Nop()
	return chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:   &l,
	}
}

func newHandler(t *testing.T, gw chargedesk.Gateway, change func(*chargedesk.Config)) *chargedesk.Handler {
	t.Helper()
	cfg := testConfig()
	if change != nil {
		change(&cfg)
	}
	h, err := chargedesk.NewHandler(gw, cfg)
	require.NoError(t, err)
	return h
}

// webhook builds a POST as ChargeDesk sends it, with the secret.
func webhook(path string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Authorization", secret)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// errorMessage checks that rec is a JSON error answer and returns its
// message.
func errorMessage(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "body: %s", rec.Body)
	require.Len(t, body, 1, "body: %s", rec.Body)
	msg, ok := body["error"].(string)
	require.True(t, ok, "body: %s", rec.Body)
	assert.NotEmpty(t, msg)
	return msg
}

func TestHandlerServesEveryAction(t *testing.T) {
	at := func(unix int64) time.Time { return time.Unix(unix, 0) }
	amount := func(s string) chargedesk.Amount { return chargedesk.MustParseAmount(s) }
	checks := map[chargedesk.Action]func(t *testing.T, req any){
		chargedesk.ActionRefund: func(t *testing.T, req any) {
			r := req.(*chargedesk.RefundRequest)
			assert.Zero(t, r.RefundAmount.Cmp(amount("12.34").Decimal), "refund_amount %s", r.RefundAmount)
			assert.Equal(t, "Customer received incorrect product", r.ActionReason)
			require.NotNil(t, r.Charge)
			assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", r.Charge.ChargeID)
			assert.Equal(t, "cus-example-RLf9f6T6Ok", r.Charge.CustomerID)
			assert.Equal(t, "USD", r.Charge.Currency)
			assert.Equal(t, "34.00", r.Charge.Amount.String())
			assert.Equal(t, "0.00", r.Charge.AmountRefunded.String())
			assert.Equal(t, chargedesk.ChargeStatusPaid, r.Charge.Status)
			assert.True(t, r.Charge.IsPaid)
			assert.True(t, r.Charge.Occurred.Equal(at(1732181492)), "occurred %v", r.Charge.Occurred)
			assert.True(t, r.Charge.EmailLastSent.IsZero())
			assert.Equal(t, []string{"edit", "remind", "email"}, r.Charge.MethodsSupported)
			assert.Equal(t, map[string]string{"example_key": "Example charge metadata"}, r.Charge.Metadata)
			assert.Equal(t, "https://chargedesk.com/company-example/example-Xs84hY5BSt5IttuRSIsQIA8r", r.Charge.SupportURL)
		},
		chargedesk.ActionCapture: func(t *testing.T, req any) {
			r := req.(*chargedesk.CaptureRequest)
			require.NotNil(t, r.Charge)
			assert.Equal(t, "example-r5D8vjzaXNTLwFZA4cM9Cg5b", r.Charge.ChargeID)
			assert.Equal(t, "34.00", r.Charge.Amount.String())
		},
		chargedesk.ActionVoid: func(t *testing.T, req any) {
			r := req.(*chargedesk.VoidRequest)
			require.NotNil(t, r.Charge)
			assert.Equal(t, "example-r5D8vjzaXNTLwFZA4cM9Cg5b", r.Charge.ChargeID)
		},
		chargedesk.ActionCancel: func(t *testing.T, req any) {
			r := req.(*chargedesk.CancelRequest)
			assert.Equal(t, chargedesk.CancelImmediately, r.Action)
			assert.Equal(t, chargedesk.RefundPartial, r.Refund)
			assert.Equal(t, "Customer is planning on upgrading subscription", r.ActionReason)
			require.NotNil(t, r.Subscription)
			assert.Equal(t, "sub-example-vkx55s374c", r.Subscription.SubscriptionID)
			assert.Equal(t, "cus-example-RAFiJBiib1", r.Subscription.CustomerID)
			assert.Equal(t, chargedesk.SubscriptionStatusActive, r.Subscription.Status)
			assert.Equal(t, 2, r.Subscription.Quantity)
			assert.Equal(t, 14, r.Subscription.TrialPeriodDays)
			assert.Zero(t, r.Subscription.SetupAmount.Cmp(amount("10").Decimal))
			assert.True(t, r.Subscription.CurrentPeriodEnd.Equal(at(1734811235)))
			assert.True(t, r.Subscription.TrialStart.IsZero())
			assert.False(t, r.Subscription.HasItems)
			require.NotNil(t, r.Charge)
			assert.Equal(t, "example-dcVNtrQoNtyLxadmoPmbIAX2", r.Charge.ChargeID)
		},
		chargedesk.ActionReactivate: func(t *testing.T, req any) {
			r := req.(*chargedesk.ReactivateRequest)
			require.NotNil(t, r.Subscription)
			assert.Equal(t, "sub-example-uqj4QP2rEQ", r.Subscription.SubscriptionID)
			assert.Equal(t, "month", r.Subscription.Interval)
		},
		chargedesk.ActionEditPlans: func(t *testing.T, req any) {
			r := req.(*chargedesk.EditPlansRequest)
			assert.Equal(t, []chargedesk.Plan{{ProductID: "prod-example-AyL17r5mIC", Quantity: 2}}, r.Plans)
			require.NotNil(t, r.Subscription)
			assert.Equal(t, "sub-example-7bJT0T1dcy", r.Subscription.SubscriptionID)
		},
		chargedesk.ActionRequestPayment: func(t *testing.T, req any) {
			r := req.(*chargedesk.PaymentRequest)
			require.NotNil(t, r.Charge)
			assert.Equal(t, "example-gM7eI914EY5RAgDf82sESg3U", r.Charge.ChargeID)
			assert.Equal(t, "jane@example.com", r.Charge.CustomerEmail)
		},
	}
	require.Len(t, checks, len(chargedesk.Actions()))

	for _, action := range chargedesk.Actions() {
		t.Run(string(action), func(t *testing.T) {
			gw := &fakeGateway{}
			srv := httptest.NewServer(newHandler(t, gw, nil))
			t.Cleanup(srv.Close)
			body := readRequest(t, action)
			golden, err := os.ReadFile(filepath.Join("testdata", "responses", string(action)+".json"))
			require.NoError(t, err)

			req, err := http.NewRequest(http.MethodPost, srv.URL+"/chargedesk/"+string(action), bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Authorization", secret)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Custom", "kept")
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", got)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.JSONEq(t, string(golden), string(got))

			calls := gw.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, action, calls[0].Action)
			raw := rawOf(t, calls[0].Req)
			assert.Equal(t, body, raw.Body, "Raw.Body must be the bytes sent")
			assert.Equal(t, "kept", raw.Header.Get("X-Custom"))
			checks[action](t, calls[0].Req)
		})
	}
}

// errCase is one request the handler must refuse, or answer as the case
// says, through a Handler built from testConfig.
type errCase struct {
	name    string
	config  func(*chargedesk.Config)
	gateway func(*fakeGateway)
	method  string // default POST
	path    string // default /chargedesk/refund
	body    []byte // nil: the documented refund payload; []byte{} is empty
	header  func(http.Header)
	chunked bool // send the body without a Content-Length

	status   int
	message  string            // the exact error message, when set
	contains []string          // parts of the error message
	absent   []string          // what the answer must never contain
	headers  map[string]string // answer headers
	called   int               // gateway calls expected
}

func runCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := &fakeGateway{}
			if c.gateway != nil {
				c.gateway(gw)
			}
			h := newHandler(t, gw, c.config)
			method, path, body := c.method, c.path, c.body
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/chargedesk/refund"
			}
			if body == nil {
				body = readRequest(t, chargedesk.ActionRefund)
			}
			r := webhook(path, body)
			r.Method = method
			if c.chunked {
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.ContentLength = -1
			}
			if c.header != nil {
				c.header(r.Header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)

			require.Equal(t, c.status, rec.Code, "body: %s", rec.Body)
			if c.status == http.StatusOK {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.True(t, json.Valid(rec.Body.Bytes()), "body: %s", rec.Body)
			} else {
				msg := errorMessage(t, rec)
				if c.message != "" {
					assert.Equal(t, c.message, msg)
				}
				for _, part := range c.contains {
					assert.Contains(t, msg, part)
				}
			}
			for _, s := range c.absent {
				assert.NotContains(t, rec.Body.String(), s)
				for name, values := range rec.Header() {
					assert.NotContains(t, strings.Join(values, " "), s, "header %s", name)
				}
			}
			for name, want := range c.headers {
				assert.Equal(t, want, rec.Header().Get(name), "header %s", name)
			}
			assert.Len(t, gw.Calls(), c.called, "gateway calls")
		})
	}
}

func TestHandlerRouting(t *testing.T) {
	runCases(t, []errCase{
		{name: "unknown path", path: "/chargedesk/nope", status: http.StatusNotFound, contains: []string{"path"}},
		{name: "outside the base path", path: "/refund", status: http.StatusNotFound},
		{name: "action path under another base", path: "/other/refund", status: http.StatusNotFound},
		{name: "GET on an action path", method: http.MethodGet, status: http.StatusMethodNotAllowed,
			contains: []string{"POST"}, headers: map[string]string{"Allow": http.MethodPost}},
		{name: "PUT on an action path", method: http.MethodPut, status: http.StatusMethodNotAllowed,
			headers: map[string]string{"Allow": http.MethodPost}},
		{name: "trailing slash", path: "/chargedesk/refund/", status: http.StatusOK, called: 1},
		{name: "no content type", header: func(h http.Header) { h.Del("Content-Type") }, status: http.StatusOK, called: 1},
		{name: "text/plain content type", header: func(h http.Header) { h.Set("Content-Type", "text/plain") },
			status: http.StatusOK, called: 1},
		{name: "custom path", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/money-back"}
		}, path: "/chargedesk/money-back", status: http.StatusOK, called: 1},
		{name: "default path of a moved action", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/money-back"}
		}, status: http.StatusNotFound},
		{name: "base path given as a URL", config: func(c *chargedesk.Config) {
			c.BasePath = "https://pay.example.com/chargedesk/"
		}, status: http.StatusOK, called: 1},
	})
}

func TestHandlerAuthentication(t *testing.T) {
	const next = "Bearer next-secret-fedcba9876543210"
	rotation := func(c *chargedesk.Config) { c.Headers[0].Values = []string{secret, next} }
	chargeHeader := func(c *chargedesk.Config) {
		c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Charge", Values: []string{"{charge_id}"}})
	}
	setAuth := func(v string) func(http.Header) { return func(h http.Header) { h.Set("Authorization", v) } }
	oneOff := secret[:len(secret)-1] + "e" // last character changed
	unauthorized := "The webhook was refused: its authentication headers do not match the integration's settings."
	runCases(t, []errCase{
		{name: "missing secret", header: func(h http.Header) { h.Del("Authorization") },
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "wrong secret", header: setAuth("Bearer wrong-secret-0123456789abc"),
			status: http.StatusUnauthorized, message: unauthorized,
			absent: []string{"wrong-secret", secretValue}},
		{name: "secret one character off", header: setAuth(oneOff),
			status: http.StatusUnauthorized, message: unauthorized, absent: []string{secretValue, oneOff}},
		{name: "secret with a suffix", header: setAuth(secret + "x"), status: http.StatusUnauthorized},
		{name: "secret prefix only", header: setAuth(secret[:10]), status: http.StatusUnauthorized},
		{name: "secret sent twice", header: func(h http.Header) { h.Add("Authorization", secret) },
			status: http.StatusUnauthorized},
		{name: "header name in other case", header: func(h http.Header) {
			h.Del("Authorization")
			h["authorization"] = []string{secret}
		}, status: http.StatusUnauthorized}, // a raw map key a client never sends; canonical names only
		{name: "rotation: old value", config: rotation, status: http.StatusOK, called: 1},
		{name: "rotation: new value", config: rotation, header: setAuth(next), status: http.StatusOK, called: 1},
		{name: "rotation: neither", config: rotation, header: setAuth("Bearer other-secret-0000000000"),
			status: http.StatusUnauthorized, absent: []string{secretValue, "next-secret"}},
		{name: "templated header matches", config: chargeHeader,
			header: func(h http.Header) { h.Set("X-Charge", "example-Xs84hY5BSt5IttuRSIsQIA8r") },
			status: http.StatusOK, called: 1},
		{name: "templated header mismatches", config: chargeHeader,
			header: func(h http.Header) { h.Set("X-Charge", "example-somebody-else") },
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "templated header missing", config: chargeHeader,
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "templated header right, secret wrong", config: chargeHeader, header: func(h http.Header) {
			h.Set("X-Charge", "example-Xs84hY5BSt5IttuRSIsQIA8r")
			h.Set("Authorization", oneOff)
		}, status: http.StatusUnauthorized},
		{name: "base path placeholder matches",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/company-example/refund", status: http.StatusOK, called: 1},
		{name: "base path placeholder mismatches",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/other/refund", status: http.StatusUnauthorized, message: unauthorized},
		{name: "base path placeholder with trailing slash",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/company-example/refund/", status: http.StatusOK, called: 1},
		{name: "path placeholder", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{charge_id}"}
		}, path: "/chargedesk/refund/example-Xs84hY5BSt5IttuRSIsQIA8r", status: http.StatusOK, called: 1},
		{name: "path placeholder mismatches", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{charge_id}"}
		}, path: "/chargedesk/refund/example-other", status: http.StatusUnauthorized},
		{name: "unauthenticated allowed", config: func(c *chargedesk.Config) {
			c.Headers = nil
			c.AllowUnauthenticated = true
		}, header: func(h http.Header) { h.Del("Authorization") }, status: http.StatusOK, called: 1},
	})
}

func TestHandlerBody(t *testing.T) {
	refundAmount := func(v string) []byte {
		return patched(t, chargedesk.ActionRefund, func(m map[string]any) { m["refund_amount"] = json.Number(v) })
	}
	runCases(t, []errCase{
		{name: "malformed", body: []byte(`{"refund_amount": 12.34,`), status: http.StatusBadRequest},
		{name: "empty", body: []byte{}, status: http.StatusBadRequest},
		{name: "whitespace only", body: []byte(" \n"), status: http.StatusBadRequest},
		{name: "trailing data", body: append(readRequest(t, chargedesk.ActionRefund), []byte(` {"x": 1}`)...),
			status: http.StatusBadRequest},
		{name: "array", body: []byte(`[]`), status: http.StatusBadRequest},
		{name: "string", body: []byte(`"refund"`), status: http.StatusBadRequest},
		{name: "wrong secret wins over a bad body", body: []byte(`{`),
			header: func(h http.Header) { h.Set("Authorization", "Bearer nope") }, status: http.StatusUnauthorized},
		{name: "oversize", config: func(c *chargedesk.Config) { c.MaxBodyBytes = 1024 },
			status: http.StatusRequestEntityTooLarge, contains: []string{"1024"}},
		{name: "oversize chunked", config: func(c *chargedesk.Config) { c.MaxBodyBytes = 1024 }, chunked: true,
			status: http.StatusRequestEntityTooLarge, contains: []string{"1024"}},
		{name: "oversize without middleware", config: func(c *chargedesk.Config) {
			c.MaxBodyBytes = 1024
			c.Middleware = []func(http.Handler) http.Handler{}
		}, chunked: true, status: http.StatusRequestEntityTooLarge, contains: []string{"1024"}},
		{name: "refund over remaining", body: refundAmount("34.01"), status: http.StatusUnprocessableEntity,
			message: "Refund amount was greater than amount remaining on charge."},
		{name: "refund over remaining after earlier refunds",
			body: patched(t, chargedesk.ActionRefund, func(m map[string]any) {
				m["charge"].(map[string]any)["amount_refunded"] = "30.00"
				m["refund_amount"] = json.Number("4.01")
			}), status: http.StatusUnprocessableEntity,
			message: "Refund amount was greater than amount remaining on charge."},
		{name: "refund of exactly what remains",
			body: patched(t, chargedesk.ActionRefund, func(m map[string]any) {
				m["charge"].(map[string]any)["amount_refunded"] = "30.00"
				m["refund_amount"] = "4.00"
			}), status: http.StatusOK, called: 1},
		{name: "refund finer than the currency", body: refundAmount("12.345"), status: http.StatusUnprocessableEntity,
			contains: []string{"refund_amount", "12.345", "USD"}},
		{name: "trailing zeros are not finer", body: refundAmount("12.340"), status: http.StatusOK, called: 1},
		{name: "zero refund", body: refundAmount("0"), status: http.StatusUnprocessableEntity,
			contains: []string{"refund_amount"}},
		{name: "negative refund", body: refundAmount("-1.00"), status: http.StatusUnprocessableEntity,
			contains: []string{"refund_amount"}},
		{name: "no charge", body: []byte(`{"refund_amount": 1}`), status: http.StatusUnprocessableEntity,
			contains: []string{"charge"}},
		{name: "cancel with an unknown action", path: "/chargedesk/cancel",
			body:   patched(t, chargedesk.ActionCancel, func(m map[string]any) { m["action"] = "delete" }),
			status: http.StatusUnprocessableEntity, contains: []string{"action"}},
		{name: "edit plans without plans", path: "/chargedesk/edit-plans",
			body:   patched(t, chargedesk.ActionEditPlans, func(m map[string]any) { m["plans"] = []any{} }),
			status: http.StatusUnprocessableEntity, contains: []string{"plans"}},
	})
}

func TestHandlerGatewayErrors(t *testing.T) {
	fails := func(err error) func(*fakeGateway) {
		return func(g *fakeGateway) {
			g.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return nil, err }
		}
	}
	runCases(t, []errCase{
		{name: "unimplemented", gateway: func(g *fakeGateway) {
			g.Unsupported = map[chargedesk.Action]bool{chargedesk.ActionRefund: true}
		}, status: http.StatusNotImplemented,
			message: "Refunds are not supported by this payment platform integration.", called: 1},
		{name: "unimplemented capture", path: "/chargedesk/capture", body: readRequest(t, chargedesk.ActionCapture),
			gateway: func(g *fakeGateway) {
				g.Unsupported = map[chargedesk.Action]bool{chargedesk.ActionCapture: true}
			}, status: http.StatusNotImplemented,
			message: "Captures are not supported by this payment platform integration.", called: 1},
		{name: "ErrNotSupported wrapped", gateway: fails(fmt.Errorf("stripe: %w", chargedesk.ErrNotSupported)),
			status: http.StatusNotImplemented, called: 1},
		{name: "agent error, default status",
			gateway: fails(chargedesk.AgentErrorf("Charge %s is disputed.", "ch_1")),
			status:  http.StatusUnprocessableEntity, message: "Charge ch_1 is disputed.", called: 1},
		{name: "agent error 409",
			gateway: fails(&chargedesk.AgentError{Message: "A refund is already pending.", Status: http.StatusConflict}),
			status:  http.StatusConflict, message: "A refund is already pending.", called: 1},
		{name: "agent error 402",
			gateway: fails(&chargedesk.AgentError{Message: "The platform balance is too low.", Status: http.StatusPaymentRequired}),
			status:  http.StatusPaymentRequired, message: "The platform balance is too low.", called: 1},
		{name: "agent error with a 2xx status",
			gateway: fails(&chargedesk.AgentError{Message: "Nope.", Status: http.StatusOK}),
			status:  http.StatusUnprocessableEntity, message: "Nope.", called: 1},
		{name: "agent error wrapped",
			gateway: fails(fmt.Errorf("refund ch_1: %w", &chargedesk.AgentError{Message: "Card expired.", Status: 403})),
			status:  http.StatusForbidden, message: "Card expired.", called: 1},
		{name: "agent error keeps its cause out",
			gateway: fails(&chargedesk.AgentError{Message: "Declined.", Err: errors.New("api key sk_live_123 rejected")}),
			status:  http.StatusUnprocessableEntity, message: "Declined.", absent: []string{"sk_live_123"}, called: 1},
		{name: "plain error",
			gateway: fails(errors.New("dial tcp 10.0.0.7:5432: password hunter2 rejected")),
			status:  http.StatusInternalServerError, contains: []string{"outcome is unknown"},
			absent: []string{"hunter2", "10.0.0.7", "dial tcp"}, called: 1},
		{name: "panic", gateway: func(g *fakeGateway) {
			g.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) {
				panic("nil map in gateway hunter2")
			}
		}, status: http.StatusInternalServerError, absent: []string{"hunter2", "nil map"}, called: 1},
		{name: "deadline exceeded from the gateway", gateway: fails(fmt.Errorf("stripe: %w", context.DeadlineExceeded)),
			status: http.StatusGatewayTimeout, contains: []string{"outcome is unknown"}, called: 1},
	})
}

func TestHandlerTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		finished := make(chan struct{})
		gw := &fakeGateway{Answer: func(ctx context.Context, _ chargedesk.Action, req any) (*chargedesk.Response, error) {
			defer close(finished)
			<-release // ignores ctx, as a slow platform call would
			return chargedesk.RefundAnswer(req.(*chargedesk.RefundRequest))
		}}
		h := newHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = 5 * time.Second })
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
		assert.Equal(t, 5*time.Second, time.Since(start), "answered at the deadline")
		close(release)
		<-finished

		assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
		msg := errorMessage(t, rec)
		assert.Contains(t, msg, "outcome is unknown")
		assert.Contains(t, msg, "before retrying")
		assert.Len(t, gw.Calls(), 1)
	})
}

// A payment request without a usable redirect_url fails: nothing reached
// the customer. Every other answer of a Gateway that returned success is a
// success; the parts ChargeDesk cannot use are dropped (and logged) and the
// agent gets the rest.
func TestHandlerBadAnswers(t *testing.T) {
	pays := func(resp *chargedesk.PaymentResponse) func(*fakeGateway) {
		return func(g *fakeGateway) {
			g.Pay = func(context.Context, *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
				return resp, nil
			}
		}
	}
	payment := readRequest(t, chargedesk.ActionRequestPayment)
	badAnswer := []string{"answered in a form ChargeDesk cannot use"}
	runCases(t, []errCase{
		{name: "payment request answered nil", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(nil), status: http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "payment request without redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{}), status: http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "relative redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "/pay/123"}),
			status:  http.StatusInternalServerError, contains: badAnswer, absent: []string{"/pay/123"}, called: 1},
		{name: "javascript redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "javascript:alert(1)"}),
			status:  http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "redirect_url without host", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "https:///pay"}),
			status:  http.StatusInternalServerError, contains: badAnswer, called: 1},
	})

	amount := func(s string) *chargedesk.Amount { a := chargedesk.MustParseAmount(s); return &a }
	sub := &chargedesk.SubscriptionUpdate{Status: chargedesk.SubscriptionStatusCanceled}
	cases := []struct {
		name    string
		action  chargedesk.Action
		answer  *chargedesk.Response
		pay     string // a payment request's redirect_url
		want    string // the answer ChargeDesk gets
		dropped string // the log line's detail, "" when nothing is dropped
	}{
		{"negative amount_refunded", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("-1.00")}}, "",
			`{}`, "charge.amount_refunded -1.00 is negative"},
		{"negative charge amount", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Amount: amount("-34.00")}}, "",
			`{}`, "charge.amount -34.00 is negative"},
		{"amount_refunded above the answer's own amount", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Amount: amount("10.00"), AmountRefunded: amount("12.00")}}, "",
			`{}`, "charge.amount_refunded 12.00 is more than the answer's charge.amount 10.00"},
		{"amount_refunded above ChargeDesk's stale amount is the platform's truth", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("34.01")}}, "",
			`{"charge": {"amount_refunded": 34.01}}`, ""},
		{"amount finer than the currency", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("12.345")}}, "",
			`{}`, "charge.amount_refunded: 12.345 has more decimal places than USD allows (2)"},
		{"unknown charge status, valid subscription kept", chargedesk.ActionCancel,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: "money back"}, Subscription: sub}, "",
			`{"subscription": {"status": "canceled"}}`, `charge.status "money back" is not a ChargeDesk charge status`},
		{"subscription status spelled as on the webhook page", chargedesk.ActionCancel,
			&chargedesk.Response{Subscription: &chargedesk.SubscriptionUpdate{Status: "cancelled"}}, "",
			`{}`, `subscription.status "cancelled" is not a ChargeDesk subscription status`},
		{"good redirect_url with a bad charge", chargedesk.ActionRequestPayment,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: "sent"}}, "https://pay.example.com/1",
			`{"redirect_url": "https://pay.example.com/1"}`, `charge.status "sent" is not a ChargeDesk charge status`},
		{"answer with every object empty", chargedesk.ActionRefund, &chargedesk.Response{}, "", `{}`, ""},
		{"refund of everything", chargedesk.ActionRefund, &chargedesk.Response{Charge: chargedesk.ChargeRefunded(
			chargedesk.MustParseAmount("34.00"), chargedesk.MustParseAmount("34.00"))}, "",
			`{"charge": {"status": "refunded", "amount_refunded": 34.00}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := &fakeGateway{}
			gw.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return c.answer, nil }
			gw.Pay = func(context.Context, *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
				return &chargedesk.PaymentResponse{RedirectURL: c.pay, Response: *c.answer}, nil
			}
			logs := &chargedesk.LogBuffer{}
			h := newHandler(t, gw, func(cfg *chargedesk.Config) {
				l := zerolog.New(logs)
				cfg.Logger = &l
			})
			body := readRequest(t, c.action)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/"+string(c.action), body))
			require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
			assert.JSONEq(t, c.want, rec.Body.String())

			_, lines := logs.Lines(t)
			var dropped []string
			for _, l := range lines {
				if l["level"] == "error" {
					dropped = append(dropped, l["error"].(string))
				}
			}
			if c.dropped == "" {
				assert.Empty(t, dropped)
			} else {
				require.Len(t, dropped, 1)
				assert.Contains(t, dropped[0], c.dropped)
			}

			// The action counts as done: the same webhook again is a duplicate.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/"+string(c.action), body))
			assert.Equal(t, http.StatusConflict, rec.Code, "body: %s", rec.Body)
			assert.Len(t, gw.Calls(), 1)
		})
	}
}

// The report: 20.00 of a 34.00 charge is refunded, then a refund
// of 5.00 arrives with ChargeDesk's stale copy (amount "15.00") three
// times. The platform refunds once, answers its own total (25.00, more
// than the stale amount), the agent gets success, and the repeats are
// duplicates: money moves once.
func TestSuccessIsNeverReportedAsFailure(t *testing.T) {
	var refunded []string
	total := chargedesk.MustParseAmount("20.00")
	gw := &fakeGateway{}
	gw.Answer = func(_ context.Context, _ chargedesk.Action, req any) (*chargedesk.Response, error) {
		r := req.(*chargedesk.RefundRequest)
		sum, err := total.Add(r.RefundAmount)
		if err != nil {
			return nil, err
		}
		total = sum
		refunded = append(refunded, total.String())
		return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(chargedesk.MustParseAmount("34.00"), total)}, nil
	}
	h := newHandler(t, gw, nil)
	stale := patched(t, chargedesk.ActionRefund, func(m map[string]any) {
		m["refund_amount"] = "5.00"
		m["charge"].(map[string]any)["amount"] = "15.00"
	})
	var statuses []int
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", stale))
		statuses = append(statuses, rec.Code)
		if rec.Code == http.StatusOK {
			assert.JSONEq(t, `{"charge": {"status": "partially refunded", "amount_refunded": 25.00}}`, rec.Body.String())
		}
	}
	assert.Equal(t, []int{200, 409, 409}, statuses)
	assert.Equal(t, []string{"25.00"}, refunded, "refunded once")
}

// TestHandlerMounted serves a refund and refuses an unknown path through
// each way of mounting the handler the docs name.
func TestHandlerMounted(t *testing.T) {
	mounts := []struct {
		name  string
		mount func(h http.Handler) http.Handler
	}{
		{"chi Mount", func(h http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Mount("/chargedesk", h)
			return r
		}},
		{"chi Route", func(h http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Route("/chargedesk", func(r chi.Router) { r.Mount("/", h) })
			return r
		}},
		{"ServeMux", func(h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/chargedesk/", h)
			return mux
		}},
		{"ServeMux with method", func(h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("POST /chargedesk/", h)
			return mux
		}},
	}
	for _, m := range mounts {
		t.Run(m.name, func(t *testing.T) {
			gw := &fakeGateway{}
			srv := httptest.NewServer(m.mount(newHandler(t, gw, nil)))
			t.Cleanup(srv.Close)

			status, body := postTo(t, srv, "/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
			assert.Equal(t, http.StatusOK, status, "body: %s", body)
			assert.JSONEq(t, `{"charge":{"status":"partially refunded","amount_refunded":12.34}}`, body)
			assert.Len(t, gw.Calls(), 1)

			status, body = postTo(t, srv, "/chargedesk/nope", readRequest(t, chargedesk.ActionRefund))
			assert.Equal(t, http.StatusNotFound, status)
			assert.Contains(t, body, `"error"`)
			assert.Len(t, gw.Calls(), 1)
		})
	}
}

// TestHandlerInParentRouter checks that mounting the handler leaves the
// parent chi router's other routes, parameters and middleware alone.
func TestHandlerInParentRouter(t *testing.T) {
	gw := &fakeGateway{}
	var seen []string
	var mu sync.Mutex
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			seen = append(seen, req.URL.Path)
			mu.Unlock()
			next.ServeHTTP(w, req)
		})
	})
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	r.Get("/users/{id}", func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, "user "+chi.URLParam(req, "id"))
	})
	r.Mount("/chargedesk", newHandler(t, gw, nil))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get("/health")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok", body)

	status, _ = postTo(t, srv, "/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
	assert.Equal(t, http.StatusOK, status)

	status, body = get("/users/42")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "user 42", body)

	status, _ = get("/elsewhere")
	assert.Equal(t, http.StatusNotFound, status)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/health", "/chargedesk/refund", "/users/42", "/elsewhere"}, seen)
	assert.Len(t, gw.Calls(), 1)
}

// postTo sends a webhook with the secret to srv and returns the answer.
func postTo(t *testing.T, srv *httptest.Server, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp.StatusCode, string(b)
}

func TestNewHandlerConfigErrors(t *testing.T) {
	auth := func(values ...string) []chargedesk.Header {
		return []chargedesk.Header{{Name: "Authorization", Values: values}}
	}
	tests := []struct {
		name    string
		gateway chargedesk.Gateway
		change  func(*chargedesk.Config)
		setting string
	}{
		{name: "no header", change: func(c *chargedesk.Config) { c.Headers = nil }, setting: "Headers"},
		{name: "short secret", change: func(c *chargedesk.Config) { c.Headers = auth("Bearer short") }, setting: "Headers"},
		{name: "one short value among two", change: func(c *chargedesk.Config) { c.Headers = auth(secret, "short") },
			setting: "Headers"},
		{name: "placeholders only", change: func(c *chargedesk.Config) {
			c.Headers = []chargedesk.Header{{Name: "X-Charge", Values: []string{"{charge_id}{customer_id}"}}}
		}, setting: "Headers"},
		{name: "unknown placeholder in a header", change: func(c *chargedesk.Config) {
			c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Charge", Values: []string{"{nope}"}})
		}, setting: "Headers[1].Values[0]"},
		{name: "unknown placeholder in the base path",
			change: func(c *chargedesk.Config) { c.BasePath = "/hooks/{nope}" }, setting: "BasePath"},
		{name: "unknown placeholder in a path", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionVoid: "/void/{nope}"}
		}, setting: "Paths[void]"},
		{name: "bad header name", change: func(c *chargedesk.Config) { c.Headers[0].Name = "Auth orization" },
			setting: "Headers[0].Name"},
		{name: "empty header name", change: func(c *chargedesk.Config) { c.Headers[0].Name = "" },
			setting: "Headers[0].Name"},
		{name: "header twice", change: func(c *chargedesk.Config) {
			c.Headers = append(c.Headers, chargedesk.Header{Name: "authorization", Values: []string{secret}})
		}, setting: "Headers[1].Name"},
		{name: "header without values", change: func(c *chargedesk.Config) { c.Headers[0].Values = nil },
			setting: "Headers[0].Values"},
		{name: "duplicate paths", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/x", chargedesk.ActionCapture: "/x"}
		}, setting: "Paths[capture]"},
		{name: "path equal to another action's default", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionVoid: "/capture"}
		}, setting: "Paths[void]"},
		{name: "path without leading slash", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "refund"}
		}, setting: "Paths[refund]"},
		{name: "base path with query", change: func(c *chargedesk.Config) { c.BasePath = "/chargedesk?company=x" },
			setting: "BasePath"},
		{name: "base path with fragment", change: func(c *chargedesk.Config) { c.BasePath = "/chargedesk#x" },
			setting: "BasePath"},
		{name: "base path without slash", change: func(c *chargedesk.Config) { c.BasePath = "chargedesk" },
			setting: "BasePath"},
		{name: "base path with a wildcard", change: func(c *chargedesk.Config) { c.BasePath = "/hooks/*" },
			setting: "BasePath"},
		{name: "base path with a stray brace", change: func(c *chargedesk.Config) { c.BasePath = "/hooks/{x" },
			setting: "BasePath"},
		{name: "path with a stray brace", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{id:[0-9]+}"}
		}, setting: "Paths[refund]"},
		{name: "base path URL of another scheme", change: func(c *chargedesk.Config) { c.BasePath = "ftp://x/y" },
			setting: "BasePath"},
		{name: "unknown action", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{"bogus": "/bogus"}
		}, setting: "Paths[bogus]"},
		{name: "nil gateway", gateway: nil, setting: "gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.change != nil {
				tt.change(&cfg)
			}
			gw := tt.gateway
			if gw == nil && tt.setting != "gateway" {
				gw = &fakeGateway{}
			}
			h, err := chargedesk.NewHandler(gw, cfg)
			var cfgErr *chargedesk.ConfigError
			require.ErrorAs(t, err, &cfgErr)
			assert.Nil(t, h)
			assert.Equal(t, tt.setting, cfgErr.Setting, "error: %v", err)
			assert.NotEmpty(t, cfgErr.Problem)
			assert.NotContains(t, err.Error(), secretValue)
		})
	}

	t.Run("no header but AllowUnauthenticated", func(t *testing.T) {
		cfg := testConfig()
		cfg.Headers = nil
		cfg.AllowUnauthenticated = true
		h, err := chargedesk.NewHandler(&fakeGateway{}, cfg)
		require.NoError(t, err)
		assert.NotNil(t, h)
	})
}

// TestConfigErrorHidesSecrets checks that what is wrong with a header is
// told without its value.
func TestConfigErrorHidesSecrets(t *testing.T) {
	const hidden = "s3cr3t-d0-not-print"
	values := []string{
		"Bearer " + hidden + " {nope}",
		"Bearer " + hidden + "\n",
		" Bearer " + hidden,
		"Bearer " + hidden + "\x00",
		hidden[:8],
	}
	for i, v := range values {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			cfg := testConfig()
			cfg.Headers = []chargedesk.Header{{Name: "Authorization", Values: []string{v}}}
			_, err := chargedesk.NewHandler(&fakeGateway{}, cfg)
			var cfgErr *chargedesk.ConfigError
			require.ErrorAs(t, err, &cfgErr)
			assert.NotContains(t, err.Error(), hidden[:8])
		})
	}
}

func TestHandlerLogging(t *testing.T) {
	// What the body holds and the log must not: contact details, metadata,
	// links.
	bodyOnly := []string{"jane@example.com", "Jane Customer", "Example charge metadata", "support_email",
		"chargedesk.com/manage", "methods_supported"}

	t.Run("default middleware", func(t *testing.T) {
		var buf chargedesk.LogBuffer
		l := zerolog.New(&buf)
		h := newHandler(t, &fakeGateway{}, func(c *chargedesk.Config) { c.Logger = &l })

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
		require.Equal(t, http.StatusOK, rec.Code)
		raw, lines := buf.Lines(t)
		require.Len(t, raw, 1, "one line per webhook: %v", raw)
		line := lines[0]
		assert.Equal(t, "refund", line["action"])
		assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", line["charge_id"])
		assert.Equal(t, "12.34", line["amount"])
		assert.EqualValues(t, 200, line["status"])
		assert.Equal(t, "/chargedesk/refund", line["path"])
		assert.NotEmpty(t, line["request_id"])
		assert.NotContains(t, raw[0], secretValue)
		for _, s := range bodyOnly {
			assert.NotContains(t, raw[0], s)
		}

		bad := webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
		bad.Header.Set("Authorization", "Bearer a-wrong-secret-0123456789")
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, bad)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		raw, lines = buf.Lines(t)
		require.Len(t, raw, 2, "one line per webhook: %v", raw)
		assert.EqualValues(t, 401, lines[1]["status"])
		assert.Equal(t, "refund", lines[1]["action"])
		assert.NotContains(t, raw[1], "a-wrong-secret")
		assert.NotContains(t, raw[1], secretValue)
	})

	t.Run("gateway error detail is logged, not answered", func(t *testing.T) {
		var buf chargedesk.LogBuffer
		l := zerolog.New(&buf)
		gw := &fakeGateway{Answer: func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) {
			return nil, errors.New("platform said: account frozen")
		}}
		h := newHandler(t, gw, func(c *chargedesk.Config) { c.Logger = &l })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.NotContains(t, rec.Body.String(), "account frozen")
		raw, lines := buf.Lines(t)
		require.Len(t, raw, 1, "one line per webhook: %v", raw)
		assert.Contains(t, raw[0], "account frozen")
		assert.EqualValues(t, 500, lines[0]["status"])
		assert.NotContains(t, raw[0], secretValue)
	})

	t.Run("payload without its objects", func(t *testing.T) {
		// The log line is annotated before validation; a missing object
		// must still be a 422, not a panic.
		for _, action := range chargedesk.Actions() {
			var buf chargedesk.LogBuffer
			l := zerolog.New(&buf)
			gw := &fakeGateway{}
			h := newHandler(t, gw, func(c *chargedesk.Config) { c.Logger = &l })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/"+string(action), []byte(`{"refund_amount": "1.00"}`)))
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "%s: %s", action, rec.Body)
			assert.Empty(t, gw.Calls())
			raw, _ := buf.Lines(t)
			assert.Len(t, raw, 1, "%s: %v", action, raw)
		}
	})

	t.Run("without middleware", func(t *testing.T) {
		var buf chargedesk.LogBuffer
		l := zerolog.New(&buf)
		h := newHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.Logger = &l
			c.Middleware = []func(http.Handler) http.Handler{}
		})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
		require.Equal(t, http.StatusOK, rec.Code)
		raw, lines := buf.Lines(t)
		require.Len(t, raw, 1, "one line per webhook: %v", raw)
		assert.Equal(t, "refund", lines[0]["action"])
		assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", lines[0]["charge_id"])
		assert.Equal(t, "12.34", lines[0]["amount"])
		assert.NotContains(t, raw[0], secretValue)
		for _, s := range bodyOnly {
			assert.NotContains(t, raw[0], s)
		}
	})
}
