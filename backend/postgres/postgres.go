// Package postgres runs a ChargeDesk receiver as many instances on one
// PostgreSQL: a [Locker] of leases kept in a table, and a [DuplicateStore].
// It is its own module, so that only its importers pay for pgx.
//
//	pool, err := pgxpool.New(ctx, "postgres://...")
//	err = postgres.CreateSchema(ctx, pool) // or run Schema in your migrations
//	go postgres.RunCleanup(ctx, pool, time.Minute)
//	cfg.Locker, cfg.DuplicateStore = postgres.NewLocker(pool), postgres.NewDuplicateStore(pool)
//
// A lock holds no connection while it is held: taking, renewing and ending
// it are single statements, each with a deadline of its own, so one pool
// serves the locks and the duplicate guard.
package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chargedesk/chargedesk-go"
)

// Schema creates the tables and the sequence, for teams that run their own
// migrations; CreateSchema runs it.
const Schema = `CREATE TABLE IF NOT EXISTS chargedesk_locks (
	key        text PRIMARY KEY,
	owner      text NOT NULL,
	fence      bigint NOT NULL,
	state      text NOT NULL,
	renew_ms   bigint NOT NULL,
	renewed_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS chargedesk_lock_fence;
CREATE TABLE IF NOT EXISTS chargedesk_duplicates (
	key        bytea PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS chargedesk_duplicates_expires_at ON chargedesk_duplicates (expires_at);`

// schemaLock is the advisory lock CreateSchema holds while it runs, so that
// instances starting together on an empty database take turns: CREATE ...
// IF NOT EXISTS alone races on PostgreSQL's catalog (SQLSTATE 23505).
const schemaLock = 7_307_141_812_262_710_372

// CreateSchema creates the tables if they do not exist. Any number of
// instances may call it at once.
func CreateSchema(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, Schema)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: creating the schema: %w", err)
	}
	return nil
}

// Cleanup deletes the expired locks and duplicate keys, and reports how
// many. Expired rows are ignored anyway; this only bounds the tables.
func Cleanup(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	for _, q := range []string{"DELETE FROM chargedesk_duplicates WHERE expires_at <= now()",
		"DELETE FROM chargedesk_locks WHERE expires_at <= now()"} {
		tag, err := pool.Exec(ctx, q)
		if err != nil {
			return n, fmt.Errorf("postgres: cleanup: %w", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// RunCleanup calls Cleanup every interval until ctx is done; run it in a
// goroutine, on one instance or all (deleting is idempotent). Each run has
// a deadline of an interval.
func RunCleanup(ctx context.Context, pool *pgxpool.Pool, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, every)
			_, _ = Cleanup(cctx, pool)
			cancel()
		}
	}
}

// Locker is a chargedesk.Locker on the chargedesk_locks table. A lock is a
// row naming its owner, its fencing token (from a sequence, so it only
// grows), its state and its expiry, by the database's clock:
//
//   - Lock inserts the row, or takes over one that has expired, in one
//     statement; a waiter tries again every Poll, holding no connection in
//     between. A row held for an unknown outcome, or whose holder has not
//     renewed it for three of its RenewEvery, is refused at once with a
//     *chargedesk.HeldError saying how long it has left.
//   - While held, the lease is renewed every RenewEvery, its expiry pushed
//     to at least the settle time plus RenewEvery ahead. A lost connection
//     is not a lost lock: the row stays until its expiry. The lease is
//     reported lost only when it has gone unrenewed until it may have
//     expired, or another owner holds it.
//   - A held lease expires at the latest at its terms' Hold after it was
//     taken (the deadline plus the settle time) or the settle time plus
//     RenewEvery after its last renewal, so a holder that crashed or
//     froze keeps its object for that long, and no longer.
type Locker struct {
	pool *pgxpool.Pool
	// RenewEvery is how often a held lease is renewed (default 2s).
	RenewEvery time.Duration
	// Poll is how often a waiter tries again (default 25ms).
	Poll time.Duration
	// OpTimeout bounds each statement (default 2s).
	OpTimeout time.Duration
}

// NewLocker returns a Locker on pool. Create the schema first.
func NewLocker(pool *pgxpool.Pool) *Locker {
	return &Locker{pool: pool, RenewEvery: 2 * time.Second, Poll: 25 * time.Millisecond, OpTimeout: 2 * time.Second}
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

const (
	takeSQL = `INSERT INTO chargedesk_locks AS l (key, owner, fence, state, renew_ms, renewed_at, expires_at)
	VALUES ($1, $2, nextval('chargedesk_lock_fence'), 'held', $4, now(), now() + $3 * interval '1 millisecond')
	ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, fence = EXCLUDED.fence, state = 'held',
		renew_ms = EXCLUDED.renew_ms, renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at
	WHERE l.expires_at <= now()
	RETURNING fence`
	holderSQL = `SELECT state, renew_ms, (extract(epoch FROM now() - renewed_at) * 1000)::bigint,
		(extract(epoch FROM expires_at - now()) * 1000)::bigint
	FROM chargedesk_locks WHERE key = $1`
	renewSQL = `UPDATE chargedesk_locks SET renewed_at = now(),
		expires_at = greatest(expires_at, now() + $3 * interval '1 millisecond')
	WHERE key = $1 AND owner = $2`
	unknownSQL = `UPDATE chargedesk_locks SET state = 'unknown' WHERE key = $1 AND owner = $2`
	settleSQL  = `UPDATE chargedesk_locks SET state = 'settling', expires_at = now() + $3 * interval '1 millisecond'
	WHERE key = $1 AND owner = $2`
	releaseSQL = `DELETE FROM chargedesk_locks WHERE key = $1 AND owner = $2`
)

// errNotHeld is a lease's call that found the lock held by another owner,
// or gone: it was lost.
var errNotHeld = errors.New("postgres locker: the lock is no longer held by this lease")

// Lock implements chargedesk.Locker.
func (l *Locker) Lock(ctx context.Context, key string, terms chargedesk.LeaseTerms) (chargedesk.Lease, error) {
	renew, poll, op := l.settings()
	owner, err := newOwner()
	if err != nil {
		return nil, err
	}
	for {
		start := time.Now()
		var fence int64
		err := l.query(ctx, op, func(qctx context.Context) error {
			return l.pool.QueryRow(qctx, takeSQL, key, owner, terms.Hold.Milliseconds(), renew.Milliseconds()).Scan(&fence)
		})
		switch {
		case err == nil:
			return l.hold(key, owner, fence, terms, start), nil
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, err
		}
		var (
			state          string
			renewMS, ageMS int64
			expiresInMS    int64
			holderVanished bool
		)
		err = l.query(ctx, op, func(qctx context.Context) error {
			return l.pool.QueryRow(qctx, holderSQL, key).Scan(&state, &renewMS, &ageMS, &expiresInMS)
		})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			holderVanished = true // released between the two statements
		case err != nil:
			return nil, err
		case state != "held":
			return nil, &chargedesk.HeldError{Key: key, Wait: time.Duration(max(expiresInMS, 0)) * time.Millisecond}
		case ageMS > 3*renewMS:
			return nil, &chargedesk.HeldError{Key: key, Wait: time.Duration(max(expiresInMS, 0)) * time.Millisecond, Stalled: true}
		}
		if holderVanished {
			continue
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

// query runs f with a deadline of op (within ctx's); a deadline of its own
// that passes is a store error, ctx's end is ctx's error.
func (l *Locker) query(ctx context.Context, op time.Duration, f func(context.Context) error) error {
	qctx, cancel := context.WithTimeout(ctx, op)
	defer cancel()
	err := f(qctx)
	switch {
	case err == nil || errors.Is(err, pgx.ErrNoRows):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("postgres locker: %w", err)
}

func newOwner() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("postgres locker: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// hold starts renewing the lease just taken; sent is when the statement
// that took it was sent.
func (l *Locker) hold(key, owner string, fence int64, terms chargedesk.LeaseTerms, sent time.Time) *lease {
	renew, _, op := l.settings()
	ls := &lease{l: l, key: key, owner: owner, fence: fence, terms: terms, op: op,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go ls.watch(renew, sent.Add(terms.Hold))
	return ls
}

// lease is a lock of a Locker, held while its watchdog renews it.
type lease struct {
	l     *Locker
	key   string
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
// lease may expire at the earliest, by this process's clock: the time the
// statement that last set its expiry was sent, plus that expiry. Once it
// passes without a renewal, the lease is reported lost; a renewal that
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
		tag, err := ls.l.pool.Exec(ctx, renewSQL, ls.key, ls.owner, ahead.Milliseconds())
		cancel()
		switch {
		case err == nil && tag.RowsAffected() == 1:
			expires = maxTime(expires, sent.Add(ahead))
		case err == nil || !time.Now().Before(expires.Add(-renew)):
			close(ls.lost) // taken by another owner, or unrenewed until it may have expired
			return
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// exec runs a statement on the lease's own row, with a deadline of its own;
// a row that is gone or has another owner means the lease was lost.
func (ls *lease) exec(ctx context.Context, sql string, args ...any) error {
	qctx, cancel := context.WithTimeout(ctx, ls.op)
	defer cancel()
	tag, err := ls.l.pool.Exec(qctx, sql, append([]any{ls.key, ls.owner}, args...)...)
	if err != nil {
		return fmt.Errorf("postgres locker: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return errNotHeld
	}
	return nil
}

func (ls *lease) stopWatch() {
	ls.once.Do(func() { close(ls.stop); <-ls.done })
}

// Unknown implements chargedesk.Lease.
func (ls *lease) Unknown(ctx context.Context) error { return ls.exec(ctx, unknownSQL) }

// Release implements chargedesk.Lease: the row is deleted.
func (ls *lease) Release(ctx context.Context) error {
	ls.stopWatch()
	return ls.exec(ctx, releaseSQL)
}

// Settle implements chargedesk.Lease: the row expires the settle time from
// now, refused meanwhile.
func (ls *lease) Settle(ctx context.Context) error {
	ls.stopWatch()
	return ls.exec(ctx, settleSQL, ls.terms.Settle.Milliseconds())
}

// DuplicateStore is a chargedesk.DuplicateStore on the chargedesk_duplicates
// table. Keys are stored as 32-byte digests; expiry is by the database's
// clock, so the instances' clocks need not agree. Expired rows are ignored
// on read and removed by Cleanup.
type DuplicateStore struct {
	pool *pgxpool.Pool
}

// NewDuplicateStore returns a DuplicateStore on pool. Create the schema
// first.
func NewDuplicateStore(pool *pgxpool.Pool) *DuplicateStore { return &DuplicateStore{pool: pool} }

var _ chargedesk.DuplicateStore = (*DuplicateStore)(nil)

// Seen implements chargedesk.DuplicateStore.
func (s *DuplicateStore) Seen(ctx context.Context, key string) (bool, error) {
	var seen bool
	err := s.pool.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM chargedesk_duplicates WHERE key = $1 AND expires_at > now())", digest(key)).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("postgres duplicate store: %w", err)
	}
	return seen, nil
}

// Remember implements chargedesk.DuplicateStore.
func (s *DuplicateStore) Remember(ctx context.Context, key string, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO chargedesk_duplicates (key, expires_at)
		VALUES ($1, now() + $2 * interval '1 microsecond')
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at`, digest(key), ttl.Microseconds())
	if err != nil {
		return fmt.Errorf("postgres duplicate store: %w", err)
	}
	return nil
}

// digest is a key's 32-byte form: a 64-character hex digest's bytes (the
// handler's keys), else the key's SHA-256.
func digest(key string) []byte {
	if len(key) == 64 {
		if b, err := hex.DecodeString(key); err == nil {
			return b
		}
	}
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
