package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
)

const secret = "events-secret-0123456789abcdef"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	return body
}

// logBuffer collects log lines from concurrent deliveries.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newReceiver returns a receiver logging into logs, with change applied
// to its config.
func newReceiver(t *testing.T, change func(*events.Config)) (*events.Receiver, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := zerolog.New(logs)
	cfg := events.Config{Secrets: []string{secret}, Logger: &log}
	if change != nil {
		change(&cfg)
	}
	r, err := events.NewReceiver(cfg)
	require.NoError(t, err)
	return r, logs
}

func deliver(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	return rec
}

// The documented example payloads decode exactly: amounts as decimals,
// times in UTC, PHP's shapes (0/1, "1", [] for an empty object, a time as a
// string).
func TestDocumentedPayloadsDecode(t *testing.T) {
	paid, err := events.Decode(fixture(t, "charge_paid"))
	require.NoError(t, err)
	assert.Equal(t, events.ChargePaid, paid.Name)
	assert.Equal(t, events.ClassCharge, paid.Class)
	assert.Equal(t, "event-example-a8Kd02JxQw7LmN5pZr", paid.ID)
	assert.Equal(t, time.Unix(1732181492, 0).UTC(), paid.Created)
	require.NotNil(t, paid.Data.Charge)
	assert.Equal(t, "34.00", paid.Data.Charge.Amount.String())
	assert.True(t, paid.Data.Charge.Amount.Equal(chargedesk.MustParseAmount("34")))
	assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", paid.Data.Charge.ChargeID)
	assert.Equal(t, "transaction-example-y9Tut8QrPt", paid.Data.Charge.TransactionID)

	updated, err := events.Decode(fixture(t, "customer_updated"))
	require.NoError(t, err)
	assert.Equal(t, events.CustomerUpdated, updated.Name)
	require.NotNil(t, updated.Data.Customer)
	c := updated.Data.Customer
	assert.Equal(t, "cus-example-RLf9f6T6Ok", c.CustomerID)
	assert.True(t, c.CardOnFile, `"1" is true`)
	assert.False(t, c.Delinquent, "0 is false")
	assert.Equal(t, chargedesk.BillingAddress{}, c.BillingAddress, "[] is an empty object")
	assert.Equal(t, time.Unix(1732181500, 0).UTC(), updated.Created, "a time as a string")
}

// A registered event reaches its function, typed by class, once: a retry
// of the same event_id is acknowledged without calling it again.
func TestEventHandledOnce(t *testing.T) {
	r, logs := newReceiver(t, nil)
	var got []*chargedesk.Charge
	r.OnCharge(events.ChargePaid, func(_ context.Context, e *events.Event, c *chargedesk.Charge) error {
		got = append(got, c)
		return nil
	})
	body := fixture(t, "charge_paid")
	for range 3 {
		rec := deliver(r, "/chargedesk-events/"+secret, body)
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	require.Len(t, got, 1, "a retry is not handled twice")
	assert.Equal(t, "34.00", got[0].Amount.String())
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3)
	var first, retry map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &retry))
	assert.Equal(t, "success", first["outcome"])
	assert.Equal(t, "duplicate", retry["outcome"])
	assert.Equal(t, "charge_paid", first["event"])
	assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", first["charge_id"])
	assert.NotContains(t, logs.String(), "jane", "no customer data in the log")
	assert.NotContains(t, logs.String(), secret, "the secret is not logged")
}

// Two receivers sharing a store and a locker (two instances) handle an
// event delivered to both at once once.
func TestEventHandledOnceAcrossInstances(t *testing.T) {
	store, locker := chargedesk.NewMemoryDuplicateStore(), chargedesk.NewMemoryLocker()
	var calls atomic.Int32
	var receivers []*events.Receiver
	for range 2 {
		r, _ := newReceiver(t, func(c *events.Config) { c.DuplicateStore, c.Locker = store, locker })
		r.OnCharge(events.ChargePaid, func(context.Context, *events.Event, *chargedesk.Charge) error {
			calls.Add(1)
			time.Sleep(10 * time.Millisecond) // the other delivery arrives meanwhile
			return nil
		})
		receivers = append(receivers, r)
	}
	body := fixture(t, "charge_paid")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			rec := deliver(receivers[i%2], "/chargedesk-events/"+secret, body)
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, calls.Load())
}

// A function's error answers 500, so ChargeDesk retries, and the event is
// not remembered: the retry is handled. ErrDisable answers 410.
func TestEventErrors(t *testing.T) {
	r, _ := newReceiver(t, nil)
	fail := true
	r.OnCharge(events.ChargePaid, func(context.Context, *events.Event, *chargedesk.Charge) error {
		if fail {
			return errors.New("the ledger is down")
		}
		return nil
	})
	r.OnCustomer(events.CustomerUpdated, func(context.Context, *events.Event, *chargedesk.Customer) error {
		return events.ErrDisable
	})
	body := fixture(t, "charge_paid")
	rec := deliver(r, "/chargedesk-events/"+secret, body)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "ledger", "the error stays in the log")
	fail = false
	assert.Equal(t, http.StatusOK, deliver(r, "/chargedesk-events/"+secret, body).Code, "the retry is handled")
	assert.Equal(t, http.StatusGone, deliver(r, "/chargedesk-events/"+secret, fixture(t, "customer_updated")).Code)
}

// Events nobody registered, and events whose name is not documented, are
// acknowledged: an error would make ChargeDesk retry them for 3 days. An
// unknown name is logged once.
func TestUnregisteredAndUnknownEventsAreAcknowledged(t *testing.T) {
	r, logs := newReceiver(t, nil)
	assert.Equal(t, http.StatusOK, deliver(r, "/e/"+secret, fixture(t, "charge_paid")).Code)
	unknown := bytes.Replace(fixture(t, "charge_paid"), []byte(`"charge_paid"`), []byte(`"charge_teleported"`), 1)
	for range 3 {
		assert.Equal(t, http.StatusOK, deliver(r, "/e/"+secret, unknown).Code)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "does not know"), "logged once: %s", logs)
	newClass := []byte(`{"event_id":"ev-1","created":1,"class":"ticket","event":"ticket_new","data":{"ticket":{"id":1}}}`)
	assert.Equal(t, http.StatusOK, deliver(r, "/e/"+secret, newClass).Code)
}

// The refusals are the action webhooks': a wrong or missing secret 401,
// another method 405, a body too large 413, a malformed one 400, each as
// {"error": ...}; never 410.
func TestRefusals(t *testing.T) {
	r, logs := newReceiver(t, func(c *events.Config) { c.MaxBodyBytes = 4096 })
	body := fixture(t, "charge_paid")
	for _, tt := range []struct {
		name, method, path string
		body               []byte
		status             int
		message            string
	}{
		{"no secret", http.MethodPost, "/chargedesk-events/", body, 401, "secret"},
		{"a secret one character off", http.MethodPost, "/chargedesk-events/" + secret[:len(secret)-1] + "x", body, 401, "secret"},
		{"the secret's prefix", http.MethodPost, "/chargedesk-events/" + secret[:8], body, 401, "secret"},
		{"the secret in the query", http.MethodPost, "/chargedesk-events?secret=" + secret, body, 200, ""},
		{"GET", http.MethodGet, "/chargedesk-events/" + secret, nil, 405, "POST"},
		{"too large", http.MethodPost, "/chargedesk-events/" + secret, bytes.Repeat([]byte(" "), 5000), 413, "larger than"},
		{"not JSON", http.MethodPost, "/chargedesk-events/" + secret, []byte("event=charge_paid"), 400, "JSON object"},
		{"a key twice", http.MethodPost, "/chargedesk-events/" + secret, []byte(`{"event_id":"a","event_id":"b"}`), 400, "appears twice"},
		{"no event_id", http.MethodPost, "/chargedesk-events/" + secret, []byte(`{"event":"charge_paid","class":"charge","data":{"charge":{"charge_id":"c"}}}`), 400, "event_id is required"},
		{"no charge", http.MethodPost, "/chargedesk-events/" + secret, []byte(`{"event_id":"e","event":"charge_paid","class":"charge","data":{}}`), 400, "data.charge"},
		{"an amount that is no amount", http.MethodPost, "/chargedesk-events/" + secret,
			bytes.Replace(body, []byte(`"amount": "34.00"`), []byte(`"amount": "jane@example.com"`), 1), 400, "data.charge.amount"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, bytes.NewReader(tt.body)))
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			if tt.message != "" {
				var answer struct{ Error string }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &answer))
				assert.Contains(t, answer.Error, tt.message)
				assert.NotContains(t, answer.Error, "jane")
			}
		})
	}
	assert.NotContains(t, logs.String(), secret)
}

// NewReceiver fails closed: no secret, or a short one, is refused.
func TestNewReceiverFailsClosed(t *testing.T) {
	_, err := events.NewReceiver(events.Config{})
	assert.ErrorContains(t, err, "no secret")
	_, err = events.NewReceiver(events.Config{Secrets: []string{"short"}})
	assert.ErrorContains(t, err, "16 or more")
	_, err = events.NewReceiver(events.Config{AllowUnauthenticated: true})
	assert.NoError(t, err)
}

// Registering a documented event under another class is a programming
// error.
func TestRegisteringAnEventOfAnotherClassPanics(t *testing.T) {
	r, _ := newReceiver(t, nil)
	assert.Panics(t, func() {
		r.OnCustomer(events.ChargePaid, func(context.Context, *events.Event, *chargedesk.Customer) error { return nil })
	})
}

// Every documented name has its class, and is known.
func TestNames(t *testing.T) {
	require.Len(t, events.Names(), 13)
	for _, n := range events.Names() {
		assert.True(t, n.Known())
		assert.Contains(t, []events.Class{events.ClassCharge, events.ClassCustomer}, n.Class(), n)
	}
	assert.False(t, events.Name("charge.refunded").Known(), "another vendor's spelling")
}
