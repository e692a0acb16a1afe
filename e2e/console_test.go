package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const secret = "console-e2e-secret-0123456789"

// ledger refunds, as a platform would: the refunded total it answers is
// its own.
type ledger struct{ refunded map[string]chargedesk.Amount }

func (l *ledger) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	total, err := l.refunded[req.Charge.ChargeID].Add(req.RefundAmount)
	if err != nil {
		return nil, err
	}
	l.refunded[req.Charge.ChargeID] = total
	return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(req.Charge.Amount, total)}, nil
}

func (l *ledger) Capture(context.Context, *chargedesk.CaptureRequest) (*chargedesk.Response, error) {
	return chargedesk.ChargeStatusAnswer(chargedesk.ChargeStatusPaid), nil
}
func (l *ledger) Void(context.Context, *chargedesk.VoidRequest) (*chargedesk.Response, error) {
	return chargedesk.ChargeStatusAnswer(chargedesk.ChargeStatusVoid), nil
}
func (l *ledger) Cancel(context.Context, *chargedesk.CancelRequest) (*chargedesk.Response, error) {
	return chargedesk.SubscriptionStatusAnswer(chargedesk.SubscriptionStatusCanceled), nil
}
func (l *ledger) Reactivate(context.Context, *chargedesk.ReactivateRequest) (*chargedesk.Response, error) {
	return chargedesk.SubscriptionStatusAnswer(chargedesk.SubscriptionStatusActive), nil
}
func (l *ledger) EditPlans(context.Context, *chargedesk.EditPlansRequest) (*chargedesk.Response, error) {
	return &chargedesk.Response{}, nil
}
func (l *ledger) RequestPayment(context.Context, *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
	return &chargedesk.PaymentResponse{RedirectURL: "https://pay.example.com/1"}, nil
}

// browser returns Chromium's path, or skips (fails under
// CHARGEDESK_REQUIRE_BROWSER) naming what is missing.
func browser(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHARGEDESK_TEST_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		msg := "no Chromium: install Debian's chromium package or set CHARGEDESK_TEST_CHROMIUM"
		if os.Getenv("CHARGEDESK_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// Import a charge with the client, refund it from the console, see the new
// status, the fields the answer updated, and the exchange.
func TestConsoleRefund(t *testing.T) {
	chromium := browser(t)

	log := zerolog.Nop()
	receiver, err := chargedesk.NewHandler(&ledger{refunded: map[string]chargedesk.Amount{}}, chargedesk.Config{
		BasePath: "/chargedesk", Logger: &log,
		Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
	})
	require.NoError(t, err)
	rs := httptest.NewServer(receiver)
	defer rs.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- sim.Serve(ctx, []string{"--addr", "127.0.0.1:0", "--clock", testclock.Now().Format(time.RFC3339), "--base-path", rs.URL + "/chargedesk",
			"-H", "Authorization: Bearer " + secret, "-H", "X-Charge: {charge_id}"}, &bytes.Buffer{}, &bytes.Buffer{},
			func(u, k string) { ready <- [2]string{u, k} })
	}()
	var apiURL, key string
	select {
	case r := <-ready:
		apiURL, key = r[0], r[1]
	case err := <-done:
		require.FailNow(t, "serve stopped", "%v", err)
	}
	defer func() { cancel(); <-done }()
	consoleURL := strings.TrimSuffix(apiURL, "/v1")

	client := api.NewClient(key, api.WithBaseURL(apiURL))
	ch, err := client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_console", Amount: new(chargedesk.MustParseAmount("34.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}, Description: "Pro plan"})
	require.NoError(t, err)

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	defer cancelTimeout()

	run := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		require.NoError(t, err)
		return v
	}
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(consoleURL+"/")))
	listed := run(chromedp.Text(chromedp.CSS("#charges")))
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`a[href="/charges/`+ch.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#refund")),
		chromedp.SendKeys(chromedp.CSS(`#refund input[name="amount"]`), "12.34"),
		chromedp.SendKeys(chromedp.CSS(`#refund input[name="reason"]`), "Wrong size"),
		chromedp.Submit(chromedp.CSS("#refund")),
		chromedp.WaitVisible(chromedp.CSS("#result")),
	))
	status := run(chromedp.Text(chromedp.CSS("#status")))
	result := run(chromedp.Text(chromedp.CSS("#result")))
	exchange := run(chromedp.TextContent(chromedp.CSS("#result details")))
	assert.Contains(t, listed, "34.00 USD")
	assert.Contains(t, listed, "paid")
	assert.Equal(t, "partially refunded", status)
	assert.Contains(t, result, "refund succeeded")
	assert.Contains(t, result, "charge.amount_refunded → 12.34")
	assert.Contains(t, exchange, "Authorization: [masked]", "the secret is masked")
	assert.Contains(t, exchange, "X-Charge: "+ch.ID, "a placeholder-only header is shown filled")
	assert.Contains(t, exchange, `"refund_amount": 12.34`)
	assert.NotContains(t, exchange, secret)
	if path := os.Getenv("CHARGEDESK_CONSOLE_SCREENSHOT"); path != "" {
		// The README's picture of the console: quality 100 is a PNG.
		screenshot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, screenshot, 0o644))
	}

	after, err := client.Charges.Get(ctx, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, "12.34", after.AmountRefunded.String())

	// A stale form (no CSRF token) is refused.
	resp, err := http.PostForm(consoleURL+"/charges/"+ch.ID+"/refund", map[string][]string{"amount": {"1.00"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
