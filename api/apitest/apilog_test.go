package apitest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An update through the API that changes a record is in the record's log,
// with its time and what changed, as the console shows it; one that
// changes nothing, and a creation, are not.
func TestAPIUpdatesAreLogged(t *testing.T) {
	now := time.Date(2031, 6, 30, 12, 0, 0, 0, time.UTC)
	s := New(Options{Key: key, Now: func() time.Time { return now }})
	const form = "transaction_id=tx_1&amount=34.00&currency=USD&customer[id]=cus_1&status=paid&duplicate=update"
	status, body, _ := do(t, s, http.MethodPost, "/v1/charges", form)
	require.Equal(t, http.StatusOK, status, body)
	status, body, _ = do(t, s, http.MethodPost, "/v1/charges", form)
	require.Equal(t, http.StatusOK, status, body)
	rec, ok := s.Record("charges", "tx_1")
	require.True(t, ok)
	assert.Empty(t, rec["logs"], "neither the creation nor an update that changed nothing is logged")

	now = now.Add(time.Minute)
	status, body, _ = do(t, s, http.MethodPost, "/v1/charges",
		"transaction_id=tx_1&amount=34.00&currency=USD&customer[id]=cus_1&status=partially refunded&amount_refunded=12.34&duplicate=update")
	require.Equal(t, http.StatusOK, status, body)
	rec, _ = s.Record("charges", "tx_1")
	logs := normalized(t, rec["logs"])
	assert.Equal(t, []any{map[string]any{
		"time": float64(now.Unix()), "action": "api",
		"message": "Updated through the API: status paid → partially refunded; amount_refunded 0 → 12.34",
	}}, logs)
}
