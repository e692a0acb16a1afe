package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// seeded starts the in-memory API holding n records of name, stamped by a
// clock that moves one second every perSecond records, so many records
// share a second.
func seeded(t *testing.T, name string, n, perSecond int) (*recorder, *Client) {
	t.Helper()
	calls := 0
	start := testclock.Now()
	fake := apitest.New(apitest.Options{Key: testKey, Now: func() time.Time {
		calls++
		return start.Add(time.Duration(calls/perSecond) * time.Second)
	}})
	unique := map[string]string{"charges": "transaction_id", "products": "product_id", "customers": "customer_id"}[name]
	for i := range n {
		p := map[string]any{unique: fmt.Sprintf("id-%06d", i)}
		if name == "charges" {
			p["amount"], p["currency"], p["customer"] = "1.00", "USD", map[string]any{"id": "cus"}
		}
		_, err := fake.Seed(name, p)
		require.NoError(t, err)
	}
	rec := &recorder{next: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, NewClient(testKey, WithBaseURL(srv.URL+"/v1"))
}

// Charges list past the 50,000 offset limit by narrowing the window to the
// oldest second seen; the boundary falls inside a second shared by seven
// charges, and every charge comes exactly once, newest first.
func TestListChargesPastTheOffsetLimit(t *testing.T) {
	const n = 50750
	rec, client := seeded(t, "charges", n, 7)
	seen := make(map[string]bool, n)
	var last time.Time
	for c, err := range client.Charges.List(context.Background(), &ChargeListParams{ListParams: ListParams{Count: 500}}) {
		require.NoError(t, err)
		require.False(t, seen[c.TransactionID], "yielded twice: %s", c.TransactionID)
		seen[c.TransactionID] = true
		if !last.IsZero() {
			require.False(t, c.Occurred.After(last), "newest first")
		}
		last = c.Occurred
	}
	assert.Len(t, seen, n, "no gaps")
	narrowed := 0
	for _, r := range rec.requests() {
		if r.Query != "" && strings.Contains(r.Query, "occurred%5Bmax%5D=") {
			narrowed++
		}
	}
	assert.Positive(t, narrowed, "the window was narrowed past the limit")
}

func TestListStopsWhenTheConsumerDoes(t *testing.T) {
	rec, client := seeded(t, "charges", 250, 1)
	n := 0
	for _, err := range client.Charges.List(context.Background(), nil) {
		require.NoError(t, err)
		if n++; n == 150 {
			break
		}
	}
	assert.Len(t, rec.requests(), 2, "no page is fetched beyond what was consumed")
}

// Other lists cannot be narrowed by time: they say so rather than ask past
// the limit.
func TestListPastTheLimitWithoutATimeFilter(t *testing.T) {
	_, client := seeded(t, "products", 50250, 50)
	n := 0
	var last error
	for _, err := range client.Products.List(context.Background(), &ProductListParams{ListParams{Count: 100, Offset: 49800}}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ErrOffsetLimit)
	assert.Equal(t, 300, n, "every record up to the limit is yielded first")
}
