package syncer

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// TestPushes: marked objects reach ChargeDesk with the platform's state; a
// mark rolled back with its transaction pushes nothing; a gone object
// pushes nothing and completes.
func TestPushes(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			log, buf := newLog()
			defer func() {
				if t.Failed() {
					t.Log(buf.String())
				}
			}()
			s := st.open(t, testConfig(p, cd, log))
			for i := range 10 {
				id := fmt.Sprintf("ch_%d", i)
				p.change(id, func(c *testCharge) { c.refunded = i * 100 })
				require.NoError(t, s.Mark(ctx, Charge, id))
			}
			require.NoError(t, s.markRollback(ctx, Charge, "ch_rolled_back"))
			p.change("ch_gone", func(c *testCharge) { c.gone = true })
			require.NoError(t, s.Mark(ctx, Charge, "ch_gone"))
			start(t, s)

			require.Eventually(t, func() bool { return converged(p, cd) }, 10*time.Second, 20*time.Millisecond)
			rec, ok := cd.api.Record("charges", "ch_7")
			require.True(t, ok)
			assert.Equal(t, "7.00", rec["amount_refunded"])
			require.Eventually(t, func() bool {
				n, err := s.jobsFor(ctx, Charge, "ch_gone")
				require.NoError(t, err)
				return n == 1 // completed
			}, 5*time.Second, 20*time.Millisecond)
			n, err := s.jobsFor(ctx, Charge, "ch_rolled_back")
			require.NoError(t, err)
			assert.Zero(t, n, "a mark rolled back with its transaction leaves no job")
			cd.get(func(cd *chargeDesk) {
				assert.Zero(t, cd.requests["ch_gone"], "a gone object is not pushed")
				assert.Equal(t, 1, cd.requests["ch_3"])
			})
		})
	}
}

// The sync pushes to a ChargeDesk that answers in either shape (its own
// documented records, or the seed specification's) alike.
func TestPushesInEachShape(t *testing.T) {
	for _, shape := range apitest.Shapes() {
		t.Run(string(shape), func(t *testing.T) {
			ctx := context.Background()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{Shape: shape})
			log, buf := newLog()
			defer func() {
				if t.Failed() {
					t.Log(buf.String())
				}
			}()
			s := sqliteStore(t)(t, testConfig(p, cd, log))
			for i := range 3 {
				id := fmt.Sprintf("ch_%d", i)
				p.change(id, func(c *testCharge) { c.refunded = (i + 1) * 100 })
				require.NoError(t, s.Mark(ctx, Charge, id))
			}
			start(t, s)
			require.Eventually(t, func() bool { return converged(p, cd) }, 10*time.Second, 20*time.Millisecond)
			rec, ok := cd.api.Record("charges", "ch_2")
			require.True(t, ok)
			assert.Equal(t, "3.00", rec["amount_refunded"])
		})
	}
}

// TestMarkRefusesBadObjects: a bad kind or id is an error, and nothing is
// marked.
func TestMarkRefusesBadObjects(t *testing.T) {
	p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
	s := sqliteStore(t)(t, testConfig(p, cd, nil))
	for _, tc := range []struct {
		kind Kind
		id   string
		want error
	}{
		{"invoice", "in_1", ErrUnknownKind},
		{"", "x", ErrUnknownKind},
		{Charge, "", ErrBadID},
		{Customer, string(make([]byte, 256)), ErrBadID},
		{Product, "\xff", ErrBadID},
	} {
		err := s.Mark(context.Background(), tc.kind, tc.id)
		require.ErrorIs(t, err, tc.want, "%q %q", tc.kind, tc.id)
	}
	res, err := s.(*Syncer[*sql.Tx]).river.JobList(context.Background(), riverAllJobs())
	require.NoError(t, err)
	assert.Empty(t, res.Jobs)
	_ = http.StatusOK
}
