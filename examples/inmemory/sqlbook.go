package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chargedesk/chargedesk-go/syncer"
)

// The platform's tables, in SQLite and in PostgreSQL: each record's row
// (row.go) under its id. A real platform has its own schema; what matters
// here is that a change and its mark for the sync commit together.
var platformTables = [...]string{"platform_charges", "platform_subscriptions", "platform_pay_links"}

// bookTimeout bounds one update or view of a database book. It is not the
// webhook's deadline: once the platform has acted (a refund sent to the
// payment API), recording it must not be cut short because ChargeDesk has
// stopped waiting.
const bookTimeout = 10 * time.Second

// sqlBook keeps the records in a database, in transactions that also mark
// the changes for the sync (syncer.MarkTx), so that a change and its push
// are committed together or not at all.
type sqlBook struct {
	// begin starts a transaction; for an update, one that locks the rows
	// it reads until it ends.
	begin func(ctx context.Context, update bool) (sqlTx, error)
	done  func()
	// The sync of each database, when the book syncs (markWith).
	pgSync   *syncer.Syncer[pgx.Tx]
	liteSync *syncer.Syncer[*sql.Tx]
}

// markWith has the book mark its changes with s, the sync on its own
// database, from the next update on. The sync reads the book (its Source),
// so the book is made first.
func (b *sqlBook) markWith(s any) {
	switch s := s.(type) {
	case *syncer.Syncer[pgx.Tx]:
		b.pgSync = s
	case *syncer.Syncer[*sql.Tx]:
		b.liteSync = s
	}
}

// sqlTx is a transaction of PostgreSQL (pgx) or SQLite (database/sql).
type sqlTx interface {
	get(ctx context.Context, table, id string) ([]byte, error) // nil when there is no row
	put(ctx context.Context, table, id string, data []byte) error
	add(ctx context.Context, table, id string, data []byte) error // unless the row exists
	mark(ctx context.Context, kind syncer.Kind, id string) error
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

func (b *sqlBook) update(ctx context.Context, f func(records) error) error {
	return b.run(ctx, true, f)
}
func (b *sqlBook) view(ctx context.Context, f func(records) error) error { return b.run(ctx, false, f) }
func (b *sqlBook) close()                                                { b.done() }

func (b *sqlBook) run(ctx context.Context, update bool, f func(records) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookTimeout)
	defer cancel()
	tx, err := b.begin(ctx, update)
	if err != nil {
		return fmt.Errorf("the platform's database: %w", err)
	}
	if err := f(sqlRecords{ctx: ctx, tx: tx}); err != nil {
		if rb := tx.rollback(ctx); rb != nil {
			return errors.Join(err, rb)
		}
		return err
	}
	if !update {
		return tx.rollback(ctx)
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("the platform's database: %w", err)
	}
	return nil
}

// sqlRecords are the records of one transaction, under its deadline.
type sqlRecords struct {
	ctx context.Context
	tx  sqlTx
}

func (r sqlRecords) charge(id string) (*charge, error) {
	data, err := r.tx.get(r.ctx, "platform_charges", id)
	if data == nil || err != nil {
		return nil, err
	}
	return chargeRow{id: id, data: string(data)}.charge()
}

func (r sqlRecords) putCharge(c *charge) error {
	return r.tx.put(r.ctx, "platform_charges", c.id, []byte(c.row().data))
}

func (r sqlRecords) adoptCharge(c *charge) (*charge, error) {
	if err := r.tx.add(r.ctx, "platform_charges", c.id, []byte(c.row().data)); err != nil {
		return nil, err
	}
	return r.charge(c.id)
}

func (r sqlRecords) adoptSubscription(s *subscription) (*subscription, error) {
	if err := r.tx.add(r.ctx, "platform_subscriptions", s.id, []byte(s.row())); err != nil {
		return nil, err
	}
	return r.subscription(s.id)
}

func (r sqlRecords) subscription(id string) (*subscription, error) {
	data, err := r.tx.get(r.ctx, "platform_subscriptions", id)
	if data == nil || err != nil {
		return nil, err
	}
	return subscriptionFromRow(id, string(data))
}

func (r sqlRecords) putSubscription(s *subscription) error {
	return r.tx.put(r.ctx, "platform_subscriptions", s.id, []byte(s.row()))
}

func (r sqlRecords) link(id string) (*payLink, error) {
	data, err := r.tx.get(r.ctx, "platform_pay_links", id)
	if data == nil || err != nil {
		return nil, err
	}
	return payLinkFromRow(id, string(data))
}

func (r sqlRecords) putLink(p *payLink) error {
	return r.tx.put(r.ctx, "platform_pay_links", p.id, []byte(p.row()))
}

func (r sqlRecords) changed(kind syncer.Kind, id string) error {
	return r.tx.mark(r.ctx, kind, id)
}

// newPostgresBook keeps the records in PostgreSQL, creating its tables. Rows read in an update are
// locked (SELECT ... FOR UPDATE), so instances that share the database
// never act on one object at once, whatever else guards them.
func newPostgresBook(ctx context.Context, pool *pgxpool.Pool) (*sqlBook, error) {
	for _, t := range platformTables {
		if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (id text PRIMARY KEY, data bytea NOT NULL)`); err != nil {
			return nil, fmt.Errorf("creating %s: %w", t, err)
		}
	}
	b := &sqlBook{done: func() {}}
	b.begin = func(ctx context.Context, update bool) (sqlTx, error) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, err
		}
		return &pgTx{tx: tx, sync: b.pgSync, lock: update}, nil
	}
	return b, nil
}

type pgTx struct {
	tx   pgx.Tx
	sync *syncer.Syncer[pgx.Tx]
	lock bool
}

func (t *pgTx) get(ctx context.Context, table, id string) ([]byte, error) {
	q := `SELECT data FROM ` + table + ` WHERE id = $1`
	if t.lock {
		q += ` FOR UPDATE`
	}
	var data []byte
	err := t.tx.QueryRow(ctx, q, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return data, err
}

func (t *pgTx) put(ctx context.Context, table, id string, data []byte) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO `+table+` (id, data) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data`, id, data)
	return err
}

func (t *pgTx) add(ctx context.Context, table, id string, data []byte) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO `+table+` (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, data)
	return err
}

func (t *pgTx) mark(ctx context.Context, kind syncer.Kind, id string) error {
	if t.sync == nil {
		return nil
	}
	return t.sync.MarkTx(ctx, t.tx, kind, id)
}

func (t *pgTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *pgTx) rollback(ctx context.Context) error { return ignoreClosed(t.tx.Rollback(ctx)) }

func ignoreClosed(err error) error {
	if errors.Is(err, pgx.ErrTxClosed) || errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// newSQLiteBook keeps the records in the SQLite database db (opened with
// syncer.OpenSQLite: one connection, transactions that take the write lock
// as they begin), creating its tables.
func newSQLiteBook(ctx context.Context, db *sql.DB) (*sqlBook, error) {
	for _, t := range platformTables {
		if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (id text PRIMARY KEY, data blob NOT NULL)`); err != nil {
			return nil, fmt.Errorf("creating %s: %w", t, err)
		}
	}
	b := &sqlBook{done: func() {}}
	b.begin = func(ctx context.Context, _ bool) (sqlTx, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &sqliteTx{tx: tx, sync: b.liteSync}, nil
	}
	return b, nil
}

type sqliteTx struct {
	tx   *sql.Tx
	sync *syncer.Syncer[*sql.Tx]
}

func (t *sqliteTx) get(ctx context.Context, table, id string) ([]byte, error) {
	var data []byte
	err := t.tx.QueryRowContext(ctx, `SELECT data FROM `+table+` WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return data, err
}

func (t *sqliteTx) put(ctx context.Context, table, id string, data []byte) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO `+table+` (id, data) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data`, id, data)
	return err
}

func (t *sqliteTx) add(ctx context.Context, table, id string, data []byte) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO `+table+` (id, data) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, data)
	return err
}

func (t *sqliteTx) mark(ctx context.Context, kind syncer.Kind, id string) error {
	if t.sync == nil {
		return nil
	}
	return t.sync.MarkTx(ctx, t.tx, kind, id)
}

func (t *sqliteTx) commit(context.Context) error   { return t.tx.Commit() }
func (t *sqliteTx) rollback(context.Context) error { return ignoreClosed(t.tx.Rollback()) }
