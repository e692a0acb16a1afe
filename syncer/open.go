package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chargedesk/chargedesk-go"
)

// Runner is what a Syncer does without your transactions: both
// *Syncer[pgx.Tx] and *Syncer[*sql.Tx] are Runners, and Open returns one.
type Runner interface {
	// Mark marks an object changed in a transaction of its own.
	Mark(ctx context.Context, kind Kind, id string) error
	// LateOutcomes is the hook for chargedesk.Config.OnLateOutcome.
	LateOutcomes() func(chargedesk.LateOutcome)
	// Start and Stop run this process's workers.
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	// Failed lists failed pushes; Retry pushes one again.
	Failed(ctx context.Context, limit int) ([]Failure, error)
	Retry(ctx context.Context, jobID int64) (int64, error)
	// Close releases the database Open opened.
	Close() error
}

var (
	_ Runner = (*Syncer[any])(nil)
)

// ErrBadStore is Open's error for a store URL it does not know.
var ErrBadStore = errors.New("syncer: the store must be a postgres:// or postgresql:// URL, or sqlite:PATH")

// Open opens the store a URL names, such as CHARGEDESK_STORE, and returns
// a Syncer on it, which Close closes:
//
//   - postgres://… or postgresql://… : NewPostgres on a new pool (the
//     queue and the per-object locks shared by every instance);
//   - sqlite:PATH (sqlite:///abs/path.db, sqlite:sync.db): NewSQLite on
//     OpenSQLite(PATH), for one process.
//
// Anything else, an empty URL included, is ErrBadStore; the error never
// repeats the URL, which may hold a password.
func Open(ctx context.Context, store string, cfg Config) (Runner, error) {
	scheme, rest, _ := strings.Cut(store, ":")
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		pool, err := pgxpool.New(ctx, store)
		if err != nil {
			return nil, errors.New("syncer: the PostgreSQL URL does not parse") // pgx's error may quote it
		}
		s, err := NewPostgres(ctx, pool, cfg)
		if err != nil {
			pool.Close()
			return nil, err
		}
		s.db.(*pgDB).closer = pool.Close
		return s, nil
	case "sqlite":
		path := strings.TrimPrefix(rest, "//")
		db, err := OpenSQLite(path)
		if err != nil {
			return nil, err
		}
		s, err := NewSQLite(ctx, db, cfg)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		s.db.(*sqliteDB).owned = true
		return s, nil
	}
	if scheme == "" || scheme == store {
		return nil, ErrBadStore
	}
	return nil, fmt.Errorf("%w (got scheme %q)", ErrBadStore, scheme)
}
