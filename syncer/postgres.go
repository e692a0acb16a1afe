package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/chargedesk/chargedesk-go/backend/postgres"
)

// pgSchema is the changes table on PostgreSQL.
const pgSchema = `CREATE TABLE IF NOT EXISTS ` + changesTable + ` (
	kind      text   NOT NULL,
	object_id text   NOT NULL,
	version   bigint NOT NULL,
	PRIMARY KEY (kind, object_id)
)`

// pgMigrateLock is the advisory lock migrate holds, so that instances
// starting together on an empty database take turns: rivermigrate takes no
// lock of its own, and CREATE ... IF NOT EXISTS races on PostgreSQL's
// catalog.
const pgMigrateLock = 7_307_141_812_262_710_373

// NewPostgres returns a Syncer whose queue, change records and per-object
// locks live in PostgreSQL: any number of instances may share pool's
// database, and each may run workers. It creates or updates River's tables
// (rivermigrate), the chargedesk_sync_changes table and, unless
// cfg.Locker is set, backend/postgres's lock table; instances starting at
// once take turns. Mark objects inside your own pgx transactions with
// MarkTx. A bad cfg is an error naming the field.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Syncer[pgx.Tx], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	db := &pgDB{pool: pool, log: riverLogger(cfg.Logger)}
	if err := db.migrate(ctx); err != nil {
		return nil, err
	}
	if cfg.Locker == nil {
		if err := postgres.CreateSchema(ctx, pool); err != nil {
			return nil, fmt.Errorf("syncer: %w", err)
		}
		cfg.Locker = postgres.NewLocker(pool)
	}
	return newSyncer(riverpgxv5.New(pool), db, cfg)
}

// pgDB is the PostgreSQL store.
type pgDB struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	closer func()
}

func (d *pgDB) migrate(ctx context.Context) (err error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("syncer: migrating PostgreSQL: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(pgMigrateLock)); err != nil {
		return fmt.Errorf("syncer: migrating PostgreSQL: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(pgMigrateLock)); uerr != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx)) // a closed session holds no lock
			err = errors.Join(err, uerr)
		}
	}()
	m, err := rivermigrate.New(riverpgxv5.New(d.pool), &rivermigrate.Config{Logger: d.log})
	if err != nil {
		return fmt.Errorf("syncer: migrating PostgreSQL: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("syncer: migrating River's tables: %w", err)
	}
	if _, err := conn.Exec(ctx, pgSchema); err != nil {
		return fmt.Errorf("syncer: creating %s: %w", changesTable, err)
	}
	return nil
}

func (d *pgDB) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, d.pool, f)
}

func (d *pgDB) bump(ctx context.Context, tx pgx.Tx, kind Kind, id string) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+changesTable+` AS c (kind, object_id, version) VALUES ($1, $2, 1)
		ON CONFLICT (kind, object_id) DO UPDATE SET version = c.version + 1`, string(kind), id)
	return err
}

func (d *pgDB) ensure(ctx context.Context, kind Kind, id string) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO `+changesTable+` (kind, object_id, version) VALUES ($1, $2, 0)
		ON CONFLICT (kind, object_id) DO NOTHING`, string(kind), id)
	return err
}

func (d *pgDB) version(ctx context.Context, kind Kind, id string) (int64, error) {
	var v int64
	err := d.pool.QueryRow(ctx, `SELECT version FROM `+changesTable+` WHERE kind = $1 AND object_id = $2`,
		string(kind), id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func (d *pgDB) finish(ctx context.Context, job *river.Job[pushArgs], kind Kind, id string, v int64) (bool, error) {
	done := false
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// In READ COMMITTED, a concurrent mark's increment holds the row:
		// the DELETE waits for it and then sees the new version.
		tag, err := tx.Exec(ctx, `DELETE FROM `+changesTable+` WHERE kind = $1 AND object_id = $2 AND version = $3`,
			string(kind), id, v)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done && err == nil, err
}

func (d *pgDB) close() error {
	if d.closer != nil {
		d.closer()
	}
	return nil
}
