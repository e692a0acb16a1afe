package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// elsewhere is another origin that counts the requests reaching it and
// whether any carried an Authorization header.
type elsewhere struct {
	srv        *httptest.Server
	hits, auth atomic.Int32
}

func newElsewhere(t *testing.T) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			e.auth.Add(1)
		}
		_, _ = w.Write([]byte(`{"id": "ch_1", "object": "charge", "transaction_id": "ch_1"}`))
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// redirecting answers every request with status and a Location on target.
func redirecting(t *testing.T, status int, target string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/v1/steal?token=abc", status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The client follows no redirect: the key never travels to the origin a
// Location names, a POST is never turned into a GET reported as success,
// and the error names the status and the target's origin only. This holds
// with the caller's own *http.Client too, which is left as it was.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, own := range []bool{false, true} {
			other := newElsewhere(t)
			base := redirecting(t, status, other.srv.URL)
			opts := []Option{WithBaseURL(base + "/v1"), WithRetryPolicy(NoRetries)}
			var mine *http.Client
			if own {
				mine = &http.Client{}
				opts = append(opts, WithHTTPClient(mine))
			}
			client := NewClient(testKey, opts...)

			_, err := client.Charges.Upsert(context.Background(), &ChargeParams{TransactionID: "ch_1",
				Amount: amount("1.00"), Currency: "USD", Customer: &Ref{ID: "cus_1"}})
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr, "status %d, own client %v", status, own)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Contains(t, err.Error(), "a redirect to "+other.srv.URL+";")
			assert.NotContains(t, err.Error(), "steal", "the target's path is not shown")
			assert.NotContains(t, err.Error(), "token")

			_, err = client.Customers.Get(context.Background(), "cus_1")
			require.ErrorAs(t, err, &apiErr)
			assert.Zero(t, other.hits.Load(), "nothing reached the other origin")
			assert.Zero(t, other.auth.Load())
			if own {
				assert.Nil(t, mine.CheckRedirect, "the caller's client is not changed")
			}
		}
	}
}

// The default client keeps a pool of idle connections as large as an
// import's default in-flight limit, so requests reuse connections.
func TestDefaultClientPoolsConnections(t *testing.T) {
	client := NewClient(testKey)
	tr, ok := client.b.http.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, DefaultConnections, tr.MaxIdleConnsPerHost)
	assert.NotSame(t, http.DefaultTransport, tr, "the shared default transport is not changed")

	client = NewClient(testKey, WithConnections(7))
	assert.Equal(t, 7, client.b.http.Transport.(*http.Transport).MaxIdleConnsPerHost)
}
