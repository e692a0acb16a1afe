package chargedesk

import (
	"context"
	"slices"
	"sync"
)

// Locker serializes actions on one charge or subscription: the handler holds
// a lock named after each object a webhook acts on ("charge:ch_123",
// "subscription:sub_9") for as long as the Gateway works on it, so two agents
// (or a double click) cannot refund the same charge at once, while actions on
// different objects run in parallel. A cancel with a refund holds both of its
// objects' locks, taken in sorted order so two webhooks cannot deadlock.
//
// The default, [NewMemoryLocker], serves one process. A deployment with
// several instances behind a load balancer needs a Locker they share (a
// database advisory lock, Redis, etcd).
//
// The handler calls Lock with the webhook's deadline (Config.Timeout), so the
// wait counts against it. An error from Lock, ctx's or the Locker's own,
// answers 503 without calling the Gateway. The unlock function is called
// once the Gateway returns, which may be after the webhook was answered
// 504: a shared Locker must not let a lock expire while the Gateway may
// still be working on its object.
type Locker interface {
	// Lock blocks until it holds the lock named key, or until ctx is done,
	// when it returns ctx's error. The returned function releases the lock;
	// it is called exactly once.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// LeaseLocker is a [Locker] whose locks can be lost while held: a lease
// that could not be renewed, a database session that died. When a lock the
// Gateway works under is lost, the handler cancels the Gateway's context
// and logs at error level which action may need reconciling; the
// [IdempotencyKey] is then the fence at the platform.
type LeaseLocker interface {
	Locker
	// LockLease is Lock that also returns a channel closed if the lock is
	// lost before unlock is called (nil when it cannot be).
	LockLease(ctx context.Context, key string) (unlock func(), lost <-chan struct{}, err error)
}

// MemoryLocker is an in-process [Locker]. Its zero value is not ready: use
// [NewMemoryLocker]. Locks are forgotten once nobody holds or awaits them, so
// memory grows with the actions in flight, not with the objects ever seen.
type MemoryLocker struct {
	mu    sync.Mutex
	locks map[string]*memLock
}

type memLock struct {
	token chan struct{} // holds one value while the lock is free
	refs  int           // holders and waiters
}

// NewMemoryLocker returns an empty MemoryLocker.
func NewMemoryLocker() *MemoryLocker {
	return &MemoryLocker{locks: map[string]*memLock{}}
}

// Lock implements [Locker].
func (m *MemoryLocker) Lock(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	l := m.locks[key]
	if l == nil {
		l = &memLock{token: make(chan struct{}, 1)}
		l.token <- struct{}{}
		m.locks[key] = l
	}
	l.refs++
	m.mu.Unlock()

	// A free lock is taken without asking ctx for its Done channel, which
	// a context makes on first request.
	select {
	case <-l.token:
	default:
		select {
		case <-l.token:
		case <-ctx.Done():
			m.release(key, l)
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(func() { l.token <- struct{}{}; m.release(key, l) }) }, nil
}

func (m *MemoryLocker) release(key string, l *memLock) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l.refs--
	if l.refs == 0 {
		delete(m.locks, key)
	}
}

// lockAll takes the locks named by keys in sorted order, without repeats,
// and returns the function that releases them all and the channels that
// close if one of them is lost (see LeaseLocker).
func lockAll(ctx context.Context, locker Locker, keys []string) (func(), []<-chan struct{}, error) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	unlocks := make([]func(), 0, len(keys))
	var lost []<-chan struct{}
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	leases, _ := locker.(LeaseLocker)
	for _, k := range keys {
		var (
			unlock func()
			l      <-chan struct{}
			err    error
		)
		if leases != nil {
			unlock, l, err = leases.LockLease(ctx, k)
		} else {
			unlock, err = locker.Lock(ctx, k)
		}
		if err != nil {
			release()
			return nil, nil, err
		}
		unlocks = append(unlocks, unlock)
		if l != nil {
			lost = append(lost, l)
		}
	}
	return release, lost, nil
}
