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

func lockTestContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), lockTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// heldLocks returns how many keys m still tracks.
func heldLocks(m *MemoryLocker) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}

// lockRefs returns the holders and waiters of key.
func lockRefs(m *MemoryLocker, key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.locks[key]; l != nil {
		return l.refs
	}
	return 0
}

// waitForRefs yields until key has n holders and waiters.
func waitForRefs(t *testing.T, m *MemoryLocker, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(lockTestTimeout)
	for lockRefs(m, key) != n {
		require.True(t, time.Now().Before(deadline), "key %q never reached %d holders and waiters", key, n)
		runtime.Gosched()
	}
}

func TestMemoryLockerExcludes(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	var counter int // not atomic: the race detector sees any overlap
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			unlock, err := m.Lock(ctx, "charge:ch_1")
			if !assert.NoError(t, err) {
				return
			}
			v := counter
			runtime.Gosched()
			counter = v + 1
			unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, 50, counter)
	assert.Zero(t, heldLocks(m), "locks must be forgotten once released")
}

func TestMemoryLockerWaitsForRelease(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	unlock, err := m.Lock(ctx, "k")
	require.NoError(t, err)

	got := make(chan func(), 1)
	go func() {
		u, err := m.Lock(ctx, "k")
		assert.NoError(t, err)
		got <- u
	}()
	waitForRefs(t, m, "k", 2)
	select {
	case <-got:
		t.Fatal("a second holder got the lock while the first held it")
	default:
	}
	unlock()
	select {
	case u := <-got:
		require.NotNil(t, u)
		u()
	case <-ctx.Done():
		t.Fatal("the waiter never got the lock after it was released")
	}
	assert.Zero(t, heldLocks(m))
}

func TestMemoryLockerKeysAreIndependent(t *testing.T) {
	m := NewMemoryLocker()
	ctx := lockTestContext(t)
	ua, err := m.Lock(ctx, "charge:a")
	require.NoError(t, err)
	ub, err := m.Lock(ctx, "charge:b") // would block until ctx ends if keys shared a lock
	require.NoError(t, err)
	assert.Equal(t, 2, heldLocks(m))
	ub()
	ua()
	assert.Zero(t, heldLocks(m))
}

func TestMemoryLockerContextEndsWhileWaiting(t *testing.T) {
	tests := []struct {
		name string
		make func() (context.Context, context.CancelFunc)
		want error
	}{
		{name: "cancelled", make: func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, want: context.Canceled},
		{name: "deadline", make: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		// In a bubble: the deadline passes in virtual time, and a waiter is
		// known to wait once every goroutine is blocked.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewMemoryLocker()
				unlock, err := m.Lock(lockTestContext(t), "k")
				require.NoError(t, err)

				ctx, cancel := tt.make()
				defer cancel()
				errc := make(chan error, 1)
				go func() {
					u, err := m.Lock(ctx, "k")
					if u != nil {
						u()
					}
					errc <- err
				}()
				if tt.want == context.Canceled {
					synctest.Wait() // cancel while it waits
					require.Equal(t, 2, lockRefs(m, "k"))
					cancel()
				}
				require.ErrorIs(t, <-errc, tt.want, "Lock returns when its context ends")
				assert.Equal(t, 1, lockRefs(m, "k"), "the waiter that gave up must not count")
				unlock()
				assert.Zero(t, heldLocks(m), "nothing may leak once every holder unlocked")

				// The lock still works afterwards.
				u, err := m.Lock(lockTestContext(t), "k")
				require.NoError(t, err)
				u()
				assert.Zero(t, heldLocks(m))
			})
		})
	}
}

func TestMemoryLockerUnlockTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLocker()
		ctx := lockTestContext(t)
		first, err := m.Lock(ctx, "k")
		require.NoError(t, err)
		first()
		second, err := m.Lock(ctx, "k")
		require.NoError(t, err)

		done := make(chan struct{})
		go func() {
			first() // must be a no-op, not a release of second's hold
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("a second unlock blocked")
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err = m.Lock(short, "k")
		require.ErrorIs(t, err, context.DeadlineExceeded, "the lock is still held by second")
		second()
		assert.Zero(t, heldLocks(m))
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
			unlock, err := m.Lock(ctx, fmt.Sprintf("charge:%d", i%5))
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				return
			}
			runtime.Gosched()
			unlock()
		})
	}
	wg.Wait()
	assert.Zero(t, heldLocks(m))
}

// recordingLocker records the keys locked and unlocked, and can fail one.
type recordingLocker struct {
	mu       sync.Mutex
	locked   []string
	unlocked []string
	fail     string
}

func (r *recordingLocker) Lock(_ context.Context, key string) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == r.fail {
		return nil, errors.New("lock service down")
	}
	r.locked = append(r.locked, key)
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.unlocked = append(r.unlocked, key)
	}, nil
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
			unlock, _, err := lockAll(context.Background(), r, keys)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.locked)
			assert.Equal(t, tt.keys, keys, "the caller's slice is left as it was")
			unlock()
			want := slices.Clone(tt.want)
			slices.Reverse(want)
			assert.Equal(t, want, r.unlocked, "released in reverse order")
		})
	}
}

func TestLockAllFailureReleasesTaken(t *testing.T) {
	r := &recordingLocker{fail: "subscription:s"}
	unlock, _, err := lockAll(context.Background(), r, []string{"subscription:s", "charge:c"})
	require.Error(t, err)
	assert.Nil(t, unlock)
	assert.Equal(t, []string{"charge:c"}, r.locked)
	assert.Equal(t, []string{"charge:c"}, r.unlocked)
}

// yieldingLocker yields after every lock it takes, to give two webhooks
// that take the same locks in opposite orders every chance to deadlock.
type yieldingLocker struct{ Locker }

func (y yieldingLocker) Lock(ctx context.Context, key string) (func(), error) {
	unlock, err := y.Locker.Lock(ctx, key)
	runtime.Gosched()
	return unlock, err
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
			unlock, _, err := lockAll(ctx, locker, keys)
			if !assert.NoError(t, err, "deadlocked") {
				return
			}
			runtime.Gosched()
			unlock()
		})
	}
	wg.Wait()
	assert.Zero(t, heldLocks(m))
}
