package sim

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// startServe runs serve with args on a free loopback port until the test
// ends or stop is called; it returns the API's URL and key.
func startServe(t *testing.T, args ...string) (apiURL, key string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout bytes.Buffer
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, append([]string{"--addr", "127.0.0.1:0", "--clock", testclock.Now().Format(time.RFC3339)}, args...), &stdout, &bytes.Buffer{},
			func(u, k string) { ready <- [2]string{u, k} })
	}()
	select {
	case r := <-ready:
		apiURL, key = r[0], r[1]
	case err := <-done:
		cancel()
		require.FailNow(t, "serve stopped", "%v", err)
	}
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
		return stdout.String()
	}
	t.Cleanup(func() { stop() })
	return apiURL, key, stop
}

func TestServeKeepsRecordsInItsStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "records.json")
	apiURL, key, stop := startServe(t, "--state", state)
	assert.Regexp(t, `^sk_local_[0-9a-f]{32}$`, key, "a made-up key")
	client := api.NewClient(key, api.WithBaseURL(apiURL))
	ctx := context.Background()
	_, err := client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_1", Amount: new(chargedesk.MustParseAmount("34.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}})
	require.NoError(t, err)
	_, err = client.Gateway.Refund(ctx, "tx_1", &api.RefundParams{Amount: new(chargedesk.MustParseAmount("4.00"))})
	require.NoError(t, err)
	out := stop()
	assert.Contains(t, out, "Local ChargeDesk API on http://127.0.0.1:")
	assert.Contains(t, out, "API key (made up for this run")
	assert.Contains(t, out, "Saved the records to "+state)

	apiURL, _, _ = startServe(t, "--state", state, "--api-key", "sk_local_fixed_key_123456")
	client = api.NewClient("sk_local_fixed_key_123456", api.WithBaseURL(apiURL))
	ch, err := client.Charges.Get(ctx, "tx_1")
	require.NoError(t, err)
	assert.Equal(t, "4.00", ch.AmountRefunded.String())
	assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, ch.Status)
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "extra"}, {"serve", "--fail-rate", "2"}, {"serve", "--rate-limit", "-1"}, {"serve", "--nope"},
	} {
		code, _, stderr := runSim(t, "", args...)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr, "serve", args)
	}
}
