package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const secret = "console-e2e-secret-0123456789"

// stepTimeout bounds each browser step (a navigation and its waits);
// testTimeout bounds a whole test's browser.
const (
	stepTimeout = 20 * time.Second
	testTimeout = 3 * time.Minute
)

// ledger refunds, as a platform would: the refunded total it answers is
// its own, kept by the platform's id of the charge (its transaction_id).
type ledger struct {
	chargedesk.UnimplementedGateway
	refunded map[string]chargedesk.Amount
}

func (l *ledger) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	total, err := l.refunded[req.Charge.TransactionID].Add(req.RefundAmount)
	if err != nil {
		return nil, err
	}
	l.refunded[req.Charge.TransactionID] = total
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

// required reports whether a missing browser or tool fails the tests
// rather than skipping them, as in CI.
func required() bool { return os.Getenv("CHARGEDESK_REQUIRE_BROWSER") != "" }

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
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// axeScript returns axe-core's axe.min.js, read from the path in
// CHARGEDESK_TEST_AXE (.ci/run installs it from the npm registry). When it
// is missing it fails the test under CHARGEDESK_REQUIRE_BROWSER, and
// otherwise returns "" and why: the checks that need it skip.
func axeScript(t *testing.T) (src, missing string) {
	t.Helper()
	path := os.Getenv("CHARGEDESK_TEST_AXE")
	msg := "no axe-core: `npm install --no-save --prefix DIR axe-core` and set CHARGEDESK_TEST_AXE to DIR/node_modules/axe-core/axe.min.js"
	if path == "" {
		if required() {
			t.Fatal(msg)
		}
		return "", msg
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if required() {
			t.Fatalf("%s: %v", msg, err)
		}
		return "", fmt.Sprintf("%s: %v", msg, err)
	}
	return string(b), ""
}

// site is a local ChargeDesk (chargedesk-sim serve) whose agent actions go
// to a receiver with a ledger.
type site struct {
	console string // the console's URL, without a trailing slash
	client  *api.Client
}

func startSite(t *testing.T) *site {
	t.Helper()
	log := zerolog.Nop()
	receiver, err := chargedesk.NewHandler(&ledger{refunded: map[string]chargedesk.Amount{}}, chargedesk.Config{
		BasePath: "/chargedesk", Logger: &log,
		Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
	})
	require.NoError(t, err)
	rs := httptest.NewServer(receiver)
	t.Cleanup(rs.Close)

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- sim.Serve(ctx, []string{"--addr", "127.0.0.1:0", "--clock", testclock.Now().Format(time.RFC3339), "--base-path", rs.URL + "/chargedesk",
			"-H", "Authorization: Bearer " + secret, "-H", "X-Charge: {charge_id}"}, &bytes.Buffer{}, &bytes.Buffer{},
			func(u, k string) { ready <- [2]string{u, k} })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30 s")
		}
	})
	select {
	case r := <-ready:
		return &site{console: strings.TrimSuffix(r[0], "/v1"), client: api.NewClient(r[1], api.WithBaseURL(r[0]))}
	case err := <-done:
		require.FailNow(t, "serve stopped", "%v", err)
	case <-time.After(30 * time.Second):
		require.FailNow(t, "serve did not start within 30 s")
	}
	return nil
}

// startBrowser starts headless Chromium for the test; every step run on
// the context it returns is bounded by testTimeout.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))...)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	bctx, cancelTimeout := context.WithTimeout(bctx, testTimeout)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	// Start the browser and its tab on bctx: started on a step's context,
	// they would close when the step ends.
	require.NoError(t, chromedp.Do(bctx))
	return bctx
}

// do runs browser steps, bounded by stepTimeout.
func do(t *testing.T, bctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// run runs one browser action that answers a value, bounded by stepTimeout.
func run[T any](t *testing.T, bctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

// forms lists the ids of the action forms a page offers.
func forms(t *testing.T, bctx context.Context) []string {
	return run(t, bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.actions form')).map(f => f.id)`))
}

// Import a charge with the client, refund it from the console after
// confirming, see the new status, the fields the answer updated, and the
// exchange, announced to a screen reader.
func TestConsoleRefund(t *testing.T) {
	chromium := browser(t)
	s := startSite(t)
	ctx := context.Background()
	ch, err := s.client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_console", Amount: new(chargedesk.MustParseAmount("34.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}, Description: "Pro plan"})
	require.NoError(t, err)
	bctx := startBrowser(t, chromium)

	do(t, bctx, chromedp.Navigate(s.console+"/"))
	listed := run(t, bctx, chromedp.Text(chromedp.CSS("#charges")))
	do(t, bctx,
		chromedp.Click(chromedp.CSS(`a[href="/charges/`+ch.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#refund")),
	)
	assert.Equal(t, []string{"refund"}, forms(t, bctx), "a paid charge can only be refunded")
	do(t, bctx,
		chromedp.SendKeys(chromedp.CSS(`#refund input[name="amount"]`), "12.34"),
		chromedp.SendKeys(chromedp.CSS(`#refund input[name="reason"]`), "Wrong size"),
		chromedp.Submit(chromedp.CSS("#refund")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
	)
	question := run(t, bctx, chromedp.Text(chromedp.CSS("main")))
	assert.Contains(t, question, "Refund charge "+ch.ID+"?")
	assert.Contains(t, question, "12.34")
	unchanged, err := s.client.Charges.Get(ctx, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, "0.00", unchanged.AmountRefunded.String(), "nothing is refunded before the agent confirms")

	do(t, bctx,
		chromedp.Click(chromedp.CSS(`#confirm button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#result")),
	)
	status := run(t, bctx, chromedp.Text(chromedp.CSS("#status")))
	result := run(t, bctx, chromedp.Text(chromedp.CSS("#result")))
	exchange := run(t, bctx, chromedp.TextContent(chromedp.CSS("#result details")))
	assert.Contains(t, listed, "34.00 USD")
	assert.Contains(t, listed, "paid")
	assert.Equal(t, "partially refunded", status)
	assert.Contains(t, result, "refund succeeded")
	assert.Contains(t, result, "charge.amount_refunded → 12.34")
	assert.Contains(t, exchange, "Authorization: [masked]", "the secret is masked")
	assert.Contains(t, exchange, "X-Charge: "+ch.ID, "a placeholder-only header is shown filled")
	assert.Contains(t, exchange, `"refund_amount": 12.34`)
	assert.NotContains(t, exchange, secret)
	assert.Equal(t, []string{"refund"}, forms(t, bctx), "what remains can be refunded")

	// The result is announced: it is in a polite live region, as Chromium's
	// accessibility tree has it, and it takes the focus and leads the title.
	announced := run(t, bctx, chromedp.Evaluate[string](`document.querySelector('[role="status"][aria-live="polite"]').textContent`))
	assert.Contains(t, announced, "refund succeeded")
	assert.True(t, hasLiveRegion(t, bctx, "polite"), "a live region in the accessibility tree")
	assert.Equal(t, "result", run(t, bctx, chromedp.Evaluate[string](`document.activeElement.id`)))
	assert.True(t, strings.HasPrefix(run(t, bctx, chromedp.Title()), "refund succeeded"))
	logged := run(t, bctx, chromedp.Text(chromedp.CSS("#log")))
	assert.Regexp(t, `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+Agent action: refund`, logged, "every log entry shows its time and its source")

	if path := os.Getenv("CHARGEDESK_CONSOLE_SCREENSHOT"); path != "" {
		// The README's picture of the console, at 800 px, without the focus
		// ring: quality 100 is a PNG.
		do(t, bctx, chromedp.EmulateViewport(800, 600),
			chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		screenshot := run(t, bctx, chromedp.FullScreenshot(100))
		require.NoError(t, os.WriteFile(path, screenshot, 0o644))
	}

	after, err := s.client.Charges.Get(ctx, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, "12.34", after.AmountRefunded.String())

	// A stale form (no CSRF token) is refused.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).PostForm(s.console+"/charges/"+ch.ID+"/refund",
		url.Values{"amount": {"1.00"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// An authorized charge offers capture and void; void asks for
// confirmation, going back changes nothing, and once voided nothing more
// is offered.
func TestConsoleVoidAsksFirst(t *testing.T) {
	chromium := browser(t)
	s := startSite(t)
	ctx := context.Background()
	ch, err := s.client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_auth", Amount: new(chargedesk.MustParseAmount("20.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}, Status: chargedesk.ChargeStatusAuthorized})
	require.NoError(t, err)
	bctx := startBrowser(t, chromium)

	do(t, bctx, chromedp.Navigate(s.console+"/charges/"+ch.ID), chromedp.WaitVisible(chromedp.CSS("#void")))
	assert.Equal(t, []string{"capture", "void"}, forms(t, bctx))
	do(t, bctx,
		chromedp.Submit(chromedp.CSS("#void")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS(`#confirm a`)), // No, go back
		chromedp.WaitVisible(chromedp.CSS("#void")),
	)
	assert.Equal(t, "authorized", run(t, bctx, chromedp.Text(chromedp.CSS("#status"))), "going back voids nothing")
	do(t, bctx,
		chromedp.Submit(chromedp.CSS("#void")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS(`#confirm button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#result")),
	)
	assert.Equal(t, "void", run(t, bctx, chromedp.Text(chromedp.CSS("#status"))))
	assert.Contains(t, run(t, bctx, chromedp.Text(chromedp.CSS("#announce"))), "void succeeded")
	assert.Empty(t, forms(t, bctx), "nothing applies to a void charge")
	assert.Contains(t, run(t, bctx, chromedp.Text(chromedp.CSS("#no-actions"))), "No agent action applies")
	assert.Zero(t, run(t, bctx, chromedp.Evaluate[int](`document.scripts.length`)), "the console needs no script")
}

// viewport is a screen size the console must work at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

// At a desktop size and on a phone (390x844): the page fits the screen
// (no horizontal scroll), every control has an accessible name, and
// axe-core finds no serious or critical violation, on the index, a
// charge's page (with a result and its exchange), its confirmation, a
// subscription's page and a customer's.
func TestConsoleOnAnyScreen(t *testing.T) {
	chromium := browser(t)
	axe, noAxe := axeScript(t)
	s := startSite(t)
	ctx := context.Background()
	hookURL, _ := eventHook(t, http.StatusInternalServerError) // pending deliveries, with a next attempt
	_, err := s.client.Webhooks.Create(ctx, &api.WebhookParams{URL: hookURL})
	require.NoError(t, err)
	ch, err := s.client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_screens", Amount: new(chargedesk.MustParseAmount("1234567.89")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_with_a_rather_long_identifier_0123456789"}, Description: "Pro plan, yearly, with every add-on there is"})
	require.NoError(t, err)
	sub, err := s.client.Subscriptions.Upsert(ctx, &api.SubscriptionParams{SubscriptionID: "sub_screens", CustomerID: "cus_1",
		Status: chargedesk.SubscriptionStatusActive, Amount: new(chargedesk.MustParseAmount("10.00")), Currency: "USD", Interval: "month"})
	require.NoError(t, err)
	_, err = s.client.Customers.Upsert(ctx, &api.CustomerParams{CustomerID: "cus_1", Name: "Ada Lovelace", Email: "ada@example.com"})
	require.NoError(t, err)
	_, err = s.client.Gateway.Refund(ctx, ch.ID, &api.RefundParams{Amount: new(chargedesk.MustParseAmount("1.00"))})
	require.NoError(t, err)
	bctx := startBrowser(t, chromium)

	// A result with its exchange on the charge's page.
	do(t, bctx, chromedp.Navigate(s.console+"/charges/"+ch.ID), chromedp.WaitVisible(chromedp.CSS("#refund")),
		chromedp.SendKeys(chromedp.CSS(`#refund input[name="amount"]`), "2.00"),
		chromedp.Submit(chromedp.CSS("#refund")), chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS(`#confirm button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#result")))

	pages := []struct {
		name, path string
		open       func() // reaches a page no URL shows, when set
		ready      string
	}{
		{"index", "/", nil, "#charges"},
		{"charge", "/charges/" + ch.ID, nil, "#result"},
		{"confirmation", "", func() {
			do(t, bctx, chromedp.Navigate(s.console+"/charges/"+ch.ID), chromedp.WaitVisible(chromedp.CSS("#refund")),
				chromedp.Submit(chromedp.CSS("#refund")))
		}, "#confirm"},
		{"subscription", "/subscriptions/" + sub.SubscriptionID, nil, "#cancel"},
		{"customer", "/customers/cus_1", nil, "#payment-request"},
		{"event deliveries", "/events", nil, "#deliveries"},
		{"a resend's result", "", func() {
			do(t, bctx, chromedp.Navigate(s.console+"/events"), chromedp.WaitVisible(chromedp.CSS("#deliveries")),
				chromedp.Submit(chromedp.CSS(`#deliveries form`)))
		}, "#result"},
	}
	for _, vp := range []viewport{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		t.Run(vp.name, func(t *testing.T) {
			opts := []chromedp.EmulateViewportOption{}
			if vp.mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			do(t, bctx, chromedp.EmulateViewport(vp.width, vp.height, opts...))
			for _, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					if p.open != nil {
						p.open()
					} else {
						do(t, bctx, chromedp.Navigate(s.console+p.path))
					}
					do(t, bctx, chromedp.WaitVisible(chromedp.CSS(p.ready)))
					// Open every exchange, so that what it holds is laid out and checked too.
					do(t, bctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => { d.open = true })`))

					width := run(t, bctx, chromedp.Evaluate[map[string]int](
						`({inner: window.innerWidth, page: document.documentElement.scrollWidth, body: document.body.scrollWidth})`))
					assert.Equal(t, int(vp.width), width["inner"], "the page is laid out at the screen's width (a viewport tag)")
					assert.LessOrEqual(t, width["page"], int(vp.width), "no horizontal scroll")
					assert.LessOrEqual(t, width["body"], int(vp.width), "no horizontal scroll")

					named, unnamed := controlNames(t, bctx)
					assert.Empty(t, unnamed, "every control has an accessible name")
					controls := run(t, bctx, chromedp.Evaluate[int](
						`document.querySelectorAll('input:not([type="hidden"]), select, textarea, button').length`))
					assert.Len(t, named, controls, "the accessibility tree has every control: %v", named)

					if axe == "" {
						t.Skip(noAxe) // after the checks above, which stand
					}
					assert.Empty(t, axeViolations(t, bctx, axe), "axe-core's serious and critical violations")
				})
			}
		})
	}
}

// eventHook serves a webhook for event notifications on loopback that
// answers status; it returns its URL and the event ids it receives.
func eventHook(t *testing.T, status int) (string, <-chan string) {
	t.Helper()
	got := make(chan string, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct {
			ID string `json:"event_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&e)
		w.WriteHeader(status)
		select {
		case got <- e.ID:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/chargedesk-events/e2e-events-secret-0123456789", got
}

// A charge refunded sends charge_refunded to the webhook registered
// through the API; the console's event deliveries list it, and its Resend
// button sends it again and says so.
func TestConsoleResendsAnEvent(t *testing.T) {
	chromium := browser(t)
	s := startSite(t)
	ctx := context.Background()
	hookURL, got := eventHook(t, http.StatusOK)
	hook, err := s.client.Webhooks.Create(ctx, &api.WebhookParams{URL: hookURL, Events: []events.Name{events.ChargeRefunded}})
	require.NoError(t, err)
	ch, err := s.client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_event", Amount: new(chargedesk.MustParseAmount("34.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}})
	require.NoError(t, err)
	_, err = s.client.Gateway.Refund(ctx, ch.ID, &api.RefundParams{Amount: new(chargedesk.MustParseAmount("4.00"))})
	require.NoError(t, err)
	var id string
	select {
	case id = <-got:
	case <-time.After(stepTimeout):
		require.FailNow(t, "no event was delivered")
	}
	bctx := startBrowser(t, chromium)

	do(t, bctx, chromedp.Navigate(s.console+"/"), chromedp.Click(chromedp.CSS(`a[href="/events"]`)),
		chromedp.WaitVisible(chromedp.CSS("#deliveries")))
	row := run(t, bctx, chromedp.Text(chromedp.CSS("#deliveries tbody tr")))
	assert.Contains(t, row, "charge_refunded")
	assert.Contains(t, row, id)
	assert.Contains(t, row, ch.ID)
	assert.Contains(t, row, hook.ID)
	assert.NotContains(t, row, "e2e-events-secret", "the webhook's secret is not shown")
	do(t, bctx, chromedp.Click(chromedp.CSS(`#deliveries button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#result")))
	assert.Contains(t, run(t, bctx, chromedp.Text(chromedp.CSS("#announce"))), "Resent")
	assert.Equal(t, "result", run(t, bctx, chromedp.Evaluate[string](`document.activeElement.id`)), "the result takes the focus")
	select {
	case again := <-got:
		assert.Equal(t, id, again, "the same event, again")
	case <-time.After(stepTimeout):
		t.Fatal("the resend was not delivered")
	}
}

// controlNames are the form controls of the page's accessibility tree, as
// "role: name", and those without a name.
func controlNames(t *testing.T, bctx context.Context) (named, unnamed []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	require.NoError(t, err)
	for _, n := range tree.Nodes {
		role := axString(n.Role)
		switch role {
		case "textbox", "combobox", "listbox", "spinbutton", "searchbox", "checkbox", "radio", "button":
		default:
			continue
		}
		if n.Ignored {
			continue
		}
		if name := strings.TrimSpace(axString(n.Name)); name != "" {
			named = append(named, role+": "+name)
		} else {
			unnamed = append(unnamed, role)
		}
	}
	return named, unnamed
}

// hasLiveRegion reports whether the page's accessibility tree has a live
// region of the politeness.
func hasLiveRegion(t *testing.T, bctx context.Context, politeness string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	require.NoError(t, err)
	for _, n := range tree.Nodes {
		for _, p := range n.Properties {
			if p.Name == accessibility.PropertyNameLive && axString(p.Value) == politeness {
				return true
			}
		}
	}
	return false
}

// axString is an accessibility value's text; "" when it has none.
func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return ""
	}
	return s
}

// axeViolations runs axe-core on the page and returns its serious and
// critical violations, each as its rule, impact, help and first targets.
func axeViolations(t *testing.T, bctx context.Context, axe string) []string {
	t.Helper()
	// Runtime.evaluate is the DevTools' own: the console's CSP, which
	// allows no script, does not apply to it.
	do(t, bctx, chromedp.Evaluate[chromedp.Void](axe+"\n;0"))
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ['violations']}).then(r =>
		r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v =>
			v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return found
}
