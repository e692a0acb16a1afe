package syncer

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// TestSyncLoad measures the syncer against the local ChargeDesk, for
// docs/performance.md: how fast marks are taken, how fast a backlog is
// pushed, and how many requests a burst of changes costs. It runs only
// with CHARGEDESK_SYNC_LOAD=1 (CHARGEDESK_SYNC_LOAD_OBJECTS sets the
// backlog, default 2000), and is bounded by its objects and a deadline.
func TestSyncLoad(t *testing.T) {
	if os.Getenv("CHARGEDESK_SYNC_LOAD") != "1" {
		t.Skip("set CHARGEDESK_SYNC_LOAD=1 to measure the syncer's throughput")
	}
	objects := 2000
	if n, err := strconv.Atoi(os.Getenv("CHARGEDESK_SYNC_LOAD_OBJECTS")); err == nil && n > 0 {
		objects = n
	}
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			// A backlog: objects marked while no worker runs, then pushed.
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{Latency: 5 * time.Millisecond})
			cfg := testConfig(p, cd, nil)
			cfg.Rate, cfg.Burst, cfg.Workers = 100000, 100, 16
			s := st.open(t, cfg)
			began := time.Now()
			for i := range objects {
				id := fmt.Sprintf("ch_%d", i)
				p.change(id, nil)
				require.NoError(t, s.Mark(ctx, Charge, id))
			}
			marking := time.Since(began)
			began = time.Now()
			start(t, s)
			require.Eventually(t, func() bool { return converged(p, cd) }, 5*time.Minute, 50*time.Millisecond)
			pushing := time.Since(began)
			t.Logf("backlog: %d marks in %s (%.0f marks/s, one transaction each); pushed in %s (%.0f pushes/s, 16 workers, 5 ms ChargeDesk latency)",
				objects, marking.Round(time.Millisecond), float64(objects)/marking.Seconds(),
				pushing.Round(time.Millisecond), float64(objects)/pushing.Seconds())

			// The first instance stops: the second has another Source, and
			// would otherwise share its queue.
			require.NoError(t, s.Stop(ctx))

			// Bursts: 200 objects, 10 changes each in quick succession,
			// while the workers run; ChargeDesk answers in 20 ms.
			p2, cd2 := newPlatform(), newChargeDesk(t, apitest.Options{Latency: 20 * time.Millisecond})
			cfg2 := testConfig(p2, cd2, nil)
			cfg2.Rate, cfg2.Burst, cfg2.Workers = 100000, 100, 16
			s2 := st.open(t, cfg2)
			start(t, s2)
			began = time.Now()
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					for i := g; i < 200; i += 4 {
						id := fmt.Sprintf("ch_burst_%d", i)
						for range 10 {
							p2.change(id, nil)
							if err := s2.Mark(ctx, Charge, id); err != nil {
								t.Error(err)
								return
							}
						}
					}
				})
			}
			wg.Wait()
			require.Eventually(t, func() bool { return converged(p2, cd2) }, 5*time.Minute, 50*time.Millisecond)
			took := time.Since(began)
			requests := 0
			cd2.get(func(cd *chargeDesk) {
				for _, n := range cd.requests {
					requests += n
				}
			})
			t.Logf("bursts: 2000 changes to 200 objects became %d requests (%.2f a change) in %s",
				requests, float64(requests)/2000, took.Round(time.Millisecond))
			assertOrdered(t, cd2)
		})
	}
}
