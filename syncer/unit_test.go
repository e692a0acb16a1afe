package syncer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

func TestClassify(t *testing.T) {
	apiErr := func(status int, retryAfter time.Duration) error {
		return fmt.Errorf("wrapped: %w", &api.Error{StatusCode: status, RetryAfter: retryAfter, Method: "POST", Path: "/charges"})
	}
	for _, tc := range []struct {
		name    string
		err     error
		verdict verdict
		pause   time.Duration
		unknown bool
	}{
		{"429 with Retry-After", apiErr(http.StatusTooManyRequests, 7*time.Second), pauseAll, 7 * time.Second, false},
		{"429 without", apiErr(http.StatusTooManyRequests, 0), pauseAll, rateLimitPause, false},
		{"503 with Retry-After", apiErr(http.StatusServiceUnavailable, 30*time.Second), pauseAll, 30 * time.Second, false},
		{"503 without", apiErr(http.StatusServiceUnavailable, 0), retry, 0, false},
		{"500", apiErr(http.StatusInternalServerError, 0), retry, 0, false},
		{"502: a proxy gave up", apiErr(http.StatusBadGateway, 0), retry, 0, true},
		{"504: a proxy gave up", apiErr(http.StatusGatewayTimeout, 0), retry, 0, true},
		{"408", apiErr(http.StatusRequestTimeout, 0), retry, 0, false},
		{"409", apiErr(http.StatusConflict, 0), retry, 0, false},
		{"401", apiErr(http.StatusUnauthorized, 0), pauseAll, 0, false},
		{"403", apiErr(http.StatusForbidden, 0), pauseAll, 0, false},
		{"400", apiErr(http.StatusBadRequest, 0), keep, 0, false},
		{"404", apiErr(http.StatusNotFound, 0), keep, 0, false},
		{"422", apiErr(http.StatusUnprocessableEntity, 0), keep, 0, false},
		{"refused before sending", &api.ValidationError{Field: "currency", Reason: "is required"}, keep, 0, false},
		{"no answer", errors.New("read tcp: connection reset by peer"), retry, 0, true},
		{"no connection: nothing was sent", fmt.Errorf("wrapped: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), retry, 0, false},
		{"the request's deadline", context.DeadlineExceeded, retry, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, pause, unknown := classify(tc.err)
			assert.Equal(t, tc.verdict, v)
			assert.Equal(t, tc.pause, pause)
			assert.Equal(t, tc.unknown, unknown)
		})
	}
}

func TestBackoff(t *testing.T) {
	now := testclock.Now()
	for _, tc := range []struct {
		attempt  int
		jitter   float64
		min, max time.Duration
	}{
		{1, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{1, 0.999, 500 * time.Millisecond, time.Second},
		{4, 0, 4 * time.Second, 4 * time.Second},
		{10, 0, 150 * time.Second, 150 * time.Second}, // capped at 5 min, half for sure
		{10, 0.999, 299 * time.Second, 5 * time.Minute},
		{1000, 0.5, 225 * time.Second, 225 * time.Second}, // no overflow
	} {
		b := backoff{max: 5 * time.Minute, now: func() time.Time { return now }, jitter: func() float64 { return tc.jitter }}
		d := b.NextRetry(&rivertype.JobRow{Attempt: tc.attempt}).Sub(now)
		assert.GreaterOrEqual(t, d, tc.min, "attempt %d", tc.attempt)
		assert.LessOrEqual(t, d, tc.max, "attempt %d", tc.attempt)
	}
}

func TestPauseGate(t *testing.T) {
	now := testclock.Now()
	var g pauseGate
	assert.Zero(t, g.remaining(now))
	g.pauseUntil(now.Add(3 * time.Second))
	g.pauseUntil(now.Add(time.Second)) // a shorter pause does not shorten it
	assert.Equal(t, 3*time.Second, g.remaining(now))
	assert.Zero(t, g.remaining(now.Add(4*time.Second)))
}

func TestConfig(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, DefaultRate, cfg.Rate)
	assert.Equal(t, DefaultBurst, cfg.Burst)
	assert.Equal(t, DefaultWorkers, cfg.Workers)
	assert.Equal(t, DefaultJobTimeout+DefaultSettleTime+30*time.Second, cfg.RescueAfter)
	assert.Equal(t, DefaultFailedRetention, cfg.FailedRetention)
	assert.NotNil(t, cfg.Logger)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Rate: -1}, "may not be negative"},
		{Config{SettleTime: -time.Second}, "SettleTime may not be negative"},
		{Config{RequestTimeout: time.Minute, JobTimeout: time.Minute}, "JobTimeout (1m0s) must be longer than RequestTimeout"},
		{Config{JobTimeout: time.Minute, SettleTime: time.Minute, RescueAfter: time.Minute}, "RescueAfter (1m0s) must be longer"},
	} {
		_, err := tc.cfg.withDefaults()
		require.ErrorIs(t, err, errConfig)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestOpenRefusesUnknownStores(t *testing.T) {
	for _, store := range []string{"", "redis://:secret@127.0.0.1:6379/0", "mysql://u:p@h/db", "/var/lib/sync.db"} {
		_, err := Open(context.Background(), store, Config{})
		require.ErrorIs(t, err, ErrBadStore, store)
		assert.NotContains(t, err.Error(), "secret", "the URL is not repeated")
	}
	_, err := Open(context.Background(), "postgres://u:secret@[::1", Config{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

// TestStartNeedsSourceAndKey: a Syncer without a Source or an API key can
// mark and list, but not start.
func TestStartNeedsSourceAndKey(t *testing.T) {
	s, err := Open(context.Background(), "sqlite:"+t.TempDir()+"/sync.db", Config{})
	require.NoError(t, err)
	defer s.Close()
	require.ErrorIs(t, s.Start(context.Background()), ErrNotStartable)
	require.NoError(t, s.Mark(context.Background(), Charge, "ch_1"))
	require.NoError(t, s.Stop(context.Background()), "a Syncer not started stops at once")
}
