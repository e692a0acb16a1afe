package chargedesk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per-object serialization -----------------------------------------------

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
	if req.RefundAmount.Cmp(remaining) > 0 {
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

func TestConcurrentRefundsOnOneCharge(t *testing.T) {
	// In a bubble, the platform's latency passes for all at once: without
	// the lock every refund would read the ledger before any wrote it.
	synctest.Test(t, func(t *testing.T) {
		gw := &ledger{
			amount:   map[string]chargedesk.Amount{"ch_ledger": chargedesk.MustParseAmount("20.00")},
			refunded: map[string]chargedesk.Amount{},
		}
		h, _ := newLoggedHandler(t, &fakeGateway{OnRefund: gw.refund})

		const n = 40
		recs := make([]*httptest.ResponseRecorder, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Each with its own reason, so none is a duplicate of another.
				recs[i] = serve(h, actionRequest(chargedesk.ActionRefund,
					refundBody(t, "ch_ledger", "1.00", fmt.Sprintf("Refund %d of 40", i+1))))
			})
		}
		wg.Wait()

		count := map[int]int{}
		for _, rec := range recs {
			count[rec.Code]++
			if rec.Code == http.StatusUnprocessableEntity {
				assert.Equal(t, msgTooMuch, errorOf(t, rec.Body.Bytes()))
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
	})
}

func TestDifferentChargesRunInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		arrived := make(chan string, 2)
		release := make(chan struct{})
		gw := &fakeGateway{OnRefund: func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
			arrived <- req.Charge.ChargeID
			<-release
			return chargedesk.RefundAnswer(req)
		}}
		h, _ := newLoggedHandler(t, gw)

		results := make(chan int, 2)
		for _, id := range []string{"ch_a", "ch_b"} {
			go func() {
				results <- serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, id, "1.00", "r"))).Code
			}()
		}
		// Once every goroutine is blocked, both calls are in the gateway:
		// neither waits for the other's lock.
		synctest.Wait()
		require.Len(t, arrived, 2, "actions on different charges were serialized")
		close(release)
		assert.Equal(t, http.StatusOK, <-results)
		assert.Equal(t, http.StatusOK, <-results)
	})
}

func TestCancelAndRefundOnOneCharge(t *testing.T) {
	// In a bubble, every action in the gateway stays there for the same
	// virtual time, so any two that the locks fail to separate overlap.
	synctest.Test(t, func(t *testing.T) {
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
		h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.Timeout = waitLimit })

		const pairs = 30
		var wg sync.WaitGroup
		codes := make([]int, 2*pairs)
		for i := range pairs {
			cancel := func() {
				codes[2*i] = serve(h, actionRequest(chargedesk.ActionCancel, cancelBody(t, "sub_x", "ch_x", fmt.Sprint("cancel ", i)))).Code
			}
			refund := func() {
				codes[2*i+1] = serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_x", "0.01", fmt.Sprint("refund ", i)))).Code
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
	})
}

// opsLocker wraps a Locker to record the keys taken, or fails.
type opsLocker struct {
	chargedesk.Locker
	mu   sync.Mutex
	keys []string
	err  error
}

func (l *opsLocker) Lock(ctx context.Context, key string, terms chargedesk.LeaseTerms) (chargedesk.Lease, error) {
	l.mu.Lock()
	l.keys = append(l.keys, key)
	l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	return l.Locker.Lock(ctx, key, terms)
}

func TestCustomLocker(t *testing.T) {
	t.Run("used with the objects' keys", func(t *testing.T) {
		locker := &opsLocker{Locker: chargedesk.NewMemoryLocker()}
		h, _ := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) { c.Locker = locker })
		rec := serve(h, actionRequest(chargedesk.ActionCancel, cancelBody(t, "sub_k", "ch_k", "r")))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, []string{"charge:ch_k", "subscription:sub_k"}, locker.keys)
	})
	t.Run("unavailable", func(t *testing.T) {
		locker := &opsLocker{err: errors.New("redis: connection refused")}
		gw := &fakeGateway{}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.Locker = locker })
		rec := serve(h, actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_k", "1.00", "r")))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, msgDown, errorOf(t, rec.Body.Bytes()))
		assert.Zero(t, len(gw.Calls()))
		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		assert.Equal(t, "locker: redis: connection refused", lines[0]["error"])
	})
}

// The in-process backends keep the contract the shared ones do; "two
// instances" share one MemoryLocker here, as they share a database there.
func TestMemoryBackendsContract(t *testing.T) {
	shared := chargedesk.NewMemoryLocker()
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return shared })
	chargedesktest.TestDuplicateStore(t, chargedesk.NewMemoryDuplicateStore())
}

// Receivers in one process sharing one MemoryLocker and one
// MemoryDuplicateStore perform an identical refund once.
func TestInstancesWithSharedMemoryBackends(t *testing.T) {
	locker, store := chargedesk.NewMemoryLocker(), chargedesk.NewMemoryDuplicateStore()
	chargedesktest.TestInstances(t,
		func(*testing.T) chargedesk.Locker { return locker },
		func(*testing.T) chargedesk.DuplicateStore { return store })
}

// BenchmarkBackendMemory is the baseline of the backends' benchmarks.
func BenchmarkBackendMemory(b *testing.B) {
	chargedesktest.BenchmarkBackend(b, chargedesk.NewMemoryLocker(), chargedesk.NewMemoryDuplicateStore())
}
