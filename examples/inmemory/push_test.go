package main

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const pushSecret = "push-secret-0123456789abcdef"

// With CHARGEDESK_API_KEY set, a refund the platform makes is upserted to
// ChargeDesk's API after the webhook is answered, and the answer does not
// wait for it: here the API holds its answer until the webhook's own has
// arrived.
func TestPushesChangesToChargeDesk(t *testing.T) {
	fake := apitest.New(apitest.Options{Key: "sk_test_push_0123456789", Now: testclock.Clock()})
	release := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer once.Do(func() { close(release) })

	r := startReceiver(t, map[string]string{
		"CHARGEDESK_SECRET": pushSecret, "CHARGEDESK_API_KEY": "sk_test_push_0123456789",
		"CHARGEDESK_API_URL": srv.URL + "/v1",
	})
	out := send(t, r.baseURL, "Bearer "+pushSecret, chargedesk.ActionRefund,
		chargedesktest.Set("charge.transaction_id", "tx-push-1"), chargedesktest.Set("charge.customer_id", "cus-push"))
	require.Equal(t, http.StatusOK, out.Status, "answered while ChargeDesk's API has not answered the push")
	once.Do(func() { close(release) })

	var rec map[string]any
	require.Eventually(t, func() bool {
		var ok bool
		rec, ok = fake.Record("charges", "tx-push-1")
		return ok
	}, 10*time.Second, 10*time.Millisecond, "the refund reaches ChargeDesk")
	assert.Equal(t, "12.34", rec["amount_refunded"])
	assert.Equal(t, "partially refunded", rec["status"])
	assert.Equal(t, "cus-push", rec["customer"].(map[string]any)["id"])
	mu.Lock()
	assert.Equal(t, []string{"POST /v1/charges"}, seen, "one upsert, no other call")
	mu.Unlock()
	require.NoError(t, r.stop())
}

// Without the key nothing is pushed and nothing is said about it.
func TestNoPushWithoutAKey(t *testing.T) {
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": pushSecret})
	out := send(t, r.baseURL, "Bearer "+pushSecret, chargedesk.ActionRefund)
	require.Equal(t, http.StatusOK, out.Status)
	require.NoError(t, r.stop())
	assert.NotContains(t, r.stderr.String(), "push")
}
