package chargedesk

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockTestTimeout bounds every wait in these tests, so a deadlock fails the
// test instead of hanging it; no test here waits for it to pass.
const lockTestTimeout = 10 * time.Second

var testTerms = LeaseTerms{Hold: 85 * time.Second, Settle: 60 * time.Second}

func lockTestContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), lockTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustLock(t *testing.T, m Locker, ctx context.Context, key string) Lease {
	t.Helper()
	l, err := m.Lock(ctx, key, testTerms)
	require.NoError(t, err)
	return l
}

func TestMemoryLockerExcludes(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	var counter int // not atomic: the race detector sees any overlap
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			lease, err := m.Lock(ctx, "charge:ch_1", testTerms)
			if !assert.NoError(t, err) {
				return
			}
			v := counter
			runtime.Gosched()
			counter = v + 1
			assert.NoError(t, lease.Release(ctx))
		})
	}
	wg.Wait()
	assert.Equal(t, 50, counter)
	assert.Zero(t, m.size(), "locks must be forgotten once released")
}

func TestMemoryLockerWaitsForRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLocker()
		ctx := lockTestContext(t)
		held := mustLock(t, m, ctx, "k")
		got := make(chan Lease, 1)
		go func() { got <- mustLock(t, m, ctx, "k") }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a second holder got the lock while the first held it")
		default:
		}
		require.NoError(t, held.Release(ctx))
		second := <-got
		assert.Greater(t, second.Fence(), held.Fence(), "a later lease has a larger fencing token")
		require.NoError(t, second.Release(ctx))
		assert.Zero(t, m.size())
	})
}

func TestMemoryLockerKeysAreIndependent(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	a := mustLock(t, m, ctx, "charge:a")
	b := mustLock(t, m, ctx, "charge:b") // would block until ctx ends if keys shared a lock
	assert.Equal(t, 2, m.size())
	require.NoError(t, b.Release(ctx))
	require.NoError(t, a.Release(ctx))
	assert.Zero(t, m.size())
}

func TestMemoryLockerContextEndsWhileWaiting(t *testing.T) {
	for _, want := range []error{context.Canceled, context.DeadlineExceeded} {
		// In a bubble: the deadline passes in virtual time, and a waiter is
		// known to wait once every goroutine is blocked.
		t.Run(want.Error(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewMemoryLocker()
				held := mustLock(t, m, lockTestContext(t), "k")
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				errc := make(chan error, 1)
				go func() {
					_, err := m.Lock(ctx, "k", testTerms)
					errc <- err
				}()
				if want == context.Canceled {
					synctest.Wait() // cancel while it waits
					cancel()
				}
				require.ErrorIs(t, <-errc, want, "Lock returns when its context ends")
				require.NoError(t, held.Release(context.Background()))
				assert.Zero(t, m.size(), "nothing may leak once every holder released")
				require.NoError(t, mustLock(t, m, lockTestContext(t), "k").Release(context.Background()))
			})
		})
	}
}

// An object whose action has an unknown outcome is refused at once, with
// the time to wait, while the action runs and for the settle time after it
// returns; a waiter already waiting is refused too. Then it is free, and
// forgotten.
func TestMemoryLockerHoldsAnUnknownOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLocker()
		ctx := context.Background() // virtual time passes its deadlines
		held := mustLock(t, m, ctx, "charge:1")
		waiter := make(chan error, 1)
		go func() {
			_, err := m.Lock(ctx, "charge:1", testTerms)
			waiter <- err
		}()
		synctest.Wait()
		time.Sleep(25 * time.Second) // the deadline
		require.NoError(t, held.Unknown(ctx))
		var he *HeldError
		require.ErrorAs(t, <-waiter, &he, "the waiter is refused once the outcome is unknown")
		assert.Equal(t, 60*time.Second, he.Wait, "the rest of the holder's terms: its settle time at least")

		time.Sleep(30 * time.Second) // the late call returns, with a context error
		require.NoError(t, held.Settle(ctx))
		start := time.Now()
		_, err := m.Lock(ctx, "charge:1", testTerms)
		require.ErrorAs(t, err, &he)
		assert.Equal(t, time.Duration(0), time.Since(start), "refused at once")
		assert.Equal(t, 60*time.Second, he.Wait)
		assert.Contains(t, he.Error(), "outcome is unknown")

		time.Sleep(59 * time.Second)
		_, err = m.Lock(ctx, "charge:1", testTerms)
		require.ErrorAs(t, err, &he)
		assert.Equal(t, time.Second, he.Wait)
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Zero(t, m.size(), "forgotten once its settling ends")
		require.NoError(t, mustLock(t, m, ctx, "charge:1").Release(ctx))
	})
}

// A released lease after Unknown (the late call's outcome came: known)
// frees the object at once.
func TestMemoryLockerLateOutcomeEndsTheHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLocker()
		ctx := lockTestContext(t)
		held := mustLock(t, m, ctx, "charge:1")
		require.NoError(t, held.Unknown(ctx))
		_, err := m.Lock(ctx, "charge:1", testTerms)
		var he *HeldError
		require.ErrorAs(t, err, &he)
		require.NoError(t, held.Release(ctx))
		require.NoError(t, mustLock(t, m, ctx, "charge:1").Release(ctx))
		assert.Zero(t, m.size())
	})
}

func TestMemoryLockerNoLeakUnderLoad(t *testing.T) {
	m := NewMemoryLocker()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%3 == 0 {
				cancel() // some give up at once, or while waiting
			}
			lease, err := m.Lock(ctx, fmt.Sprintf("charge:%d", i%5), testTerms)
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				return
			}
			runtime.Gosched()
			assert.NoError(t, lease.Release(context.Background()))
		})
	}
	wg.Wait()
	assert.Zero(t, m.size())
}

// recordingLocker records the keys locked and released, and can fail one.
type recordingLocker struct {
	mu       sync.Mutex
	locked   []string
	released []string
	fail     string
}

type recordingLease struct {
	r   *recordingLocker
	key string
}

func (r *recordingLocker) Lock(_ context.Context, key string, _ LeaseTerms) (Lease, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == r.fail {
		return nil, errors.New("lock service down")
	}
	r.locked = append(r.locked, key)
	return &recordingLease{r, key}, nil
}

func (l *recordingLease) Fence() int64                  { return int64(len(l.key)) }
func (l *recordingLease) Lost() <-chan struct{}         { return nil }
func (l *recordingLease) Unknown(context.Context) error { return nil }
func (l *recordingLease) Settle(context.Context) error  { return nil }
func (l *recordingLease) Release(context.Context) error {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	l.r.released = append(l.r.released, l.key)
	return nil
}

func TestLockAllOrder(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{name: "none", keys: nil, want: nil},
		{name: "one", keys: []string{"charge:a"}, want: []string{"charge:a"}},
		{name: "sorted", keys: []string{"subscription:s", "charge:c"}, want: []string{"charge:c", "subscription:s"}},
		{name: "repeats taken once", keys: []string{"charge:c", "charge:c"}, want: []string{"charge:c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recordingLocker{}
			keys := slices.Clone(tt.keys)
			set, err := lockAll(context.Background(), r, keys, testTerms, time.Second)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.locked)
			assert.Equal(t, tt.keys, keys, "the caller's slice is left as it was")
			assert.Empty(t, set.each(time.Second, Lease.Release))
			want := slices.Clone(tt.want)
			slices.Reverse(want)
			assert.Equal(t, want, r.released, "released in reverse order")
		})
	}
}

func TestLockAllFailureReleasesTaken(t *testing.T) {
	r := &recordingLocker{fail: "subscription:s"}
	set, err := lockAll(context.Background(), r, []string{"subscription:s", "charge:c"}, testTerms, time.Second)
	require.Error(t, err)
	assert.Nil(t, set)
	assert.Equal(t, []string{"charge:c"}, r.locked)
	assert.Equal(t, []string{"charge:c"}, r.released)
}

// The action's fencing token is its last lease's, taken while it held the
// others.
func TestLockSetFenceIsTheLastLeases(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	set, err := lockAll(ctx, m, []string{"subscription:s", "charge:c"}, testTerms, time.Second)
	require.NoError(t, err)
	assert.Equal(t, set.leases[1].Fence(), set.fence())
	assert.Greater(t, set.leases[1].Fence(), set.leases[0].Fence())
	assert.Empty(t, set.each(time.Second, Lease.Release))
}

// yieldingLocker yields after every lock it takes, to give two webhooks
// that take the same locks in opposite orders every chance to deadlock.
type yieldingLocker struct{ Locker }

func (y yieldingLocker) Lock(ctx context.Context, key string, terms LeaseTerms) (Lease, error) {
	lease, err := y.Locker.Lock(ctx, key, terms)
	runtime.Gosched()
	return lease, err
}

func TestLockAllOppositeOrdersDoNotDeadlock(t *testing.T) {
	m := NewMemoryLocker()
	locker := yieldingLocker{m}
	ctx := lockTestContext(t)
	var wg sync.WaitGroup
	for i := range 200 {
		keys := []string{"charge:c", "subscription:s"}
		if i%2 == 1 {
			keys = []string{"subscription:s", "charge:c"}
		}
		wg.Go(func() {
			set, err := lockAll(ctx, locker, keys, testTerms, time.Second)
			if !assert.NoError(t, err, "deadlocked") {
				return
			}
			runtime.Gosched()
			assert.Empty(t, set.each(time.Second, Lease.Release))
		})
	}
	wg.Wait()
	assert.Zero(t, m.size())
}
