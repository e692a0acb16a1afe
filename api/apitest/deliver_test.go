package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
)

const eventsSecret = "apitest-events-secret-0123456789"

// eventsURL is the webhook URL the tests register: the transport below
// hands its requests to a handler in-process, so no packet leaves.
const eventsURL = "http://receiver.test/chargedesk-events/" + eventsSecret

// handlerTransport answers every request with h, in-process; it gives up
// when the request's context ends, as a client does.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-req.Context().Done():
		<-done // the handlers here end with the request
		return nil, req.Context().Err()
	}
}

// newEventServer returns a Server whose deliveries go to h, closed at the
// test's end.
func newEventServer(t *testing.T, h http.Handler, change func(*Options)) *Server {
	t.Helper()
	opts := Options{Key: key, EventClient: &http.Client{Transport: handlerTransport{h}}}
	if change != nil {
		change(&opts)
	}
	s := New(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// register registers a webhook through the API and returns its id.
func register(t *testing.T, s *Server, form url.Values) string {
	t.Helper()
	code, body, _ := do(t, s, "POST", "/v1/webhooks", form.Encode())
	require.Equal(t, http.StatusOK, code, body)
	var hook struct {
		ID string `json:"webhook_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &hook))
	return hook.ID
}

// receiver is an events.Receiver whose charge_refunded function fails
// its first failures calls (all of them when failures < 0), returns err
// instead when set, and keeps what it was given.
type receiver struct {
	mu       sync.Mutex
	calls    int
	failures int
	err      error
	charges  []*chargedesk.Charge
	ids      []string
}

func (r *receiver) handler(t *testing.T) http.Handler {
	t.Helper()
	log := zerolog.Nop()
	rv, err := events.NewReceiver(events.Config{Secrets: []string{eventsSecret}, Logger: &log})
	require.NoError(t, err)
	rv.OnCharge(events.ChargeRefunded, func(_ context.Context, e *events.Event, c *chargedesk.Charge) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		r.charges, r.ids = append(r.charges, c), append(r.ids, e.ID)
		if r.err != nil {
			return r.err
		}
		if r.failures < 0 || r.calls <= r.failures {
			return errors.New("the ledger is down")
		}
		return nil
	})
	return rv
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// refundEvent registers a webhook for charge_refunded, creates a charge
// and refunds 5.00 of it through the API, and returns the webhook's id.
func refundEvent(t *testing.T, s *Server) string {
	t.Helper()
	id := register(t, s, url.Values{"url": {eventsURL}, "events[0]": {"charge_refunded"}})
	code, body, _ := do(t, s, "POST", "/v1/charges", "transaction_id=tx_1&amount=34.00&currency=USD&customer[id]=cus_1")
	require.Equal(t, http.StatusOK, code, body)
	code, body, _ = do(t, s, "POST", "/v1/gateway/charges/tx_1/refund", "amount=5.00")
	require.Equal(t, http.StatusOK, code, body)
	return id
}

// A handler's error is retried hourly, on the Server's clock, with the
// same event, until the handler takes it; a resend of it is then
// acknowledged by the receiver without calling the handler again.
func TestEventRetriedHourlyUntilHandled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &receiver{failures: 2}
		s := newEventServer(t, r.handler(t), nil)
		start := time.Now().UTC()
		hook := refundEvent(t, s)
		synctest.Wait()

		log := s.Deliveries()
		require.Len(t, log, 1)
		first := log[0]
		assert.Equal(t, events.ChargeRefunded, first.Event)
		assert.Equal(t, hook, first.WebhookID)
		assert.Equal(t, DeliveryPending, first.State)
		assert.Equal(t, 1, first.Attempts)
		assert.Equal(t, http.StatusInternalServerError, first.Status)
		assert.Equal(t, start, first.LastAttempt)
		assert.Equal(t, start.Add(time.Hour), first.NextAttempt)
		assert.Equal(t, "http://receiver.test/chargedesk-events/…", first.Endpoint, "the secret is not shown")

		time.Sleep(59 * time.Minute)
		synctest.Wait()
		assert.Equal(t, 1, r.count(), "nothing before the hour")
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, 2, r.count())
		time.Sleep(time.Hour)
		synctest.Wait()

		got := s.Deliveries()[0]
		assert.Equal(t, DeliveryDelivered, got.State)
		assert.Equal(t, 3, got.Attempts)
		assert.Equal(t, http.StatusOK, got.Status)
		assert.Equal(t, start.Add(2*time.Hour), got.LastAttempt)
		assert.True(t, got.NextAttempt.IsZero())
		require.Equal(t, 3, r.count())
		assert.Equal(t, []string{first.EventID, first.EventID, first.EventID}, r.ids, "a retry repeats the event")
		assert.Equal(t, "5.00", r.charges[2].AmountRefunded.String(), "the amount is exact")
		assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, r.charges[2].Status)

		to, err := s.Resend(first.EventID, "")
		require.NoError(t, err)
		assert.Equal(t, []string{hook}, to)
		synctest.Wait()
		again := s.Deliveries()[0]
		assert.Equal(t, DeliveryDelivered, again.State)
		assert.Equal(t, 4, again.Attempts)
		assert.Equal(t, 3, r.count(), "the receiver knows the event: a duplicate")
		time.Sleep(5 * time.Hour)
		synctest.Wait()
		assert.Equal(t, 4, s.Deliveries()[0].Attempts, "nothing more once delivered")
	})
}

// A delivery that fails for 3 days is attempted hourly, 73 times in all
// (at once, then 72 retries), and given up.
func TestEventGivenUpAfterThreeDays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &receiver{failures: -1}
		s := newEventServer(t, r.handler(t), nil)
		start := time.Now().UTC()
		refundEvent(t, s)
		time.Sleep(RetryFor - time.Minute)
		synctest.Wait()
		assert.Equal(t, 72, r.count())
		assert.Equal(t, DeliveryPending, s.Deliveries()[0].State)
		time.Sleep(time.Minute)
		synctest.Wait()
		got := s.Deliveries()[0]
		assert.Equal(t, DeliveryFailed, got.State)
		assert.Equal(t, 73, got.Attempts)
		assert.Equal(t, start.Add(RetryFor), got.LastAttempt)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		assert.Equal(t, 73, r.count(), "given up")
	})
}

// A 410 disables the webhook at once: the API shows it inactive, its
// pending deliveries end, and later events are not sent to it.
func TestEventAnswered410DisablesTheWebhook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &receiver{err: events.ErrDisable}
		s := newEventServer(t, r.handler(t), nil)
		hook := refundEvent(t, s)
		synctest.Wait()
		got := s.Deliveries()[0]
		assert.Equal(t, DeliveryDisabled, got.State)
		assert.Equal(t, http.StatusGone, got.Status)

		code, body, _ := do(t, s, "GET", "/v1/webhooks", "")
		require.Equal(t, http.StatusOK, code)
		assert.JSONEq(t, `[{"webhook_id": "`+hook+`", "url": "`+eventsURL+`", "events": ["charge_refunded"], "all": 0, "active": 0, "created": `+
			jsonNumber(time.Now().Unix())+`}]`, string(jsonKey(t, body, "data")))

		code, _, _ = do(t, s, "POST", "/v1/gateway/charges/tx_1/refund", "amount=1.00")
		require.Equal(t, http.StatusOK, code)
		time.Sleep(4 * time.Hour)
		synctest.Wait()
		assert.Len(t, s.Deliveries(), 1, "nothing is sent to a disabled webhook")
		assert.Equal(t, 1, r.count())
		_, err := s.Resend(got.EventID, "")
		assert.ErrorIs(t, err, ErrNotResendable)
	})
}

// No answer within 30 s is a failure, retried; so is a redirect, which is
// not followed.
func TestEventNotAnsweredOrRedirectedIsAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var redirected, followed int
		var mu sync.Mutex
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			switch r.URL.Path {
			case "/slow":
				mu.Unlock()
				<-r.Context().Done()
				mu.Lock()
			case "/moved":
				redirected++
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			default:
				followed++
			}
		})
		s := newEventServer(t, h, nil)
		register(t, s, url.Values{"url": {"http://receiver.test/slow"}, "events[0]": {"customer_new"}})
		register(t, s, url.Values{"url": {"http://receiver.test/moved"}, "events[0]": {"customer_new"}})
		start := time.Now().UTC()
		code, _, _ := do(t, s, "POST", "/v1/customers", "customer_id=cus_1")
		require.Equal(t, http.StatusOK, code)
		time.Sleep(EventTimeout + time.Second)
		synctest.Wait()

		log := s.Deliveries()
		require.Len(t, log, 2)
		moved, slow := log[0], log[1] // newest first: the second webhook's first
		assert.Equal(t, DeliveryPending, slow.State)
		assert.Equal(t, 0, slow.Status)
		assert.Equal(t, "no answer within 30s", slow.Error)
		assert.Equal(t, start.Add(time.Hour), slow.NextAttempt)
		assert.Equal(t, DeliveryPending, moved.State)
		assert.Equal(t, http.StatusFound, moved.Status)
		mu.Lock()
		assert.Equal(t, 1, redirected)
		assert.Equal(t, 0, followed, "the redirect is not followed")
		mu.Unlock()
	})
}

// The events each change through the API makes, in order, as the
// webhooks that want them get them; each envelope is ChargeDesk's, and
// its object the one the action webhooks carry.
func TestChangesMakeTheDocumentedEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []*events.Event
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			e, err := events.Decode(body)
			if !assert.NoError(t, err) || r.URL.Path != "/all" {
				return
			}
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
		})
		s := newEventServer(t, h, nil)
		register(t, s, url.Values{"url": {"http://receiver.test/all"}, "all": {"1"}})
		only := register(t, s, url.Values{"url": {"http://receiver.test/refunds"}, "events[0]": {"charge_refunded"}})
		names := func() []events.Name {
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			var out []events.Name
			for _, e := range got {
				out = append(out, e.Name)
			}
			got = nil
			return out
		}
		steps := []struct {
			name         string
			method, path string
			body         string
			want         []events.Name
		}{
			{"a customer created", "POST", "/v1/customers", "customer_id=cus_1&email=ada@example.com", []events.Name{events.CustomerNew}},
			{"a customer changed", "POST", "/v1/customers/cus_1", "name=Ada", []events.Name{events.CustomerUpdated}},
			{"a customer upserted unchanged", "POST", "/v1/customers", "customer_id=cus_1&name=Ada&duplicate=update", nil},
			{"a charge created paid", "POST", "/v1/charges", "transaction_id=tx_1&amount=34.00&currency=USD&customer[id]=cus_1",
				[]events.Name{events.ChargeNew, events.ChargePaid}},
			{"a charge changed", "POST", "/v1/charges/tx_1", "description=Pro", []events.Name{events.ChargeUpdated}},
			{"a charge changed in nothing", "POST", "/v1/charges/tx_1", "description=Pro", nil},
			{"a refund", "POST", "/v1/gateway/charges/tx_1/refund", "amount=4.00",
				[]events.Name{events.ChargeUpdated, events.ChargeRefunded}},
			{"a pending charge", "POST", "/v1/charges", "transaction_id=tx_2&amount=5.00&currency=USD&customer[id]=cus_1&status=pending",
				[]events.Name{events.ChargeNew}},
			{"a pending charge paid", "POST", "/v1/charges/tx_2", "status=paid", []events.Name{events.ChargeUpdated, events.ChargePendingPaid}},
			{"a charge disputed", "POST", "/v1/charges/tx_2", "status=disputed", []events.Name{events.ChargeUpdated, events.ChargeDisputed}},
			{"a charge failing", "POST", "/v1/charges/tx_2", "status=failed", []events.Name{events.ChargeUpdated, events.ChargeFailed}},
			{"an authorized charge", "POST", "/v1/charges", "transaction_id=tx_3&amount=5.00&currency=USD&customer[id]=cus_1&status=authorized",
				[]events.Name{events.ChargeNew}},
			{"captured", "POST", "/v1/gateway/charges/tx_3/capture", "", []events.Name{events.ChargeUpdated, events.ChargePaid}},
			{"a charge deleted", "DELETE", "/v1/charges/tx_3", "", []events.Name{events.ChargeDeleted}},
			{"a payment request", "POST", "/v1/gateway/products/charge", "using=invoice&customer[id]=cus_1&amount=9.00&currency=USD",
				[]events.Name{events.ChargeNew, events.ChargeRequest}},
			{"a charge through the gateway", "POST", "/v1/gateway/products/charge", "using=card&customer[id]=cus_1&amount=9.00&currency=USD",
				[]events.Name{events.ChargeNew, events.ChargePaid}},
			{"a subscription (no documented event)", "POST", "/v1/subscriptions", "subscription_id=sub_1&customer_id=cus_1", nil},
		}
		for _, st := range steps {
			code, body, _ := do(t, s, st.method, st.path, st.body)
			require.Equal(t, http.StatusOK, code, "%s: %s", st.name, body)
			assert.Equal(t, st.want, names(), st.name)
		}

		// The payment request is paid.
		var request string
		for _, d := range s.Deliveries() {
			if d.Event == events.ChargeRequest {
				request = d.ObjectID
			}
		}
		require.NotEmpty(t, request)
		code, body, _ := do(t, s, "POST", "/v1/charges/"+request, "status=paid")
		require.Equal(t, http.StatusOK, code, body)
		assert.Equal(t, []events.Name{events.ChargeUpdated, events.ChargeRequestPaid}, names())

		// The envelope: ids in order, the time of the change, the class,
		// the object under it as the action webhooks carry it.
		code, _, _ = do(t, s, "POST", "/v1/gateway/charges/tx_1/refund", "amount=0.01")
		require.Equal(t, http.StatusOK, code)
		synctest.Wait()
		mu.Lock()
		require.Len(t, got, 2)
		e := got[1]
		mu.Unlock()
		assert.Equal(t, events.ChargeRefunded, e.Name)
		assert.Equal(t, events.ClassCharge, e.Class)
		assert.Regexp(t, `^event-\d{6}$`, e.ID)
		assert.Equal(t, time.Now().Unix(), e.Created.Unix())
		require.NotNil(t, e.Data.Charge)
		assert.Equal(t, "4.01", e.Data.Charge.AmountRefunded.String())
		assert.Equal(t, "34.00", e.Data.Charge.Amount.String())
		assert.Equal(t, "tx_1", e.Data.Charge.TransactionID)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(e.Raw, &raw))
		assert.Len(t, raw, 5, "event_id, created, class, event, data")
		assert.Len(t, raw["data"], 1)
		assert.Len(t, raw["data"].(map[string]any)["charge"], 50, "every field of the documented charge")

		refunds := 0
		for _, d := range s.Deliveries() {
			if d.WebhookID == only {
				assert.Equal(t, events.ChargeRefunded, d.Event, "a webhook gets only the events it asked for")
				refunds++
			}
		}
		assert.Equal(t, 2, refunds)
	})
}

// A delivery holds none of the Server's locks while it waits for the
// answer: the webhook's receiver can call the API meanwhile.
func TestDeliveryHoldsNoLock(t *testing.T) {
	var s *Server
	answered := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _, _ := do(t, s, "GET", "/v1/charges/tx_1", "")
		answered <- code
	}))
	defer srv.Close()
	s = New(Options{Key: key})
	defer s.Close()
	register(t, s, url.Values{"url": {srv.URL + "/hook"}})
	code, _, _ := do(t, s, "POST", "/v1/charges", "transaction_id=tx_1&amount=34.00&currency=USD&customer[id]=cus_1")
	require.Equal(t, http.StatusOK, code)
	select {
	case code := <-answered:
		assert.Equal(t, http.StatusOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver could not call the API during a delivery within 10 s")
	}
}

// Attempts are bounded: at most DeliveryConcurrency at once, one per
// webhook; and the log is: once full of pending deliveries, new ones are
// dropped and counted.
func TestDeliveriesAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		now, most := map[string]int{}, 0
		perHook := 0
		release := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			now[r.URL.Path]++
			total := 0
			for _, n := range now {
				total += n
			}
			most, perHook = max(most, total), max(perHook, now[r.URL.Path])
			mu.Unlock()
			<-release
			mu.Lock()
			now[r.URL.Path]--
			mu.Unlock()
		})
		s := newEventServer(t, h, func(o *Options) { o.DeliveryConcurrency = 2; o.MaxDeliveries = 6 })
		for _, p := range []string{"/a", "/b", "/c"} {
			register(t, s, url.Values{"url": {"http://receiver.test" + p}, "events[0]": {"customer_new"}})
		}
		for _, id := range []string{"cus_1", "cus_2", "cus_3"} {
			code, _, _ := do(t, s, "POST", "/v1/customers", "customer_id="+id)
			require.Equal(t, http.StatusOK, code)
		}
		synctest.Wait()
		assert.Len(t, s.Deliveries(), 6)
		assert.Equal(t, 3, s.DroppedDeliveries(), "9 deliveries, 6 kept")
		close(release)
		synctest.Wait()
		assert.Equal(t, 2, most, "at most DeliveryConcurrency at once")
		assert.Equal(t, 1, perHook, "one at a time per webhook")
		for _, d := range s.Deliveries() {
			assert.Equal(t, DeliveryDelivered, d.State)
		}
		// Full of deliveries that are over: the oldest make room.
		code, _, _ := do(t, s, "POST", "/v1/customers", "customer_id=cus_4")
		require.Equal(t, http.StatusOK, code)
		synctest.Wait()
		log := s.Deliveries()
		assert.Len(t, log, 6)
		assert.Equal(t, "cus_4", log[0].ObjectID)
		assert.Equal(t, 3, s.DroppedDeliveries())
	})
}

// A webhook is an http(s) URL, and its events are named as ChargeDesk
// names them.
func TestWebhookRefusesWhatCannotBeDelivered(t *testing.T) {
	s := New(Options{Key: key})
	for name, c := range map[string]struct{ form, param, msg string }{
		"no url":          {"events[0]=charge_paid", "url", "Missing required parameter url"},
		"not http":        {"url=ftp://example.com/hook", "url", "url must be an http(s) URL"},
		"no host":         {"url=http:///hook", "url", "url must be an http(s) URL"},
		"a dotted name":   {"url=https://example.com/h&events[0]=charge_paid&events[1]=charge.refunded", "events[1]", "ChargeDesk's names use underscores (charge_refunded)"},
		"not a name":      {"url=https://example.com/h&events[0]=Charge+Paid", "events[0]", "is not a ChargeDesk event name"},
		"all as nonsense": {"url=https://example.com/h&all=maybe", "all", "all"},
	} {
		t.Run(name, func(t *testing.T) {
			code, body, _ := do(t, s, "POST", "/v1/webhooks", c.form)
			assert.Equal(t, http.StatusBadRequest, code)
			var answer struct {
				Error struct {
					Message string `json:"message"`
					Param   string `json:"incorrect_parameter"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &answer))
			assert.Equal(t, c.param, answer.Error.Param)
			assert.Contains(t, answer.Error.Message, c.msg)
		})
	}
	code, body, _ := do(t, s, "GET", "/v1/webhooks", "")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `[]`, string(jsonKey(t, body, "data")), "none was registered")
}

// POST /v1/events/{id}/resend resends an event of the log, to one webhook
// or all; an event the log does not hold is a 404.
func TestResendThroughTheAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &receiver{}
		s := newEventServer(t, r.handler(t), nil)
		hook := refundEvent(t, s)
		synctest.Wait()
		id := s.Deliveries()[0].EventID

		code, body, _ := do(t, s, "POST", "/v1/events/"+id+"/resend", "webhook="+hook)
		require.Equal(t, http.StatusOK, code, body)
		assert.JSONEq(t, `{"event_id": "`+id+`", "resent_to": ["`+hook+`"]}`, body)
		synctest.Wait()
		assert.Equal(t, 2, s.Deliveries()[0].Attempts)

		code, body, _ = do(t, s, "POST", "/v1/events/event-999999/resend", "")
		assert.Equal(t, http.StatusNotFound, code, body)
		code, _, _ = do(t, s, "POST", "/v1/events/"+id+"/resend", "webhook=wh-999999")
		assert.Equal(t, http.StatusNotFound, code, "not delivered to that webhook")
		code, body, _ = do(t, s, "POST", "/v1/events/"+id+"/resend", "colour=red")
		assert.Equal(t, http.StatusBadRequest, code, body)

		code, _, _ = do(t, s, "DELETE", "/v1/webhooks/"+hook, "")
		require.Equal(t, http.StatusOK, code)
		code, body, _ = do(t, s, "POST", "/v1/events/"+id+"/resend", "")
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, body, "event_not_resendable")
	})
}

// The webhooks and the delivery log are in the saved state: a pending
// delivery is made by the Server that loads it, on its schedule; a state
// saved before the log existed loads with an empty one.
func TestDeliveryLogIsSavedAndLoaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &receiver{failures: 1}
		s := newEventServer(t, r.handler(t), nil)
		hook := refundEvent(t, s)
		synctest.Wait()
		require.NoError(t, s.Close())
		saved, err := s.Save()
		require.NoError(t, err)
		before := s.Deliveries()

		restored := newEventServer(t, r.handler(t), nil)
		require.NoError(t, restored.Load(saved))
		assert.Equal(t, before, restored.Deliveries())
		time.Sleep(time.Hour)
		synctest.Wait()
		got := restored.Deliveries()[0]
		assert.Equal(t, DeliveryDelivered, got.State)
		assert.Equal(t, 2, got.Attempts)
		assert.Equal(t, hook, got.WebhookID)

		// A new event after the load gets a new id.
		code, _, _ := do(t, restored, "POST", "/v1/gateway/charges/tx_1/refund", "amount=1.00")
		require.Equal(t, http.StatusOK, code)
		synctest.Wait()
		log := restored.Deliveries()
		require.Len(t, log, 2)
		assert.NotEqual(t, log[0].EventID, log[1].EventID)
	})
}

func TestLoadReadsAStateWithoutDeliveries(t *testing.T) {
	s := New(Options{Key: key})
	require.NoError(t, s.Load([]byte(`{"version": 1, "seq": 3, "records": {}, "webhooks": [
		{"id": "wh-000003", "object": "webhook", "url": "https://example.com/h", "events": ["charge_paid"], "active": 1, "created": 1700000000}]}`)))
	assert.Empty(t, s.Deliveries())
	code, body, _ := do(t, s, "GET", "/v1/webhooks", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"active":1`)
	for name, c := range map[string]struct{ state, msg string }{
		"a delivery of no event": {`{"version": 1, "events": [], "deliveries": [{"event_id": "event-000001", "state": "pending"}]}`, `event "event-000001"`},
		"an unknown state":       {`{"version": 1, "events": [{"id": "event-000001", "body": {}}], "deliveries": [{"event_id": "event-000001", "state": "lost"}]}`, `state "lost"`},
		"an event without body":  {`{"version": 1, "events": [{"id": "event-000001"}], "deliveries": []}`, "no valid body"},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Load([]byte(c.state))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// jsonKey is the raw JSON of one key of a JSON object.
func jsonKey(t *testing.T, body, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m[key]
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A resend asked for while an attempt is under way is made once it ends.
func TestResendDuringAnAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		calls := 0
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			mu.Unlock()
			<-release
		})
		s := newEventServer(t, h, nil)
		hook := register(t, s, url.Values{"url": {"http://receiver.test/hook"}})
		code, _, _ := do(t, s, "POST", "/v1/customers", "customer_id=cus_1")
		require.Equal(t, http.StatusOK, code)
		synctest.Wait() // the attempt is under way
		to, err := s.Resend(s.Deliveries()[0].EventID, "")
		require.NoError(t, err)
		assert.Equal(t, []string{hook}, to)
		close(release)
		synctest.Wait()
		got := s.Deliveries()[0]
		assert.Equal(t, DeliveryDelivered, got.State)
		assert.Equal(t, 2, got.Attempts)
		mu.Lock()
		assert.Equal(t, 2, calls)
		mu.Unlock()
	})
}
