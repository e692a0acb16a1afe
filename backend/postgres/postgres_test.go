package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/faultproxy"
)

// serverURL is CHARGEDESK_TEST_POSTGRES, or the test skips.
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CHARGEDESK_TEST_POSTGRES")
	if u == "" {
		t.Skip("CHARGEDESK_TEST_POSTGRES is not set (a PostgreSQL URL such as postgres://root@127.0.0.1:5432/test)")
	}
	return u
}

// pool connects to the test server, with the schema created.
func pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return poolAt(t, serverURL(t), "")
}

// poolAt connects to rawURL, in the PostgreSQL schema (namespace) given
// ("" for the default), and creates the tables there.
func poolAt(t testing.TB, rawURL, namespace string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(rawURL)
	require.NoError(t, err)
	if namespace != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = namespace
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	require.NoError(t, postgres.CreateSchema(context.Background(), p))
	return p
}

func TestLockerContract(t *testing.T) {
	p := pool(t)
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return postgres.NewLocker(p) })
}

func TestDuplicateStoreContract(t *testing.T) {
	p := pool(t)
	s := postgres.NewDuplicateStore(p)
	chargedesktest.TestDuplicateStore(t, s)

	ctx := context.Background()
	require.NoError(t, s.Remember(ctx, "expired-"+t.Name(), time.Microsecond))
	require.Eventually(t, func() bool {
		n, err := postgres.Cleanup(ctx, p)
		return err == nil && n >= 1
	}, 5*time.Second, 20*time.Millisecond, "expired rows are removed")
}

// Instances starting together on an empty database each create the
// schema; none fails.
func TestSchemaCreatedByManyAtOnce(t *testing.T) {
	ctx := context.Background()
	admin := pool(t)
	namespace := fmt.Sprintf("chargedesk_schema_%d", time.Now().UnixNano())
	_, err := admin.Exec(ctx, "CREATE SCHEMA "+namespace)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP SCHEMA "+namespace+" CASCADE") })
	cfg, err := pgxpool.ParseConfig(serverURL(t))
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = namespace
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			p, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer p.Close()
			errs[i] = postgres.CreateSchema(ctx, p)
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "instance %d", i)
	}
}

// A lock's connection cut is not a lost lock: its row stays, so another
// instance cannot take the object while the holder's platform call may
// run; it is refused (its holder stopped renewing) and told how long to
// wait. The holder reports the lease lost only once it may have expired.
func TestLinkCutDoesNotFreeTheLock(t *testing.T) {
	ctx := context.Background()
	direct := pool(t)
	u, err := url.Parse(serverURL(t))
	require.NoError(t, err)
	px := faultproxy.New(t, u.Host)
	u.Host = px.Addr
	viaProxy := poolAt(t, u.String(), "")

	holder := postgres.NewLocker(viaProxy)
	holder.RenewEvery, holder.OpTimeout = 100*time.Millisecond, 200*time.Millisecond
	key := fmt.Sprintf("charge:cut-%d", time.Now().UnixNano())
	terms := chargedesk.LeaseTerms{Hold: 3 * time.Second, Settle: time.Second}
	start := time.Now()
	lease, err := holder.Lock(ctx, key, terms)
	require.NoError(t, err)

	px.Blackhole()
	other := postgres.NewLocker(direct)
	var held *chargedesk.HeldError
	require.Eventually(t, func() bool {
		wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		l, err := other.Lock(wait, key, terms)
		if err == nil {
			_ = l.Release(ctx)
			t.Fatal("another instance took the lock while its holder's link was cut")
		}
		return errorAs(err, &held)
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
	assert.GreaterOrEqual(t, time.Since(start), terms.Hold)
	px.Restore(t)
}

// A holder that crashed after its last renewal (its row is there, not
// renewed for long) is refused at once with the time left, not waited on.
func TestCrashedHolderIsRefusedAtOnce(t *testing.T) {
	ctx := context.Background()
	p := pool(t)
	key := fmt.Sprintf("charge:crash-%d", time.Now().UnixNano())
	_, err := p.Exec(ctx, `INSERT INTO chargedesk_locks (key, owner, fence, state, renew_ms, renewed_at, expires_at)
		VALUES ($1, 'dead', nextval('chargedesk_lock_fence'), 'held', 2000, now() - interval '10 seconds', now() + interval '40 seconds')`, key)
	require.NoError(t, err)
	start := time.Now()
	_, err = postgres.NewLocker(p).Lock(ctx, key, chargedesk.LeaseTerms{Hold: time.Minute, Settle: time.Minute})
	var held *chargedesk.HeldError
	require.ErrorAs(t, err, &held)
	assert.Less(t, time.Since(start), time.Second)
	assert.True(t, held.Stalled)
	assert.InDelta(t, 40, held.Wait.Seconds(), 2)
}

func errorAs(err error, target **chargedesk.HeldError) bool {
	he, ok := err.(*chargedesk.HeldError)
	if ok {
		*target = he
	}
	return ok
}

// Three receivers, each with its own Locker and DuplicateStore on one
// PostgreSQL, perform one identical refund once.
func TestInstances(t *testing.T) {
	p := pool(t)
	chargedesktest.TestInstances(t,
		func(*testing.T) chargedesk.Locker { return postgres.NewLocker(p) },
		func(*testing.T) chargedesk.DuplicateStore { return postgres.NewDuplicateStore(p) })
}

func BenchmarkBackendPostgres(b *testing.B) {
	p := pool(b)
	chargedesktest.BenchmarkBackend(b, postgres.NewLocker(p), postgres.NewDuplicateStore(p))
}

// An event delivered to two instances at once, each with its own
// receiver on this backend, is handled once.
func TestEventHandledOnceAcrossInstances(t *testing.T) {
	p := pool(t)
	var calls atomic.Int32
	body := []byte(fmt.Sprintf(`{"event_id":"ev-%d","created":1,"class":"charge","event":"charge_paid","data":{"charge":{"charge_id":"ch-ev"}}}`, time.Now().UnixNano()))
	var receivers []*events.Receiver
	for range 2 {
		r, err := events.NewReceiver(events.Config{Secrets: []string{"events-secret-0123456789"}, Locker: postgres.NewLocker(p), DuplicateStore: postgres.NewDuplicateStore(p)})
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
