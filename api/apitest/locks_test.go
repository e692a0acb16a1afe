package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// post serves one form POST with ctx and returns its status and body.
func post(s *Server, ctx context.Context, path, form string) (int, string) {
	req := httptest.NewRequestWithContext(ctx, "POST", path, strings.NewReader(form))
	req.SetBasicAuth(key, "")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// ledger is a receiver's own record of refunds: each refund webhook adds to
// its total, and the answer carries the absolute amount_refunded.
type ledger struct {
	mu       sync.Mutex
	refunded map[string]chargedesk.Amount
	seen     map[string][]string // amount_refunded as each webhook showed it
	inFlight map[string]int
	most     map[string]int
}

func newLedger() *ledger {
	return &ledger{refunded: map[string]chargedesk.Amount{}, seen: map[string][]string{},
		inFlight: map[string]int{}, most: map[string]int{}}
}

func (l *ledger) agent(delay func(n int) time.Duration) Agent {
	var calls int
	return func(ctx context.Context, _ chargedesk.Action, payload []byte) AgentAnswer {
		var p struct {
			RefundAmount chargedesk.Amount `json:"refund_amount"`
			Charge       chargedesk.Charge `json:"charge"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			return AgentAnswer{Error: err.Error(), Status: 400}
		}
		id := p.Charge.ChargeID
		l.mu.Lock()
		calls++
		n := calls
		l.seen[id] = append(l.seen[id], p.Charge.AmountRefunded.String())
		l.inFlight[id]++
		l.most[id] = max(l.most[id], l.inFlight[id])
		total, _ := l.refunded[id].Add(p.RefundAmount)
		l.refunded[id] = total
		l.mu.Unlock()
		// Later webhooks answer sooner: were two to overlap, the older
		// answer would land last.
		time.Sleep(delay(n))
		l.mu.Lock()
		l.inFlight[id]--
		l.mu.Unlock()
		status := "partially refunded"
		if total.String() == "20.00" {
			status = "refunded"
		}
		return AgentAnswer{Status: 200, Updates: map[string]map[string]any{
			"charge": {"amount_refunded": total.String(), "status": status}}}
	}
}

// Twenty refunds of one charge at once: each webhook is built from what the
// one before left, none overlaps another, and the record ends equal to the
// receiver's ledger.
func TestConcurrentRefundsOfOneChargeAreApplied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLedger()
		s := New(Options{Key: key, Now: func() time.Time { return time.Unix(1_900_000_000, 0) },
			Agent: l.agent(func(n int) time.Duration { return time.Duration(21-n) * time.Millisecond })})
		id, err := s.Seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "20.00", "currency": "USD",
			"customer": map[string]any{"id": "cus_1"}})
		require.NoError(t, err)

		var wg sync.WaitGroup
		codes := make(chan int, 20)
		for range 20 {
			wg.Go(func() {
				code, _ := post(s, context.Background(), "/v1/gateway/charges/tx_1/refund", "amount=1.00")
				codes <- code
			})
		}
		wg.Wait()
		close(codes)
		for code := range codes {
			assert.Equal(t, 200, code)
		}

		assert.Equal(t, 1, l.most[id], "one action on the charge at a time")
		want := make([]string, 20)
		for i := range want {
			want[i] = fmt.Sprintf("%d.00", i)
		}
		assert.Equal(t, want, l.seen[id], "each webhook shows what the one before left")
		rec, ok := s.Record("charges", id)
		require.True(t, ok)
		assert.Equal(t, l.refunded[id].String(), rec["amount_refunded"], "the record equals the receiver's ledger")
		assert.Equal(t, "refunded", rec["status"])
	})
}

// Actions on two charges run at the same time: one charge's webhook can
// wait for the other's.
func TestActionsOnOtherRecordsRunInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		second := make(chan struct{})
		var sawSecond bool
		s := New(Options{Key: key, Agent: func(ctx context.Context, _ chargedesk.Action, payload []byte) AgentAnswer {
			if strings.Contains(string(payload), `"transaction_id":"tx_2"`) {
				close(second)
				return AgentAnswer{Status: 200}
			}
			select {
			case <-second:
				sawSecond = true
			case <-time.After(time.Minute):
			}
			return AgentAnswer{Status: 200}
		}})
		for _, tx := range []string{"tx_1", "tx_2"} {
			_, err := s.Seed("charges", map[string]any{"transaction_id": tx, "amount": "5.00", "currency": "USD",
				"customer": map[string]any{"id": "cus_1"}})
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { post(s, context.Background(), "/v1/gateway/charges/tx_1/refund", "amount=1.00") })
		time.Sleep(time.Millisecond) // tx_1's webhook is under way
		wg.Go(func() { post(s, context.Background(), "/v1/gateway/charges/tx_2/refund", "amount=1.00") })
		wg.Wait()
		assert.True(t, sawSecond, "tx_2's action ran while tx_1's waited")
	})
}

// An action waiting for another on the same record gives up when its
// request ends, and changes nothing.
func TestWaitingForARecordIsBoundedByTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		s := New(Options{Key: key, Agent: func(ctx context.Context, _ chargedesk.Action, _ []byte) AgentAnswer {
			<-release
			return AgentAnswer{Status: 200}
		}})
		_, err := s.Seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "5.00", "currency": "USD",
			"customer": map[string]any{"id": "cus_1"}})
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Go(func() { post(s, context.Background(), "/v1/gateway/charges/tx_1/refund", "amount=1.00") })
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		code, body := post(s, ctx, "/v1/gateway/charges/tx_1/refund", "amount=2.00")
		assert.Equal(t, 503, code)
		assert.Contains(t, body, "record_busy")
		assert.Equal(t, 2*time.Second, time.Since(start), "it waited as long as its request allowed")
		close(release)
		wg.Wait()
		rec, _ := s.Record("charges", "tx_1")
		assert.Equal(t, "1.00", rec["amount_refunded"], "only the first refund happened")
	})
}
