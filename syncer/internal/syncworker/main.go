// Command syncworker is a sync worker process for the syncer's
// multi-process tests: it pushes the charges of a platform table in the
// store's own database (platform_charges: id, v) to a local ChargeDesk,
// with short timeouts so that a killed worker's push is rescued within
// seconds. It prints "ready" once its workers run and stops on SIGTERM.
//
//	SYNC_STORE    postgres://… (with search_path) or sqlite:PATH
//	SYNC_API_URL  the local ChargeDesk's base URL (http://127.0.0.1:…/v1)
//	SYNC_API_KEY  its key
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/syncer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "syncworker:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	store := os.Getenv("SYNC_STORE")
	src, closeSrc, err := openSource(ctx, store)
	if err != nil {
		return err
	}
	defer closeSrc()
	log := zerolog.New(os.Stderr).With().Timestamp().Int("pid", os.Getpid()).Logger().Level(zerolog.DebugLevel)
	s, err := syncer.Open(ctx, store, syncer.Config{
		Source: src, APIKey: os.Getenv("SYNC_API_KEY"), APIOptions: []api.Option{api.WithBaseURL(os.Getenv("SYNC_API_URL"))},
		Rate: 1000, Burst: 50, Workers: 4,
		RequestTimeout: time.Second, JobTimeout: 2 * time.Second, SettleTime: 500 * time.Millisecond,
		RescueAfter: 3 * time.Second, MaxBackoff: 200 * time.Millisecond, PollInterval: 50 * time.Millisecond,
		Logger: &log,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Start(ctx); err != nil {
		return err
	}
	fmt.Println("ready")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Stop(sctx)
}

// tableSource reads charges from platform_charges.
type tableSource struct {
	syncer.UnimplementedSource
	version func(ctx context.Context, id string) (int, error)
}

func (s tableSource) Charge(ctx context.Context, id string) (*api.ChargeParams, error) {
	v, err := s.version(ctx, id)
	if err != nil {
		return nil, err
	}
	return &api.ChargeParams{TransactionID: id, Amount: new(chargedesk.MustParseAmount("1.00")), Currency: "USD",
		Customer: &api.Ref{ID: "cus_1"}, Metadata: map[string]string{"v": strconv.Itoa(v)}}, nil
}

func openSource(ctx context.Context, store string) (syncer.Source, func(), error) {
	if path, ok := strings.CutPrefix(store, "sqlite:"); ok {
		db, err := syncer.OpenSQLite(strings.TrimPrefix(path, "//"))
		if err != nil {
			return nil, nil, err
		}
		return tableSource{version: func(ctx context.Context, id string) (int, error) {
			var v int
			err := db.QueryRowContext(ctx, "SELECT v FROM platform_charges WHERE id = ?", id).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return 0, syncer.ErrGone
			}
			return v, err
		}}, func() { _ = db.Close() }, nil
	}
	pool, err := pgxpool.New(ctx, store)
	if err != nil {
		return nil, nil, err
	}
	return tableSource{version: func(ctx context.Context, id string) (int, error) {
		var v int
		err := pool.QueryRow(ctx, "SELECT v FROM platform_charges WHERE id = $1", id).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, syncer.ErrGone
		}
		return v, err
	}}, pool.Close, nil
}
