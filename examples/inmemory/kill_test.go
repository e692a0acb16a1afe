package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
)

// holdingProxy stands between the example's sync and the local ChargeDesk's
// API. It counts the charge pushes in flight (the test has one charge, so
// that is the pushes of one object at once) and, while holding, keeps a
// push waiting, never forwarded, until the test releases it or its caller
// goes away.
type holdingProxy struct {
	next http.Handler

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	forwarded   int
	hold        chan struct{} // non-nil: pushes wait on it
	arrived     chan struct{} // told of each held push
}

func (p *holdingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/charges") {
		p.next.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	p.inFlight++
	p.maxInFlight = max(p.maxInFlight, p.inFlight)
	hold, arrived := p.hold, p.arrived
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	if hold != nil {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		http.Error(w, "held by the test", http.StatusBadGateway)
		return
	}
	p.next.ServeHTTP(w, r)
	p.mu.Lock()
	p.forwarded++
	p.mu.Unlock()
}

func (p *holdingProxy) counts() (inFlight, maxInFlight, forwarded int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight, p.maxInFlight, p.forwarded
}

// The example killed (SIGKILL) while its sync is pushing a payment made on
// the pay page, then started again on the same platform file: the push the
// dead process left running is taken up again, at the defaults (RescueAfter
// and River's rescuer, about 4 minutes; docs/sync.md), and ChargeDesk shows
// the charge paid with nothing else done. No two pushes of the charge are
// ever in flight at once. It waits out those defaults, so it runs only
// when CHARGEDESK_TEST_SLOW is set (.ci/run sets it, and runs it beside the
// other steps).
func TestKilledExampleConverges(t *testing.T) {
	if os.Getenv("CHARGEDESK_TEST_SLOW") == "" {
		t.Skip("CHARGEDESK_TEST_SLOW is not set: this test waits out the sync's default RescueAfter, about 4 minutes")
	}
	dir := t.TempDir()
	exampleAddr, file := freeAddr(t), filepath.Join(dir, "platform.db")
	_, cd, apiURL := localChargeDesk(t, freeAddr(t), exampleAddr, filepath.Join(dir, "chargedesk.json"))
	target, err := url.Parse(apiURL)
	require.NoError(t, err)
	proxy := &holdingProxy{next: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	proxiedAPI := front.URL + target.Path

	example := syncingExample(t, exampleAddr, proxiedAPI, file)
	ctx := context.Background()
	_, err = cd.Customers.Upsert(ctx, &api.CustomerParams{CustomerID: "cus_1", Email: "jane@example.com"})
	require.NoError(t, err)
	requested, err := cd.Gateway.Charge(ctx, &api.GatewayChargeParams{Using: "invoice", Customer: &api.Ref{ID: "cus_1"},
		Amount: api.Money("34.00"), Currency: "USD", Description: "Annual plan", LinkOnly: ptr(true)})
	require.NoError(t, err)
	eventually(t, 30*time.Second, "the new charge's first push is done", func() bool {
		inFlight, _, forwarded := proxy.counts()
		return forwarded >= 1 && inFlight == 0
	})

	hold, arrived := make(chan struct{}), make(chan struct{}, 1)
	proxy.mu.Lock()
	proxy.hold, proxy.arrived = hold, arrived
	proxy.mu.Unlock()
	resp, err := http.Post(requested.PayLink, "application/x-www-form-urlencoded", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the customer pays")
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the payment's push did not start within 30 s")
	}
	require.NoError(t, example.cmd.Process.Kill()) // mid-push
	<-example.exited
	proxy.mu.Lock()
	proxy.hold, proxy.arrived = nil, nil
	proxy.mu.Unlock()
	close(hold)
	ch, err := cd.Charges.Get(ctx, requested.ID)
	require.NoError(t, err)
	require.NotEqual(t, chargedesk.ChargeStatusPaid, ch.Status, "the killed push never reached ChargeDesk")

	restarted := time.Now()
	syncingExample(t, exampleAddr, proxiedAPI, file)
	eventually(t, 6*time.Minute, "the charge turns paid in ChargeDesk after the restart", func() bool {
		ch, err := cd.Charges.Get(ctx, requested.ID)
		return err == nil && ch.Status == chargedesk.ChargeStatusPaid
	})
	t.Logf("ChargeDesk showed the payment %v after the restart", time.Since(restarted).Round(time.Second))
	_, maxInFlight, _ := proxy.counts()
	assert.Equal(t, 1, maxInFlight, "pushes of one charge in flight at once")
}
