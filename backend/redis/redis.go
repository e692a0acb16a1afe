// Package redisstore runs a ChargeDesk receiver as many instances on one
// Redis: a lease [Locker] and a [DuplicateStore]. It is its own module, so
// that only its importers pay for go-redis.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	cfg.Locker, cfg.DuplicateStore = redisstore.NewLocker(client), redisstore.NewDuplicateStore(client)
//
// A lock's state lives in one key, changed only by Lua scripts that check
// its owner, with the times taken from the Redis server's clock (TIME), so
// the instances' clocks need not agree. Redis must keep its keys across a
// restart (AOF or RDB persistence, or a replica that is promoted): a Redis
// that loses its keys frees every held lock at once.
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chargedesk/chargedesk-go"
)

// Locker is a chargedesk.Locker on Redis. A lock is the key
// "chargedesk:lock:" + its name, holding its owner, state and last renewal,
// with the lease's expiry as the key's TTL:
//
//   - Lock sets the key if it is absent (a script); a waiter tries again
//     every Poll. A key held for an unknown outcome, or whose holder has
//     not renewed it for three of its RenewEvery, is refused at once with
//     a *chargedesk.HeldError saying how long its TTL has left.
//   - A lease's fencing token is INCR of "chargedesk:fence", taken once
//     the lock is held.
//   - While held, the lease is renewed every RenewEvery, its TTL pushed to
//     at least the settle time plus RenewEvery. A lost connection is not a
//     lost lock: the key stays until its TTL runs out. The lease is
//     reported lost only when it has gone unrenewed until it may have
//     expired, or another owner holds it.
//   - A lease expires at the latest at its terms' Hold after it was taken
//     or the settle time plus RenewEvery after its last renewal, so a
//     holder that crashed or froze keeps its object for that long, and no
//     longer.
type Locker struct {
	client redis.UniversalClient
	// RenewEvery is how often a held lease is renewed (default 2s).
	RenewEvery time.Duration
	// Poll is how often a waiter tries again (default 25ms).
	Poll time.Duration
	// OpTimeout bounds each command (default 2s).
	OpTimeout time.Duration
}

// NewLocker returns a Locker on client.
func NewLocker(client redis.UniversalClient) *Locker {
	return &Locker{client: client, RenewEvery: 2 * time.Second, Poll: 25 * time.Millisecond, OpTimeout: 2 * time.Second}
}

var _ chargedesk.Locker = (*Locker)(nil)

func (l *Locker) settings() (renew, poll, op time.Duration) {
	renew, poll, op = l.RenewEvery, l.Poll, l.OpTimeout
	if renew <= 0 {
		renew = 2 * time.Second
	}
	if poll <= 0 {
		poll = 25 * time.Millisecond
	}
	if op <= 0 {
		op = 2 * time.Second
	}
	return renew, poll, op
}

// fenceKey holds the fencing tokens' counter.
const fenceKey = "chargedesk:fence"

// A lock's value is "owner|state|renew_ms|renewed_ms"; now is the server's
// clock in milliseconds.
const scriptNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

var (
	// take: ARGV owner, hold_ms, renew_ms. {1} when taken, else
	// {0, value, pttl, now}.
	take = redis.NewScript(scriptNow + `local cur = redis.call('GET', KEYS[1])
if cur then
	return {0, cur, redis.call('PTTL', KEYS[1]), now}
end
redis.call('SET', KEYS[1], ARGV[1] .. '|held|' .. ARGV[3] .. '|' .. now, 'PX', ARGV[2])
return {1}`)
	// change: ARGV owner, op ("renew" with ahead_ms, "unknown",
	// "settle" with settle_ms, "release"). 1 when the owner holds it.
	change = redis.NewScript(scriptNow + `local cur = redis.call('GET', KEYS[1])
if not cur or string.sub(cur, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then
	return 0
end
local state, renew, renewed = string.match(string.sub(cur, #ARGV[1] + 2), '^([^|]*)|([^|]*)|([^|]*)$')
local op = ARGV[2]
if op == 'release' then
	redis.call('DEL', KEYS[1])
elseif op == 'renew' then
	local ttl = redis.call('PTTL', KEYS[1])
	redis.call('SET', KEYS[1], ARGV[1] .. '|' .. state .. '|' .. renew .. '|' .. now, 'PX', math.max(ttl, tonumber(ARGV[3])))
elseif op == 'unknown' then
	redis.call('SET', KEYS[1], ARGV[1] .. '|unknown|' .. renew .. '|' .. renewed, 'KEEPTTL')
elseif op == 'settle' then
	redis.call('SET', KEYS[1], ARGV[1] .. '|settling|' .. renew .. '|' .. renewed, 'PX', ARGV[3])
end
return 1`)
)

// errNotHeld is a lease's call that found the lock held by another owner,
// or gone: it was lost.
var errNotHeld = errors.New("redis locker: the lock is no longer held by this lease")

// Lock implements chargedesk.Locker.
func (l *Locker) Lock(ctx context.Context, key string, terms chargedesk.LeaseTerms) (chargedesk.Lease, error) {
	renew, poll, op := l.settings()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	owner, name := hex.EncodeToString(b), "chargedesk:lock:"+key
	for {
		sent := time.Now()
		var res []any
		err := l.command(ctx, op, func(cctx context.Context) (err error) {
			res, err = take.Run(cctx, l.client, []string{name}, owner, terms.Hold.Milliseconds(), renew.Milliseconds()).Slice()
			return err
		})
		if err != nil {
			return nil, err
		}
		if res[0].(int64) == 1 {
			return l.hold(ctx, name, owner, terms, sent)
		}
		if held := holder(key, res); held != nil {
			return nil, held
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// holder reads take's answer about another holder: a *HeldError when it
// is held for an unknown outcome or its holder stopped renewing it, nil
// when the holder is live.
func holder(key string, res []any) *chargedesk.HeldError {
	value, _ := res[1].(string)
	pttl, _ := res[2].(int64)
	now, _ := res[3].(int64)
	parts := strings.Split(value, "|")
	if len(parts) != 4 {
		return &chargedesk.HeldError{Key: key, Wait: time.Duration(max(pttl, 0)) * time.Millisecond}
	}
	renew, _ := strconv.ParseInt(parts[2], 10, 64)
	renewed, _ := strconv.ParseInt(parts[3], 10, 64)
	wait := time.Duration(max(pttl, 0)) * time.Millisecond
	switch {
	case parts[1] != "held":
		return &chargedesk.HeldError{Key: key, Wait: wait}
	case now-renewed > 3*renew:
		return &chargedesk.HeldError{Key: key, Wait: wait, Stalled: true}
	}
	return nil
}

// command runs f with a deadline of op (within ctx's); a deadline of its
// own that passes is a store error, ctx's end is ctx's error.
func (l *Locker) command(ctx context.Context, op time.Duration, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, op)
	defer cancel()
	err := f(cctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("redis locker: %w", err)
}

// hold takes the lease's fencing token and starts renewing it; sent is
// when the command that took it was sent. Without a token the lock is
// released and the error returned.
func (l *Locker) hold(ctx context.Context, name, owner string, terms chargedesk.LeaseTerms, sent time.Time) (chargedesk.Lease, error) {
	renew, _, op := l.settings()
	ls := &lease{l: l, name: name, owner: owner, terms: terms, op: op,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	err := l.command(ctx, op, func(cctx context.Context) (err error) {
		ls.fence, err = l.client.Incr(cctx, fenceKey).Result()
		return err
	})
	if err != nil {
		close(ls.done)
		_ = ls.Release(context.Background())
		return nil, err
	}
	go ls.watch(renew, sent.Add(terms.Hold))
	return ls, nil
}

// lease is a lock of a Locker, held while its watchdog renews it.
type lease struct {
	l     *Locker
	name  string
	owner string
	fence int64
	terms chargedesk.LeaseTerms
	op    time.Duration
	lost  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (ls *lease) Fence() int64          { return ls.fence }
func (ls *lease) Lost() <-chan struct{} { return ls.lost }

// watch renews the lease every renew until stopped. expires is when the
// lease may expire at the earliest, by this process's clock; once it
// passes without a renewal the lease is reported lost, and a renewal that
// finds another owner reports it lost at once.
func (ls *lease) watch(renew time.Duration, expires time.Time) {
	defer close(ls.done)
	t := time.NewTicker(renew)
	defer t.Stop()
	ahead := ls.terms.Settle + renew
	for {
		select {
		case <-ls.stop:
			return
		case <-t.C:
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), min(ls.op, renew))
		n, err := change.Run(ctx, ls.l.client, []string{ls.name}, ls.owner, "renew", ahead.Milliseconds()).Int()
		cancel()
		switch {
		case err == nil && n == 1:
			if e := sent.Add(ahead); e.After(expires) {
				expires = e
			}
		case err == nil || !time.Now().Before(expires.Add(-renew)):
			close(ls.lost) // taken by another owner, or unrenewed until it may have expired
			return
		}
	}
}

func (ls *lease) run(ctx context.Context, args ...any) error {
	cctx, cancel := context.WithTimeout(ctx, ls.op)
	defer cancel()
	n, err := change.Run(cctx, ls.l.client, []string{ls.name}, append([]any{ls.owner}, args...)...).Int()
	if err != nil {
		return fmt.Errorf("redis locker: %w", err)
	}
	if n != 1 {
		return errNotHeld
	}
	return nil
}

func (ls *lease) stopWatch() {
	ls.once.Do(func() {
		close(ls.stop)
		<-ls.done
	})
}

// Unknown implements chargedesk.Lease.
func (ls *lease) Unknown(ctx context.Context) error { return ls.run(ctx, "unknown") }

// Release implements chargedesk.Lease: the key is deleted.
func (ls *lease) Release(ctx context.Context) error {
	ls.stopWatch()
	return ls.run(ctx, "release")
}

// Settle implements chargedesk.Lease: the key expires the settle time from
// now, refused meanwhile.
func (ls *lease) Settle(ctx context.Context) error {
	ls.stopWatch()
	return ls.run(ctx, "settle", ls.terms.Settle.Milliseconds())
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
