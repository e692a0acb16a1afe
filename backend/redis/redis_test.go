package redisstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// client connects to the server CHARGEDESK_TEST_REDIS names, or skips.
func client(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("CHARGEDESK_TEST_REDIS")
	if url == "" {
		t.Skip("CHARGEDESK_TEST_REDIS is not set (a Redis URL such as redis://127.0.0.1:6379/0)")
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err())
	return c
}

func TestLockerContract(t *testing.T) {
	c := client(t)
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return redisstore.NewLocker(c) })
}

func TestDuplicateStoreContract(t *testing.T) {
	chargedesktest.TestDuplicateStore(t, redisstore.NewDuplicateStore(client(t)))
}

// The watchdog keeps a lock whose lease is far shorter than the work: a
// second instance still cannot take it after several leases.
func TestLeaseIsRenewedWhileHeld(t *testing.T) {
	c := client(t)
	l := redisstore.NewLocker(c)
	l.Lease = 300 * time.Millisecond
	key := "charge:renew-" + time.Now().Format(time.RFC3339Nano)
	unlock, lost, err := l.LockLease(context.Background(), key)
	require.NoError(t, err)
	wait, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	_, err = redisstore.NewLocker(c).Lock(wait, key)
	require.ErrorIs(t, err, context.DeadlineExceeded, "held through four leases")
	select {
	case <-lost:
		t.Fatal("reported lost while renewed")
	default:
	}
	unlock()
	u, err := redisstore.NewLocker(c).Lock(context.Background(), key)
	require.NoError(t, err, "released on unlock")
	u()
}

// A lock taken over (its key deleted, as after an expiry during a pause) is
// reported lost at the next renewal; the old holder's unlock does not
// delete the new holder's lock.
func TestLostLeaseIsReported(t *testing.T) {
	c := client(t)
	l := redisstore.NewLocker(c)
	l.Lease = 300 * time.Millisecond
	ctx := context.Background()
	key := "charge:lost-" + time.Now().Format(time.RFC3339Nano)
	unlock, lost, err := l.LockLease(ctx, key)
	require.NoError(t, err)
	require.NoError(t, c.Del(ctx, "chargedesk:lock:"+key).Err())
	other, err := redisstore.NewLocker(c).Lock(ctx, key)
	require.NoError(t, err)
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the loss was not reported")
	}
	unlock()
	wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = redisstore.NewLocker(c).Lock(wait, key)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the new holder keeps its lock")
	other()
}

// Redis unreachable: the locker and the store fail closed, with an error.
func TestUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := redisstore.NewLocker(c).Lock(ctx, "k")
	require.Error(t, err)
	_, err = redisstore.NewDuplicateStore(c).Seen(ctx, "k")
	require.Error(t, err)
}

// Three receivers, each with its own Locker and DuplicateStore on one
// Redis, perform one identical refund once.
func TestInstances(t *testing.T) {
	c := client(t)
	chargedesktest.TestInstances(t,
		func(*testing.T) chargedesk.Locker { return redisstore.NewLocker(c) },
		func(*testing.T) chargedesk.DuplicateStore { return redisstore.NewDuplicateStore(c) })
}

func BenchmarkBackendRedis(b *testing.B) {
	url := os.Getenv("CHARGEDESK_TEST_REDIS")
	if url == "" {
		b.Skip("CHARGEDESK_TEST_REDIS is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	chargedesktest.BenchmarkBackend(b, redisstore.NewLocker(c), redisstore.NewDuplicateStore(c))
}
