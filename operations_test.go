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
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/middleware"
)

// The operations tests: the request log line, panic recovery, the body
// limit, the deadline and late outcomes, per-object serialization, the
// duplicate guard and the Observe hook, each through the whole handler.

const (
	msgLate   = "gateway finished after the agent was told the outcome is unknown; reconcile this action"
	opsSecret = "Bearer ops-secret-5f2c9a7e41d8b63a"
	// opsWait bounds every wait for something that must happen, so a bug
	// fails the test instead of hanging it; no test waits for it to pass.
	opsWait = chargedesk.LogWait

	msgTooMuch  = "Refund amount was greater than amount remaining on charge."
	msgTimeout  = "The payment platform did not answer in time, so the outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgInternal = "The payment platform integration failed while processing this action; its outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgBusy     = "Another action on this charge or subscription is still being processed; try again in a moment."
	msgDown     = "The integration could not reach its lock or duplicate store, so nothing was done; try again in a moment."
)

// newOpsHandler returns a handler for gw at /chargedesk, logging JSON lines
// into the returned opsLog, with configure applied to its Config.
func newOpsHandler(t *testing.T, gw chargedesk.Gateway, configure ...func(*chargedesk.Config)) (*chargedesk.Handler, *chargedesk.LogBuffer) {
	t.Helper()
	logs := &chargedesk.LogBuffer{}
	logger := zerolog.New(logs)
	cfg := chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{opsSecret}}},
		Logger:   &logger,
	}
	for _, f := range configure {
		f(&cfg)
	}
	h, err := chargedesk.NewHandler(gw, cfg)
	require.NoError(t, err)
	return h, logs
}

// opsPayload returns ChargeDesk's example payload for action with edit
// applied to it; numbers keep their exact text.
func opsPayload(t *testing.T, action chargedesk.Action, edit func(m map[string]any)) []byte {
	t.Helper()
	raw, err := chargedesktest.Payload(action)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	if edit != nil {
		edit(m)
	}
	body, err := json.Marshal(m)
	require.NoError(t, err)
	return body
}

// refundBody is a refund of amount with reason from charge id, a charge of
// 20.00 USD of which nothing is refunded yet (as ChargeDesk last saw it).
func refundBody(t *testing.T, id, amount, reason string) []byte {
	return opsPayload(t, chargedesk.ActionRefund, func(m map[string]any) {
		m["refund_amount"] = json.Number(amount)
		m["action_reason"] = reason
		c := m["charge"].(map[string]any)
		c["charge_id"] = id
		c["amount"] = "20.00"
		c["amount_refunded"] = "0.00"
	})
}

// cancelBody is an immediate cancel of subscription sub with a full refund
// of charge id.
func cancelBody(t *testing.T, sub, id, reason string) []byte {
	return opsPayload(t, chargedesk.ActionCancel, func(m map[string]any) {
		m["refund"] = "full"
		m["action_reason"] = reason
		m["subscription"].(map[string]any)["subscription_id"] = sub
		c := m["charge"].(map[string]any)
		c["charge_id"] = id
		c["amount"] = "20.00"
		c["amount_refunded"] = "0.00"
	})
}

// opsRequest is an authenticated webhook for action.
func opsRequest(action chargedesk.Action, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/chargedesk/"+string(action), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", opsSecret)
	return req
}

func serveOps(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorOf returns the agent's message of an error answer.
func errorOf(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error *string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	require.NotNil(t, e.Error, "not an error answer: %s", body)
	return *e.Error
}

// postOps sends an authenticated webhook to a loopback server.
func postOps(t *testing.T, srv *httptest.Server, action chargedesk.Action, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/chargedesk/"+string(action), bytes.NewReader(body))
	if !assert.NoError(t, err) {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", opsSecret)
	resp, err := srv.Client().Do(req)
	if !assert.NoError(t, err) {
		return 0, nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	assert.NoError(t, err)
	return resp.StatusCode, out
}

// --- Request logging -------------------------------------------------------

func TestOperationsLogLine(t *testing.T) {
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
			h, logs := newOpsHandler(t, gw, func(c *chargedesk.Config) {
				c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Api-Key", Values: []string{"second-header-secret-31337"}})
			})
			req := opsRequest(tt.action, tt.body(t))
			req.Header.Set("X-Api-Key", "second-header-secret-31337")
			req.Header.Set(middleware.RequestIDHeader, "req-ops-1")
			rec := serveOps(h, req)

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
				strings.TrimPrefix(opsSecret, "Bearer "), "second-header-secret-31337",
				"jane@example.com", "Jane Customer", "janecustomer", `"refund_amount"`, "methods_supported",
			} {
				assert.NotContains(t, out, secret, "header values, secrets and bodies are never logged")
			}
		})
	}
}

func TestOperationsLogLineMakesRequestID(t *testing.T) {
	h, logs := newOpsHandler(t, &fakeGateway{})
	rec := serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_id", "1.00", "r")))
	require.Equal(t, http.StatusOK, rec.Code)

	id := rec.Header().Get(middleware.RequestIDHeader)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), id)
	lines := logs.Find(t, "webhook")
	require.Len(t, lines, 1)
	assert.Equal(t, id, lines[0]["request_id"])
}

// --- Panic recovery --------------------------------------------------------

func TestOperationsGatewayPanic(t *testing.T) {
	var n atomic.Int32
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		if n.Add(1) == 1 {
			var m map[string]int
			m["boom"] = 1 // a nil map: a runtime panic
		}
		return chargedesk.RefundAnswer(req)
	}}
	h, logs := newOpsHandler(t, gw)
	srv := httptest.NewServer(h)
	defer srv.Close()

	status, body := postOps(t, srv, chargedesk.ActionRefund, refundBody(t, "ch_panic", "1.00", "first"))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, msgInternal, errorOf(t, body))

	lines := logs.Find(t, "webhook")
	require.Len(t, lines, 1, "the panic is on the webhook's one line")
	panicLine := lines[0]
	assert.Equal(t, "error", panicLine["level"])
	assert.Equal(t, "error", panicLine["outcome"])
	assert.Contains(t, panicLine["panic"], "assignment to entry in nil map")
	assert.Contains(t, panicLine["stack"], "operations_test.go", "the stack points at the gateway code")
	assert.Equal(t, "ch_panic", panicLine["charge_id"])
	assert.Contains(t, panicLine, "request_id")

	status, body = postOps(t, srv, chargedesk.ActionRefund, refundBody(t, "ch_panic", "1.00", "second"))
	assert.Equal(t, http.StatusOK, status, "the server keeps serving: %s", body)
	assert.EqualValues(t, 2, n.Load())
}

func TestOperationsMiddlewarePanic(t *testing.T) {
	panicky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Panic") != "" {
				panic("middleware bug")
			}
			next.ServeHTTP(w, r)
		})
	}
	var cfg chargedesk.Config
	h, logs := newOpsHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
		c.Middleware = append(c.DefaultMiddleware(), panicky)
		cfg = *c
	})
	require.Len(t, cfg.Middleware, 2)

	req := opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r"))
	req.Header.Set("X-Panic", "1")
	rec := serveOps(h, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, errorOf(t, rec.Body.Bytes()), "outcome is unknown")
	recovered := logs.Find(t, "webhook")
	require.Len(t, recovered, 1, "the panic is on the webhook's one line")
	assert.Equal(t, "middleware bug", recovered[0]["panic"])
	assert.Equal(t, "error", recovered[0]["outcome"])
	assert.Equal(t, "refund", recovered[0]["action"], "the route's action is known before the middleware runs")
	assert.Contains(t, recovered[0]["stack"], "operations_test.go")

	rec = serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r")))
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestOperationsAbortHandlerPassesThrough(t *testing.T) {
	var events []chargedesk.Event
	gw := &fakeGateway{OnRefund: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		panic(http.ErrAbortHandler)
	}}
	h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) {
		c.Observe = func(e chargedesk.Event) { events = append(events, e) }
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_abort", "1.00", "r")))
	})
	require.Len(t, events, 1)
	assert.Equal(t, chargedesk.ActionRefund, events[0].Action)
	assert.Equal(t, chargedesk.OutcomeError, events[0].Outcome)
	assert.Equal(t, http.StatusInternalServerError, events[0].Status)
}

// --- Body limit ------------------------------------------------------------

func TestOperationsBodyLimit(t *testing.T) {
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
			h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) {
				c.MaxBodyBytes = tt.maxBody
				c.Middleware = tt.middleware
			})
			req := opsRequest(chargedesk.ActionRefund, tt.body)
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(tt.body))
			}
			rec := serveOps(h, req)
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

// --- Deadline ---------------------------------------------------------------

func TestOperationsDeadline(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		want     time.Duration // 0: no deadline
		tolerate time.Duration
	}{
		{name: "default", timeout: 0, want: 25 * time.Second, tolerate: 2 * time.Second},
		{name: "configured", timeout: 7 * time.Second, want: 7 * time.Second, tolerate: 2 * time.Second},
		{name: "negative means none", timeout: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				deadline time.Time
				has      bool
				called   time.Time
				ctxErr   error
			)
			gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				called = time.Now()
				deadline, has = ctx.Deadline()
				ctxErr = ctx.Err()
				return chargedesk.RefundAnswer(req)
			}}
			h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = tt.timeout })

			// ChargeDesk hung up already: the gateway's context must not end.
			gone, cancel := context.WithCancel(context.Background())
			cancel()
			req := opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_dl", "1.00", "r")).WithContext(gone)
			rec := serveOps(h, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.NoError(t, ctxErr, "a disconnect does not cancel the gateway")
			if tt.want == 0 {
				assert.False(t, has, "no deadline")
				return
			}
			require.True(t, has, "the gateway's context has a deadline")
			left := deadline.Sub(called)
			assert.LessOrEqual(t, left, tt.want)
			assert.Greater(t, left, tt.want-tt.tolerate)
		})
	}
}

func TestOperationsLateOutcome(t *testing.T) {
	tests := []struct {
		name    string
		err     error // what the gateway returns once released
		outcome string
		check   func(t *testing.T, line map[string]any)
	}{
		{name: "late success", outcome: "success", check: func(t *testing.T, line map[string]any) {
			answer, ok := line["late_answer"].(map[string]any)
			require.True(t, ok, "the answer is logged: %v", line)
			assert.Equal(t, map[string]any{"status": "partially refunded", "amount_refunded": 3.0}, answer["charge"])
		}},
		{name: "late refusal", outcome: "refused",
			err: &chargedesk.AgentError{Message: msgTooMuch, Err: errors.New("platform: balance_insufficient")},
			check: func(t *testing.T, line map[string]any) {
				assert.Equal(t, msgTooMuch, line["late_agent_error"])
				assert.Contains(t, line["late_error"], "balance_insufficient")
			}},
		{name: "late failure", outcome: "error", err: errors.New("platform: connection reset"),
			check: func(t *testing.T, line map[string]any) {
				assert.Equal(t, "platform: connection reset", line["late_error"])
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				started := make(chan struct{}, 1)
				gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
					started <- struct{}{}
					<-release // past the deadline: a platform that answers late
					if tt.err != nil {
						return nil, tt.err
					}
					return chargedesk.RefundAnswer(req)
				}}
				var events []chargedesk.Event
				var mu sync.Mutex
				h, logs := newOpsHandler(t, gw, func(c *chargedesk.Config) {
					c.Timeout = 5 * time.Second
					c.Observe = func(e chargedesk.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
				})
				released := false
				defer func() {
					if !released {
						close(release)
					}
				}()

				req := opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "3.00", "late"))
				req.Header.Set(middleware.RequestIDHeader, "req-late")
				rec := serveOps(h, req)
				require.Equal(t, http.StatusGatewayTimeout, rec.Code)
				assert.Equal(t, msgTimeout, errorOf(t, rec.Body.Bytes()))
				<-started
				line := logs.Find(t, "webhook")
				require.Len(t, line, 1)
				assert.Equal(t, "timeout", line[0]["outcome"])
				assert.Contains(t, line[0]["error"], "deadline exceeded")

				// The charge stays locked while the late call runs: another
				// action on it waits, and gives up at its own deadline.
				rec = serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "1.00", "meanwhile")))
				assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
				assert.Equal(t, msgBusy, errorOf(t, rec.Body.Bytes()))
				busy := logs.Find(t, "webhook")
				require.Len(t, busy, 2)
				assert.Contains(t, busy[1]["error"], "deadline passed while it waited for another action on the same object")
				assert.Empty(t, logs.Find(t, msgLate))

				close(release)
				released = true
				late := logs.WaitFor(t, msgLate, nil)
				assert.Equal(t, "error", late["level"])
				assert.Equal(t, true, late["late"])
				assert.Equal(t, tt.outcome, late["late_outcome"])
				assert.Equal(t, "req-late", late["request_id"])
				assert.Equal(t, "refund", late["action"])
				assert.Equal(t, "ch_late", late["charge_id"])
				assert.Equal(t, "3.00", late["amount"])
				tt.check(t, late)

				// A late success is remembered by the duplicate guard: the
				// agent's retry of the same refund is not performed twice.
				rec = serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "3.00", "late")))
				if tt.err == nil {
					assert.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
					assert.Len(t, gw.Calls(), 1)
				} else {
					assert.NotEqual(t, http.StatusConflict, rec.Code, "a failed action may be retried")
					assert.Len(t, gw.Calls(), 2)
				}

				mu.Lock()
				defer mu.Unlock()
				require.GreaterOrEqual(t, len(events), 2)
				assert.Equal(t, chargedesk.Event{Action: chargedesk.ActionRefund, Outcome: chargedesk.OutcomeTimeout,
					Status: http.StatusGatewayTimeout, Duration: events[0].Duration}, events[0])
				assert.Equal(t, chargedesk.OutcomeBusy, events[1].Outcome)
			})
		})
	}
}

// TestOperationsOutcomeAtTheDeadline has the gateway finish just as the
// deadline passes, many times: whichever way each race goes, the outcome
// is never lost. The agent gets it, or, after a 504, the log does.
func TestOperationsOutcomeAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			<-ctx.Done()
			return chargedesk.RefundAnswer(req)
		}}
		h, logs := newOpsHandler(t, gw, func(c *chargedesk.Config) {
			c.Timeout = time.Second
			c.DuplicateWindow = -1
		})
		timeouts, performed := 0, 0
		for i := range 80 {
			id := fmt.Sprint("req-race-", i)
			req := opsRequest(chargedesk.ActionRefund, refundBody(t, fmt.Sprint("ch_race_", i), "1.00", "r"))
			req.Header.Set(middleware.RequestIDHeader, id)
			rec := serveOps(h, req)
			switch rec.Code {
			case http.StatusOK:
				performed++
			case http.StatusServiceUnavailable:
				// The deadline passed before the lock was taken: the gateway
				// was not called, and the agent is told nothing was done.
				assert.Equal(t, msgBusy, errorOf(t, rec.Body.Bytes()))
			case http.StatusGatewayTimeout:
				timeouts++
				logs.WaitFor(t, msgLate, func(line map[string]any) bool { return line["request_id"] == id })
			default:
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
		assert.Len(t, logs.Find(t, msgLate), timeouts, "a late line for every 504, and only for those")
		assert.Len(t, gw.Calls(), performed+timeouts)
	})
}

// --- Per-object serialization -----------------------------------------------

// ledger keeps its own ledger of refunds, as a payment platform does,
// and checks a refund against it. Its read-check-write is not atomic: the
// platform call between reading and writing the ledger lets two refunds on
// one charge both pass the check unless the handler serializes them.
type ledger struct {
	mu        sync.Mutex
	amount    map[string]chargedesk.Amount
	refunded  map[string]chargedesk.Amount
	performed []chargedesk.Amount
}

func (g *ledger) refund(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	id := req.Charge.ChargeID
	g.mu.Lock()
	amount, refunded := g.amount[id], g.refunded[id]
	g.mu.Unlock()

	time.Sleep(time.Millisecond) // the platform's latency

	remaining, err := amount.Sub(refunded)
	if err != nil {
		return nil, err
	}
	if req.RefundAmount.Cmp(remaining.Decimal) > 0 {
		return nil, &chargedesk.AgentError{Message: msgTooMuch}
	}
	total, err := refunded.Add(req.RefundAmount)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.refunded[id] = total
	g.performed = append(g.performed, req.RefundAmount)
	g.mu.Unlock()
	return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(amount, total)}, nil
}

func TestOperationsConcurrentRefundsOnOneCharge(t *testing.T) {
	gw := &ledger{
		amount:   map[string]chargedesk.Amount{"ch_ledger": chargedesk.MustParseAmount("20.00")},
		refunded: map[string]chargedesk.Amount{},
	}
	h, _ := newOpsHandler(t, &fakeGateway{OnRefund: gw.refund})
	srv := httptest.NewServer(h)
	defer srv.Close()

	const n = 40
	statuses := make([]int, n)
	messages := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each with its own reason, so none is a duplicate of another.
			status, body := postOps(t, srv, chargedesk.ActionRefund,
				refundBody(t, "ch_ledger", "1.00", fmt.Sprintf("Refund %d of 40", i+1)))
			statuses[i] = status
			if status != http.StatusOK {
				messages[i] = errorOf(t, body)
			}
		})
	}
	wg.Wait()

	count := map[int]int{}
	for i, s := range statuses {
		count[s]++
		if s == http.StatusUnprocessableEntity {
			assert.Equal(t, msgTooMuch, messages[i])
		}
	}
	assert.Equal(t, map[int]int{http.StatusOK: 20, http.StatusUnprocessableEntity: 20}, count)

	gw.mu.Lock()
	defer gw.mu.Unlock()
	sum := chargedesk.MustParseAmount("0.00")
	for _, a := range gw.performed {
		next, err := sum.Add(a)
		require.NoError(t, err)
		sum = next
	}
	assert.Equal(t, "20.00", sum.String(), "exactly the charge is refunded, never more")
	assert.Equal(t, "20.00", gw.refunded["ch_ledger"].String())
}

func TestOperationsDifferentChargesRunInParallel(t *testing.T) {
	arrived := make(chan string, 2)
	release := make(chan struct{})
	defer close(release)
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		arrived <- req.Charge.ChargeID
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return chargedesk.RefundAnswer(req)
	}}
	h, _ := newOpsHandler(t, gw)

	results := make(chan int, 2)
	for _, id := range []string{"ch_a", "ch_b"} {
		go func() {
			results <- serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, id, "1.00", "r"))).Code
		}()
	}
	// Both calls are in the gateway at once: neither waits for the other.
	got := map[string]bool{}
	timeout := time.After(opsWait)
	for len(got) < 2 {
		select {
		case id := <-arrived:
			got[id] = true
		case <-timeout:
			t.Fatalf("only %v reached the gateway: actions on different charges were serialized", got)
		}
	}
	release <- struct{}{}
	release <- struct{}{}
	assert.Equal(t, http.StatusOK, <-results)
	assert.Equal(t, http.StatusOK, <-results)
}

func TestOperationsCancelAndRefundOnOneCharge(t *testing.T) {
	var mu sync.Mutex
	inFlight := map[string]int{}
	overlaps := 0
	// enter marks an object busy in the gateway and counts an overlap.
	enter := func(ids ...string) func() {
		mu.Lock()
		for _, id := range ids {
			inFlight[id]++
			if inFlight[id] > 1 {
				overlaps++
			}
		}
		mu.Unlock()
		time.Sleep(200 * time.Microsecond)
		return func() {
			mu.Lock()
			for _, id := range ids {
				inFlight[id]--
			}
			mu.Unlock()
		}
	}
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		defer enter(req.Charge.ChargeID)()
		return chargedesk.RefundAnswer(req)
	},
		OnCancel: func(ctx context.Context, req *chargedesk.CancelRequest) (*chargedesk.Response, error) {
			defer enter(req.Charge.ChargeID, req.Subscription.SubscriptionID)()
			return chargedesk.SubscriptionStatusAnswer(chargedesk.SubscriptionStatusCanceled), nil
		},
	}
	// A deadlock shows as a 503 at this deadline instead of a hung test.
	h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = opsWait })

	const pairs = 30
	var wg sync.WaitGroup
	codes := make([]int, 2*pairs)
	for i := range pairs {
		cancel := func() {
			codes[2*i] = serveOps(h, opsRequest(chargedesk.ActionCancel, cancelBody(t, "sub_x", "ch_x", fmt.Sprint("cancel ", i)))).Code
		}
		refund := func() {
			codes[2*i+1] = serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_x", "0.01", fmt.Sprint("refund ", i)))).Code
		}
		if i%2 == 0 {
			wg.Go(cancel)
			wg.Go(refund)
		} else {
			wg.Go(refund)
			wg.Go(cancel)
		}
	}
	wg.Wait()
	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "webhook %d", i)
	}
	assert.Zero(t, overlaps, "two actions on one object ran at once")
	assert.Len(t, gw.Calls(), 2*pairs)
}

// opsLocker wraps a Locker to record the keys taken, or fails.
type opsLocker struct {
	chargedesk.Locker
	mu   sync.Mutex
	keys []string
	err  error
}

func (l *opsLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	l.keys = append(l.keys, key)
	l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	return l.Locker.Lock(ctx, key)
}

func TestOperationsCustomLocker(t *testing.T) {
	t.Run("used with the objects' keys", func(t *testing.T) {
		locker := &opsLocker{Locker: chargedesk.NewMemoryLocker()}
		h, _ := newOpsHandler(t, &fakeGateway{}, func(c *chargedesk.Config) { c.Locker = locker })
		rec := serveOps(h, opsRequest(chargedesk.ActionCancel, cancelBody(t, "sub_k", "ch_k", "r")))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, []string{"charge:ch_k", "subscription:sub_k"}, locker.keys)
	})
	t.Run("unavailable", func(t *testing.T) {
		locker := &opsLocker{err: errors.New("redis: connection refused")}
		gw := &fakeGateway{}
		h, logs := newOpsHandler(t, gw, func(c *chargedesk.Config) { c.Locker = locker })
		rec := serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_k", "1.00", "r")))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, msgDown, errorOf(t, rec.Body.Bytes()))
		assert.Zero(t, len(gw.Calls()))
		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		assert.Equal(t, "locker: redis: connection refused", lines[0]["error"])
	})
}

// --- Duplicate guard ----------------------------------------------------------

func TestOperationsDuplicateGuard(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	type step struct {
		advance time.Duration
		body    []byte
		status  int
		message string
	}
	first := refundBody(t, "ch_dup", "5.00", "Damaged in transit")
	const dupMessage = "An identical action was just processed for this charge. If it is really meant to happen twice, repeat it after 1m0s."
	tests := []struct {
		name   string
		window time.Duration
		fail   int // the gateway fails its first fail calls
		steps  []step
		calls  int
	}{
		{name: "identical twice", steps: []step{
			{body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 1},
		{name: "amount written differently", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5", "Damaged in transit"), status: 409, message: dupMessage},
		}, calls: 1},
		{name: "another reason", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5.00", "Second item damaged"), status: 200},
		}, calls: 2},
		{name: "another amount", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5.01", "Damaged in transit"), status: 200},
		}, calls: 2},
		{name: "another charge", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_other", "5.00", "Damaged in transit"), status: 200},
		}, calls: 2},
		{name: "within the window", steps: []step{
			{body: first, status: 200},
			{advance: 59 * time.Second, body: first, status: 409, message: dupMessage},
		}, calls: 1},
		{name: "after the window", steps: []step{
			{body: first, status: 200},
			{advance: 60 * time.Second, body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 2},
		{name: "configured window", window: 10 * time.Minute, steps: []step{
			{body: first, status: 200},
			{advance: 9 * time.Minute, body: first, status: 409,
				message: "An identical action was just processed for this charge. If it is really meant to happen twice, repeat it after 10m0s."},
			{advance: time.Minute, body: first, status: 200},
		}, calls: 2},
		{name: "off", window: -1, steps: []step{
			{body: first, status: 200},
			{body: first, status: 200},
		}, calls: 2},
		{name: "a failed action is not remembered", fail: 1, steps: []step{
			{body: first, status: 500, message: msgInternal},
			{body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 2},
		{name: "cancel", steps: []step{
			{body: cancelBody(t, "sub_dup", "ch_dup", "r"), status: 200},
			{body: cancelBody(t, "sub_dup", "ch_dup", "r"), status: 409,
				message: "An identical action was just processed for this subscription. If it is really meant to happen twice, repeat it after 1m0s."},
		}, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			store := chargedesk.NewMemoryDuplicateStore()
			store.SetClockForTest(func() time.Time { return now })
			gw := &fakeGateway{}
			gw.OnRefund = func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				if len(gw.Calls()) <= tt.fail {
					return nil, errors.New("platform: 502 bad gateway")
				}
				return chargedesk.RefundAnswer(req)
			}
			var events []chargedesk.Event
			h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) {
				c.DuplicateWindow = tt.window
				c.DuplicateStore = store
				c.Observe = func(e chargedesk.Event) { events = append(events, e) }
			})
			for i, st := range tt.steps {
				now = now.Add(st.advance)
				action := chargedesk.ActionRefund
				if bytes.Contains(st.body, []byte(`"subscription"`)) {
					action = chargedesk.ActionCancel
				}
				rec := serveOps(h, opsRequest(action, st.body))
				require.Equal(t, st.status, rec.Code, "step %d: %s", i, rec.Body.String())
				if st.message != "" {
					assert.Equal(t, st.message, errorOf(t, rec.Body.Bytes()), "step %d", i)
				}
				if st.status == http.StatusConflict {
					assert.Equal(t, chargedesk.OutcomeDuplicate, events[i].Outcome)
				}
			}
			assert.Equal(t, tt.calls, len(gw.Calls()), "gateway calls")
		})
	}
}

// opsStore is a DuplicateStore that records its calls and can fail.
type opsStore struct {
	mu         sync.Mutex
	seen       bool
	seenErr    error
	seenKeys   []string
	remembered []string
	ttls       []time.Duration
}

func (s *opsStore) Seen(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seenKeys = append(s.seenKeys, key)
	return s.seen, s.seenErr
}

func (s *opsStore) Remember(_ context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remembered = append(s.remembered, key)
	s.ttls = append(s.ttls, ttl)
	return nil
}

func TestOperationsCustomDuplicateStore(t *testing.T) {
	body := refundBody(t, "ch_store", "2.00", "r")
	t.Run("consulted and fed", func(t *testing.T) {
		store := &opsStore{}
		h, _ := newOpsHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.DuplicateStore = store
			c.DuplicateWindow = 90 * time.Second
		})
		rec := serveOps(h, opsRequest(chargedesk.ActionRefund, body))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Len(t, store.seenKeys, 1)
		assert.Equal(t, store.seenKeys, store.remembered, "the key looked up is the key remembered")
		assert.Equal(t, []time.Duration{90 * time.Second}, store.ttls)
		assert.NotContains(t, store.seenKeys[0], "ch_store", "keys are digests")
	})
	t.Run("says seen", func(t *testing.T) {
		store := &opsStore{seen: true}
		gw := &fakeGateway{}
		h, _ := newOpsHandler(t, gw, func(c *chargedesk.Config) { c.DuplicateStore = store })
		rec := serveOps(h, opsRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusConflict, rec.Code)
		assert.Zero(t, len(gw.Calls()))
		assert.Empty(t, store.remembered)
	})
	t.Run("fails", func(t *testing.T) {
		store := &opsStore{seenErr: errors.New("redis: i/o timeout")}
		gw := &fakeGateway{}
		h, logs := newOpsHandler(t, gw, func(c *chargedesk.Config) { c.DuplicateStore = store })
		rec := serveOps(h, opsRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, msgDown, errorOf(t, rec.Body.Bytes()))
		assert.Zero(t, len(gw.Calls()), "the gateway is not called")
		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0]["error"], "redis: i/o timeout")
	})
	t.Run("not consulted when off", func(t *testing.T) {
		store := &opsStore{seen: true}
		h, _ := newOpsHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.DuplicateStore = store
			c.DuplicateWindow = -1
		})
		rec := serveOps(h, opsRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Empty(t, store.seenKeys)
		assert.Empty(t, store.remembered)
	})
}

// --- Observe -----------------------------------------------------------------

func TestOperationsObserve(t *testing.T) {
	refund := func(t *testing.T) *http.Request {
		return opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_obs", "1.00", "r"))
	}
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		gateway func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error)
		action  chargedesk.Action
		outcome chargedesk.Outcome
		status  int
	}{
		{name: "success", req: refund, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeSuccess, status: 200},
		{name: "401", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.Header.Set("Authorization", "Bearer wrong-secret-0000000000")
			return r
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeUnauthorized, status: 401},
		{name: "404", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.URL.Path = "/chargedesk/refunds"
			return r
		}, action: "", outcome: chargedesk.OutcomeNotFound, status: 404},
		{name: "405", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.Method = http.MethodGet
			return r
		}, action: "", outcome: chargedesk.OutcomeNotFound, status: 405},
		{name: "413 by middleware", req: func(t *testing.T) *http.Request {
			return opsRequest(chargedesk.ActionRefund, bytes.Repeat([]byte("x"), 1<<20+1))
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 413},
		{name: "413 by the handler", req: func(t *testing.T) *http.Request {
			r := opsRequest(chargedesk.ActionRefund, bytes.Repeat([]byte("x"), 1<<20+1))
			r.ContentLength = -1
			return r
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 413},
		{name: "422", req: func(t *testing.T) *http.Request {
			return opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_obs", "20.01", "r"))
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 422},
		{name: "422 refused by the gateway", req: refund,
			gateway: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				return nil, chargedesk.AgentErrorf("No.")
			}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeRefused, status: 422},
		{name: "500 panic", req: refund,
			gateway: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) { panic("boom") },
			action:  chargedesk.ActionRefund, outcome: chargedesk.OutcomeError, status: 500},
		{name: "504", req: refund,
			gateway: func(ctx context.Context, _ *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeTimeout, status: 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var events []chargedesk.Event
				h, _ := newOpsHandler(t, &fakeGateway{OnRefund: tt.gateway}, func(c *chargedesk.Config) {
					c.Timeout = 5 * time.Second
					c.Observe = func(e chargedesk.Event) {
						mu.Lock()
						defer mu.Unlock()
						events = append(events, e)
					}
				})
				rec := serveOps(h, tt.req(t))
				require.Equal(t, tt.status, rec.Code, rec.Body.String())

				mu.Lock()
				defer mu.Unlock()
				require.Len(t, events, 1, "called exactly once per webhook")
				e := events[0]
				assert.Equal(t, tt.action, e.Action)
				assert.Equal(t, tt.outcome, e.Outcome)
				assert.Equal(t, tt.status, e.Status)
				// In the bubble only waiting moves the clock: the duration is the
				// deadline for a 504, and nothing for the rest.
				if tt.status == 504 {
					assert.Equal(t, 5*time.Second, e.Duration, "the duration covers the wait")
				} else {
					assert.Zero(t, e.Duration)
				}
			})
		})
	}
}

// --- The middleware stack --------------------------------------------------------

func TestOperationsMiddlewareStack(t *testing.T) {
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
			h, logs := newOpsHandler(t, &fakeGateway{}, func(c *chargedesk.Config) { c.Middleware = tt.middleware(c) })
			rec := serveOps(h, opsRequest(chargedesk.ActionRefund, refundBody(t, "ch_mw", "1.00", "r")))
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
