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
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/middleware"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandlerServesEveryAction(t *testing.T) {
	at := func(unix int64) time.Time { return time.Unix(unix, 0) }
	amount := func(s string) chargedesk.Amount { return chargedesk.MustParseAmount(s) }
	checks := map[chargedesk.Action]func(t *testing.T, req any){
		chargedesk.ActionRefund: func(t *testing.T, req any) {
			r := req.(*chargedesk.RefundRequest)
			assert.Zero(t, r.RefundAmount.Cmp(amount("12.34")), "refund_amount %s", r.RefundAmount)
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
			assert.Zero(t, r.Subscription.SetupAmount.Cmp(amount("10")))
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

// Request logging -------------------------------------------------------

func TestLogLine(t *testing.T) {
	platformErr := errors.New("platform: card network timeout (req_7Hq2)")
	tests := []struct {
		name       string
		action     chargedesk.Action
		body       func(t *testing.T) []byte
		gatewayErr error
		status     int
		level      string
		want       map[string]any // fields the line must have
		absent     []string       // fields it must not have
	}{
		{
			name: "refund refused by the gateway", action: chargedesk.ActionRefund,
			body: func(t *testing.T) []byte {
				return refundBody(t, "ch_log", "5.00", "Customer received incorrect product")
			},
			gatewayErr: &chargedesk.AgentError{Message: "The card network refused the refund.", Err: platformErr},
			status:     http.StatusUnprocessableEntity, level: "warn",
			want: map[string]any{
				"action": "refund", "charge_id": "ch_log", "customer_id": "cus-example-RLf9f6T6Ok",
				"amount": "5.00", "currency": "USD",
				"outcome": "refused", "agent_error": "The card network refused the refund.", "error": platformErr.Error(),
			},
			absent: []string{"subscription_id"},
		},
		{
			name: "cancel failing in the gateway", action: chargedesk.ActionCancel,
			body:       func(t *testing.T) []byte { return cancelBody(t, "sub_log", "ch_log2", "Customer is moving abroad") },
			gatewayErr: platformErr,
			status:     http.StatusInternalServerError, level: "error",
			want: map[string]any{
				"action": "cancel", "subscription_id": "sub_log", "charge_id": "ch_log2", "customer_id": "cus-example-6vsE7EUPfk",
				"cancel_action": "cancel-immediately", "refund": "full",
				"outcome": "error", "agent_error": msgInternal, "error": platformErr.Error(),
			},
		},
		{
			name: "refund performed", action: chargedesk.ActionRefund,
			body:   func(t *testing.T) []byte { return refundBody(t, "ch_ok", "1.50", "Goodwill") },
			status: http.StatusOK, level: "info",
			want: map[string]any{
				"action": "refund", "charge_id": "ch_ok", "amount": "1.50", "outcome": "success",
			},
			absent: []string{"agent_error", "error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gwCalled := false
			gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				gwCalled = true
				zerolog.Ctx(ctx).Info().Msg("calling the platform")
				if tt.gatewayErr != nil {
					return nil, tt.gatewayErr
				}
				return chargedesk.RefundAnswer(req)
			},
				OnCancel: func(ctx context.Context, req *chargedesk.CancelRequest) (*chargedesk.Response, error) {
					gwCalled = true
					zerolog.Ctx(ctx).Info().Msg("calling the platform")
					return nil, tt.gatewayErr
				},
			}
			h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
				c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Api-Key", Values: []string{"second-header-secret-31337"}})
			})
			req := actionRequest(tt.action, tt.body(t))
			req.Header.Set("X-Api-Key", "second-header-secret-31337")
			req.Header.Set(middleware.RequestIDHeader, "req-ops-1")
			rec := serve(h, req)

			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.True(t, gwCalled)
			assert.Equal(t, "req-ops-1", rec.Header().Get(middleware.RequestIDHeader))

			inGateway := logs.Find(t, "calling the platform")
			require.Len(t, inGateway, 1, "zerolog.Ctx(ctx) in the gateway is the request's logger")
			assert.Equal(t, "req-ops-1", inGateway[0]["request_id"])
			assert.Equal(t, string(tt.action), inGateway[0]["action"])

			lines := logs.Find(t, "webhook")
			require.Len(t, lines, 1, "one line per webhook; log:\n%s", logs.String())
			line := lines[0]
			assert.Equal(t, "req-ops-1", line["request_id"])
			assert.Equal(t, tt.level, line["level"])
			assert.EqualValues(t, tt.status, line["status"])
			assert.Contains(t, line, "duration")
			for k, v := range tt.want {
				assert.Equal(t, v, line[k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, line, k)
			}

			out := logs.String()
			for _, secret := range []string{
				strings.TrimPrefix(secret, "Bearer "), "second-header-secret-31337",
				"jane@example.com", "Jane Customer", "janecustomer", `"refund_amount"`, "methods_supported",
			} {
				assert.NotContains(t, out, secret, "header values, secrets and bodies are never logged")
			}
		})
	}
}

func TestLogLineMakesRequestID(t *testing.T) {
	h, logs := newLoggedHandler(t, &fakeGateway{})
	rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_id", "1.00", "r")))
	require.Equal(t, http.StatusOK, rec.Code)

	id := rec.Header().Get(middleware.RequestIDHeader)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), id)
	lines := logs.Find(t, "webhook")
	require.Len(t, lines, 1)
	assert.Equal(t, id, lines[0]["request_id"])
}

func TestMiddlewarePanic(t *testing.T) {
	panicky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Panic") != "" {
				panic("middleware bug")
			}
			next.ServeHTTP(w, r)
		})
	}
	var cfg chargedesk.Config
	h, logs := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
		c.Middleware = append(c.DefaultMiddleware(), panicky)
		cfg = *c
	})
	require.Len(t, cfg.Middleware, 2)

	req := actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r"))
	req.Header.Set("X-Panic", "1")
	rec := serve(h, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, errorOf(t, rec.Body.Bytes()), "outcome is unknown")
	recovered := logs.Find(t, "webhook")
	require.Len(t, recovered, 1, "the panic is on the webhook's one line")
	assert.Equal(t, "middleware bug", recovered[0]["panic"])
	assert.Equal(t, "error", recovered[0]["outcome"])
	assert.Equal(t, "refund", recovered[0]["action"], "the route's action is known before the middleware runs")
	assert.Contains(t, recovered[0]["stack"], "pipeline_test.go")

	rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r")))
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestAbortHandlerPassesThrough(t *testing.T) {
	var events []chargedesk.Event
	gw := &fakeGateway{OnRefund: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		panic(http.ErrAbortHandler)
	}}
	h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
		c.Observe = func(e chargedesk.Event) { events = append(events, e) }
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_abort", "1.00", "r")))
	})
	require.Len(t, events, 1)
	assert.Equal(t, chargedesk.ActionRefund, events[0].Action)
	assert.Equal(t, chargedesk.OutcomeError, events[0].Outcome)
	assert.Equal(t, http.StatusInternalServerError, events[0].Status)
}

// Body limit ------------------------------------------------------------

func TestBodyLimit(t *testing.T) {
	// An invalid body: a 413, not a 400, shows it was refused before decoding.
	garbage := func(n int) []byte { return append([]byte("{"), bytes.Repeat([]byte("x"), n-1)...) }
	valid := refundBody(t, "ch_big", "1.00", "r")
	tests := []struct {
		name       string
		maxBody    int64
		middleware []func(http.Handler) http.Handler // nil: the default stack
		body       []byte
		chunked    bool
		status     int
		limit      string // in the message
	}{
		{name: "default over", body: garbage(1<<20 + 1), status: 413, limit: "1048576"},
		{name: "default over chunked", body: garbage(1<<20 + 1), chunked: true, status: 413, limit: "1048576"},
		{name: "configured over", maxBody: 4096, body: garbage(4097), status: 413, limit: "4096"},
		{name: "configured over chunked", maxBody: 4096, body: garbage(4097), chunked: true, status: 413, limit: "4096"},
		{name: "configured over without middleware", maxBody: 4096, middleware: []func(http.Handler) http.Handler{},
			body: garbage(4097), status: 413, limit: "4096"},
		{name: "configured over without middleware chunked", maxBody: 4096, middleware: []func(http.Handler) http.Handler{},
			body: garbage(4097), chunked: true, status: 413, limit: "4096"},
		{name: "configured under", maxBody: int64(len(valid)), body: valid, status: 200},
		{name: "configured one byte short", maxBody: int64(len(valid)) - 1, body: valid, status: 413, limit: fmt.Sprint(len(valid) - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := &fakeGateway{}
			h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
				c.MaxBodyBytes = tt.maxBody
				c.Middleware = tt.middleware
			})
			req := actionRequest(chargedesk.ActionRefund, tt.body)
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(tt.body))
			}
			rec := serve(h, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == 413 {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.Equal(t, "The webhook body is larger than the "+tt.limit+" bytes this integration accepts.",
					errorOf(t, rec.Body.Bytes()))
				assert.Zero(t, len(gw.Calls()), "the gateway is not called")
			} else {
				assert.Len(t, gw.Calls(), 1)
			}
		})
	}
}

// The middleware stack --------------------------------------------------------

func TestMiddlewareStack(t *testing.T) {
	tag := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Tag", "outer")
			next.ServeHTTP(w, r)
		})
	}
	tests := []struct {
		name       string
		middleware func(c *chargedesk.Config) []func(http.Handler) http.Handler
		requestID  bool // the RequestID middleware ran
		tagged     bool
		logLine    string // the message of the request line
	}{
		{name: "nil is the default stack", middleware: func(*chargedesk.Config) []func(http.Handler) http.Handler { return nil },
			requestID: true, logLine: "webhook"},
		{name: "extended", middleware: func(c *chargedesk.Config) []func(http.Handler) http.Handler {
			return append([]func(http.Handler) http.Handler{tag}, c.DefaultMiddleware()...)
		}, requestID: true, tagged: true, logLine: "webhook"},
		{name: "replaced", middleware: func(*chargedesk.Config) []func(http.Handler) http.Handler {
			return []func(http.Handler) http.Handler{tag}
		}, tagged: true, logLine: "webhook"},
		{name: "none", middleware: func(*chargedesk.Config) []func(http.Handler) http.Handler {
			return []func(http.Handler) http.Handler{}
		}, logLine: "webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) { c.Middleware = tt.middleware(c) })
			rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r")))
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tt.requestID, rec.Header().Get(middleware.RequestIDHeader) != "")
			assert.Equal(t, tt.tagged, rec.Header().Get("X-Tag") == "outer")
			lines := logs.Find(t, tt.logLine)
			require.Len(t, lines, 1, "one line per webhook, whatever the stack")
			assert.Equal(t, "refund", lines[0]["action"])
			assert.Equal(t, "ch_mw", lines[0]["charge_id"])
			assert.Equal(t, "success", lines[0]["outcome"])
		})
	}

	var cfg chargedesk.Config
	assert.Len(t, cfg.DefaultMiddleware(), 1, "RequestID")
}

const (
	markerEmail = "jane.marker@example.com"
	markerCard  = "4111111111111111"
)

// Bad input carrying a customer's email and card number in every field of
// every object, in every wrong shape: neither ever appears in an answer or
// a log line. Messages name the field and what it must be.
func TestNoCustomerDataInAnswersOrLogs(t *testing.T) {
	bad := []any{
		map[string]any{"e": markerEmail, "card": markerCard},
		[]any{markerEmail, markerCard},
		markerEmail + " " + markerCard + "\u200b",
	}
	var bodies [][]byte
	for _, action := range []chargedesk.Action{chargedesk.ActionRefund, chargedesk.ActionCancel, chargedesk.ActionEditPlans} {
		var payload map[string]any
		require.NoError(t, json.Unmarshal(readRequest(t, action), &payload))
		var paths [][]string
		for k, v := range payload {
			paths = append(paths, []string{k})
			if obj, ok := v.(map[string]any); ok {
				for field := range obj {
					paths = append(paths, []string{k, field})
				}
			}
		}
		paths = append(paths, []string{"plans", "0", "product_id"}, []string{"plans", "0", "quantity"})
		sort.Slice(paths, func(i, j int) bool { return strings.Join(paths[i], ".") < strings.Join(paths[j], ".") })
		for _, path := range paths {
			if path[0] == "plans" && action != chargedesk.ActionEditPlans {
				continue
			}
			for _, v := range bad {
				bodies = append(bodies, setPath(t, readRequest(t, action), path, v))
			}
		}
		// The marker as a key, twice: a duplicate key in metadata.
		bodies = append(bodies, []byte(strings.Replace(string(readRequest(t, action)), `"metadata": {`,
			`"metadata": {"`+markerEmail+`": 1, "`+markerEmail+`": 2,`, 1)))
	}
	forms := []string{
		"refund_amount=" + markerCard + "x&charge[charge_id]=ch_1&charge[currency]=USD",
		"charge[" + markerEmail + "=1",
		"charge[customer_email]=" + url.QueryEscape(markerEmail) + "&charge[customer_email]=2",
		"charge[" + markerEmail + "][]=1&charge[" + markerEmail + "][0]=2",
	}

	logs := &chargedesk.LogBuffer{}
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		l := zerolog.New(logs)
		cfg.Logger = &l
		cfg.Middleware = cfg.DefaultMiddleware() // the default stack logs with it
	})
	refused := 0
	check := func(name string, rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code >= 400 {
			refused++
		}
		for _, m := range []string{markerEmail, markerCard, "jane.marker"} {
			assert.NotContains(t, rec.Body.String(), m, name)
		}
	}
	for i, body := range bodies {
		rec := httptest.NewRecorder()
		action := "refund"
		switch {
		case strings.Contains(string(body), `"subscription"`) && strings.Contains(string(body), `"plans"`):
			action = "edit-plans"
		case strings.Contains(string(body), `"subscription"`):
			action = "cancel"
		}
		h.ServeHTTP(rec, webhook("/chargedesk/"+action, body))
		check(string(rune(i)), rec)
	}
	for _, form := range forms {
		r := webhook("/chargedesk/refund", []byte(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		check(form, rec)
	}
	raw, _ := logs.Lines(t)
	require.NotEmpty(t, raw)
	for _, line := range raw {
		for _, m := range []string{markerEmail, markerCard, "jane.marker"} {
			assert.NotContains(t, line, m)
		}
	}
	assert.Greater(t, refused, len(bodies)/2, "most of the catalog is refused")
}

// answerFirstLog is a log sink that, as the webhook's line arrives, notes
// whether the answer had already been sent in full.
type answerFirstLog struct {
	rec        *httptest.ResponseRecorder
	sentBefore []bool
}

func (l *answerFirstLog) Write(p []byte) (int, error) {
	l.sentBefore = append(l.sentBefore, l.rec.Flushed && l.rec.Body.Len() > 0)
	return len(p), nil
}

// Every answer, whatever decided it, carries the same headers and its exact
// length, and is sent before the webhook's log line is written, so that a
// slow log sink never holds ChargeDesk's answer back.
func TestAnswersAreSentWholeBeforeTheLogLine(t *testing.T) {
	gw := &fakeGateway{OnRefund: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		panic("the platform client blew up")
	}}
	cases := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
	}{
		{"success", func() *http.Request { return webhook("/chargedesk/capture", readRequest(t, chargedesk.ActionCapture)) }, http.StatusOK},
		{"wrong secret", func() *http.Request {
			r := webhook("/chargedesk/capture", readRequest(t, chargedesk.ActionCapture))
			r.Header.Set("Authorization", "Bearer wrong-secret-0123456789")
			return r
		}, http.StatusUnauthorized},
		{"no such action", func() *http.Request { return webhook("/chargedesk/nothing", []byte("{}")) }, http.StatusNotFound},
		{"invalid", func() *http.Request { return webhook("/chargedesk/capture", []byte(`{"charge":null}`)) }, http.StatusUnprocessableEntity},
		{"gateway panic", func() *http.Request { return webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)) }, http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			sink := &answerFirstLog{rec: rec}
			h := newHandler(t, gw, func(c *chargedesk.Config) {
				l := zerolog.New(sink)
				c.Logger = &l
			})
			h.ServeHTTP(rec, tc.req())

			require.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			hdr := rec.Result().Header
			assert.Equal(t, "application/json", hdr.Get("Content-Type"))
			assert.Equal(t, "no-store", hdr.Get("Cache-Control"))
			assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
			assert.Equal(t, fmt.Sprint(rec.Body.Len()), hdr.Get("Content-Length"))
			assert.True(t, json.Valid(rec.Body.Bytes()), rec.Body.String())
			assert.Equal(t, []bool{true}, sink.sentBefore, "one log line, written once the answer was sent")
		})
	}
}
