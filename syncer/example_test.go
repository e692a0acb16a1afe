package syncer_test

import (
	"context"
	"database/sql"
	"log"
	"os"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// shopSource reads the platform's charges; the other kinds are not synced.
type shopSource struct {
	syncer.UnimplementedSource
	db *sql.DB
}

func (s shopSource) Charge(ctx context.Context, id string) (*api.ChargeParams, error) {
	var amount, refunded, currency, customer string
	err := s.db.QueryRowContext(ctx, `SELECT amount, refunded, currency, customer_id FROM charges WHERE id = ?`, id).
		Scan(&amount, &refunded, &currency, &customer)
	if err == sql.ErrNoRows {
		return nil, syncer.ErrGone
	}
	if err != nil {
		return nil, err
	}
	a, err := chargedesk.ParseAmount(amount)
	if err != nil {
		return nil, err
	}
	r, err := chargedesk.ParseAmount(refunded)
	if err != nil {
		return nil, err
	}
	return &api.ChargeParams{TransactionID: id, Amount: &a, AmountRefunded: &r, Currency: currency,
		Customer: &api.Ref{ID: customer}}, nil
}

// The embedded store: the platform's tables and the sync's queue in one
// SQLite file, a refund and its mark committed together, and late
// outcomes pushed.
func ExampleNewSQLite() {
	ctx := context.Background()
	db, err := syncer.OpenSQLite("shop.db")
	if err != nil {
		log.Fatal(err)
	}
	s, err := syncer.NewSQLite(ctx, db, syncer.Config{
		Source: shopSource{db: db},
		APIKey: os.Getenv("CHARGEDESK_API_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer s.Stop(ctx)

	// A refund on the platform, and its push, in one transaction.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE charges SET refunded = amount WHERE id = ?`, "ch_123"); err != nil {
		log.Fatal(err)
	}
	if err := s.MarkTx(ctx, tx, syncer.Charge, "ch_123"); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}

	// A Gateway call that succeeds after its agent was told 504 is pushed.
	_ = chargedesk.Config{OnLateOutcome: s.LateOutcomes()}
}
