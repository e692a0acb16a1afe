package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/faultproxy"
)

// serverOptions are CHARGEDESK_TEST_REDIS's, or the test skips.
func serverOptions(t testing.TB) *redis.Options {
	t.Helper()
	url := os.Getenv("CHARGEDESK_TEST_REDIS")
	if url == "" {
		t.Skip("CHARGEDESK_TEST_REDIS is not set (a Redis URL such as redis://127.0.0.1:6379/0)")
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	return opts
}

func connect(t testing.TB, opts *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err())
	return c
}

// client connects to the test server.
func client(t testing.TB) *redis.Client { return connect(t, serverOptions(t)) }

func TestLockerContract(t *testing.T) {
	c := client(t)
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return redisstore.NewLocker(c) })
}

func TestDuplicateStoreContract(t *testing.T) {
	chargedesktest.TestDuplicateStore(t, redisstore.NewDuplicateStore(client(t)))
}

var terms = chargedesk.LeaseTerms{Hold: 3 * time.Second, Settle: time.Second}

func newKey(name string) string { return fmt.Sprintf("charge:%s-%d", name, time.Now().UnixNano()) }

// The watchdog keeps a lock longer than its Hold: a second instance still
// cannot take it after several of them.
func TestLeaseIsRenewedWhileHeld(t *testing.T) {
	c := client(t)
	l := redisstore.NewLocker(c)
	l.RenewEvery = 100 * time.Millisecond
	key := newKey("renew")
	short := chargedesk.LeaseTerms{Hold: 300 * time.Millisecond, Settle: 200 * time.Millisecond}
	lease, err := l.Lock(context.Background(), key, short)
	require.NoError(t, err)
	wait, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	_, err = redisstore.NewLocker(c).Lock(wait, key, short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "held through four Holds")
	select {
	case <-lease.Lost():
		t.Fatal("reported lost while renewed")
	default:
	}
	require.NoError(t, lease.Release(context.Background()))
	other, err := redisstore.NewLocker(c).Lock(context.Background(), key, short)
	require.NoError(t, err, "released")
	require.NoError(t, other.Release(context.Background()))
}

// A lock taken over (its key deleted, as after an expiry during a pause) is
// reported lost at the next renewal; the old holder's release does not
// delete the new holder's lock.
func TestLostLeaseIsReported(t *testing.T) {
	c := client(t)
	l := redisstore.NewLocker(c)
	l.RenewEvery = 100 * time.Millisecond
	ctx := context.Background()
	key := newKey("lost")
	lease, err := l.Lock(ctx, key, terms)
	require.NoError(t, err)
	require.NoError(t, c.Del(ctx, "chargedesk:lock:"+key).Err())
	other, err := redisstore.NewLocker(c).Lock(ctx, key, terms)
	require.NoError(t, err)
	assert.Greater(t, other.Fence(), lease.Fence())
	select {
	case <-lease.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the loss was not reported")
	}
	assert.Error(t, lease.Release(ctx), "the old lease cannot release the new holder's lock")
	wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = redisstore.NewLocker(c).Lock(wait, key, terms)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the new holder keeps its lock")
	require.NoError(t, other.Release(ctx))
}

// A lock's connection cut is not a lost lock: its key stays, so another
// instance cannot take the object while the holder's platform call may
// run; it is refused once the holder stopped renewing, told how long to
// wait. The holder reports the lease lost only once it may have expired.
func TestLinkCutDoesNotFreeTheLock(t *testing.T) {
	ctx := context.Background()
	opts := serverOptions(t)
	direct := connect(t, opts)
	px := faultproxy.New(t, opts.Addr)
	viaProxy := *opts
	viaProxy.Addr, viaProxy.MaxRetries = px.Addr, -1
	holder := redisstore.NewLocker(connect(t, &viaProxy))
	holder.RenewEvery, holder.OpTimeout = 100*time.Millisecond, 200*time.Millisecond
	key := newKey("cut")
	start := time.Now()
	lease, err := holder.Lock(ctx, key, terms)
	require.NoError(t, err)

	px.Blackhole()
	other := redisstore.NewLocker(direct)
	var held *chargedesk.HeldError
	require.Eventually(t, func() bool {
		wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		l, err := other.Lock(wait, key, terms)
		if err == nil {
			_ = l.Release(ctx)
			t.Fatal("another instance took the lock while its holder's link was cut")
		}
		return errors.As(err, &held)
	}, 2*time.Second, 50*time.Millisecond, "refused once the holder stopped renewing")
	assert.True(t, held.Stalled)
	assert.Greater(t, held.Wait, time.Second, "told to wait out the rest of the lease")

	select {
	case <-lease.Lost():
		assert.GreaterOrEqual(t, time.Since(start), terms.Hold-holder.RenewEvery-50*time.Millisecond,
			"reported lost only once the lease may have expired")
	case <-time.After(10 * time.Second):
		t.Fatal("the lease's loss was never reported")
	}
	require.Eventually(t, func() bool {
		l, err := other.Lock(ctx, key, terms)
		if err == nil {
			require.NoError(t, l.Release(ctx))
		}
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "free once the lease ran out")
	assert.GreaterOrEqual(t, time.Since(start), terms.Hold-50*time.Millisecond)
	px.Restore(t)
}

// A holder that crashed (its key is there, not renewed for long) is
// refused at once with the time left, not waited on.
func TestCrashedHolderIsRefusedAtOnce(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	key := newKey("crash")
	now, err := c.Time(ctx).Result()
	require.NoError(t, err)
	value := fmt.Sprintf("dead|held|2000|%d", now.Add(-10*time.Second).UnixMilli())
	require.NoError(t, c.Set(ctx, "chargedesk:lock:"+key, value, 40*time.Second).Err())
	start := time.Now()
	_, err = redisstore.NewLocker(c).Lock(ctx, key, terms)
	var held *chargedesk.HeldError
	require.ErrorAs(t, err, &held)
	assert.Less(t, time.Since(start), time.Second)
	assert.True(t, held.Stalled)
	assert.InDelta(t, 40, held.Wait.Seconds(), 2)
	require.NoError(t, c.Del(ctx, "chargedesk:lock:"+key).Err())
}

// Redis unreachable: the locker and the store fail closed, with an error.
func TestUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := redisstore.NewLocker(c).Lock(ctx, "k", terms)
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
	c := client(b)
	chargedesktest.BenchmarkBackend(b, redisstore.NewLocker(c), redisstore.NewDuplicateStore(c))
}

// An event delivered to two instances at once, each with its own
// receiver on this backend, is handled once.
func TestEventHandledOnceAcrossInstances(t *testing.T) {
	c := client(t)
	var calls atomic.Int32
	body := []byte(fmt.Sprintf(`{"event_id":"ev-%d","created":1,"class":"charge","event":"charge_paid","data":{"charge":{"charge_id":"ch-ev"}}}`, time.Now().UnixNano()))
	var receivers []*events.Receiver
	for range 2 {
		r, err := events.NewReceiver(events.Config{Secrets: []string{"events-secret-0123456789"}, Locker: redisstore.NewLocker(c), DuplicateStore: redisstore.NewDuplicateStore(c)})
		require.NoError(t, err)
		r.OnCharge(events.ChargePaid, func(context.Context, *events.Event, *chargedesk.Charge) error {
			calls.Add(1)
			time.Sleep(20 * time.Millisecond) // the other delivery arrives meanwhile
			return nil
		})
		receivers = append(receivers, r)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			receivers[i%2].ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/e/events-secret-0123456789", bytes.NewReader(body)))
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, calls.Load())
}
