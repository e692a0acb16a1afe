package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// pool connects to the server CHARGEDESK_TEST_POSTGRES names, or skips.
func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("CHARGEDESK_TEST_POSTGRES")
	if url == "" {
		t.Skip("CHARGEDESK_TEST_POSTGRES is not set (a PostgreSQL URL such as postgres://root@127.0.0.1:5432/test)")
	}
	p, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func TestLockerContract(t *testing.T) {
	p := pool(t)
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return postgres.NewLocker(p) })
}

func TestDuplicateStoreContract(t *testing.T) {
	p := pool(t)
	s := postgres.NewDuplicateStore(p)
	require.NoError(t, s.CreateSchema(context.Background()))
	require.NoError(t, s.CreateSchema(context.Background()), "creating the schema twice is harmless")
	chargedesktest.TestDuplicateStore(t, s)

	ctx := context.Background()
	require.NoError(t, s.Remember(ctx, "expired-"+t.Name(), time.Microsecond))
	require.Eventually(t, func() bool {
		n, err := s.Cleanup(ctx)
		return err == nil && n >= 1
	}, 5*time.Second, 20*time.Millisecond, "expired rows are removed")
}

// A lock whose connection dies is reported lost, and PostgreSQL releases
// it: another instance gets it at once.
func TestLockLostWithItsConnection(t *testing.T) {
	p := pool(t)
	l := postgres.NewLocker(p)
	l.CheckEvery = 20 * time.Millisecond
	ctx := context.Background()
	key := "charge:lost-" + time.Now().Format(time.RFC3339Nano)
	unlock, lost, err := l.LockLease(ctx, key)
	require.NoError(t, err)
	defer unlock()

	// Kill the session holding the lock, as a crashed process or a network
	// cut would.
	_, err = p.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1
		AND classid::bigint = ($1::bigint >> 32) & 4294967295 AND objid::bigint = $1::bigint & 4294967295`, postgres.LockID(key))
	require.NoError(t, err)
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the lock's loss was not reported")
	}
	other := postgres.NewLocker(p)
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u2, err := other.Lock(wait, key)
	require.NoError(t, err, "the dead session's lock is released")
	u2()
	assert.NotZero(t, postgres.LockID(key))
}

// Three receivers, each with its own Locker and DuplicateStore on one
// PostgreSQL, perform one identical refund once.
func TestInstances(t *testing.T) {
	p := pool(t)
	require.NoError(t, postgres.NewDuplicateStore(p).CreateSchema(context.Background()))
	chargedesktest.TestInstances(t,
		func(*testing.T) chargedesk.Locker { return postgres.NewLocker(p) },
		func(*testing.T) chargedesk.DuplicateStore { return postgres.NewDuplicateStore(p) })
}

func BenchmarkBackendPostgres(b *testing.B) {
	url := os.Getenv("CHARGEDESK_TEST_POSTGRES")
	if url == "" {
		b.Skip("CHARGEDESK_TEST_POSTGRES is not set")
	}
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	dupes := postgres.NewDuplicateStore(p)
	if err := dupes.CreateSchema(context.Background()); err != nil {
		b.Fatal(err)
	}
	chargedesktest.BenchmarkBackend(b, postgres.NewLocker(p), dupes)
}
