package chargedesk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/middleware"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
		rec, sent, returned := serveAsync(h, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
		<-sent
		assert.Equal(t, 5*time.Second, time.Since(start), "answered at the deadline")
		assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
		msg := errorMessage(t, rec)
		assert.Contains(t, msg, "outcome is unknown")
		assert.Contains(t, msg, "before retrying")

		// ServeHTTP returns when the gateway does, so that a server's
		// Shutdown waits for the late call.
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("ServeHTTP returned while the gateway still worked")
		default:
		}
		close(release)
		<-finished
		<-returned
		assert.Len(t, gw.Calls(), 1)
	})
}

// Panic recovery --------------------------------------------------------

func TestGatewayPanic(t *testing.T) {
	var n atomic.Int32
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		if n.Add(1) == 1 {
			var m map[string]int
			m["boom"] = 1 // a nil map: a runtime panic
		}
		return chargedesk.RefundAnswer(req)
	}}
	h, logs := newLoggedHandler(t, gw)
	srv := httptest.NewServer(h)
	defer srv.Close()

	status, body := post(t, srv, chargedesk.ActionRefund, refundBody(t, "ch_panic", "1.00", "first"))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, msgInternal, errorOf(t, body))

	// The answer is sent before the line is written: wait for it.
	panicLine := logs.WaitFor(t, "webhook", nil)
	require.Len(t, logs.Find(t, "webhook"), 1, "the panic is on the webhook's one line")
	assert.Equal(t, "error", panicLine["level"])
	assert.Equal(t, "error", panicLine["outcome"])
	assert.Contains(t, panicLine["panic"], "assignment to entry in nil map")
	assert.Contains(t, panicLine["stack"], "gateway_test.go", "the stack points at the gateway code")
	assert.Equal(t, "ch_panic", panicLine["charge_id"])
	assert.Contains(t, panicLine, "request_id")

	// The panic leaves the outcome unknown: the charge is held; the server
	// serves the rest.
	status, body = post(t, srv, chargedesk.ActionRefund, refundBody(t, "ch_panic", "1.00", "second"))
	assert.Equal(t, http.StatusConflict, status, "the charge is held: %s", body)
	assert.Equal(t, msgHeld, errorOf(t, body))
	status, body = post(t, srv, chargedesk.ActionRefund, refundBody(t, "ch_other", "1.00", "second"))
	assert.Equal(t, http.StatusOK, status, "the server keeps serving: %s", body)
	assert.EqualValues(t, 2, n.Load())
}

// Deadline ---------------------------------------------------------------

func TestDeadline(t *testing.T) {
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
			h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = tt.timeout })

			// ChargeDesk hung up already: the gateway's context must not end.
			gone, cancel := context.WithCancel(context.Background())
			cancel()
			req := actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_dl", "1.00", "r")).WithContext(gone)
			rec := serve(h, req)
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

func TestLateOutcome(t *testing.T) {
	tests := []struct {
		name    string
		err     error // what the gateway returns once released
		outcome string
		// after is what a retry of the same refund gets once the late
		// outcome is in: 409 as a duplicate of a success, 409 held for an
		// outcome still unknown, or a new call of the Gateway.
		after string
		check func(t *testing.T, line map[string]any)
	}{
		{name: "late success", outcome: "success", after: "duplicate", check: func(t *testing.T, line map[string]any) {
			answer, ok := line["late_answer"].(map[string]any)
			require.True(t, ok, "the answer is logged: %v", line)
			assert.Equal(t, map[string]any{"status": "partially refunded", "amount_refunded": 3.0}, answer["charge"])
		}},
		{name: "late refusal", outcome: "refused", after: "called",
			err: &chargedesk.AgentError{Message: msgTooMuch, Err: errors.New("platform: balance_insufficient")},
			check: func(t *testing.T, line map[string]any) {
				assert.Equal(t, msgTooMuch, line["late_agent_error"])
				assert.Contains(t, line["late_error"], "balance_insufficient")
			}},
		{name: "late failure", outcome: "error", after: "held", err: errors.New("platform: connection reset"),
			check: func(t *testing.T, line map[string]any) {
				assert.Equal(t, "platform: connection reset", line["late_error"])
			}},
		{name: "late panic", outcome: "error", after: "held", err: errPanic,
			check: func(t *testing.T, line map[string]any) {
				assert.Equal(t, "gateway panicked: boom", line["late_error"])
				assert.Contains(t, line["stack"], "gateway_test.go", "the stack points at the gateway code")
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
					if tt.err == errPanic {
						panic(tt.err)
					}
					if tt.err != nil {
						return nil, tt.err
					}
					return chargedesk.RefundAnswer(req)
				}}
				var events []chargedesk.Event
				var lateOutcomes []chargedesk.LateOutcome
				var mu sync.Mutex
				h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
					c.Timeout = 5 * time.Second
					c.Observe = func(e chargedesk.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
					c.OnLateOutcome = func(o chargedesk.LateOutcome) { mu.Lock(); lateOutcomes = append(lateOutcomes, o); mu.Unlock() }
				})
				released := false
				defer func() {
					if !released {
						close(release)
					}
				}()

				req := actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "3.00", "late"))
				req.Header.Set(middleware.RequestIDHeader, "req-late")
				rec, sent, returned := serveAsync(h, req)
				<-sent
				require.Equal(t, http.StatusGatewayTimeout, rec.Code)
				assert.Equal(t, msgTimeout, errorOf(t, rec.Body.Bytes()))
				<-started
				synctest.Wait() // the webhook's line is written
				line := logs.Find(t, "webhook")
				require.Len(t, line, 1)
				assert.Equal(t, "timeout", line[0]["outcome"])
				assert.Contains(t, line[0]["error"], "deadline exceeded")

				// The charge stays held while the late call runs: another
				// action on it is refused at once, told why and when.
				start := time.Now()
				rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "1.00", "meanwhile")))
				assert.Zero(t, time.Since(start), "refused at once, not at its own deadline")
				assert.Equal(t, http.StatusConflict, rec.Code)
				assert.Equal(t, msgHeld, errorOf(t, rec.Body.Bytes()))
				held := logs.Find(t, "webhook")
				require.Len(t, held, 2)
				assert.Equal(t, "held", held[1]["outcome"])
				assert.Contains(t, held[1]["error"], "outcome is unknown")
				assert.Empty(t, logs.Find(t, msgLate))

				close(release)
				released = true
				<-returned
				lates := logs.Find(t, msgLate)
				require.Len(t, lates, 1, "the late line is written before ServeHTTP returns")
				assert.Len(t, logs.Find(t, "webhook"), 2, "the webhook's line is not written again")
				late := lates[0]
				assert.Equal(t, "error", late["level"])
				assert.Equal(t, true, late["late"])
				assert.Equal(t, tt.outcome, late["late_outcome"])
				assert.Equal(t, "req-late", late["request_id"])
				assert.Equal(t, "refund", late["action"])
				assert.Equal(t, "ch_late", late["charge_id"])
				assert.Equal(t, "3.00", late["amount"])
				tt.check(t, late)

				// A late success is remembered by the duplicate guard and
				// ends the hold; a late refusal ends it too; a late failure
				// leaves the outcome unknown, and the charge held.
				rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_late", "3.00", "late")))
				switch tt.after {
				case "duplicate":
					assert.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
					assert.Contains(t, errorOf(t, rec.Body.Bytes()), "identical action was just processed")
					assert.Len(t, gw.Calls(), 1)
				case "held":
					assert.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
					assert.Equal(t, msgHeld, errorOf(t, rec.Body.Bytes()))
					assert.Len(t, gw.Calls(), 1)
					assert.EqualValues(t, time.Minute.Seconds(), late["held_for"].(float64)/1000, "the late line says how long")
				case "called":
					assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "refused again, by the Gateway: %s", rec.Body)
					assert.Len(t, gw.Calls(), 2)
				}

				mu.Lock()
				defer mu.Unlock()
				require.GreaterOrEqual(t, len(events), 2)
				assert.Equal(t, chargedesk.Event{Action: chargedesk.ActionRefund, Outcome: chargedesk.OutcomeTimeout,
					Status: http.StatusGatewayTimeout, Duration: events[0].Duration}, events[0])
				assert.Equal(t, chargedesk.OutcomeHeld, events[1].Outcome)
				require.Len(t, lateOutcomes, 1, "the late outcome is handed to OnLateOutcome")
				lo := lateOutcomes[0]
				assert.Equal(t, chargedesk.ActionRefund, lo.Action)
				assert.Equal(t, "ch_late", lo.Charge.ChargeID)
				assert.Regexp(t, `^chargedesk-[0-9a-f]{40}$`, lo.IdempotencyKey)
				assert.Positive(t, lo.FencingToken)
				if tt.err == nil {
					assert.NoError(t, lo.Err)
					assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, lo.Answer.(*chargedesk.Response).Charge.Status)
				} else {
					assert.Error(t, lo.Err)
					assert.Nil(t, lo.Answer)
				}
			})
		})
	}
}

// A gateway that adds its fields to the log line while the deadline's
// answer is written, as one that gives up when its context ends does:
// the webhook's line has the request's fields and not the gateway's, and
// the late line has both. Under -race, the two goroutines share nothing
// they write.
func TestGatewayFieldsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			// Woken with the deadline's answer, it adds more than the 500
			// bytes zerolog starts a logger's buffer with.
			<-ctx.Done()
			for i := range 40 {
				zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context {
					return c.Str(fmt.Sprintf("platform_field_%d", i), "a value of some length")
				})
			}
			return nil, ctx.Err()
		}}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = 5 * time.Second })
		req := actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_fields", "3.00", "fields"))
		req.Header.Set(middleware.RequestIDHeader, "req-fields")
		rec, sent, returned := serveAsync(h, req)
		<-sent
		<-returned
		require.Equal(t, http.StatusGatewayTimeout, rec.Code)

		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		line := lines[0]
		assert.Equal(t, "timeout", line["outcome"])
		assert.Equal(t, "req-fields", line["request_id"])
		assert.Equal(t, "ch_fields", line["charge_id"])
		assert.Contains(t, line["error"], "deadline exceeded")
		for k := range line {
			assert.NotContains(t, k, "platform_field", "the webhook's line was written before the gateway's fields")
		}
		lates := logs.Find(t, msgLate)
		require.Len(t, lates, 1)
		late := lates[0]
		assert.Equal(t, "req-fields", late["request_id"])
		assert.Equal(t, "ch_fields", late["charge_id"])
		assert.NotContains(t, late, "agent_error", "the deadline's answer is the webhook line's, not the gateway's")
		for i := range 40 {
			assert.Equal(t, "a value of some length", late[fmt.Sprintf("platform_field_%d", i)])
		}
	})
}

// errPanic is what a gateway of TestLateOutcome panics with.
var errPanic = errors.New("boom")

// A middleware that panics after the webhook was answered at its deadline
// does not get a second answer or a second webhook line: the panic gets a
// line of its own.
func TestPanicAfterTheDeadlineAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			<-release
			return chargedesk.RefundAnswer(req)
		}}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
			c.Timeout = 5 * time.Second
			c.Middleware = []func(http.Handler) http.Handler{func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r)
					panic("after the answer")
				})
			}}
		})
		rec, sent, returned := serveAsync(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_after", "1.00", "r")))
		<-sent
		close(release)
		<-returned
		assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
		assert.Equal(t, msgTimeout, errorOf(t, rec.Body.Bytes()))
		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		assert.Equal(t, "timeout", lines[0]["outcome"])
		after := logs.Find(t, "panic after the webhook was answered at its deadline")
		require.Len(t, after, 1)
		assert.Equal(t, "after the answer", after[0]["panic"])
		assert.Len(t, logs.Find(t, msgLate), 1)
	})
}

// TestOutcomeAtTheDeadline has the gateway finish just as the
// deadline passes, many times: whichever way each race goes, the outcome
// is never lost. The agent gets it, or, after a 504, the log does.
func TestOutcomeAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			<-ctx.Done()
			return chargedesk.RefundAnswer(req)
		}}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
			c.Timeout = time.Second
			c.DuplicateWindow = -1
		})
		timeouts, performed := 0, 0
		for i := range 80 {
			id := fmt.Sprint("req-race-", i)
			req := actionRequest(chargedesk.ActionRefund, refundBody(t, fmt.Sprint("ch_race_", i), "1.00", "r"))
			req.Header.Set(middleware.RequestIDHeader, id)
			rec := serve(h, req)
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

// evil panics whenever it is described.
type evil struct{}

func (evil) Error() string { panic("Error panicked too") }

func (evil) MarshalJSON() ([]byte, error) { panic("MarshalJSON panicked too") }

// A panic that panics again, even with no middleware at all, still gets a
// JSON 500, and the log line keeps the outcome and the stack.
func TestPanicThatPanicsAgain(t *testing.T) {
	for name, gateway := range map[string]func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error){
		"panics with it":  func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { panic(evil{}) },
		"returns it":      func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return nil, evil{} },
		"panics with nil": func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { panic(error(nil)) },
	} {
		t.Run(name, func(t *testing.T) {
			logs := &chargedesk.LogBuffer{}
			h := newHandler(t, &fakeGateway{Answer: gateway}, func(cfg *chargedesk.Config) {
				l := zerolog.New(logs)
				cfg.Logger = &l
				cfg.Middleware = []func(http.Handler) http.Handler{}
			})
			rec := httptest.NewRecorder()
			require.NotPanics(t, func() { h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))) })
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Contains(t, errorMessage(t, rec), "outcome is unknown")
			_, lines := logs.Lines(t)
			var line map[string]any
			for _, l := range lines {
				if l["message"] == "webhook" {
					line = l
				}
			}
			require.NotNil(t, line, "the webhook's line is written: %v", lines)
			assert.Equal(t, "error", line["outcome"])
			if name == "panics with it" {
				assert.NotEmpty(t, line["stack"], "the panic is logged with its stack")
				assert.Equal(t, "a chargedesk_test.evil whose description panicked", line["panic"])
			}
		})
	}
}
