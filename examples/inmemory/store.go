package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// storeSettings are what openStore reads from the environment.
type storeSettings struct {
	store     string // CHARGEDESK_STORE: "", postgres://..., redis://...
	apiKey    string // CHARGEDESK_API_KEY: set, the platform's changes are synced to ChargeDesk
	apiURL    string // CHARGEDESK_API_URL
	file      string // PLATFORM_FILE: the SQLite file when syncing without CHARGEDESK_STORE
	now       func() time.Time
	retention time.Duration // the memory book's
	limit     int           // the memory book's
}

// defaultPlatformFile is where the platform and its sync queue live when
// the example syncs without CHARGEDESK_STORE.
const defaultPlatformFile = "chargedesk-platform.db"

// store is where the example keeps what it keeps: the platform's book, the
// handler's locks and duplicate guard, and the sync's queue.
type store struct {
	name  string // for the log: memory, sqlite, postgres or redis
	book  book
	cfg   func(*chargedesk.Config)
	sync  syncer.Runner // nil when not syncing
	close func()
}

// openStore opens what the settings name:
//
//   - no CHARGEDESK_STORE, no CHARGEDESK_API_KEY: everything in this
//     process's memory, nothing synced;
//   - no CHARGEDESK_STORE, CHARGEDESK_API_KEY: the platform and the sync's
//     queue in the SQLite file PLATFORM_FILE, the locks in memory: one
//     process;
//   - a postgres:// URL: the platform, the locks, the duplicate guard and,
//     with CHARGEDESK_API_KEY, the sync's queue in PostgreSQL, shared by
//     every instance;
//   - a redis:// URL: the locks and the duplicate guard in Redis, the
//     platform in each instance's memory; no sync (it needs PostgreSQL to
//     be shared).
//
// It fails closed: a URL it cannot use, or a server it cannot reach, stops
// the start, and its error never repeats the URL (which may hold a
// password).
func openStore(ctx context.Context, set storeSettings, log *zerolog.Logger) (*store, error) {
	if set.store == "" && set.apiKey == "" {
		b := newMemoryBook(set.now)
		b.retention, b.limit = set.retention, set.limit
		return &store{name: "memory", book: b, cfg: func(*chargedesk.Config) {}, close: func() {}}, nil
	}
	scheme := ""
	if set.store != "" {
		u, err := url.Parse(set.store)
		if err != nil {
			return nil, errors.New("CHARGEDESK_STORE is not a URL")
		}
		scheme = strings.ToLower(u.Scheme)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch scheme {
	case "":
		return openSQLite(cctx, set, log)
	case "postgres", "postgresql":
		return openPostgres(cctx, set, log)
	case "redis", "rediss":
		if set.apiKey != "" {
			return nil, errors.New("CHARGEDESK_API_KEY with a redis:// CHARGEDESK_STORE: the sync shares its queue through PostgreSQL; use a postgres:// store, or no CHARGEDESK_STORE for one process")
		}
		return openRedis(cctx, set)
	}
	return nil, errors.New("CHARGEDESK_STORE must be a postgres:// or redis:// URL")
}

// syncConfig is the sync's configuration on book.
func syncConfig(set storeSettings, b book, log *zerolog.Logger) syncer.Config {
	return syncer.Config{
		Source: source{book: b},
		APIKey: set.apiKey,
		APIOptions: []api.Option{api.WithBaseURL(set.apiURL), api.WithLogger(*log),
			api.WithUserAgent("chargedesk-go-inmemory")},
		Logger: log,
	}
}

func openSQLite(ctx context.Context, set storeSettings, log *zerolog.Logger) (*store, error) {
	db, err := syncer.OpenSQLite(set.file)
	if err != nil {
		return nil, fmt.Errorf("PLATFORM_FILE: %w", err)
	}
	b, err := newSQLiteBook(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PLATFORM_FILE: %w", err)
	}
	s, err := syncer.NewSQLite(ctx, db, syncConfig(set, b, log))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PLATFORM_FILE: %w", err)
	}
	b.markWith(s)
	return &store{name: "sqlite", book: b, sync: s, cfg: func(*chargedesk.Config) {},
		close: func() { _ = db.Close() }}, nil
}

func openPostgres(ctx context.Context, set storeSettings, log *zerolog.Logger) (*store, error) {
	pool, err := pgxpool.New(ctx, set.store)
	if err != nil {
		return nil, errors.New("CHARGEDESK_STORE: the PostgreSQL URL does not parse") // pgx's error may quote it
	}
	fail := func(err error) (*store, error) {
		pool.Close()
		return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
	}
	if err := postgres.CreateSchema(ctx, pool); err != nil {
		return fail(err)
	}
	b, err := newPostgresBook(ctx, pool)
	if err != nil {
		return fail(err)
	}
	st := &store{name: "postgres", book: b}
	if set.apiKey != "" {
		s, err := syncer.NewPostgres(ctx, pool, syncConfig(set, b, log))
		if err != nil {
			return fail(err)
		}
		b.markWith(s)
		st.sync = s
	}
	cleanup, stop := context.WithCancel(context.Background())
	go postgres.RunCleanup(cleanup, pool, time.Minute)
	st.close = func() { stop(); pool.Close() }
	st.cfg = func(c *chargedesk.Config) {
		c.Locker, c.DuplicateStore = postgres.NewLocker(pool), postgres.NewDuplicateStore(pool)
	}
	return st, nil
}

func openRedis(ctx context.Context, set storeSettings) (*store, error) {
	opts, err := redis.ParseURL(set.store)
	if err != nil {
		return nil, errors.New("CHARGEDESK_STORE: the Redis URL does not parse")
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("CHARGEDESK_STORE: %w", err)
	}
	b := newMemoryBook(set.now)
	b.retention, b.limit = set.retention, set.limit
	return &store{name: "redis", book: b, close: func() { client.Close() }, cfg: func(c *chargedesk.Config) {
		c.Locker, c.DuplicateStore = redisstore.NewLocker(client), redisstore.NewDuplicateStore(client)
	}}, nil
}
