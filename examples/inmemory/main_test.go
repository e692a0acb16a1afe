package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines and the
// test at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// receiver is a run of the example started by a test.
type receiver struct {
	baseURL        string
	stdout, stderr *lockedBuffer
	stop           func() error // cancels run and returns its error
}

// startReceiver runs the example with env on a free loopback port and
// stops it when the test ends.
func startReceiver(t *testing.T, env map[string]string) *receiver {
	t.Helper()
	if _, ok := env["ADDR"]; !ok {
		env["ADDR"] = "127.0.0.1:0"
	}
	r := &receiver{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, testclock.Clock(), func(k string) string { return env[k] }, r.stdout, r.stderr, func(u string) { ready <- u })
	}()
	select {
	case r.baseURL = <-ready:
	case err := <-done:
		cancel()
		require.FailNow(t, "run returned before it was ready", "%v", err)
	}
	var once sync.Once
	var runErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// send sends action's documented payload, changed by overrides, with the
// Authorization header auth.
func send(t *testing.T, baseURL, auth string, action chargedesk.Action, overrides ...chargedesktest.Override) *chargedesktest.Outcome {
	t.Helper()
	body, err := chargedesktest.Build(action, overrides...)
	require.NoError(t, err)
	in := chargedesktest.Integration{BasePath: baseURL, Header: http.Header{"Authorization": {auth}}}
	req, err := in.NewRequest(context.Background(), action, body)
	require.NoError(t, err)
	out, err := chargedesktest.Send(nil, req)
	require.NoError(t, err)
	return out
}

func TestRunWithADevelopmentSecret(t *testing.T) {
	r := startReceiver(t, map[string]string{})
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/chargedesk$`, r.baseURL)

	out := r.stdout.String()
	secret := regexp.MustCompile(`dev-[0-9a-f]{32}`).FindString(out)
	require.NotEmpty(t, secret, "the development secret is printed: %s", out)
	assert.Contains(t, out, "WARNING: CHARGEDESK_SECRET is not set")
	assert.Contains(t, out, "ChargeDesk receiver listening on "+r.baseURL+"\n")
	assert.Contains(t, out, "go run ./cmd/chargedesk-sim send refund --url "+r.baseURL+" -H 'Authorization: Bearer "+secret+"'")

	ok := send(t, r.baseURL, "Bearer "+secret, chargedesk.ActionRefund)
	assert.True(t, ok.OK, ok.Body)
	refused := send(t, r.baseURL, "Bearer dev-00000000000000000000000000000000", chargedesk.ActionRefund)
	assert.Equal(t, http.StatusUnauthorized, refused.Status)

	require.NoError(t, r.stop())
	logs := r.stderr.String()
	assert.Contains(t, logs, "CHARGEDESK_SECRET is not set")
	assert.Contains(t, logs, `"outcome":"success"`)
	assert.Contains(t, logs, "stopped")
	assert.NotContains(t, logs, secret, "the secret never reaches the logs")
}

func TestRunWithASecret(t *testing.T) {
	const secret = "configured-secret-0123456789"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret})
	assert.NotContains(t, r.stdout.String(), secret, "a configured secret is never printed")
	assert.NotContains(t, r.stdout.String(), "WARNING")
	assert.Contains(t, r.stdout.String(), `-H "Authorization: Bearer $CHARGEDESK_SECRET"`)

	out := send(t, r.baseURL, "Bearer "+secret, chargedesk.ActionRequestPayment)
	require.True(t, out.OK, out.Body)
	origin := strings.TrimSuffix(r.baseURL, "/chargedesk")
	require.True(t, strings.HasPrefix(out.RedirectURL, origin+"/pay/"), out.RedirectURL)

	resp, err := http.Get(out.RedirectURL)
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(page), "34.00 USD")

	resp, err = http.Get(origin + "/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	assert.Equal(t, http.StatusUnauthorized, send(t, r.baseURL, "Bearer "+secret+"x", chargedesk.ActionRefund).Status)
	require.NoError(t, r.stop())
	assert.NotContains(t, r.stderr.String(), secret)
}

func TestRunPublicURL(t *testing.T) {
	const secret = "configured-secret-0123456789"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret, "PUBLIC_URL": "https://abc.tunnel.example/"})
	assert.Equal(t, "https://abc.tunnel.example/chargedesk", r.baseURL)
	assert.Contains(t, r.stdout.String(), "listening on https://abc.tunnel.example/chargedesk\n")
}

func TestRunRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad ADDR", map[string]string{"ADDR": "not an address"}, `listen on ADDR "not an address"`},
		{"short secret", map[string]string{"ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "short"}, "CHARGEDESK_SECRET:"},
		{"secret with a line break", map[string]string{"ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "0123456789abcdef\nx"}, "CHARGEDESK_SECRET:"},
		{"bad PUBLIC_URL", map[string]string{"ADDR": "127.0.0.1:0", "PUBLIC_URL": "ftp://x"}, "PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr lockedBuffer
			err := run(context.Background(), testclock.Clock(), func(k string) string { return tt.env[k] }, &stdout, &stderr, func(string) {
				t.Error("ready must not be called")
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if s := tt.env["CHARGEDESK_SECRET"]; s != "" {
				assert.NotContains(t, err.Error(), s, "the error never holds the secret")
			}
		})
	}
}

// A webhook that is being read when the shutdown starts is answered, and
// run returns only after it.
func TestShutdownLetsInFlightWebhooksFinish(t *testing.T) {
	const secret = "configured-secret-0123456789"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret})
	body, err := chargedesktest.Payload(chargedesk.ActionRefund)
	require.NoError(t, err)

	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(r.baseURL, "/chargedesk"), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: from then on the webhook is in flight.
	_, err = fmt.Fprintf(conn, "POST /chargedesk/refund HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", secret, len(body))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
	_, err = br.ReadString('\n') // the blank line after it
	require.NoError(t, err)

	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	// The shutdown has begun once the listener refuses new connections.
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", conn.RemoteAddr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 5*time.Millisecond)
	select {
	case err := <-stopped:
		require.FailNow(t, "run returned while a webhook was in flight", "%v", err)
	default:
	}

	_, err = conn.Write(body)
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(answer))
	assert.JSONEq(t, `{"charge":{"status":"partially refunded","amount_refunded":12.34}}`, string(answer))
	require.NoError(t, <-stopped)
}

func TestPublicURLFromListener(t *testing.T) {
	tests := []struct {
		env, addr, want string
	}{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"", "0.0.0.0:8080", "http://localhost:8080"},
		{"", "[::]:8080", "http://localhost:8080"},
		{"", "[::1]:8080", "http://[::1]:8080"},
		{"https://x.example/", "127.0.0.1:1", "https://x.example"},
		{"https://x.example/base", "127.0.0.1:1", "https://x.example/base"},
	}
	for _, tt := range tests {
		t.Run(tt.env+tt.addr, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", tt.addr)
			require.NoError(t, err)
			got, err := publicURL(tt.env, addr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []string{"x.example", "ftp://x.example", "https://", "https://x.example/?q=1"} {
		_, err := publicURL(bad, &net.TCPAddr{})
		assert.Error(t, err, bad)
	}
}

// The example logs JSON lines when stderr is not a terminal, one per
// webhook: the platform's fields join the webhook's line.
func TestOneJSONLinePerWebhook(t *testing.T) {
	const secret = "one-line-secret-0123456789"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret})
	out := send(t, r.baseURL, "Bearer "+secret, chargedesk.ActionRefund)
	require.True(t, out.OK, out.Body)
	require.NoError(t, r.stop())
	var webhooks []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stderr.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "a JSON line: %s", line)
		assert.NotContains(t, m["message"], "platform:", "the platform writes no line of its own")
		if m["message"] == "webhook" {
			webhooks = append(webhooks, m)
		}
	}
	require.Len(t, webhooks, 1)
	assert.Equal(t, "12.34", webhooks[0]["platform_total_refunded"])
	assert.Equal(t, "partially refunded", webhooks[0]["platform_status"])

	ctx := context.Background()
	err := run(ctx, testclock.Clock(), func(k string) string { return map[string]string{"LOG_FORMAT": "xml", "ADDR": "127.0.0.1:0"}[k] },
		io.Discard, io.Discard, nil)
	assert.ErrorContains(t, err, "LOG_FORMAT")
}

func TestLedgerRetentionSetting(t *testing.T) {
	for _, bad := range []string{"soon", "10ms", "-1m"} {
		err := run(context.Background(), testclock.Clock(), func(k string) string {
			return map[string]string{"LEDGER_RETENTION": bad, "ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "retention-secret-0123456789"}[k]
		}, io.Discard, io.Discard, nil)
		assert.ErrorContains(t, err, "LEDGER_RETENTION", bad)
	}
}

// CHARGEDESK_STORE puts the locks and the duplicate guard on a shared
// backend; a URL it cannot use stops the start.
func TestSharedStore(t *testing.T) {
	stores := map[string]string{
		"postgres": os.Getenv("CHARGEDESK_TEST_POSTGRES"),
		"redis":    os.Getenv("CHARGEDESK_TEST_REDIS"),
	}
	for name, url := range stores {
		t.Run(name, func(t *testing.T) {
			if url == "" {
				t.Skipf("CHARGEDESK_TEST_%s is not set", strings.ToUpper(name))
			}
			const secret = "store-secret-0123456789abcdef"
			r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret, "CHARGEDESK_STORE": url})
			// New ids: PostgreSQL keeps the platform's charges from run to run.
			id := randomID(t)
			charge := []chargedesktest.Override{chargedesktest.Set("charge.charge_id", "ch-"+id), chargedesktest.Set("charge.transaction_id", "tx-"+id)}
			first := send(t, r.baseURL, "Bearer "+secret, chargedesk.ActionRefund, charge...)
			require.True(t, first.OK, first.Body)
			again := send(t, r.baseURL, "Bearer "+secret, chargedesk.ActionRefund, charge...)
			assert.Equal(t, http.StatusConflict, again.Status, "the duplicate guard is the shared one")
			require.NoError(t, r.stop())
			assert.Contains(t, r.stderr.String(), `"store":"`+name+`"`)
		})
	}
	for _, bad := range []string{"mysql://x", "postgres://127.0.0.1:1/none?connect_timeout=1", "redis://127.0.0.1:1/0", "::"} {
		err := run(context.Background(), testclock.Clock(), func(k string) string {
			return map[string]string{"CHARGEDESK_STORE": bad, "ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "store-secret-0123456789abcdef"}[k]
		}, io.Discard, io.Discard, nil)
		assert.ErrorContains(t, err, "CHARGEDESK_STORE", bad)
	}
}

// PLATFORM_DELAY makes every action wait as a slow payment API would; like
// such a call once sent, the wait is not cut short when ChargeDesk stops
// waiting, and the action is then done, late.
func TestPlatformDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newMemoryBook(time.Now)
		l := newLedger(b, "http://pay.test/pay/", time.Now)
		l.delay = time.Minute
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // ChargeDesk stopped waiting
		start := time.Now()
		resp, err := l.Refund(ctx, &chargedesk.RefundRequest{RefundAmount: chargedesk.MustParseAmount("1.00"),
			Charge: &chargedesk.Charge{ChargeID: "ch", TransactionID: "tx", Currency: "USD",
				Amount: chargedesk.MustParseAmount("5.00"), Status: "paid"}})
		require.NoError(t, err)
		assert.Equal(t, time.Minute, time.Since(start), "the platform took its time")
		assert.Equal(t, "1.00", resp.Charge.AmountRefunded.String())
		assert.Contains(t, b.charges, "tx", "the refund was recorded")
	})
	for _, bad := range []string{"slow", "-1s", "2m"} {
		err := run(context.Background(), testclock.Clock(), func(k string) string {
			return map[string]string{"PLATFORM_DELAY": bad, "ADDR": "127.0.0.1:0", "CHARGEDESK_SECRET": "store-secret-0123456789abcdef"}[k]
		}, io.Discard, io.Discard, nil)
		assert.ErrorContains(t, err, "PLATFORM_DELAY", bad)
	}
}

// randomID is an id no other test run has used.
func randomID(t *testing.T) string {
	b := make([]byte, 8)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}
