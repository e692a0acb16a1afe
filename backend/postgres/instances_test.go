package postgres_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

const secret = "Bearer instances-secret-0123456789"

// slowRefunds refunds after a pause, counting the calls.
type slowRefunds struct {
	chargedesk.UnimplementedGateway
	calls atomic.Int32
}

func (g *slowRefunds) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	g.calls.Add(1)
	time.Sleep(50 * time.Millisecond) // a payment API's latency
	return chargedesk.RefundAnswer(req)
}

// One refund sent identically to three instances at once, each with its
// own Locker and DuplicateStore on one PostgreSQL: one performs it, the
// others answer 409.
func TestThreeInstancesOneRefund(t *testing.T) {
	p := pool(t)
	dupes := postgres.NewDuplicateStore(p)
	require.NoError(t, dupes.CreateSchema(context.Background()))
	gw := &slowRefunds{}
	log := zerolog.Nop()
	var handlers []http.Handler
	for range 3 {
		h, err := chargedesk.NewHandler(gw, chargedesk.Config{
			BasePath: "/chargedesk", Logger: &log,
			Headers:        []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
			Locker:         postgres.NewLocker(p),
			DuplicateStore: postgres.NewDuplicateStore(p),
		})
		require.NoError(t, err)
		handlers = append(handlers, h)
	}
	body, err := chargedesktest.Build(chargedesk.ActionRefund,
		chargedesktest.Set("charge.charge_id", "ch-instances-"+time.Now().Format("150405.000000000")))
	require.NoError(t, err)

	codes := make([]int, 3)
	var wg sync.WaitGroup
	for i, h := range handlers {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodPost, "/chargedesk/refund", bytes.NewReader(body))
			r.Header.Set("Authorization", secret)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: 2}, count)
	assert.EqualValues(t, 1, gw.calls.Load(), "the refund is performed once")
}
