package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/chargedesk/chargedesk-go/api"
)

// The queue's names in River's tables.
const (
	// pushKind is the River job kind of a push.
	pushKind = "chargedesk_sync_push"
	// queueName is the River queue the syncer's workers work; other
	// River clients on the same database must not work it.
	queueName = "chargedesk_sync"
	// completedRetention is how long River keeps completed pushes: they
	// coalesce nothing (completed is not one of their unique states), so
	// only for inspection.
	completedRetention = time.Hour
)

// ErrNotStartable is Start's error when the Syncer has no Source or no
// APIKey.
var ErrNotStartable = errors.New("syncer: Start needs Config.Source and Config.APIKey")

// Syncer marks objects changed and pushes them to ChargeDesk. TTx is the
// store's transaction type: pgx.Tx for [NewPostgres], *sql.Tx for
// [NewSQLite]. It is safe for concurrent use.
type Syncer[TTx any] struct {
	cfg     Config
	river   *river.Client[TTx]
	db      database[TTx]
	api     *api.Client
	limiter *rate.Limiter
	log     zerolog.Logger
	pause   pauseGate
	now     func() time.Time
}

// pushArgs is a push job: the object to push. The job carries no state:
// the worker reads the object's state from the Source when it sends it.
type pushArgs struct {
	Object Kind   `json:"object"`
	ID     string `json:"id"`
}

// Kind implements river.JobArgs.
func (pushArgs) Kind() string { return pushKind }

func newSyncer[TTx any](driver riverdriver.Driver[TTx], db database[TTx], cfg Config) (*Syncer[TTx], error) {
	s := &Syncer[TTx]{
		cfg:     cfg,
		db:      db,
		api:     api.NewClient(cfg.APIKey, append(cfg.APIOptions[:len(cfg.APIOptions):len(cfg.APIOptions)], api.WithRetryPolicy(api.NoRetries))...),
		limiter: rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst),
		log:     cfg.Logger.With().Str("component", "chargedesk-sync").Logger(),
		now:     time.Now,
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &pushWorker[TTx]{s: s}); err != nil {
		return nil, fmt.Errorf("syncer: %w", err)
	}
	rc, err := river.NewClient(driver, &river.Config{
		Queues:                      map[string]river.QueueConfig{queueName: {MaxWorkers: cfg.Workers}},
		Workers:                     workers,
		JobTimeout:                  cfg.JobTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		MaxAttempts:                 cfg.MaxAttempts,
		RetryPolicy:                 backoff{max: cfg.MaxBackoff},
		CancelledJobRetentionPeriod: cfg.FailedRetention,
		DiscardedJobRetentionPeriod: cfg.FailedRetention,
		CompletedJobRetentionPeriod: completedRetention,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(river.FetchCooldownDefault, cfg.PollInterval),
		Logger:                      riverLogger(cfg.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("syncer: %w", err)
	}
	s.river = rc
	return s, nil
}

// riverLogger is River's own logger: its warnings and errors (a store
// that fails, a stuck job) on the syncer's logger.
func riverLogger(l *zerolog.Logger) *slog.Logger {
	level := max(l.GetLevel(), zerolog.WarnLevel)
	return slog.New(zerolog.NewSlogHandler(l.With().Str("component", "river").Logger().Level(level)))
}

// insertOpts are every push's: one job per object among those waiting or
// running, so that a burst of marks becomes one job.
func (s *Syncer[TTx]) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       queueName,
		MaxAttempts: s.cfg.MaxAttempts,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			// River's default without completed: a push that has
			// completed must not swallow a later change.
			ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
				rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled},
		},
	}
}

// MarkTx marks the object changed, in tx: when tx commits, a worker pushes
// the object's state as the Source then returns it; if tx rolls back,
// nothing is pushed. Mark in the transaction that changes the object, so
// the change and its push are committed together. Marks of one object
// that wait to be pushed are coalesced. A bad kind or id is an error
// (ErrUnknownKind, ErrBadID), and so is a failure of the store, which
// should roll tx back.
func (s *Syncer[TTx]) MarkTx(ctx context.Context, tx TTx, kind Kind, id string) error {
	if err := checkObject(kind, id); err != nil {
		return err
	}
	if err := s.db.bump(ctx, tx, kind, id); err != nil {
		return fmt.Errorf("syncer: marking the %s %s: %w", kind, id, err)
	}
	if _, err := s.river.InsertTx(ctx, tx, pushArgs{Object: kind, ID: id}, s.insertOpts()); err != nil {
		return fmt.Errorf("syncer: marking the %s %s: %w", kind, id, err)
	}
	return nil
}

// Mark marks the object changed in a transaction of its own: for a change
// made outside the store's database (a late outcome, an in-memory
// platform). Call it once the change is visible to the Source.
func (s *Syncer[TTx]) Mark(ctx context.Context, kind Kind, id string) error {
	if err := checkObject(kind, id); err != nil {
		return err
	}
	return s.db.inTx(ctx, func(tx TTx) error { return s.MarkTx(ctx, tx, kind, id) })
}

// Start starts this process's workers; they run until Stop or until ctx
// ends. It needs Config.Source and Config.APIKey (ErrNotStartable).
func (s *Syncer[TTx]) Start(ctx context.Context) error {
	if s.cfg.Source == nil || s.cfg.APIKey == "" {
		return ErrNotStartable
	}
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	return nil
}

// Stop stops the workers: pushes in flight finish, new ones do not start.
// When ctx ends first, the pushes in flight are cancelled (they are pushed
// again later) and Stop returns ctx's error once they have stopped. A
// Syncer that was not started stops at once.
func (s *Syncer[TTx]) Stop(ctx context.Context) error {
	err := s.river.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RequestTimeout)
		defer cancel()
		return errors.Join(ctx.Err(), s.river.StopAndCancel(hard))
	}
	return err
}

// Close releases the database the Syncer opened itself (by Open); a pool
// or database you passed in is yours to close. Stop the workers first.
func (s *Syncer[TTx]) Close() error { return s.db.close() }

// pauseGate holds every push of the process until a time: after a 429 or a
// 503 with Retry-After, or a refused API key.
type pauseGate struct {
	until atomic.Int64 // unix nanoseconds
}

// pauseUntil extends the pause to t, if it ends earlier.
func (g *pauseGate) pauseUntil(t time.Time) {
	for {
		cur := g.until.Load()
		if cur >= t.UnixNano() || g.until.CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// remaining is how long the pause lasts from now; 0 when none.
func (g *pauseGate) remaining(now time.Time) time.Duration {
	return max(time.Duration(g.until.Load()-now.UnixNano()), 0)
}
