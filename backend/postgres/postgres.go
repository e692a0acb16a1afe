// Package postgres runs a ChargeDesk receiver as many instances on one
// PostgreSQL: a [Locker] on advisory locks and a [DuplicateStore] on a
// table. It is its own module, so that only its importers pay for pgx.
//
//	lockPool, storePool, err := postgres.NewPools(ctx, "postgres://...")
//	dupes := postgres.NewDuplicateStore(storePool)
//	err = dupes.CreateSchema(ctx) // or run Schema in your migrations
//	go dupes.RunCleanup(ctx, time.Minute)
//	h, err := chargedesk.NewHandler(gw, chargedesk.Config{Locker: postgres.NewLocker(lockPool), DuplicateStore: dupes, ...})
//
// Every lock holds one connection of its pool for the Gateway call's whole
// life, and the holder needs the duplicate store while it does: give the
// Locker a pool of its own, as NewPools does, or the actions in flight can
// take every connection and wait on each other until their deadline.
package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chargedesk/chargedesk-go"
)

// Locker is a chargedesk.LeaseLocker on PostgreSQL's session-level advisory
// locks. Each lock is taken with pg_try_advisory_lock on a connection of its
// own, held until unlock (a waiter tries again every Poll, holding no
// connection in between): it has no TTL, so it cannot expire while a slow
// Gateway call runs, and PostgreSQL releases it if the connection or the
// process dies. While held, the connection is checked every CheckEvery;
// if it fails, the lock is reported lost.
//
// A key maps to a lock number, the first 8 bytes of SHA-256 of
// "chargedesk:" + key as a signed 64-bit integer. Two keys with the same
// number (a chance of 2^-64 for a pair) serialize each other: each holder
// has its own session and only its own unlock releases its lock, so a
// collision can make one action wait for another, never let two run at
// once.
type Locker struct {
	pool *pgxpool.Pool
	// CheckEvery is how often a held lock's connection is checked (default
	// 5 s).
	CheckEvery time.Duration
	// Poll is how often a waiter tries again (default 20 ms).
	Poll time.Duration
}

// NewLocker returns a Locker on pool.
func NewLocker(pool *pgxpool.Pool) *Locker {
	return &Locker{pool: pool, CheckEvery: 5 * time.Second, Poll: 20 * time.Millisecond}
}

var _ chargedesk.LeaseLocker = (*Locker)(nil)

// LockPoolSize is the lock pool's size in NewPools: the actions one
// instance can have in flight before another waits for a connection.
const LockPoolSize = 64

// NewPools connects two pools to the database at url: one for the Locker
// (LockPoolSize connections, each held by one action in flight) and one for
// the DuplicateStore (pgx's default size).
func NewPools(ctx context.Context, url string) (lockPool, storePool *pgxpool.Pool, err error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.MaxConns = LockPoolSize
	if lockPool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	if storePool, err = pgxpool.New(ctx, url); err != nil {
		lockPool.Close()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	return lockPool, storePool, nil
}

// LockID is the advisory lock number of key.
func LockID(key string) int64 {
	sum := sha256.Sum256([]byte("chargedesk:" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// Lock implements chargedesk.Locker.
func (l *Locker) Lock(ctx context.Context, key string) (func(), error) {
	unlock, _, err := l.LockLease(ctx, key)
	return unlock, err
}

// LockLease implements chargedesk.LeaseLocker: lost closes if the lock's
// connection fails while it is held.
func (l *Locker) LockLease(ctx context.Context, key string) (func(), <-chan struct{}, error) {
	id := LockID(key)
	conn, err := l.acquire(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var (
		mu   sync.Mutex // the connection is used by the check and unlock
		lost = make(chan struct{})
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	every := l.CheckEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			mu.Lock()
			pctx, cancel := context.WithTimeout(context.Background(), every)
			err := conn.Ping(pctx)
			cancel()
			mu.Unlock()
			if err != nil {
				close(lost)
				return
			}
		}
	}()
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			close(stop)
			<-done
			mu.Lock()
			defer mu.Unlock()
			uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var released bool
			if err := conn.QueryRow(uctx, "SELECT pg_advisory_unlock($1)", id).Scan(&released); err != nil || !released {
				// Ending the session releases its locks for sure.
				_ = conn.Conn().Close(context.Background())
			}
			conn.Release()
		})
	}
	return unlock, lost, nil
}

// acquire takes the lock on a connection of its own and returns that
// connection. A waiter tries pg_try_advisory_lock every Poll and holds no
// connection between tries: a waiter holding one would starve the holder,
// which needs the pool for the duplicate guard.
func (l *Locker) acquire(ctx context.Context, id int64) (*pgxpool.Conn, error) {
	poll := l.Poll
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	for {
		conn, err := l.pool.Acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("postgres locker: %w", err)
		}
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", id).Scan(&got); err != nil {
			// A try cancelled as it succeeded would leave the lock held:
			// ending the session releases it.
			_ = conn.Conn().Close(context.Background())
			conn.Release()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("postgres locker: %w", err)
		}
		if got {
			return conn, nil
		}
		conn.Release()
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Schema creates the duplicate store's table, for teams that run their own
// migrations; CreateSchema runs it.
const Schema = `CREATE TABLE IF NOT EXISTS chargedesk_duplicates (
	key        bytea PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS chargedesk_duplicates_expires_at ON chargedesk_duplicates (expires_at);`

// DuplicateStore is a chargedesk.DuplicateStore on the table of Schema.
// Keys are stored as 32-byte digests; expiry is by the database's clock, so
// the instances' clocks need not agree. Expired rows are ignored on read
// and removed by RunCleanup.
type DuplicateStore struct {
	pool *pgxpool.Pool
}

// NewDuplicateStore returns a DuplicateStore on pool. Create the table with
// CreateSchema or Schema first.
func NewDuplicateStore(pool *pgxpool.Pool) *DuplicateStore { return &DuplicateStore{pool: pool} }

var _ chargedesk.DuplicateStore = (*DuplicateStore)(nil)

// CreateSchema creates the table if it does not exist.
func (s *DuplicateStore) CreateSchema(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("postgres duplicate store: creating the schema: %w", err)
	}
	return nil
}

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

// Cleanup deletes the expired rows and reports how many.
func (s *DuplicateStore) Cleanup(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM chargedesk_duplicates WHERE expires_at <= now()")
	if err != nil {
		return 0, fmt.Errorf("postgres duplicate store: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RunCleanup calls Cleanup every interval until ctx is done; run it in a
// goroutine, on one instance or all (deleting is idempotent).
func (s *DuplicateStore) RunCleanup(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = s.Cleanup(ctx)
		}
	}
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
