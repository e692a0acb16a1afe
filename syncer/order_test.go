package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// instances opens n Syncers on one store, as n processes would be; on
// SQLite, which serves one process, they share an in-process lock.
func instances(t *testing.T, st store, cfg Config, n int) []testSyncer {
	t.Helper()
	if st.name == "sqlite" {
		cfg.Locker = chargedesk.NewMemoryLocker()
	}
	out := make([]testSyncer, n)
	for i := range out {
		out[i] = st.open(t, cfg)
	}
	return out
}

// assertOrdered checks what ChargeDesk applied: never two requests for one
// object at once, and never an older state after a newer one.
func assertOrdered(t *testing.T, cd *chargeDesk) {
	t.Helper()
	cd.get(func(cd *chargeDesk) {
		for id, n := range cd.maxInFlight {
			assert.LessOrEqual(t, n, 1, "requests for %s at once", id)
		}
		for id, vs := range cd.applied {
			assert.True(t, slices.IsSorted(vs), "the states of %s applied in order: %v", id, vs)
		}
	})
}

// TestCoalescing: 200 changes to one charge, made while its push is in
// flight, become one more request, and ChargeDesk ends with the last
// state.
func TestCoalescing(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			cfg := testConfig(p, cd, nil)
			cfg.RequestTimeout, cfg.JobTimeout, cfg.RescueAfter = 30*time.Second, 40*time.Second, time.Minute
			s := st.open(t, cfg)
			start(t, s)
			gate := make(chan struct{})
			cd.set(func(cd *chargeDesk) { cd.gate = gate })
			const changes = 200
			for i := range changes {
				p.change("ch_hot", func(c *testCharge) { c.refunded = i })
				require.NoError(t, s.Mark(context.Background(), Charge, "ch_hot"))
				if i == 0 { // the first push is in flight while the rest are made
					require.Eventually(t, func() bool {
						n := 0
						cd.get(func(cd *chargeDesk) { n = cd.requests["ch_hot"] })
						return n == 1
					}, 5*time.Second, 5*time.Millisecond)
				}
			}
			cd.set(func(cd *chargeDesk) { cd.gate = nil })
			close(gate)
			require.Eventually(t, func() bool { return cd.pushedV("ch_hot") == changes }, 15*time.Second, 20*time.Millisecond)
			time.Sleep(200 * time.Millisecond) // any push still to come would be counted
			cd.get(func(cd *chargeDesk) {
				t.Logf("%d changes, %d requests", changes, cd.requests["ch_hot"])
				assert.LessOrEqual(t, cd.requests["ch_hot"], 3)
			})
			assertOrdered(t, cd)
		})
	}
}

// TestOrdering: two instances, four goroutines changing eight charges at
// random while pushes run: ChargeDesk ends equal to the platform, having
// applied each charge's states in order, one request at a time.
func TestOrdering(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{Latency: 10 * time.Millisecond})
			all := instances(t, st, testConfig(p, cd, nil), 2)
			for _, s := range all {
				start(t, s)
			}
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), 1))
					for range 60 {
						id := fmt.Sprintf("ch_%d", r.IntN(8))
						p.change(id, nil)
						if err := all[r.IntN(2)].Mark(context.Background(), Charge, id); err != nil {
							t.Error(err)
							return
						}
						time.Sleep(time.Duration(r.IntN(5)) * time.Millisecond)
					}
				})
			}
			wg.Wait()
			require.Eventually(t, func() bool { return converged(p, cd) }, 20*time.Second, 20*time.Millisecond)
			assertOrdered(t, cd)
			cd.get(func(cd *chargeDesk) {
				total := 0
				for _, n := range cd.requests {
					total += n
				}
				t.Logf("240 changes, %d requests", total)
			})
		})
	}
}

// TestUnknownOutcomeSettles: a push whose request times out at the client
// while ChargeDesk still applies it leaves the object held for SettleTime,
// so the next push, with a newer state, from either instance, cannot reach
// ChargeDesk before the first is applied.
func TestUnknownOutcomeSettles(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			cfg := testConfig(p, cd, nil)
			cfg.RequestTimeout, cfg.SettleTime, cfg.JobTimeout, cfg.RescueAfter = 300*time.Millisecond, 2*time.Second, 2*time.Second, 5*time.Second
			all := instances(t, st, cfg, 2)
			for _, s := range all {
				start(t, s)
			}
			cd.set(func(cd *chargeDesk) { cd.slow["ch_x"] = slowSpec{delay: 1200 * time.Millisecond, times: 1} })
			p.change("ch_x", nil)
			require.NoError(t, all[0].Mark(context.Background(), Charge, "ch_x"))
			require.Eventually(t, func() bool {
				n := 0
				cd.get(func(cd *chargeDesk) { n = cd.requests["ch_x"] })
				return n == 1
			}, 5*time.Second, 5*time.Millisecond)
			p.change("ch_x", nil)
			require.NoError(t, all[1].Mark(context.Background(), Charge, "ch_x"))
			require.Eventually(t, func() bool { return cd.pushedV("ch_x") == 2 }, 10*time.Second, 20*time.Millisecond)
			assertOrdered(t, cd)
			cd.get(func(cd *chargeDesk) { assert.Equal(t, []int{1, 2}, cd.applied["ch_x"]) })
		})
	}
}

// TestChangeDuringPush: a change marked while the object's push is in
// flight is coalesced into the running job (River's unique jobs include
// running), and that job pushes again: the change is not lost.
func TestChangeDuringPush(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			s := st.open(t, testConfig(p, cd, nil))
			start(t, s)
			cd.set(func(cd *chargeDesk) { cd.slow["ch_y"] = slowSpec{delay: 300 * time.Millisecond, times: 1} })
			p.change("ch_y", nil)
			require.NoError(t, s.Mark(ctx, Charge, "ch_y"))
			require.Eventually(t, func() bool {
				n := 0
				cd.get(func(cd *chargeDesk) { n = cd.requests["ch_y"] })
				return n == 1
			}, 5*time.Second, 5*time.Millisecond)
			p.change("ch_y", nil)
			require.NoError(t, s.Mark(ctx, Charge, "ch_y"))
			require.Eventually(t, func() bool { return cd.pushedV("ch_y") == 2 }, 5*time.Second, 20*time.Millisecond)
			n, err := s.jobsFor(ctx, Charge, "ch_y")
			require.NoError(t, err)
			assert.Equal(t, 1, n, "the second mark joined the running job")
			cd.get(func(cd *chargeDesk) { assert.Equal(t, []int{1, 2}, cd.applied["ch_y"]) })
		})
	}
}
