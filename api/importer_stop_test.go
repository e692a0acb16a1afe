package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customers returns a JSON Lines stream of n customers.
func customers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"object": "customer", "customer_id": "cus_%04d"}`+"\n", i)
	}
	return b.String()
}

// When going on is pointless, the import ends at once with one StopError:
// no record is counted as failed, and the resume line is the first line.
func TestImporterStopsWhenGoingOnIsPointless(t *testing.T) {
	unreachable := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/v1"
	}
	tests := []struct {
		name string
		base func(t *testing.T, api string) string
		key  string
		kind StopKind
		says string
	}{
		{"wrong key", func(_ *testing.T, api string) string { return api + "/v1" }, "sk_wrong_key_0123456789", StopAuth, "401"},
		{"not the API's root", func(_ *testing.T, api string) string { return api }, testKey, StopNotFound, "POST /charges: 404"},
		{"redirect", func(t *testing.T, _ string) string {
			return redirecting(t, http.StatusFound, "https://example.com") + "/v1"
		}, testKey, StopRedirect, "https://example.com"},
		{"unreachable", func(t *testing.T, _ string) string { return unreachable(t) }, testKey, StopUnreachable, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec, _, _ := newTestAPI(t)
			srv := httptest.NewServer(rec)
			t.Cleanup(srv.Close)
			client := NewClient(tt.key, WithBaseURL(tt.base(t, srv.URL)))
			clock := &fakeClock{}
			clock.install(client)
			var lines strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&lines, `{"object": "charge", "transaction_id": "ch_%d", "amount": "1.00", "currency": "USD", "customer": {"id": "c"}}`+"\n", i)
			}
			sum, err := (&Importer{Client: client}).Run(context.Background(), NewJSONLReader(strings.NewReader(lines.String())).Records(1))
			require.NoError(t, err)
			var stop *StopError
			require.ErrorAs(t, sum.Stopped, &stop)
			assert.Equal(t, tt.kind, stop.Kind)
			assert.Contains(t, stop.Error(), tt.says)
			assert.NotContains(t, stop.Error(), tt.key)
			assert.Zero(t, sum.Failed, "not the records' fault")
			assert.Empty(t, sum.Failures)
			assert.Zero(t, sum.Done)
			assert.Equal(t, 1, sum.ResumeLine)
			assert.LessOrEqual(t, len(rec.requests()), startInFlight, "at most the first records in flight were sent")
			assert.LessOrEqual(t, len(clock.slept), startInFlight*3, "retried only as the client's policy allows, for the first records")
		})
	}
}

// MaxFailures ends the import after that many failed records; the records
// in flight finish, and the failures are reported in line order.
func TestImporterMaxFailures(t *testing.T) {
	_, rec, client, _ := newTestAPI(t)
	var lines strings.Builder
	for i := range 200 {
		fmt.Fprintf(&lines, `{"object": "charge", "transaction_id": "ch_%d", "amount": "1.001", "currency": "USD", "customer": {"id": "c"}}`+"\n", i)
	}
	sum, err := (&Importer{Client: client, MaxFailures: 10, Concurrency: 4}).Run(context.Background(),
		NewJSONLReader(strings.NewReader(lines.String())).Records(1))
	require.NoError(t, err)
	require.ErrorIs(t, sum.Stopped, ErrTooManyFailures)
	assert.Equal(t, 10, sum.Failed, "a record that cannot be sent fails before the next starts")
	assert.Equal(t, sum.Failed, sum.Done)
	assert.Equal(t, sum.Done+1, sum.ResumeLine)
	for i, f := range sum.Failures {
		assert.Equal(t, i+1, f.Line, "in line order")
	}
	assert.Empty(t, rec.requests(), "invalid records are never sent")
}

// Failures are reported in line order even when later records fail first.
func TestImporterReportsFailuresInLineOrder(t *testing.T) {
	first := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("customer_id") == "cus_0000" {
			<-first // line 1 answers after line 2 has failed
		} else {
			defer once.Do(func() { close(first) })
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error": {"message": "refused", "type": "invalid_request_error"}}`))
	}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL+"/v1"))
	im := &Importer{Client: client, Concurrency: 2}
	sum, err := im.Run(context.Background(), NewJSONLReader(strings.NewReader(customers(2))).Records(1))
	require.NoError(t, err)
	require.Len(t, sum.Failures, 2)
	assert.Equal(t, 1, sum.Failures[0].Line)
	assert.Equal(t, 2, sum.Failures[1].Line)
	assert.Equal(t, 3, sum.ResumeLine)
}

// The failures kept are the first by line, however they finish.
func TestImporterKeepsTheFirstFailuresByLine(t *testing.T) {
	r := &run{im: &Importer{FailuresKept: 3}}
	for _, line := range []int{9, 4, 7, 1, 8, 2} {
		r.keepFailure(Record{Line: line}, fmt.Errorf("bad"))
	}
	var lines []int
	for _, f := range r.summary.Failures {
		lines = append(lines, f.Line)
	}
	assert.Equal(t, []int{1, 2, 4}, lines)
}
