package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// eventHook registers, on env's local ChargeDesk, a webhook served on
// loopback that answers status; each body it receives arrives on the
// channel. It returns the webhook's id.
func (env *consoleEnv) eventHook(status int) (string, <-chan []byte) {
	env.t.Helper()
	got := make(chan []byte, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(status)
		got <- body
	}))
	env.t.Cleanup(srv.Close)
	env.t.Cleanup(func() { _ = env.c.api.Close() })
	code, body := env.c.call("/webhooks", url.Values{"url": {srv.URL + "/chargedesk-events/console-secret-0123456789"}})
	require.Equal(env.t, http.StatusOK, code, string(body))
	var hook struct {
		ID string `json:"webhook_id"`
	}
	require.NoError(env.t, json.Unmarshal(body, &hook))
	return hook.ID, got
}

// attempted waits (10 s at most) for the local ChargeDesk to note a
// delivery attempt's outcome, and returns the delivery.
func (env *consoleEnv) attempted() apitest.Delivery {
	env.t.Helper()
	select {
	case d := <-env.attempts:
		return d
	case <-time.After(10 * time.Second):
		env.t.Fatal("no delivery attempt ended within 10 s")
	}
	return apitest.Delivery{}
}

// The console lists the deliveries (event, object, webhook without its
// secret, attempts, answer, state) and resends one with a button, through
// the CSRF and Origin guard; the result is announced.
func TestConsoleListsAndResendsDeliveries(t *testing.T) {
	env := newConsoleEnv(t, false)
	assert.Contains(t, env.get("/events"), "No event sent yet")
	hook, got := env.eventHook(http.StatusOK)
	env.create("customers", url.Values{"customer_id": {"cus_1"}})
	first := env.attempted()
	id := first.EventID
	assert.Equal(t, apitest.DeliveryDelivered, first.State)
	assert.Contains(t, string(<-got), `"event":"customer_new"`)
	page := env.get("/events")
	for _, want := range []string{"customer_new", id, `href="/customers/cus_1"`, hook, "/chargedesk-events/…", "HTTP 200",
		`class="status delivered"`, `action="/events/` + id + `/resend"`, `aria-label="Resend ` + id + ` to ` + hook + `"`} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, "console-secret", "the webhook's secret is not shown")
	assert.NotContains(t, page, `id="announce"`, "no result before a resend")

	// A stale form, or one from another site, resends nothing.
	resp, _ := env.do(http.MethodPost, "/events/"+id+"/resend", url.Values{"webhook": {hook}}, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = env.do(http.MethodPost, "/events/"+id+"/resend", url.Values{"webhook": {hook}, "csrf": {env.c.csrf}},
		http.Header{"Origin": {"http://evil.example"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// A resend marks the delivery pending at once, and counts its attempt.
	now := env.c.api.Deliveries()[0]
	assert.Equal(t, apitest.DeliveryDelivered, now.State, "a refused form resends nothing")
	assert.Equal(t, 1, now.Attempts, "a refused form resends nothing")

	code, page := env.post("/events/"+id+"/resend", url.Values{"webhook": {hook}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Contains(t, page, `role="status" aria-live="polite"`)
	assert.Contains(t, page, "✔ Resent:")
	assert.Contains(t, page, "<title>Resent · Event deliveries")
	again := env.attempted()
	assert.Equal(t, id, again.EventID, "the same event, again")
	assert.Equal(t, 2, again.Attempts)
	assert.Contains(t, string(<-got), `"event_id":"`+id+`"`)
	assert.NotContains(t, env.get("/events"), `id="announce"`, "the result is shown once")

	code, page = env.post("/events/event-999999/resend", url.Values{"webhook": {hook}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Contains(t, page, "✘ The resend failed:")
	assert.Contains(t, page, "No such event")
}
