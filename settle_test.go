package chargedesk_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// The guarantees of a lock under faults: an unknown outcome holds the
// object for the settle time, an action starts only with time to finish,
// every store call has a deadline and a store failure never changes the
// platform's answer. Each runs in a synctest bubble: the waits are virtual.

// A Gateway that honours its context and gives up at the deadline leaves
// the outcome unknown (its platform may still be refunding): the charge is
// held for the settle time, and actions on it are refused at once with the
// time to wait. After the settle time it is free.
func TestUnknownOutcomeHoldsTheObject(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls sync.WaitGroup
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			if req.ActionReason == "slow" {
				<-ctx.Done() // a slow platform; the Gateway returns at the deadline
				return nil, ctx.Err()
			}
			return chargedesk.RefundAnswer(req)
		}}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = 25 * time.Second })
		calls.Go(func() {
			rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_slow", "20.00", "slow")))
			assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
		})
		// A second agent's refund arrives while the first runs: it waits
		// for the lock, and is refused at once when the outcome becomes
		// unknown, rather than start with no time left.
		time.Sleep(10 * time.Second)
		second := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_slow", "20.00", "second agent")))
		assert.Equal(t, http.StatusConflict, second.Code)
		assert.Contains(t, errorOf(t, second.Body.Bytes()), "not known yet")
		calls.Wait()
		assert.Len(t, gw.Calls(), 1, "the second refund never reached the platform")

		start := time.Now()
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_slow", "5.00", "third")))
		assert.Zero(t, time.Since(start), "refused at once")
		assert.Equal(t, http.StatusConflict, rec.Code)
		assert.Equal(t, msgHeld, errorOf(t, rec.Body.Bytes()), "told when to try again: the settle time")
		assert.Equal(t, "timeout", logs.Find(t, "webhook")[0]["outcome"])
		// The Gateway returned at the deadline: whether its outcome or the
		// deadline's answer came first, the lines say how long the charge
		// is held.
		_, lines := logs.Lines(t)
		held := 0
		for _, l := range lines {
			if l["charge_id"] == "ch_slow" && l["held_for"] != nil {
				assert.EqualValues(t, 60000, l["held_for"])
				held++
			}
		}
		assert.Equal(t, 1, held, "one line says how long the charge is held: %v", lines)

		time.Sleep(chargedesk.DefaultSettleTime)
		rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_slow", "5.00", "fourth")))
		assert.Equal(t, http.StatusOK, rec.Code, "free after the settle time: %s", rec.Body)
	})
}

// An action that waited for another on the same object calls the Gateway
// only if MinGatewayTime (a fifth of the deadline by default) is left;
// otherwise it is refused as busy and nothing is done.
func TestNoActionStartsWithoutTimeToFinish(t *testing.T) {
	for _, tt := range []struct {
		name      string
		firstTook time.Duration
		status    int
	}{
		{"enough time left", 15 * time.Second, http.StatusOK},
		{"too little time left", 22 * time.Second, http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
					if req.ActionReason == "first" {
						time.Sleep(tt.firstTook)
					}
					return chargedesk.RefundAnswer(req)
				}}
				h := newHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = 25 * time.Second })
				var wg sync.WaitGroup
				wg.Go(func() { serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_budget", "1.00", "first"))) })
				synctest.Wait()
				rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_budget", "2.00", "second")))
				wg.Wait()
				assert.Equal(t, tt.status, rec.Code, rec.Body.String())
				if tt.status == http.StatusServiceUnavailable {
					assert.Equal(t, msgBusy, errorOf(t, rec.Body.Bytes()))
					assert.Len(t, gw.Calls(), 1, "the refused refund was not performed")
				}
			})
		})
	}
}

// blackholedStore never answers, as a database behind a dropped link.
type blackholedStore struct {
	seen, remember bool // which calls hang
	chargedesk.DuplicateStore
}

func (s blackholedStore) Seen(ctx context.Context, key string) (bool, error) {
	if s.seen {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return s.DuplicateStore.Seen(ctx, key)
}

func (s blackholedStore) Remember(ctx context.Context, key string, ttl time.Duration) error {
	if s.remember {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.DuplicateStore.Remember(ctx, key, ttl)
}

// A store that stops answering after the platform succeeded never turns
// the success into an error or a 504: the agent gets the real answer once
// the store call's own deadline passes, one error line names what to
// reconcile, and the charge is not left locked.
func TestStoreFailureAfterSuccessKeepsTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := &fakeGateway{}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
			c.Timeout = 25 * time.Second
			c.DuplicateStore = blackholedStore{remember: true, DuplicateStore: chargedesk.NewMemoryDuplicateStore()}
		})
		start := time.Now()
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_store", "1.00", "r")))
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, chargedesk.DefaultStoreTimeout, time.Since(start), "answered when the store call's deadline passed")
		lines := logs.Find(t, "the action succeeded but the duplicate guard could not record it: an identical webhook in the window would be performed again; reconcile if one arrives")
		require.Len(t, lines, 1)
		assert.Equal(t, "error", lines[0]["level"])
		assert.Regexp(t, `^chargedesk-[0-9a-f]{40}$`, lines[0]["idempotency_key"])
		assert.Contains(t, lines[0]["error"], "deadline exceeded")

		rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_store", "2.00", "next")))
		assert.Equal(t, http.StatusOK, rec.Code, "the charge was released: %s", rec.Body)
	})
}

// A lookup that hangs is refused within its own deadline, as a store that
// cannot be reached: 503, nothing done.
func TestStoreLookupHasADeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := &fakeGateway{}
		h := newHandler(t, gw, func(c *chargedesk.Config) {
			c.StoreTimeout = time.Second
			c.DuplicateStore = blackholedStore{seen: true, DuplicateStore: chargedesk.NewMemoryDuplicateStore()}
		})
		start := time.Now()
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_store", "1.00", "r")))
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, msgDown, errorOf(t, rec.Body.Bytes()))
		assert.Empty(t, gw.Calls())
	})
}

// hangingLocker's leases never answer Release, as a lock store behind a
// dropped link.
type hangingLocker struct{ chargedesk.Locker }

type hangingLease struct{ chargedesk.Lease }

func (l hangingLocker) Lock(ctx context.Context, key string, terms chargedesk.LeaseTerms) (chargedesk.Lease, error) {
	lease, err := l.Locker.Lock(ctx, key, terms)
	return hangingLease{lease}, err
}

func (hangingLease) Release(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestLockReleaseHasADeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, logs := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.Locker = hangingLocker{chargedesk.NewMemoryLocker()}
		})
		start := time.Now()
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_rel", "1.00", "r")))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, chargedesk.DefaultStoreTimeout, time.Since(start))
		lines := logs.Find(t, "a lock could not be released; the object stays held until its lease runs out")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0]["error"], `lock "charge:ch_rel"`)
	})
}

// runtime.Goexit in a Gateway (t.FailNow in a fake, say) gets the agent an
// error answer, not an empty reply; its outcome is unknown, so the charge
// is held.
func TestGoexitInTheGateway(t *testing.T) {
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		if req.ActionReason == "goexit" {
			runtime.Goexit()
		}
		return chargedesk.RefundAnswer(req)
	}}
	h, logs := newLoggedHandler(t, gw)
	rec := httpRecorderOnGoroutine(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_exit", "1.00", "goexit")))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, msgInternal, errorOf(t, rec.Body.Bytes()))
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	line := logs.WaitFor(t, "webhook", nil)
	assert.Equal(t, true, line["goexit"])
	assert.Equal(t, "error", line["outcome"])

	rec = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_exit", "1.00", "again")))
	assert.Equal(t, http.StatusConflict, rec.Code, "held: the outcome is unknown")
}

// The fencing token grows with each action on an object, and is there for
// the Gateway beside the idempotency key.
func TestFencingToken(t *testing.T) {
	var tokens []int64
	gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
		tokens = append(tokens, chargedesk.FencingToken(ctx))
		return chargedesk.RefundAnswer(req)
	}}
	h := newHandler(t, gw, nil)
	for _, reason := range []string{"a", "b", "c"} {
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_fence", "1.00", reason)))
		require.Equal(t, http.StatusOK, rec.Code)
	}
	require.Len(t, tokens, 3)
	assert.Positive(t, tokens[0])
	assert.Less(t, tokens[0], tokens[1])
	assert.Less(t, tokens[1], tokens[2])
	assert.Zero(t, chargedesk.FencingToken(context.Background()))
}

// slowBody declares a large body and sends a little of it, then waits.
type slowBody struct {
	sent atomic.Bool
	wait chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if !b.sent.Load() {
		b.sent.Store(true)
		return copy(p, `{"refund_amount": "1.00",`), nil
	}
	<-b.wait
	return 0, io.ErrUnexpectedEOF
}

// A body whose declared Content-Length is large but arrives slowly holds
// no more memory than it has sent: 300 such requests must not reserve
// 300 MiB.
func TestSlowBodyDoesNotReserveItsDeclaredLength(t *testing.T) {
	h := newHandler(t, &fakeGateway{}, nil)
	body := &slowBody{wait: make(chan struct{})}
	req := actionRequest(chargedesk.ActionRefund, nil)
	req.Body = io.NopCloser(body)
	req.ContentLength = 1 << 20
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan *http.Response)
	go func() { done <- serve(h, req).Result() }()
	for i := 0; i < 100000 && !body.sent.Load(); i++ {
		runtime.Gosched()
	}
	runtime.Gosched()
	runtime.ReadMemStats(&during)
	close(body.wait)
	resp := <-done
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Less(t, during.TotalAlloc-before.TotalAlloc, uint64(256<<10),
		"the handler allocated as if for the declared 1 MiB")
}

// httpRecorderOnGoroutine serves req on a goroutine of its own, which the
// handler may end with runtime.Goexit, and returns what was answered.
func httpRecorderOnGoroutine(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	<-done
	return rec
}
