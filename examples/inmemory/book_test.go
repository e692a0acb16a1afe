package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// bookMaker opens an empty book on a clock.
type bookMaker func(t *testing.T, now func() time.Time) book

// eachBook runs test on every book: memory, an SQLite file, and
// PostgreSQL (a schema of its own per book) unless CHARGEDESK_TEST_POSTGRES
// is unset, which the test logs.
func eachBook(t *testing.T, test func(t *testing.T, open bookMaker)) {
	t.Run("memory", func(t *testing.T) {
		test(t, func(_ *testing.T, now func() time.Time) book { return newMemoryBook(now) })
	})
	t.Run("sqlite", func(t *testing.T) {
		test(t, func(t *testing.T, _ func() time.Time) book {
			db, err := syncer.OpenSQLite(filepath.Join(t.TempDir(), "platform.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			b, err := newSQLiteBook(context.Background(), db)
			require.NoError(t, err)
			return b
		})
	})
	t.Run("postgres", func(t *testing.T) {
		u := os.Getenv("CHARGEDESK_TEST_POSTGRES")
		if u == "" {
			t.Skip("CHARGEDESK_TEST_POSTGRES is not set")
		}
		test(t, func(t *testing.T, _ func() time.Time) book {
			pool := schemaPool(t, u)
			b, err := newPostgresBook(context.Background(), pool)
			require.NoError(t, err)
			return b
		})
	})
}

// schemaPool is a pool on a new schema of the database at u, dropped when
// the test ends.
func schemaPool(t *testing.T, u string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	schema := "book_test_" + hex.EncodeToString(raw)
	admin, err := pgxpool.New(ctx, u)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	cfg, err := pgxpool.ParseConfig(u)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// Every record is read back as it was put, in every book; an update that
// fails keeps nothing in a database book.
func TestBookKeepsRecords(t *testing.T) {
	eachBook(t, func(t *testing.T, open bookMaker) {
		ctx := context.Background()
		b := open(t, testclock.Clock())
		c := &charge{id: "tx_1", chargeDeskID: "ch_1", currency: "USD", status: chargedesk.ChargeStatusPaid,
			amount: chargedesk.MustParseAmount("34.00"), refunded: chargedesk.MustParseAmount("1.50"),
			metadata: metadataOf(map[string]string{"k": "v"})}
		s := &subscription{id: "sub_1", customerID: "cus_1", status: chargedesk.SubscriptionStatusActive,
			periodStart: time.Unix(1_700_000_000, 0).UTC(), periodEnd: time.Unix(1_702_592_000, 0).UTC(), quantity: 2,
			plans: []chargedesk.Plan{{ProductID: "gold", Quantity: 2}}}
		p := &payLink{id: "link_1", chargeID: "tx_1", amount: chargedesk.MustParseAmount("34.00"), currency: "USD", label: "Ünïcode"}
		require.NoError(t, b.update(ctx, func(r records) error {
			return errors.Join(r.putCharge(c), r.putSubscription(s), r.putLink(p))
		}))
		require.NoError(t, b.view(ctx, func(r records) error {
			gotC, err := r.charge("tx_1")
			require.NoError(t, err)
			gotC.seen = c.seen
			assert.Equal(t, c, gotC)
			gotS, err := r.subscription("sub_1")
			require.NoError(t, err)
			gotS.seen = s.seen
			assert.Equal(t, s, gotS)
			gotP, err := r.link("link_1")
			require.NoError(t, err)
			gotP.seen = p.seen
			assert.Equal(t, p, gotP)
			none, err := r.charge("tx_none")
			assert.Nil(t, none)
			return err
		}))

		adopted := &charge{id: "tx_1", currency: "EUR"}
		failed := assert.AnError
		err := b.update(ctx, func(r records) error {
			kept, err := r.adoptCharge(adopted)
			require.NoError(t, err)
			assert.Equal(t, "USD", kept.currency, "adopting a charge the book has returns the book's")
			fresh, err := r.adoptCharge(&charge{id: "tx_new", currency: "EUR"})
			require.NoError(t, err)
			assert.Equal(t, "EUR", fresh.currency, "a charge the book has not is adopted")
			kept.status = chargedesk.ChargeStatusRefunded
			if _, ok := b.(*memoryBook); ok {
				return failed // the memory book keeps a put: the ledger puts last
			}
			require.NoError(t, r.putCharge(kept))
			return failed
		})
		require.ErrorIs(t, err, failed)
		require.NoError(t, b.view(ctx, func(r records) error {
			got, err := r.charge("tx_1")
			require.NoError(t, err)
			assert.Equal(t, chargedesk.ChargeStatusPaid, got.status, "a failed update keeps nothing")
			return nil
		}))
	})
}
