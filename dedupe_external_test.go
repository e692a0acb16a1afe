package chargedesk_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Duplicate guard ----------------------------------------------------------

func TestDuplicateGuard(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	type step struct {
		advance time.Duration
		body    []byte
		status  int
		message string
	}
	first := refundBody(t, "ch_dup", "5.00", "Damaged in transit")
	const dupMessage = "An identical action was just processed for this charge. If it is really meant to happen twice, repeat it after 1m0s."
	tests := []struct {
		name   string
		window time.Duration
		fail   int // the gateway fails its first fail calls
		steps  []step
		calls  int
	}{
		{name: "identical twice", steps: []step{
			{body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 1},
		{name: "amount written differently", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5", "Damaged in transit"), status: 409, message: dupMessage},
		}, calls: 1},
		{name: "another reason", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5.00", "Second item damaged"), status: 200},
		}, calls: 2},
		{name: "another amount", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_dup", "5.01", "Damaged in transit"), status: 200},
		}, calls: 2},
		{name: "another charge", steps: []step{
			{body: first, status: 200},
			{body: refundBody(t, "ch_other", "5.00", "Damaged in transit"), status: 200},
		}, calls: 2},
		{name: "within the window", steps: []step{
			{body: first, status: 200},
			{advance: 59 * time.Second, body: first, status: 409, message: dupMessage},
		}, calls: 1},
		{name: "after the window", steps: []step{
			{body: first, status: 200},
			{advance: 60 * time.Second, body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 2},
		{name: "configured window", window: 10 * time.Minute, steps: []step{
			{body: first, status: 200},
			{advance: 9 * time.Minute, body: first, status: 409,
				message: "An identical action was just processed for this charge. If it is really meant to happen twice, repeat it after 10m0s."},
			{advance: time.Minute, body: first, status: 200},
		}, calls: 2},
		{name: "off", window: -1, steps: []step{
			{body: first, status: 200},
			{body: first, status: 200},
		}, calls: 2},
		{name: "a failed action is not remembered", fail: 1, steps: []step{
			{body: first, status: 422, message: "The card issuer declined the refund."},
			{body: first, status: 200},
			{body: first, status: 409, message: dupMessage},
		}, calls: 2},
		{name: "cancel", steps: []step{
			{body: cancelBody(t, "sub_dup", "ch_dup", "r"), status: 200},
			{body: cancelBody(t, "sub_dup", "ch_dup", "r"), status: 409,
				message: "An identical action was just processed for this subscription. If it is really meant to happen twice, repeat it after 1m0s."},
		}, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			store := chargedesk.NewMemoryDuplicateStore()
			store.SetClockForTest(func() time.Time { return now })
			gw := &fakeGateway{}
			gw.OnRefund = func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				if len(gw.Calls()) <= tt.fail {
					// Refused: nothing was done, so nothing is remembered
					// and the charge is not held.
					return nil, &chargedesk.AgentError{Message: "The card issuer declined the refund.", Err: errors.New("platform: declined")}
				}
				return chargedesk.RefundAnswer(req)
			}
			var events []chargedesk.Event
			h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) {
				c.DuplicateWindow = tt.window
				c.DuplicateStore = store
				c.Observe = func(e chargedesk.Event) { events = append(events, e) }
			})
			for i, st := range tt.steps {
				now = now.Add(st.advance)
				action := chargedesk.ActionRefund
				if bytes.Contains(st.body, []byte(`"subscription"`)) {
					action = chargedesk.ActionCancel
				}
				rec := serve(h, actionRequest(action, st.body))
				require.Equal(t, st.status, rec.Code, "step %d: %s", i, rec.Body.String())
				if st.message != "" {
					assert.Equal(t, st.message, errorOf(t, rec.Body.Bytes()), "step %d", i)
				}
				if st.status == http.StatusConflict {
					assert.Equal(t, chargedesk.OutcomeDuplicate, events[i].Outcome)
				}
			}
			assert.Equal(t, tt.calls, len(gw.Calls()), "gateway calls")
		})
	}
}

// opsStore is a DuplicateStore that records its calls and can fail.
type opsStore struct {
	mu         sync.Mutex
	seen       bool
	seenErr    error
	seenKeys   []string
	remembered []string
	ttls       []time.Duration
}

func (s *opsStore) Seen(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seenKeys = append(s.seenKeys, key)
	return s.seen, s.seenErr
}

func (s *opsStore) Remember(_ context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remembered = append(s.remembered, key)
	s.ttls = append(s.ttls, ttl)
	return nil
}

func TestCustomDuplicateStore(t *testing.T) {
	body := refundBody(t, "ch_store", "2.00", "r")
	t.Run("consulted and fed", func(t *testing.T) {
		store := &opsStore{}
		h, _ := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.DuplicateStore = store
			c.DuplicateWindow = 90 * time.Second
		})
		rec := serve(h, actionRequest(chargedesk.ActionRefund, body))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Len(t, store.seenKeys, 1)
		assert.Equal(t, store.seenKeys, store.remembered, "the key looked up is the key remembered")
		assert.Equal(t, []time.Duration{90 * time.Second}, store.ttls)
		assert.NotContains(t, store.seenKeys[0], "ch_store", "keys are digests")
	})
	t.Run("says seen", func(t *testing.T) {
		store := &opsStore{seen: true}
		gw := &fakeGateway{}
		h, _ := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.DuplicateStore = store })
		rec := serve(h, actionRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusConflict, rec.Code)
		assert.Zero(t, len(gw.Calls()))
		assert.Empty(t, store.remembered)
	})
	t.Run("fails", func(t *testing.T) {
		store := &opsStore{seenErr: errors.New("redis: i/o timeout")}
		gw := &fakeGateway{}
		h, logs := newLoggedHandler(t, gw, func(c *chargedesk.Config) { c.DuplicateStore = store })
		rec := serve(h, actionRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Equal(t, msgDown, errorOf(t, rec.Body.Bytes()))
		assert.Zero(t, len(gw.Calls()), "the gateway is not called")
		lines := logs.Find(t, "webhook")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0]["error"], "redis: i/o timeout")
	})
	t.Run("not consulted when off", func(t *testing.T) {
		store := &opsStore{seen: true}
		h, _ := newLoggedHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
			c.DuplicateStore = store
			c.DuplicateWindow = -1
		})
		rec := serve(h, actionRequest(chargedesk.ActionRefund, body))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Empty(t, store.seenKeys)
		assert.Empty(t, store.remembered)
	})
}
