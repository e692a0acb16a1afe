package apitest

import (
	"context"
	"sync"
)

// recordLocks serialize the agent actions on each record: an action holds
// its records' locks from before its webhook is built until its answer is
// applied, so the next action on the record sees the last one's result,
// and actions on other records go on in parallel. A lock exists only
// while it is held or waited for.
type recordLocks struct {
	mu   sync.Mutex
	byID map[*base]*recordLock
}

type recordLock struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters
}

func (l *recordLocks) entry(b *base) *recordLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byID == nil {
		l.byID = map[*base]*recordLock{}
	}
	lk := l.byID[b]
	if lk == nil {
		lk = &recordLock{ch: make(chan struct{}, 1)}
		l.byID[b] = lk
	}
	lk.refs++
	return lk
}

func (l *recordLocks) release(b *base, lk *recordLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lk.refs--; lk.refs == 0 {
		delete(l.byID, b)
	}
}

// lock waits, until ctx is done, for b's lock. It returns the function
// that releases it, or ctx's error.
func (l *recordLocks) lock(ctx context.Context, b *base) (func(), error) {
	lk := l.entry(b)
	select {
	case lk.ch <- struct{}{}:
		return func() { <-lk.ch; l.release(b, lk) }, nil
	case <-ctx.Done():
		l.release(b, lk)
		return nil, ctx.Err()
	}
}

// tryLock takes b's lock if it is free.
func (l *recordLocks) tryLock(b *base) (func(), bool) {
	lk := l.entry(b)
	select {
	case lk.ch <- struct{}{}:
		return func() { <-lk.ch; l.release(b, lk) }, true
	default:
		l.release(b, lk)
		return nil, false
	}
}
