// Command instance is a receiver for the multi-process tests of the shared
// backends: one instance of several behind a load balancer, each with the
// locks and duplicate guard on CHARGEDESK_STORE, all refunding through one
// payment platform at PLATFORM_URL that has no locking of its own. Its
// Gateway honours its context, as a real one does. It listens on ADDR and
// prints "ready <url>" on stdout; TIMEOUT, SETTLE_TIME, STORE_TIMEOUT and
// RENEW_EVERY (Go durations) shorten the deadline, the settle time, the
// store calls' deadline and the lease renewals for the tests.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
)

// platform refunds through the shared platform over HTTP.
type platform struct {
	chargedesk.UnimplementedGateway
	url string
}

func (p platform) Refund(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	q := url.Values{"charge": {req.Charge.ChargeID}, "amount": {req.RefundAmount.String()}}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/refund?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Idempotency-Key", chargedesk.IdempotencyKey(ctx))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, &chargedesk.AgentError{Message: strings.TrimSpace(string(body))}
	}
	total, err := chargedesk.ParseAmount(strings.TrimSpace(string(body)))
	if err != nil {
		return nil, err
	}
	return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(req.Charge.Amount, total)}, nil
}

// envDuration reads the Go duration in the environment variable name, or
// def when it is unset.
func envDuration(name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(os.Getenv(name))
	if err != nil {
		return def
	}
	return d
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "instance:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	cfg := chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + os.Getenv("CHARGEDESK_SECRET")}}},
		Timeout:  envDuration("TIMEOUT", 10*time.Second),
		// Short, so that the fault tests see holds end.
		SettleTime:   envDuration("SETTLE_TIME", chargedesk.DefaultSettleTime),
		StoreTimeout: envDuration("STORE_TIMEOUT", chargedesk.DefaultStoreTimeout),
	}
	renewEvery := envDuration("RENEW_EVERY", 2*time.Second)
	log := zerolog.New(os.Stderr)
	cfg.Logger = &log
	store := os.Getenv("CHARGEDESK_STORE")
	switch {
	case strings.HasPrefix(store, "postgres"):
		pool, err := pgxpool.New(ctx, store)
		if err != nil {
			return err
		}
		if err := postgres.CreateSchema(ctx, pool); err != nil {
			return err
		}
		locker := postgres.NewLocker(pool)
		locker.RenewEvery = renewEvery
		cfg.Locker, cfg.DuplicateStore = locker, postgres.NewDuplicateStore(pool)
	case strings.HasPrefix(store, "redis"):
		opts, err := redis.ParseURL(store)
		if err != nil {
			return err
		}
		client := redis.NewClient(opts)
		locker := redisstore.NewLocker(client)
		locker.RenewEvery = renewEvery
		cfg.Locker, cfg.DuplicateStore = locker, redisstore.NewDuplicateStore(client)
	default:
		return fmt.Errorf("CHARGEDESK_STORE must be a postgres:// or redis:// URL")
	}
	h, err := chargedesk.NewHandler(platform{url: os.Getenv("PLATFORM_URL")}, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", os.Getenv("ADDR"))
	if err != nil {
		return err
	}
	fmt.Printf("ready http://%s/chargedesk\n", ln.Addr())
	return http.Serve(ln, h)
}
