package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/events"
)

const eventsSecret = "sim-events-secret-0123456789"

// Every example trigger sends decodes exactly with the events package's
// decoder; charge_paid is the webhooks page's example, and customer_updated
// the events package's customer example; each charge event's charge says
// what the event says.
func TestExampleEventsDecodeExactly(t *testing.T) {
	for _, name := range events.Names() {
		t.Run(string(name), func(t *testing.T) {
			body, err := exampleEvent(name, "event-test-1", 1732181492)
			require.NoError(t, err)
			e, err := events.Decode(body)
			require.NoError(t, err)
			assert.Equal(t, name, e.Name)
			assert.Equal(t, name.Class(), e.Class)
			assert.Equal(t, "event-test-1", e.ID)
			assert.Equal(t, int64(1732181492), e.Created.Unix())
			if name.Class() == events.ClassCustomer {
				require.NotNil(t, e.Data.Customer)
				assert.Equal(t, "cus-example-RLf9f6T6Ok", e.Data.Customer.CustomerID)
				return
			}
			c := e.Data.Charge
			require.NotNil(t, c)
			assert.Equal(t, "34.00", c.Amount.String(), "the amount as the decimal it is")
			want := map[events.Name]struct {
				status   chargedesk.ChargeStatus
				refunded string
			}{
				events.ChargeRequest:         {chargedesk.ChargeStatusInvoiced, "0.00"},
				events.ChargeRequestReminder: {chargedesk.ChargeStatusInvoiced, "0.00"},
				events.ChargeFailed:          {chargedesk.ChargeStatusFailed, "0.00"},
				events.ChargeDisputed:        {chargedesk.ChargeStatusDisputed, "0.00"},
				events.ChargeRefunded:        {chargedesk.ChargeStatusRefunded, "34.00"},
			}[name]
			if want.status == "" {
				want.status, want.refunded = chargedesk.ChargeStatusPaid, "0.00"
			}
			assert.Equal(t, want.status, c.Status)
			assert.Equal(t, want.refunded, c.AmountRefunded.String())
		})
	}

	for _, fixture := range []events.Name{events.ChargePaid, events.CustomerUpdated} {
		want, err := os.ReadFile("../../../events/testdata/" + string(fixture) + ".json")
		require.NoError(t, err)
		var doc struct {
			ID   string          `json:"event_id"`
			Data json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(want, &doc))
		body, err := exampleEvent(fixture, doc.ID, 1732181492)
		require.NoError(t, err)
		var got struct {
			Data json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		assert.JSONEq(t, string(doc.Data), string(got.Data), "%s is the events package's example", fixture)
	}
}

// eventReceiver serves an events.Receiver at /chargedesk-events/<secret>
// whose charge_refunded function answers with fn; it returns its URL.
func eventReceiver(t *testing.T, fn func(*chargedesk.Charge) error) string {
	t.Helper()
	log := zerolog.Nop()
	r, err := events.NewReceiver(events.Config{Secrets: []string{eventsSecret}, Logger: &log})
	require.NoError(t, err)
	r.OnCharge(events.ChargeRefunded, func(_ context.Context, _ *events.Event, c *chargedesk.Charge) error { return fn(c) })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/chargedesk-events/" + eventsSecret
}

// trigger against an events.Receiver: its function gets the example,
// changed by --set, and each trigger is a new event; a failure, a 410 and
// a refusal are shown as ChargeDesk would take them.
func TestTriggerAgainstAReceiver(t *testing.T) {
	var mu sync.Mutex
	var got []*chargedesk.Charge
	var answer error
	u := eventReceiver(t, func(c *chargedesk.Charge) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, c)
		return answer
	})
	code, out, errOut := runSim(t, "", "trigger", "charge_refunded", "--url", u, "--set", "charge.amount_refunded=5.00",
		"--set", "data.charge.status=partially refunded")
	assert.Equal(t, 0, code, errOut)
	assert.Regexp(t, `^✔ charge_refunded event-trigger-[A-Za-z0-9]{18} acknowledged \(HTTP 200\)\n$`, out)
	code, _, _ = runSim(t, "", "trigger", "charge_refunded", "--url", u)
	assert.Equal(t, 0, code)
	mu.Lock()
	require.Len(t, got, 2, "two triggers are two events, not a duplicate")
	assert.Equal(t, "5.00", got[0].AmountRefunded.String())
	assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, got[0].Status)
	assert.Equal(t, "34.00", got[1].AmountRefunded.String())
	answer = errors.New("the ledger is down")
	mu.Unlock()

	code, out, _ = runSim(t, "", "trigger", "charge_refunded", "--url", u)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "not acknowledged (HTTP 500): The event could not be handled; ChargeDesk will send it again.")
	assert.Contains(t, out, "every hour for 3 days")

	mu.Lock()
	answer = events.ErrDisable
	mu.Unlock()
	code, out, _ = runSim(t, "", "trigger", "charge_refunded", "--url", u)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "(HTTP 410)")
	assert.Contains(t, out, "disables a webhook that answers 410")

	code, out, _ = runSim(t, "", "trigger", "charge_paid", "--url", strings.TrimSuffix(u, eventsSecret)+"not-the-secret-000000")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "(HTTP 401)")
	assert.NotContains(t, out, eventsSecret)

	moved, _ := fakeURL(t, http.StatusFound, "")
	code, out, _ = runSim(t, "", "trigger", "charge_paid", "--url", moved)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "(HTTP 302)")
	assert.Contains(t, out, "follows no redirect")
}

func TestTriggerUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"trigger"}, "trigger needs an event: one of charge_new, charge_updated"},
		{[]string{"trigger", "charge.refunded", "--url", "http://127.0.0.1:1/"}, `unknown event "charge.refunded"; the events are charge_new,`},
		{[]string{"trigger", "charge_paid"}, "trigger needs --url"},
		{[]string{"trigger", "charge_paid", "--url", "ftp://example.com/"}, "--url must be an http(s) URL"},
		{[]string{"trigger", "charge_paid", "--print", "--set", "nosuch.field=1"}, "nosuch"},
	} {
		code, _, stderr := runSim(t, "", c.args...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, stderr, c.msg, c.args)
	}
	code, out, _ := runSim(t, "", "trigger", "customer_updated", "--print", "--set", "customer.name=Ada")
	assert.Equal(t, 0, code)
	e, err := events.Decode([]byte(out))
	require.NoError(t, err)
	assert.Equal(t, "Ada", e.Data.Customer.Name)
	assert.Contains(t, out, "\n  \"event\": \"customer_updated\",\n", "indented")
}

// hookOn registers a webhook that answers 200 on the local ChargeDesk at
// apiURL, and returns the bodies it receives.
func hookOn(t *testing.T, client *api.Client) <-chan []byte {
	t.Helper()
	got := make(chan []byte, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	t.Cleanup(srv.Close)
	_, err := client.Webhooks.Create(context.Background(), &api.WebhookParams{URL: srv.URL + "/hook", Events: []events.Name{events.CustomerNew}})
	require.NoError(t, err)
	return got
}

// next waits 10 s at most for a value.
func next[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came within 10 s")
	}
	var zero T
	return zero
}

func eventID(t *testing.T, body []byte) string {
	t.Helper()
	e, err := events.Decode(body)
	require.NoError(t, err)
	return e.ID
}

// events resend has the local ChargeDesk deliver an event again; an event
// it does not hold is refused.
func TestEventsResend(t *testing.T) {
	apiURL, key, stop := startServe(t)
	client := api.NewClient(key, api.WithBaseURL(apiURL))
	got := hookOn(t, client)
	_, err := client.Customers.Upsert(context.Background(), &api.CustomerParams{CustomerID: "cus_1"})
	require.NoError(t, err)
	id := eventID(t, next(t, got))

	code, out, errOut := runSim(t, "", "events", "resend", id, "--api-url", apiURL, "--api-key", key)
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "✔ "+id+" is being sent again to wh-000001\n", out)
	assert.Equal(t, id, eventID(t, next(t, got)))

	code, out, _ = runSim(t, "", "events", "resend", "event-999999", "--api-url", apiURL, "--api-key", key)
	assert.Equal(t, 1, code)
	assert.Equal(t, "✘ event-999999 was not resent (HTTP 404): No such event\n", out)

	t.Setenv("CHARGEDESK_API_KEY", "")
	code, _, errOut = runSim(t, "", "events", "resend", id, "--api-url", apiURL)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no API key")
	code, _, errOut = runSim(t, "", "events", "resend")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "needs an event id")

	notLocal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"message":"Unrecognized request URL","type":"invalid_request_error"}}`)
	}))
	defer notLocal.Close()
	code, _, errOut = runSim(t, "", "events", "resend", id, "--api-url", notLocal.URL+"/v1", "--api-key", key)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "is it a local ChargeDesk")

	assert.Contains(t, stop(), "Event customer_new "+id+" to wh-000001: HTTP 200, delivered", "serve prints each attempt")
}

// lines reads w's lines as they come.
func lines(r io.Reader) <-chan string {
	out := make(chan string, 64)
	go func() {
		defer close(out)
		s := bufio.NewScanner(r)
		for s.Scan() {
			out <- s.Text()
		}
	}()
	return out
}

// listen registers a webhook for the events asked, forwards each event to
// an events.Receiver, prints a line per event with the receiver's status,
// and deletes the webhook when stopped.
func TestListenForwards(t *testing.T) {
	apiURL, key, _ := startServe(t)
	client := api.NewClient(key, api.WithBaseURL(apiURL))
	refunds := make(chan *chargedesk.Charge, 4)
	target := eventReceiver(t, func(c *chargedesk.Charge) error { refunds <- c; return nil })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	out := lines(pr)
	var errOut strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"listen", "--forward-to", target, "--events", "charge_refunded,charge_paid",
			"--api-url", apiURL, "--api-key", key}, strings.NewReader(""), pw, &errOut)
		pw.Close()
	}()
	ready := next(t, out)
	require.Regexp(t, `^Forwarding charge_refunded, charge_paid of webhook wh-\d{6} to `, ready)
	assert.NotContains(t, ready, eventsSecret, "the target's secret is not printed")
	assert.Contains(t, ready, "/chargedesk-events/…; Ctrl-C to stop")
	hooks, err := client.Webhooks.List(context.Background())
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	assert.Contains(t, hooks[0].URL, "http://127.0.0.1:")
	assert.Equal(t, []events.Name{events.ChargeRefunded, events.ChargePaid}, hooks[0].Events)

	ch, err := client.Charges.Upsert(context.Background(), &api.ChargeParams{TransactionID: "tx_1", Amount: new(chargedesk.MustParseAmount("34.00")),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}})
	require.NoError(t, err)
	_, err = client.Gateway.Refund(context.Background(), ch.ID, &api.RefundParams{Amount: new(chargedesk.MustParseAmount("4.00"))})
	require.NoError(t, err)
	assert.Regexp(t, `^charge_paid  event-\d{6}  `+ch.ID+`  → 200$`, next(t, out), "charge_new is not asked for")
	assert.Regexp(t, `^charge_refunded  event-\d{6}  `+ch.ID+`  → 200$`, next(t, out))
	refunded := next(t, refunds)
	assert.Equal(t, "4.00", refunded.AmountRefunded.String())

	cancel()
	assert.Equal(t, 0, next(t, done), errOut.String())
	rest := []string{}
	for line := range out {
		rest = append(rest, line)
	}
	assert.Equal(t, []string{"Deleted webhook " + hooks[0].ID}, rest)
	hooks, err = client.Webhooks.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, hooks, "the webhook is deleted")
	assert.Empty(t, errOut.String())
}

func TestListenUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"listen", "--api-key", "k"}, "listen needs --forward-to"},
		{[]string{"listen", "--api-key", "k", "--forward-to", "ftp://x/"}, "--forward-to must be an http(s) URL"},
		{[]string{"listen", "--api-key", "k", "--forward-to", "http://127.0.0.1:1/", "--events", "charge.refunded"},
			`unknown event "charge.refunded"; the events are charge_new`},
		{[]string{"listen", "--api-key", "k", "--forward-to", "http://127.0.0.1:1/", "--api-url", "nope"}, "--api-url must be an http(s) URL"},
		{[]string{"listen", "--api-key", "k", "--forward-to", "http://127.0.0.1:1/", "--addr", "0.0.0.0:0"}, "--addr must be a loopback address"},
	} {
		code, _, stderr := runSim(t, "", c.args...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, stderr, c.msg, c.args)
	}
}
