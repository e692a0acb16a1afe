package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// markCharges changes n charges on the platform and marks them.
func markCharges(t *testing.T, s testSyncer, p *platform, prefix string, n int) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s_%d", prefix, i)
		p.change(id, nil)
		require.NoError(t, s.Mark(context.Background(), Charge, id))
	}
}

// TestChargeDeskDown: while ChargeDesk refuses connections, pushes are
// retried, none is given up; once it is back, ChargeDesk equals the
// platform.
func TestChargeDeskDown(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			s := st.open(t, testConfig(p, cd, nil))
			start(t, s)
			markCharges(t, s, p, "ch_before", 5)
			require.Eventually(t, func() bool { return converged(p, cd) }, 10*time.Second, 20*time.Millisecond)

			cd.stop()
			markCharges(t, s, p, "ch_down", 20)
			markCharges(t, s, p, "ch_before", 5) // newer states of pushed charges
			time.Sleep(2 * time.Second)          // down for ten backoffs (MaxBackoff 200ms)
			assert.False(t, converged(p, cd))
			failed, err := s.Failed(context.Background(), 100)
			require.NoError(t, err)
			assert.Empty(t, failed, "an outage gives up no push")

			cd.start(t)
			require.Eventually(t, func() bool { return converged(p, cd) }, 15*time.Second, 20*time.Millisecond)
		})
	}
}

// TestRateLimitStorm: ChargeDesk allows 5 requests a second and answers
// 429 with Retry-After: 1 past them; the syncer, allowed 1000 a second,
// pauses every push for the Retry-After, so it meets a few 429s a second
// (those already in flight), not one per push and retry, and converges.
func TestRateLimitStorm(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{RateLimit: 5})
			cfg := testConfig(p, cd, nil)
			s := st.open(t, cfg)
			markCharges(t, s, p, "ch", 25)
			began := time.Now()
			start(t, s)
			require.Eventually(t, func() bool { return converged(p, cd) }, 30*time.Second, 20*time.Millisecond)
			elapsed := time.Since(began)
			cd.get(func(cd *chargeDesk) {
				limited := cd.statuses[http.StatusTooManyRequests]
				t.Logf("%d pushes in %s, %d answers 429", cd.statuses[http.StatusOK], elapsed.Round(time.Millisecond), limited)
				assert.Positive(t, limited, "the storm happened")
				// At most the workers' requests in flight per pause of a
				// second, the last second included.
				assert.LessOrEqual(t, limited, cfg.Workers*(int(elapsed.Seconds())+2))
			})
			failed, err := s.Failed(context.Background(), 100)
			require.NoError(t, err)
			assert.Empty(t, failed)
		})
	}
}

// lockedRand is a seeded random source safe for concurrent use.
func lockedRand(seed uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

// TestServerErrors: with 40% of requests answered 503 (no Retry-After),
// every push is retried until it lands.
func TestServerErrors(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{FailRate: 0.4, Rand: lockedRand(7)})
			s := st.open(t, testConfig(p, cd, nil))
			start(t, s)
			markCharges(t, s, p, "ch", 30)
			require.Eventually(t, func() bool { return converged(p, cd) }, 30*time.Second, 20*time.Millisecond)
			cd.get(func(cd *chargeDesk) {
				assert.Positive(t, cd.statuses[http.StatusServiceUnavailable], "faults were injected")
			})
		})
	}
}

// TestAPIKeyRefused: while ChargeDesk answers 401, every push of the
// process waits AuthPause rather than spend its attempts, an error line
// says why, and the pushes land once the key is accepted.
func TestAPIKeyRefused(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			log, buf := newLog()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			cfg := testConfig(p, cd, log)
			cd.set(func(cd *chargeDesk) { cd.unauthUntil = time.Now().Add(1500 * time.Millisecond) })
			s := st.open(t, cfg)
			markCharges(t, s, p, "ch", 20)
			start(t, s)
			require.Eventually(t, func() bool { return converged(p, cd) }, 15*time.Second, 20*time.Millisecond)
			cd.get(func(cd *chargeDesk) {
				refused := cd.statuses[http.StatusUnauthorized]
				assert.Positive(t, refused)
				// Pauses of 300ms over 1.5s, each met by the requests in
				// flight at most: not one 401 per push and retry.
				assert.LessOrEqual(t, refused, cfg.Workers*7)
			})
			assert.Contains(t, buf.String(), `"level":"error"`)
			assert.Contains(t, buf.String(), "refused the API key")
			assert.NotContains(t, buf.String(), testKey)
		})
	}
}

// TestKeptFailures: a push that can never succeed (ChargeDesk refuses a
// field; the api package refuses params before sending) is kept, logged
// at error level with its kind and id, listed by Failed, and pushed by
// Retry once its cause is fixed; other pushes go on meanwhile.
func TestKeptFailures(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			log, buf := newLog()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			cd.set(func(cd *chargeDesk) { cd.refuse = true })
			s := st.open(t, testConfig(p, cd, log))
			start(t, s)
			p.change("ch_refused", func(c *testCharge) { c.bad = true })
			p.change("ch_unsendable", func(c *testCharge) { c.noCust = true })
			require.NoError(t, s.Mark(ctx, Charge, "ch_refused"))
			require.NoError(t, s.Mark(ctx, Charge, "ch_unsendable"))
			markCharges(t, s, p, "ch_ok", 5)

			var failed []Failure
			require.Eventually(t, func() bool {
				var err error
				failed, err = s.Failed(ctx, 100)
				require.NoError(t, err)
				return len(failed) == 2
			}, 10*time.Second, 20*time.Millisecond)
			byID := map[string]Failure{}
			for _, f := range failed {
				byID[f.ID] = f
				assert.Equal(t, Charge, f.Object)
				assert.Equal(t, "cancelled", f.State)
				assert.Equal(t, 1, f.Attempts, "kept at once, not retried")
				assert.False(t, f.FailedAt.IsZero())
			}
			assert.Contains(t, byID["ch_refused"].Error, "400")
			assert.Contains(t, byID["ch_refused"].Error, "metadata[bad]")
			assert.NotContains(t, byID["ch_refused"].Error, "is not allowed", "ChargeDesk's message is not kept")
			assert.Contains(t, byID["ch_unsendable"].Error, "customer[id]")
			require.Eventually(t, func() bool { return cd.pushedV("ch_ok_0") == 1 && cd.pushedV("ch_ok_4") == 1 },
				10*time.Second, 20*time.Millisecond, "other pushes go on")
			lines := strings.Split(buf.String(), "\n")
			for _, id := range []string{"ch_refused", "ch_unsendable"} {
				found := false
				for _, l := range lines {
					found = found || (strings.Contains(l, `"level":"error"`) && strings.Contains(l, `"id":"`+id+`"`) &&
						strings.Contains(l, `"object":"charge"`))
				}
				assert.True(t, found, "an error line names the charge %s", id)
			}

			// Retrying before the cause is fixed fails again, and is kept.
			again, err := s.Retry(ctx, byID["ch_unsendable"].JobID)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				failed, err := s.Failed(ctx, 100)
				require.NoError(t, err)
				return len(failed) == 2 && (failed[0].JobID == again || failed[1].JobID == again)
			}, 10*time.Second, 20*time.Millisecond)

			// Fixed on the platform and at ChargeDesk: the retries land.
			p.change("ch_refused", func(c *testCharge) { c.bad = false })
			p.change("ch_unsendable", func(c *testCharge) { c.noCust = false })
			failed, err = s.Failed(ctx, 100)
			require.NoError(t, err)
			for _, f := range failed {
				_, err := s.Retry(ctx, f.JobID)
				require.NoError(t, err)
			}
			require.Eventually(t, func() bool { return converged(p, cd) }, 10*time.Second, 20*time.Millisecond)
			failed, err = s.Failed(ctx, 100)
			require.NoError(t, err)
			assert.Empty(t, failed)

			_, err = s.Retry(ctx, failed0(t, byID))
			require.ErrorIs(t, err, ErrNotFailed, "a failed push retried is no longer failed")
			_, err = s.Retry(ctx, 1<<40)
			require.ErrorIs(t, err, ErrNotFailed)
			_, err = s.Failed(ctx, 0)
			require.Error(t, err)
		})
	}
}

func failed0(t *testing.T, byID map[string]Failure) int64 {
	t.Helper()
	return byID["ch_refused"].JobID
}

// wrongSource answers every charge with another charge's params.
type wrongSource struct{ *platform }

func (w wrongSource) Charge(ctx context.Context, id string) (*api.ChargeParams, error) {
	p, err := w.platform.Charge(ctx, id)
	if err == nil {
		p.TransactionID = "ch_other"
	}
	return p, err
}

// TestBadSourceKept: a Source that answers with another object's params
// is never sent: the push is kept as failed, and so is a kind the Source
// does not sync.
func TestBadSourceKept(t *testing.T) {
	ctx := context.Background()
	p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
	s := sqliteStore(t)(t, testConfig(wrongSource{p}, cd, nil))
	start(t, s)
	p.change("ch_1", nil)
	require.NoError(t, s.Mark(ctx, Charge, "ch_1"))
	require.NoError(t, s.Mark(ctx, Product, "gold"))
	var failed []Failure
	require.Eventually(t, func() bool {
		var err error
		failed, err = s.Failed(ctx, 10)
		require.NoError(t, err)
		return len(failed) == 2
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, Charge, failed[0].Object)
	assert.Contains(t, failed[0].Error, "cannot be pushed")
	assert.Equal(t, Product, failed[1].Object)
	assert.Contains(t, failed[1].Error, "not synced")
	cd.get(func(cd *chargeDesk) { assert.Empty(t, cd.requests, "nothing was sent") })
}

// TestGivesUpAfterMaxAttempts: a push that fails MaxAttempts times is
// kept (discarded), listed, and named by an error line.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	log, buf := newLog()
	p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
	cd.stop()
	cfg := testConfig(p, cd, log)
	cfg.MaxAttempts = 2
	s := sqliteStore(t)(t, cfg)
	start(t, s)
	p.change("ch_1", nil)
	require.NoError(t, s.Mark(ctx, Charge, "ch_1"))
	var failed []Failure
	require.Eventually(t, func() bool {
		var err error
		failed, err = s.Failed(ctx, 10)
		require.NoError(t, err)
		return len(failed) == 1
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "discarded", failed[0].State)
	assert.Equal(t, 2, failed[0].Attempts)
	assert.Contains(t, failed[0].Error, "connection refused")
	assert.Regexp(t, `"level":"error".*"object":"charge","id":"ch_1".*last attempt`, buf.String())
}
