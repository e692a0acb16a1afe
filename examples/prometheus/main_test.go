package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "prometheus-example-secret-0123"

// post sends body to path on srv with the given Authorization header.
func post(t *testing.T, srv *httptest.Server, path, auth string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	return resp.StatusCode
}

func scrape(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestMetrics(t *testing.T) {
	refund, err := chargedesktest.Payload(chargedesk.ActionRefund)
	require.NoError(t, err)
	capture, err := chargedesktest.Payload(chargedesk.ActionCapture)
	require.NoError(t, err)

	log := zerolog.Nop()
	h, err := newServer(testSecret, &log, prometheus.NewRegistry())
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	bearer := "Bearer " + testSecret
	assert.Equal(t, http.StatusOK, post(t, srv, "/chargedesk/refund", bearer, refund))
	assert.Equal(t, http.StatusUnauthorized, post(t, srv, "/chargedesk/refund", "Bearer wrong-secret-000000000000", refund))
	assert.Equal(t, http.StatusNotImplemented, post(t, srv, "/chargedesk/capture", bearer, capture))
	assert.Equal(t, http.StatusNotFound, post(t, srv, "/chargedesk/refunds", bearer, refund))

	metrics := scrape(t, srv)
	for _, line := range []string{
		`chargedesk_webhooks_total{action="refund",outcome="success",status="200"} 1`,
		`chargedesk_webhooks_total{action="refund",outcome="unauthorized",status="401"} 1`,
		`chargedesk_webhooks_total{action="capture",outcome="not_supported",status="501"} 1`,
		`chargedesk_webhooks_total{action="unknown",outcome="not_found",status="404"} 1`,
		`chargedesk_webhook_duration_seconds_count{action="refund"} 2`,
		`chargedesk_webhook_duration_seconds_bucket{action="refund",le="+Inf"} 2`,
	} {
		assert.Contains(t, metrics, line+"\n")
	}
	assert.NotContains(t, metrics, testSecret)
}

// lines is an io.Writer that hands each line written to a channel.
type lines chan []byte

func (l lines) Write(p []byte) (int, error) {
	l <- bytes.Clone(p)
	return len(p), nil
}

func TestRun(t *testing.T) {
	env := map[string]string{"ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": testSecret}
	out := make(lines, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, out) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("run did not stop")
		}
	}()

	var listening struct{ Message, Metrics string }
	select {
	case b := <-out:
		require.NoError(t, json.Unmarshal(b, &listening))
	case err := <-done:
		t.Fatalf("run ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("run never said it was listening")
	}
	require.Equal(t, "listening", listening.Message)
	resp, err := http.Get(listening.Metrics)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "go_goroutines")
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "no secret", env: map[string]string{"ADDR": "127.0.0.1:0"}, want: "set CHARGEDESK_SECRET"},
		{name: "short secret", env: map[string]string{"ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "short"}, want: "CHARGEDESK_SECRET: "},
		{name: "bad address", env: map[string]string{"ADDR": "not an address", "CHARGEDESK_SECRET": testSecret}, want: `listen on ADDR "not an address"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), func(k string) string { return tt.env[k] }, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "short", "the secret is never echoed")
		})
	}
}
