package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
)

// store is where the locks and the duplicate guard live.
type store struct {
	name  string // for the log: memory, postgres or redis
	cfg   func(*chargedesk.Config)
	close func()
}

// openStore reads CHARGEDESK_STORE: unset for in-process, a postgres:// or
// redis:// URL for a backend several instances share. It fails closed: a
// URL it cannot use, or a server it cannot reach, stops the start.
func openStore(ctx context.Context, raw string) (*store, error) {
	if raw == "" {
		return &store{name: "memory", cfg: func(*chargedesk.Config) {}, close: func() {}}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("CHARGEDESK_STORE is not a URL")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql":
		pool, err := pgxpool.New(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
		}
		if err := postgres.CreateSchema(cctx, pool); err != nil {
			pool.Close()
			return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
		}
		cleanup, stop := context.WithCancel(context.Background())
		go postgres.RunCleanup(cleanup, pool, time.Minute)
		return &store{name: "postgres", close: func() { stop(); pool.Close() }, cfg: func(c *chargedesk.Config) {
			c.Locker, c.DuplicateStore = postgres.NewLocker(pool), postgres.NewDuplicateStore(pool)
		}}, nil
	case "redis", "rediss":
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
		}
		client := redis.NewClient(opts)
		if err := client.Ping(cctx).Err(); err != nil {
			client.Close()
			return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
		}
		return &store{name: "redis", close: func() { client.Close() }, cfg: func(c *chargedesk.Config) {
			c.Locker, c.DuplicateStore = redisstore.NewLocker(client), redisstore.NewDuplicateStore(client)
		}}, nil
	}
	return nil, fmt.Errorf("CHARGEDESK_STORE must be a postgres:// or redis:// URL")
}
