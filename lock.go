package chargedesk

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Locker serializes actions on one charge or subscription. The handler
// takes a lock named after each object a webhook acts on ("charge:ch_123",
// "subscription:sub_9") before it calls the Gateway, so two agents (or a
// double click) cannot refund the same charge at once, while actions on
// different objects run in parallel. A cancel with a refund holds both of
// its objects' locks, taken in sorted order so two webhooks cannot
// deadlock.
//
// A lock is a [Lease], and it ends only when its holder's action has
// provably ended (the Gateway returned and its outcome is recorded:
// [Lease.Release]) or can no longer be running: an action whose outcome is
// unknown (the deadline passed, the Gateway returned a context error or
// panicked) keeps its objects held for the settle time ([Lease.Settle]),
// and a holder that stops renewing its lease (a crashed or paused process)
// keeps them held until the lease's terms run out. While an object is held
// that way, Lock refuses at once with a [*HeldError] saying how long to
// wait; while a live action holds it, Lock waits.
//
// The default, [NewMemoryLocker], serves one process. A deployment with
// several instances behind a load balancer needs a Locker they share:
// backend/postgres and backend/redis provide one. [chargedesktest.TestLocker]
// is the contract every Locker must keep.
type Locker interface {
	// Lock takes the lock named key on terms. It waits while a live action
	// holds it, and returns: a Lease once it holds the lock; a *HeldError
	// at once when the key is held for an action whose outcome is unknown
	// or whose holder stopped renewing it; ctx's error when ctx ends first;
	// any other error when its store fails. Each call to the store has a
	// deadline of its own, so a store that does not answer is an error, not
	// a hang.
	Lock(ctx context.Context, key string, terms LeaseTerms) (Lease, error)
}

// LeaseTerms say how long a lock must outlive its holder, should the holder
// stop without ending it: the handler sets them from Config.Timeout and
// Config.SettleTime.
type LeaseTerms struct {
	// Hold is how long the lease runs from when it is taken, renewed or
	// not: the action's deadline plus the settle time, so that an action
	// started on a process that then died cannot be running when it ends.
	Hold time.Duration
	// Settle is how long the lease outlives its holder's last renewal, and
	// how long Settle keeps the object held: long enough for a payment
	// platform to finish a call its caller has given up on.
	Settle time.Duration
}

// Lease is a held lock. Its methods are called by one goroutine, in order:
// at most one of Release and Settle ends it, after which it is never used
// again. Each method's context bounds its call to the store; a store error
// leaves the lease to end on its own at the end of its terms.
type Lease interface {
	// Fence is the lease's fencing token: larger than the token of every
	// lease on the same key taken before it, across instances and, with a
	// shared store, across restarts. See [FencingToken].
	Fence() int64
	// Lost is closed if the lease is lost while held: it could not be
	// renewed before its terms ran out, and another holder may take it.
	// Nil when it cannot be lost.
	Lost() <-chan struct{}
	// Unknown marks the holder's action as of unknown outcome (its agent
	// was told so at the deadline): from then on Lock refuses the key at
	// once with a *HeldError rather than wait for it. The lease is still
	// renewed while held.
	Unknown(ctx context.Context) error
	// Release ends the lease now: the holder's action has ended and its
	// outcome is known.
	Release(ctx context.Context) error
	// Settle ends the lease's renewal and keeps the key held, refused with
	// a *HeldError, for terms.Settle from now: the holder's action has
	// returned but its outcome is unknown, so the platform may still be
	// performing it.
	Settle(ctx context.Context) error
}

// HeldError is Lock's refusal of a key that is held for an action whose
// outcome is unknown, or by a holder that stopped renewing its lease (a
// crashed or paused process). The agent is told the result of the previous
// action is not known yet and when to try again.
type HeldError struct {
	// Key is the lock's name ("charge:ch_123").
	Key string
	// Wait is how long the key stays held at most, by the store's clock.
	Wait time.Duration
	// Stalled reports that the holder stopped renewing its lease, rather
	// than marked its action's outcome unknown.
	Stalled bool
}

func (e *HeldError) Error() string {
	why := "its previous action's outcome is unknown"
	if e.Stalled {
		why = "its holder stopped renewing its lease"
	}
	return fmt.Sprintf("lock %q is held because %s, for at most %s more", e.Key, why, e.Wait.Round(time.Second))
}

// MemoryLocker is an in-process [Locker]. Its zero value is not ready: use
// [NewMemoryLocker]. A key is forgotten once nobody holds, awaits or
// settles it, so memory grows with the actions in flight and settling, not
// with the objects ever seen. Its leases cannot be lost (their holder is
// this process) and ignore Hold; its fencing tokens start from the wall
// clock's nanoseconds when it is made, so they keep growing across restarts
// while the clock does.
type MemoryLocker struct {
	mu    sync.Mutex
	now   func() time.Time
	fence int64
	locks map[string]*memLock
}

type memLock struct {
	held    bool
	unknown bool // the holder's outcome is unknown: refuse at once
	// until is when the hold ends: while held, the end of its terms' Hold
	// (the holder's deadline and settle time); while settling, the end of
	// the settling.
	until   time.Time
	changed chan struct{} // closed, and replaced, at each change of state
}

// NewMemoryLocker returns an empty MemoryLocker.
func NewMemoryLocker() *MemoryLocker {
	return &MemoryLocker{now: time.Now, fence: time.Now().UnixNano(), locks: map[string]*memLock{}}
}

// Lock implements [Locker].
func (m *MemoryLocker) Lock(ctx context.Context, key string, terms LeaseTerms) (Lease, error) {
	for {
		m.mu.Lock()
		l := m.locks[key]
		now := m.now()
		if l != nil && !l.held && !now.Before(l.until) {
			delete(m.locks, key) // its settling has ended
			l = nil
		}
		if l == nil {
			m.fence++
			m.locks[key] = &memLock{held: true, until: now.Add(terms.Hold), changed: make(chan struct{})}
			lease := &memLease{m: m, key: key, fence: m.fence, settle: terms.Settle}
			m.mu.Unlock()
			return lease, nil
		}
		if l.unknown || !l.held {
			wait := l.until.Sub(now)
			if l.held {
				// The action still runs: its settling is still ahead.
				wait = max(wait, terms.Settle)
			}
			m.mu.Unlock()
			return nil, &HeldError{Key: key, Wait: wait}
		}
		changed := l.changed
		m.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// memLease is a MemoryLocker's lease.
type memLease struct {
	m      *MemoryLocker
	key    string
	fence  int64
	settle time.Duration
}

func (l *memLease) Fence() int64          { return l.fence }
func (l *memLease) Lost() <-chan struct{} { return nil }

// change applies f to the lease's lock and wakes its waiters.
func (l *memLease) change(f func(*memLock)) {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	ml := l.m.locks[l.key]
	f(ml)
	close(ml.changed)
	ml.changed = make(chan struct{})
	if !ml.held && !ml.until.After(l.m.now()) {
		delete(l.m.locks, l.key)
	}
}

func (l *memLease) Unknown(context.Context) error {
	l.change(func(ml *memLock) { ml.unknown = true })
	return nil
}

func (l *memLease) Release(context.Context) error {
	l.change(func(ml *memLock) { ml.held, ml.unknown, ml.until = false, false, time.Time{} })
	return nil
}

func (l *memLease) Settle(context.Context) error {
	var ml *memLock
	l.change(func(m *memLock) { ml, m.held, m.unknown, m.until = m, false, true, l.m.now().Add(l.settle) })
	// Forgotten once its settling ends, unless taken again by then.
	time.AfterFunc(l.settle, func() {
		l.m.mu.Lock()
		defer l.m.mu.Unlock()
		if l.m.locks[l.key] == ml && !ml.held && !ml.until.After(l.m.now()) {
			delete(l.m.locks, l.key)
		}
	})
	return nil
}

// size is how many keys m tracks.
func (m *MemoryLocker) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}

// lockSet is the leases of one action, taken in sorted key order.
type lockSet struct {
	keys   []string
	leases []Lease
}

// lockAll takes the locks named by keys in sorted order, without repeats;
// on an error it releases those it took.
func lockAll(ctx context.Context, locker Locker, keys []string, terms LeaseTerms, storeTimeout time.Duration) (*lockSet, error) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	set := &lockSet{}
	for _, k := range keys {
		lease, err := locker.Lock(ctx, k, terms)
		if err != nil {
			set.each(storeTimeout, Lease.Release)
			return nil, err
		}
		set.keys, set.leases = append(set.keys, k), append(set.leases, lease)
	}
	return set, nil
}

// fence is the action's fencing token: that of its last lease, taken while
// it held all the others, so that it exceeds the token of every earlier
// action on any of its objects.
func (s *lockSet) fence() int64 {
	if len(s.leases) == 0 {
		return 0
	}
	return s.leases[len(s.leases)-1].Fence()
}

// lost returns the channels that close if a lease is lost.
func (s *lockSet) lost() []<-chan struct{} {
	var lost []<-chan struct{}
	for _, l := range s.leases {
		if c := l.Lost(); c != nil {
			lost = append(lost, c)
		}
	}
	return lost
}

// each calls f on every lease, in reverse order, each call with a deadline
// of its own, and returns the keys whose call failed with their errors.
func (s *lockSet) each(timeout time.Duration, f func(Lease, context.Context) error) []error {
	var errs []error
	for i := len(s.leases) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if err := f(s.leases[i], ctx); err != nil {
			errs = append(errs, fmt.Errorf("lock %q: %w", s.keys[i], err))
		}
		cancel()
	}
	return errs
}
