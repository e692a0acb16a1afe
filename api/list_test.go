package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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

// sameEveryTime serves a full page of count charges for every request,
// whatever its offset or window: a server that makes no progress.
func sameEveryTime(t *testing.T, count int) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	var page strings.Builder
	page.WriteString(`{"object": "list", "data": [`)
	for i := range count {
		if i > 0 {
			page.WriteString(",")
		}
		fmt.Fprintf(&page, `{"id": "c%d", "transaction_id": "tx_%d", "occurred": %d}`, i, i, testclock.Now().Unix()-int64(i))
	}
	page.WriteString(`]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, page.String())
	}))
	t.Cleanup(srv.Close)
	return NewClient(testKey, WithBaseURL(srv.URL+"/v1")), &calls
}

// A server that answers the same page for every offset ends the list with
// ErrNoProgress after the first page, rather than repeating it to the
// offset limit or looping.
func TestListStopsWhenTheServerMakesNoProgress(t *testing.T) {
	client, calls := sameEveryTime(t, 10)
	n := 0
	var last error
	for _, err := range client.Customers.List(context.Background(), &CustomerListParams{ListParams: ListParams{Count: 10}}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ErrNoProgress)
	assert.Equal(t, 10, n, "the first page is yielded once")
	assert.EqualValues(t, 2, calls.Load())

	calls.Store(0)
	n = 0
	for _, err := range client.Charges.List(context.Background(), &ChargeListParams{ListParams: ListParams{Count: 10}}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ErrNoProgress)
	assert.Equal(t, 10, n)
	assert.EqualValues(t, 2, calls.Load())
}

// Past the offset limit a charge list narrows its window to the oldest
// charge seen; a server that ignores occurred[max] answers newer charges
// again, and the list ends with ErrNoProgress instead of yielding them
// twice.
func TestChargeListStopsWhenTheWindowDoesNotShrink(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		offset := 0
		_, _ = fmt.Sscan(r.URL.Query().Get("offset"), &offset)
		var page strings.Builder
		page.WriteString(`{"object": "list", "data": [`)
		for i := range MaxCount {
			if i > 0 {
				page.WriteString(",")
			}
			n := offset + i // occurred[max] ignored: always the newest first
			fmt.Fprintf(&page, `{"id": "c%d", "transaction_id": "tx_%d", "occurred": %d}`, n, n, testclock.Now().Unix()-int64(n))
		}
		page.WriteString(`]}`)
		_, _ = io.WriteString(w, page.String())
	}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL+"/v1"))
	seen := map[string]bool{}
	var last error
	for c, err := range client.Charges.List(context.Background(), &ChargeListParams{ListParams: ListParams{Count: MaxCount}}) {
		if err != nil {
			last = err
			break
		}
		require.False(t, seen[c.ID], "no charge is yielded twice")
		seen[c.ID] = true
	}
	require.ErrorIs(t, last, ErrNoProgress)
	assert.Len(t, seen, MaxOffset+MaxCount, "every charge up to the limit")
	assert.LessOrEqual(t, calls.Load(), int32(MaxOffset/MaxCount+2))
}
