package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const sampleJSONL = `{"object": "customer", "customer_id": "cus_1", "email": "jane@example.com", "name": "Jane", "delinquent": false}
{"object": "product", "product_id": "gold", "name": "Gold", "amount": 9.99, "currency": "USD", "interval": "month"}

{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}, "metadata": {"order": "42"}}
{"object": "charge", "transaction_id": "ch_2", "amount": "12.345", "currency": "USD", "customer": {"id": "cus_1"}}
this is not json
{"object": "refund", "id": "x"}
{"object": "charge", "transaction_id": "ch_3", "amount": "5.00", "currency": "USD", "customer": {"id": "cus_1"}, "amount_refundd": "1.00"}
{"object": "subscription", "subscription_id": "sub_1", "customer_id": "cus_1", "status": "active", "quantity": "two"}
{"object": "subscription", "subscription_id": "sub_1", "customer_id": "cus_1", "status": "active", "trial_end": "2026-12-01T00:00:00Z"}
{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}, "status": "refunded", "amount_refunded": "34.00"}
`

// A stream with failures in the middle: every good record is imported,
// each bad one is reported with its line and reason, and the same id later
// in the stream updates what an earlier line created.
func TestImporterWithFailuresInTheMiddle(t *testing.T) {
	fake, _, client, _ := newTestAPI(t)
	var progress []Progress
	im := &Importer{Client: client, Concurrency: 3, Progress: func(p Progress) { progress = append(progress, p) }}
	sum, err := im.Run(context.Background(), NewJSONLReader(strings.NewReader(sampleJSONL)).Records(1))
	require.NoError(t, err)

	assert.Equal(t, 10, sum.Done)
	assert.Equal(t, 5, sum.Upserted, "customer, product, ch_1, sub_1, ch_1 again on line 11")
	assert.Equal(t, 5, sum.Failed)
	assert.Equal(t, 12, sum.ResumeLine)
	assert.False(t, sum.Interrupted)
	assert.NoError(t, sum.Stopped)
	var reasons []string
	for _, f := range sum.Failures {
		reasons = append(reasons, f.Error())
	}
	assert.Equal(t, []string{
		"line 5: charge ch_2: chargedesk api: amount does not fit currency USD: 12.345 has more decimal places than USD allows (2)",
		"line 6: not a JSON object",
		`line 7: "object" must be charge, customer, subscription or product`,
		`line 8: charge: unknown field "amount_refundd"`,
		"line 9: subscription: quantity must be a whole number",
	}, reasons, "in line order")
	assert.Len(t, progress, 10)

	ch, ok := fake.Record("charges", "ch_1")
	require.True(t, ok)
	assert.Equal(t, "refunded", ch["status"], "the later line is what ChargeDesk keeps")
	assert.Equal(t, 1, fake.Len("charges"))
	sub, ok := fake.Record("subscriptions", "sub_1")
	require.True(t, ok)
	assert.EqualValues(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), sub["trial_end"])
}

func TestImporterDryRunSendsNothing(t *testing.T) {
	fake, rec, client, _ := newTestAPI(t)
	sum, err := (&Importer{Client: client, DryRun: true}).Run(context.Background(),
		NewJSONLReader(strings.NewReader(sampleJSONL)).Records(1))
	require.NoError(t, err)
	assert.Equal(t, 5, sum.Valid)
	assert.Equal(t, 5, sum.Failed)
	assert.Empty(t, rec.requests())
	assert.Zero(t, fake.Len("charges"))
}

func TestImporterFromLineSendsOneRequestARecord(t *testing.T) {
	_, rec, client, _ := newTestAPI(t)
	sum, err := (&Importer{Client: client}).Run(context.Background(),
		NewJSONLReader(strings.NewReader(sampleJSONL)).Records(10))
	require.NoError(t, err)
	assert.Equal(t, Progress{Done: 2, Upserted: 2, ResumeLine: 12, Elapsed: sum.Elapsed, InFlight: sum.InFlight}, sum.Progress)
	reqs := rec.requests()
	require.Len(t, reqs, 2, "one request a record, none before line 10")
	for _, r := range reqs {
		assert.Equal(t, "POST", r.Method)
		assert.Contains(t, r.Body, "duplicate=update")
	}
}

// Cancelling stops the import; the resume line is at or before the first
// record that did not finish, so resuming never skips one.
func TestImporterInterrupted(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := apitest.New(apitest.Options{Key: testKey, Now: testclock.Clock()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		if calls == 20 {
			cancel()
		}
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL+"/v1"))
	var lines strings.Builder
	for i := range 100 {
		fmt.Fprintf(&lines, `{"object": "customer", "customer_id": "cus_%03d"}`+"\n", i)
	}
	sum, err := (&Importer{Client: client, Concurrency: 4}).Run(ctx,
		NewJSONLReader(strings.NewReader(lines.String())).Records(1))
	require.NoError(t, err)
	assert.True(t, sum.Interrupted)
	assert.Less(t, sum.Done, 100)
	assert.Zero(t, sum.Failed, "a cancelled record is not a failure")
	imported := fake.Len("customers")
	assert.LessOrEqual(t, sum.ResumeLine-1, imported, "every line before the resume line was imported")

	// Resuming from there imports the rest.
	sum2, err := (&Importer{Client: NewClient(testKey, WithBaseURL(srv.URL+"/v1"))}).Run(context.Background(),
		NewJSONLReader(strings.NewReader(lines.String())).Records(sum.ResumeLine))
	require.NoError(t, err)
	assert.Zero(t, sum2.Failed)
	assert.Equal(t, 100, fake.Len("customers"))
}

func TestJSONLLongLine(t *testing.T) {
	long := `{"object": "customer", "customer_id": "c", "description": "` + strings.Repeat("x", MaxLineBytes) + `"}`
	input := long + "\n" + `{"object": "customer", "customer_id": "d"}`
	var got []Record
	r := NewJSONLReader(strings.NewReader(input))
	for rec := range r.Records(1) {
		got = append(got, rec)
	}
	require.NoError(t, r.Err())
	require.Len(t, got, 2)
	assert.ErrorContains(t, got[0].Err, "longer than")
	assert.NoError(t, got[1].Err, "the line after a long one is read")
	assert.Equal(t, 2, got[1].Line)
	assert.Equal(t, int64(len(input)), r.BytesRead())
}
