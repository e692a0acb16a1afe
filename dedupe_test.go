package chargedesk

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SetClockForTest makes s read the time from now. It is compiled into test
// binaries only, for the handler tests in package chargedesk_test.
func (s *MemoryDuplicateStore) SetClockForTest(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryDuplicateStore(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := NewMemoryDuplicateStore()
	s.SetClockForTest(clock.Now)

	steps := []struct {
		name     string
		advance  time.Duration
		remember string
		key      string
		want     bool
	}{
		{name: "unknown key", key: "a", want: false},
		{name: "just remembered", remember: "a", key: "a", want: true},
		{name: "another key", key: "b", want: false},
		{name: "within the window", advance: 59 * time.Second, key: "a", want: true},
		{name: "a nanosecond before it ends", advance: time.Second - time.Nanosecond, key: "a", want: true},
		{name: "when it ends", advance: time.Nanosecond, key: "a", want: false},
		{name: "remembered again", remember: "a", key: "a", want: true},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.remember != "" {
			require.NoError(t, s.Remember(ctx, st.remember, time.Minute), st.name)
		}
		seen, err := s.Seen(ctx, st.key)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.want, seen, st.name)
	}
}

// Memory stays within about two windows of traffic, however long the
// store runs: 100 new keys a second for an hour never leave more than two
// windows' worth.
func TestMemoryDuplicateStoreIsBounded(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := NewMemoryDuplicateStore()
	s.SetClockForTest(clock.Now)
	most := 0
	for sec := range 3600 {
		for i := range 100 {
			require.NoError(t, s.Remember(ctx, fmt.Sprint("k", sec, "-", i), time.Minute))
		}
		most = max(most, s.size())
		clock.Advance(time.Second)
	}
	assert.LessOrEqual(t, most, 2*60*100+100, "at most about two windows of keys")
	assert.GreaterOrEqual(t, most, 60*100, "a window of keys is kept")

	// An idle stretch longer than two windows drops everything.
	clock.Advance(3 * time.Minute)
	seen, err := s.Seen(ctx, "k3599-0")
	require.NoError(t, err)
	assert.False(t, seen)
	assert.Zero(t, s.size())
}

func TestMemoryDuplicateStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryDuplicateStore()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			key := fmt.Sprint("k", i%7)
			assert.NoError(t, s.Remember(ctx, key, time.Minute))
			seen, err := s.Seen(ctx, key)
			assert.NoError(t, err)
			assert.True(t, seen)
		})
	}
	wg.Wait()
}

func TestDuplicateKey(t *testing.T) {
	charge := func(id string) *Charge {
		return &Charge{ChargeID: id, Currency: "USD", Amount: MustParseAmount("34.00")}
	}
	sub := func(id string) *Subscription { return &Subscription{SubscriptionID: id} }
	refund := func(id, amount, reason string) *RefundRequest {
		return &RefundRequest{Charge: charge(id), RefundAmount: MustParseAmount(amount), ActionReason: reason}
	}
	cancel := func(mode CancelAction, refund RefundMode, reason string) *CancelRequest {
		return &CancelRequest{Action: mode, Refund: refund, ActionReason: reason, Subscription: sub("sub_1"), Charge: charge("ch_1")}
	}
	plans := func(p ...Plan) *EditPlansRequest { return &EditPlansRequest{Subscription: sub("sub_1"), Plans: p} }

	type side struct {
		action Action
		req    request
	}
	tests := []struct {
		name string
		a, b side
		same bool
	}{
		{name: "identical refunds", same: true,
			a: side{ActionRefund, refund("ch_1", "1.00", "damaged")}, b: side{ActionRefund, refund("ch_1", "1.00", "damaged")}},
		{name: "amount compared by value", same: true,
			a: side{ActionRefund, refund("ch_1", "12.3", "r")}, b: side{ActionRefund, refund("ch_1", "12.30", "r")}},
		{name: "other amount",
			a: side{ActionRefund, refund("ch_1", "1.00", "r")}, b: side{ActionRefund, refund("ch_1", "2.00", "r")}},
		{name: "other reason",
			a: side{ActionRefund, refund("ch_1", "1.00", "damaged")}, b: side{ActionRefund, refund("ch_1", "1.00", "late")}},
		{name: "other charge",
			a: side{ActionRefund, refund("ch_1", "1.00", "r")}, b: side{ActionRefund, refund("ch_2", "1.00", "r")}},
		{name: "capture and void of one charge",
			a: side{ActionCapture, &CaptureRequest{Charge: charge("ch_1")}}, b: side{ActionVoid, &VoidRequest{Charge: charge("ch_1")}}},
		{name: "identical captures", same: true,
			a: side{ActionCapture, &CaptureRequest{Charge: charge("ch_1")}}, b: side{ActionCapture, &CaptureRequest{Charge: charge("ch_1")}}},
		{name: "identical cancels", same: true,
			a: side{ActionCancel, cancel(CancelImmediately, RefundFull, "r")}, b: side{ActionCancel, cancel(CancelImmediately, RefundFull, "r")}},
		{name: "cancel with another refund mode",
			a: side{ActionCancel, cancel(CancelImmediately, RefundFull, "r")}, b: side{ActionCancel, cancel(CancelImmediately, RefundPartial, "r")}},
		{name: "cancel with another cancel mode",
			a: side{ActionCancel, cancel(CancelImmediately, RefundNone, "r")}, b: side{ActionCancel, cancel(CancelSuspend, RefundNone, "r")}},
		{name: "cancel and reactivate",
			a: side{ActionCancel, cancel(CancelSuspend, RefundNone, "")}, b: side{ActionReactivate, &ReactivateRequest{Subscription: sub("sub_1")}}},
		{name: "identical plans", same: true,
			a: side{ActionEditPlans, plans(Plan{ProductID: "p1", Quantity: 1})}, b: side{ActionEditPlans, plans(Plan{ProductID: "p1", Quantity: 1})}},
		{name: "other quantity",
			a: side{ActionEditPlans, plans(Plan{ProductID: "p1", Quantity: 1})}, b: side{ActionEditPlans, plans(Plan{ProductID: "p1", Quantity: 2})}},
		{name: "other plans",
			a: side{ActionEditPlans, plans(Plan{ProductID: "p1", Quantity: 1})}, b: side{ActionEditPlans, plans(Plan{ProductID: "p2", Quantity: 1})}},
		{name: "payment requests of other amounts",
			a: side{ActionRequestPayment, &PaymentRequest{Charge: charge("ch_1")}},
			b: side{ActionRequestPayment, &PaymentRequest{Charge: &Charge{ChargeID: "ch_1", Amount: MustParseAmount("35.00")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := duplicateKey(tt.a.action, tt.a.req), duplicateKey(tt.b.action, tt.b.req)
			assert.Len(t, ka, 64, "a hex SHA-256 digest, which holds no customer data")
			if tt.same {
				assert.Equal(t, ka, kb)
			} else {
				assert.NotEqual(t, ka, kb)
			}
		})
	}
}

// A duplicate key is stored in shared backends and outlives a deploy: its
// encoding is pinned, so an identical webhook after an upgrade is still a
// duplicate. The digest is of "6:refund6:charge32:<charge_id>6:amount5:12.34
// 6:reason35:<reason>", computed outside Go.
func TestDuplicateKeyIsStable(t *testing.T) {
	req := &RefundRequest{
		Charge:       &Charge{ChargeID: "example-Xs84hY5BSt5IttuRSIsQIA8r"},
		RefundAmount: MustParseAmount("12.340"),
		ActionReason: "Customer received incorrect product",
	}
	assert.Equal(t, "5cae97bfbba3c33d974f1339eeec129c59abe6075ebdc4e49992a08645666bd1", duplicateKey(ActionRefund, req))
}
