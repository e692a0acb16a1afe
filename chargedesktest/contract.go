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
// like two instances of a receiver):
//
//   - a held lock blocks another holder until it is released or the
//     waiter's context ends (with the context's error), and different keys
//     do not block each other;
//   - under contention the lock excludes;
//   - fencing tokens grow: each lease on a key has a larger Fence than the
//     leases on it before;
//   - a lease marked Unknown, or settled, makes Lock refuse the key at once
//     with a *chargedesk.HeldError whose Wait says how long it is held;
//     a settled key is free again once the settle time has passed, and a
//     released one at once.
//
// Keys are prefixed with the test's name and a timestamp, so runs do not
// collide on a shared backend. It takes a few seconds.
func TestLocker(t *testing.T, newLocker func(t *testing.T) chargedesk.Locker) {
	t.Helper()
	prefix := fmt.Sprintf("%s-%d:", t.Name(), time.Now().UnixNano())
	ctx := context.Background()
	terms := chargedesk.LeaseTerms{Hold: 30 * time.Second, Settle: time.Second}
	lock := func(t *testing.T, l chargedesk.Locker, ctx context.Context, key string) chargedesk.Lease {
		t.Helper()
		lease, err := l.Lock(ctx, prefix+key, terms)
		if err != nil {
			t.Fatalf("Lock %s: %v", key, err)
		}
		return lease
	}
	release := func(t *testing.T, lease chargedesk.Lease) {
		t.Helper()
		if err := lease.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}

	t.Run("a held lock blocks another instance", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		held := lock(t, a, ctx, "charge:1")
		wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if l, err := b.Lock(wait, prefix+"charge:1", terms); err == nil {
			_ = l.Release(ctx)
			t.Fatal("a second holder got the lock")
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the wait ended with %v, want the context's error", err)
		}
		release(t, held)
		release(t, lock(t, b, ctx, "charge:1"))
	})

	t.Run("different keys do not block", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		held := lock(t, a, ctx, "charge:2")
		defer release(t, held)
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		release(t, lock(t, b, quick, "subscription:2"))
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
				lease, err := lockers[i%3].Lock(deadline, prefix+"charge:3", terms)
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
				if err := lease.Release(ctx); err != nil {
					t.Errorf("Release: %v", err)
				}
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

	t.Run("fencing tokens grow", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		var last int64
		for i := range 6 {
			lease := lock(t, []chargedesk.Locker{a, b}[i%2], ctx, "charge:4")
			if lease.Fence() <= last {
				t.Fatalf("lease %d has token %d after %d", i, lease.Fence(), last)
			}
			last = lease.Fence()
			release(t, lease)
		}
	})

	heldError := func(t *testing.T, l chargedesk.Locker, key string) *chargedesk.HeldError {
		t.Helper()
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		lease, err := l.Lock(quick, prefix+key, terms)
		if err == nil {
			_ = lease.Release(ctx)
			t.Fatal("a held key was taken")
		}
		var held *chargedesk.HeldError
		if !errors.As(err, &held) {
			t.Fatalf("Lock of a held key: %v, want a *chargedesk.HeldError", err)
		}
		if waited := time.Since(start); waited > 2*time.Second {
			t.Errorf("refused after %s, not at once", waited)
		}
		if held.Wait <= 0 || held.Wait > terms.Hold+terms.Settle {
			t.Errorf("Wait is %s", held.Wait)
		}
		return held
	}

	t.Run("an unknown outcome is refused at once, until released", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		held := lock(t, a, ctx, "charge:5")
		if err := held.Unknown(ctx); err != nil {
			t.Fatalf("Unknown: %v", err)
		}
		heldError(t, b, "charge:5")
		release(t, held)
		release(t, lock(t, b, ctx, "charge:5"))
	})

	t.Run("a settled key is refused at once, then free after the settle time", func(t *testing.T) {
		a, b := newLocker(t), newLocker(t)
		held := lock(t, a, ctx, "charge:6")
		if err := held.Settle(ctx); err != nil {
			t.Fatalf("Settle: %v", err)
		}
		if e := heldError(t, b, "charge:6"); e.Wait > terms.Settle {
			t.Errorf("held for %s after settling, more than the settle time %s", e.Wait, terms.Settle)
		}
		deadline := time.Now().Add(terms.Settle + 5*time.Second)
		for {
			quick, cancel := context.WithTimeout(ctx, time.Second)
			lease, err := b.Lock(quick, prefix+"charge:6", terms)
			cancel()
			if err == nil {
				release(t, lease)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still refused %s after the settle time: %v", time.Since(deadline.Add(-5*time.Second)), err)
			}
			time.Sleep(50 * time.Millisecond)
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
