package chargedesktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/rs/zerolog"
)

// TestLocker runs the contract every chargedesk.Locker must keep against
// the one newLocker returns (a fresh one per call, sharing the backend,
// like two instances of a receiver): a held lock blocks another holder
// until it is released or the waiter's context ends, different keys do not
// block each other, and under contention the lock excludes. Keys are
// prefixed with the test's name and a timestamp, so runs do not collide on
// a shared backend. It takes at most a few seconds.
func TestLocker(t *testing.T, newLocker func(t *testing.T) chargedesk.Locker) {
	t.Helper()
	prefix := fmt.Sprintf("%s-%d:", t.Name(), time.Now().UnixNano())
	ctx := context.Background()

	t.Run("a held lock blocks another instance", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		unlock, err := a.Lock(ctx, prefix+"charge:1")
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}
		wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if u, err := b.Lock(wait, prefix+"charge:1"); err == nil {
			u()
			t.Fatal("a second holder got the lock")
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the wait ended with %v, want the context's error", err)
		}
		unlock()
		u, err := b.Lock(ctx, prefix+"charge:1")
		if err != nil {
			t.Fatalf("Lock after the release: %v", err)
		}
		u()
	})

	t.Run("different keys do not block", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		u1, err := a.Lock(ctx, prefix+"charge:2")
		if err != nil {
			t.Fatal(err)
		}
		defer u1()
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		u2, err := b.Lock(quick, prefix+"subscription:2")
		if err != nil {
			t.Fatalf("another key was blocked: %v", err)
		}
		u2()
	})

	t.Run("the lock excludes under contention", func(t *testing.T) {
		lockers := []chargedesk.Locker{newLocker(t), newLocker(t), newLocker(t)}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			inside  int
			overlap bool
			count   int
		)
		deadline, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for i := range 30 {
			wg.Go(func() {
				unlock, err := lockers[i%3].Lock(deadline, prefix+"charge:3")
				if err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				mu.Lock()
				inside++
				overlap = overlap || inside > 1
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold it while others try
				mu.Lock()
				inside--
				count++
				mu.Unlock()
				unlock()
			})
		}
		wg.Wait()
		if overlap {
			t.Error("two holders were inside the lock at once")
		}
		if count != 30 {
			t.Errorf("%d of 30 holders got the lock", count)
		}
	})
}

// TestDuplicateStore runs the contract of chargedesk.DuplicateStore
// against store: an unknown key is not seen, a remembered one is, until
// its ttl passes. It waits about two seconds for an expiry.
func TestDuplicateStore(t *testing.T, store chargedesk.DuplicateStore) {
	t.Helper()
	ctx := context.Background()
	key := func(s string) string { return fmt.Sprintf("%s-%d:%s", t.Name(), time.Now().UnixNano(), s) }
	k1, k2 := key("a"), key("b")
	seen := func(k string) bool {
		t.Helper()
		ok, err := store.Seen(ctx, k)
		if err != nil {
			t.Fatalf("Seen: %v", err)
		}
		return ok
	}
	if seen(k1) {
		t.Fatal("an unknown key is seen")
	}
	if err := store.Remember(ctx, k1, time.Minute); err != nil {
		t.Fatalf("Remember: %v", err)
	}
	if !seen(k1) {
		t.Fatal("a remembered key is not seen")
	}
	if seen(k2) {
		t.Fatal("another key is seen")
	}
	if err := store.Remember(ctx, k2, time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for seen(k2) {
		if time.Now().After(deadline) {
			t.Fatal("a key is still seen long after its ttl")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !seen(k1) {
		t.Fatal("a key with time left was forgotten")
	}
}

// TestInstances runs one refund sent identically to three receivers at
// once, each built with its own Locker and DuplicateStore from the
// functions given (sharing a backend, as instances behind a load balancer
// do), and a Gateway that takes a moment: the refund is performed once,
// one receiver answers 200 and the others 409.
func TestInstances(t *testing.T, newLocker func(t *testing.T) chargedesk.Locker, newStore func(t *testing.T) chargedesk.DuplicateStore) {
	t.Helper()
	var calls atomic.Int32
	gw := &instanceGateway{calls: &calls}
	log := zerolog.Nop()
	const secret = "Bearer instances-secret-0123456789"
	var handlers []http.Handler
	for range 3 {
		h, err := chargedesk.NewHandler(gw, chargedesk.Config{
			BasePath: "/chargedesk", Logger: &log,
			Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
			Locker:  newLocker(t), DuplicateStore: newStore(t),
		})
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, h)
	}
	body, err := Build(chargedesk.ActionRefund, Set("charge.charge_id", fmt.Sprintf("ch-instances-%d", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	in := Integration{BasePath: "/chargedesk", Header: http.Header{"Authorization": {secret}}}
	codes := make([]int, len(handlers))
	var wg sync.WaitGroup
	for i, h := range handlers {
		wg.Go(func() {
			req, err := in.NewRequest(context.Background(), chargedesk.ActionRefund, body)
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = Serve(h, req).Status
		})
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	if ok != 1 || conflict != 2 || calls.Load() != 1 {
		t.Errorf("statuses %v and %d refunds; want one 200, two 409 and one refund", codes, calls.Load())
	}
}

// instanceGateway refunds after a pause, counting the calls.
type instanceGateway struct {
	chargedesk.UnimplementedGateway
	calls *atomic.Int32
}

func (g *instanceGateway) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	g.calls.Add(1)
	time.Sleep(50 * time.Millisecond) // a payment API's latency, while the others wait
	return chargedesk.RefundAnswer(req)
}

// BenchmarkBackend measures what a Locker and a DuplicateStore add to a
// webhook: refunds of a new charge each time (so none is a duplicate and
// the guard does its full work) through a handler with the default
// middleware, logging discarded, and a Gateway that answers at once. Run
// it against the memory backends for the baseline.
func BenchmarkBackend(b *testing.B, locker chargedesk.Locker, store chargedesk.DuplicateStore) {
	log := zerolog.Nop()
	const secret = "Bearer bench-secret-0123456789abcd"
	h, err := chargedesk.NewHandler(benchGateway{}, chargedesk.Config{
		BasePath: "/chargedesk", Logger: &log,
		Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Locker:  locker, DuplicateStore: store,
	})
	if err != nil {
		b.Fatal(err)
	}
	body, err := Payload(chargedesk.ActionRefund)
	if err != nil {
		b.Fatal(err)
	}
	in := Integration{BasePath: "/chargedesk", Header: http.Header{"Authorization": {secret}}}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req, err := in.NewRequest(context.Background(), chargedesk.ActionRefund,
			bytes.Replace(body, []byte(`"example-Xs84hY5BSt5IttuRSIsQIA8r"`), fmt.Appendf(nil, `"bench-%s-%d"`, run, i), 1))
		if err != nil {
			b.Fatal(err)
		}
		if out := Serve(h, req); out.Status != http.StatusOK {
			b.Fatalf("status %d: %s", out.Status, out.Body)
		}
	}
}

type benchGateway struct {
	chargedesk.UnimplementedGateway
}

func (benchGateway) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}
