package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/chargedesk/chargedesk-go"
)

// sqliteSchema is the changes table on SQLite.
const sqliteSchema = `CREATE TABLE IF NOT EXISTS ` + changesTable + ` (
	kind      text    NOT NULL,
	object_id text    NOT NULL,
	version   integer NOT NULL,
	PRIMARY KEY (kind, object_id)
)`

// OpenSQLite opens (creating it if needed) the SQLite database file at
// path for NewSQLite, with the settings River's SQLite driver needs: one
// connection (SQLite allows one writer at a time, and River's concurrent
// work otherwise meets "database is locked"), write-ahead logging, a 10 s
// busy timeout for other processes (the chargedesk-sync command), and
// transactions that take the write lock when they begin. An empty path is
// an error.
//
// With one connection, a transaction you hold blocks every other use of
// the database: call MarkTx with it, never Mark, until you commit.
func OpenSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("syncer: no SQLite file path")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("syncer: opening SQLite: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// NewSQLite returns a Syncer whose queue and change records live in the
// SQLite database db (open it with OpenSQLite): the embedded default, for
// one process on one machine, with nothing to install. It creates or
// updates River's tables and the chargedesk_sync_changes table. Its
// per-object locks are, unless cfg.Locker is set, an in-process
// chargedesk.MemoryLocker, so run its workers in one process only. Mark
// objects inside your own *sql.Tx on db with MarkTx. A bad cfg is an error
// naming the field.
func NewSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Syncer[*sql.Tx], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &sqliteDB{db: db, log: riverLogger(cfg.Logger)}
	if err := d.migrate(ctx); err != nil {
		return nil, err
	}
	if cfg.Locker == nil {
		cfg.Locker = chargedesk.NewMemoryLocker()
	}
	return newSyncer(riversqlite.New(db), d, cfg)
}

// sqliteDB is the SQLite store.
type sqliteDB struct {
	db    *sql.DB
	log   *slog.Logger
	owned bool // opened by Open: closed by close
}

func (d *sqliteDB) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(d.db), &rivermigrate.Config{Logger: d.log})
	if err != nil {
		return fmt.Errorf("syncer: migrating SQLite: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("syncer: migrating River's tables: %w", err)
	}
	if _, err := d.db.ExecContext(ctx, sqliteSchema); err != nil {
		return fmt.Errorf("syncer: creating %s: %w", changesTable, err)
	}
	return nil
}

func (d *sqliteDB) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func (d *sqliteDB) bump(ctx context.Context, tx *sql.Tx, kind Kind, id string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO `+changesTable+` (kind, object_id, version) VALUES (?, ?, 1)
		ON CONFLICT (kind, object_id) DO UPDATE SET version = version + 1`, string(kind), id)
	return err
}

func (d *sqliteDB) ensure(ctx context.Context, kind Kind, id string) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO `+changesTable+` (kind, object_id, version) VALUES (?, ?, 0)
		ON CONFLICT (kind, object_id) DO NOTHING`, string(kind), id)
	return err
}

func (d *sqliteDB) version(ctx context.Context, kind Kind, id string) (int64, error) {
	var v int64
	err := d.db.QueryRowContext(ctx, `SELECT version FROM `+changesTable+` WHERE kind = ? AND object_id = ?`,
		string(kind), id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func (d *sqliteDB) finish(ctx context.Context, job *river.Job[pushArgs], kind Kind, id string, v int64) (bool, error) {
	done := false
	// The transaction takes SQLite's write lock as it begins (_txlock),
	// so a mark's transaction is wholly before or after it.
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+changesTable+` WHERE kind = ? AND object_id = ? AND version = ?`,
			string(kind), id, v)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done && err == nil, err
}

func (d *sqliteDB) close() error {
	if d.owned {
		return d.db.Close()
	}
	return nil
}
