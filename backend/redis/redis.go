// Package redisstore runs a ChargeDesk receiver as many instances on one
// Redis: a lease [Locker] and a [DuplicateStore]. It is its own module, so
// that only its importers pay for go-redis.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	cfg.Locker, cfg.DuplicateStore = redisstore.NewLocker(client), redisstore.NewDuplicateStore(client)
//
// A Redis lock is a lease: a process that pauses longer than the lease (a
// long GC, a frozen VM) can lose it while it still works, and another
// instance may then act on the same object. The handler cancels the
// Gateway's context when it notices, but only the platform can refuse the
// second action: pass chargedesk.IdempotencyKey(ctx) to it. With
// PostgreSQL (backend/postgres) a lock has no lease.
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chargedesk/chargedesk-go"
)

// Locker is a chargedesk.LeaseLocker on Redis: SET key token NX PX lease
// takes a lock, a watchdog renews it every third of the lease while it is
// held (compare-and-extend, in Lua, so only the holder's token extends it),
// and unlock deletes it only if it still holds the token
// (compare-and-delete). A renewal that finds another token, or that cannot
// reach Redis before the lease runs out, reports the lock lost.
type Locker struct {
	client redis.UniversalClient
	// Lease is how long a lock lives without renewal (default 30 s): how
	// long another instance waits when a holder's process dies.
	Lease time.Duration
	// Poll is how often a waiter tries again (default 50 ms).
	Poll time.Duration
}

// NewLocker returns a Locker on client.
func NewLocker(client redis.UniversalClient) *Locker {
	return &Locker{client: client, Lease: 30 * time.Second, Poll: 50 * time.Millisecond}
}

var _ chargedesk.LeaseLocker = (*Locker)(nil)

var (
	extend = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then
	return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0`)
	release = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then
	return redis.call("del", KEYS[1])
end
return 0`)
)

// Lock implements chargedesk.Locker.
func (l *Locker) Lock(ctx context.Context, key string) (func(), error) {
	unlock, _, err := l.LockLease(ctx, key)
	return unlock, err
}

// LockLease implements chargedesk.LeaseLocker.
func (l *Locker) LockLease(ctx context.Context, key string) (func(), <-chan struct{}, error) {
	lease, poll := l.Lease, l.Poll
	if lease <= 0 {
		lease = 30 * time.Second
	}
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	token, name := hex.EncodeToString(b), "chargedesk:lock:"+key
	for {
		ok, err := l.client.SetNX(ctx, name, token, lease).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, fmt.Errorf("redis locker: %w", err)
		}
		if ok {
			break
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
	}
	lost, stop, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		every := lease / 3
		t := time.NewTicker(every)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(context.Background(), every)
			n, err := extend.Run(rctx, l.client, []string{name}, token, lease.Milliseconds()).Int()
			cancel()
			switch {
			case err == nil && n == 1:
				renewed = time.Now()
			case err == nil || time.Since(renewed) >= lease:
				close(lost) // taken by another token, or the lease ran out unrenewed
				return
			}
		}
	}()
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			close(stop)
			<-done
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// If this fails the lease expires on its own.
			_ = release.Run(uctx, l.client, []string{name}, token).Err()
		})
	}
	return unlock, lost, nil
}

// DuplicateStore is a chargedesk.DuplicateStore on Redis: a key per action,
// SET NX PX with the window as its lifetime, so Redis expires it.
type DuplicateStore struct {
	client redis.UniversalClient
}

// NewDuplicateStore returns a DuplicateStore on client.
func NewDuplicateStore(client redis.UniversalClient) *DuplicateStore {
	return &DuplicateStore{client: client}
}

var _ chargedesk.DuplicateStore = (*DuplicateStore)(nil)

// Seen implements chargedesk.DuplicateStore.
func (s *DuplicateStore) Seen(ctx context.Context, key string) (bool, error) {
	n, err := s.client.Exists(ctx, dupKey(key)).Result()
	if err != nil {
		return false, fmt.Errorf("redis duplicate store: %w", err)
	}
	return n == 1, nil
}

// Remember implements chargedesk.DuplicateStore.
func (s *DuplicateStore) Remember(ctx context.Context, key string, ttl time.Duration) error {
	err := s.client.SetArgs(ctx, dupKey(key), "1", redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if err != nil && !errors.Is(err, redis.Nil) { // redis.Nil: already remembered
		return fmt.Errorf("redis duplicate store: %w", err)
	}
	return nil
}

// dupKey names an action's key: a digest, whatever the key's length.
func dupKey(key string) string {
	if len(key) != 64 {
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:])
	}
	return "chargedesk:dup:" + key
}
