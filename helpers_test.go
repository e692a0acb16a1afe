package chargedesk_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGateway is the tests' one fake Gateway (fake_test.go).
type fakeGateway = chargedesk.FakeGateway

// secretValue is the shared secret the tests configure; secret is the whole
// Authorization value.
const (
	secretValue = "test-secret-0123456789abcdef"
	secret      = "Bearer " + secretValue
)

// rawOf returns the Raw of any request type: every one holds it in a
// field of that name.
func rawOf(t *testing.T, req any) chargedesk.Raw {
	t.Helper()
	v := reflect.ValueOf(req)
	require.True(t, v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct, "request %T", req)
	f := v.Elem().FieldByName("Raw")
	require.True(t, f.IsValid(), "request %T has no Raw field", req)
	raw, ok := f.Interface().(chargedesk.Raw)
	require.True(t, ok, "request %T: Raw is a %s", req, f.Type())
	return raw
}

// readRequest returns ChargeDesk's documented payload for action.
func readRequest(t *testing.T, action chargedesk.Action) []byte {
	t.Helper()
	b, err := chargedesktest.Payload(action)
	require.NoError(t, err)
	return b
}

// patched returns action's documented payload after change edits it.
func patched(t *testing.T, action chargedesk.Action, change func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(readRequest(t, action)))
	d.UseNumber()
	var m map[string]any
	require.NoError(t, d.Decode(&m))
	if change != nil {
		change(m)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// testConfig is the configuration most tests use: Base Path /chargedesk,
// a shared secret, no logs.
func testConfig() chargedesk.Config {
	l := zerolog.Nop()
	return chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:   &l,
	}
}

func newHandler(t *testing.T, gw chargedesk.Gateway, change func(*chargedesk.Config)) *chargedesk.Handler {
	t.Helper()
	cfg := testConfig()
	if change != nil {
		change(&cfg)
	}
	h, err := chargedesk.NewHandler(gw, cfg)
	require.NoError(t, err)
	return h
}

// webhook builds a POST as ChargeDesk sends it, with the secret.
func webhook(path string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Authorization", secret)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// errorMessage checks that rec is a JSON error answer and returns its
// message.
func errorMessage(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "body: %s", rec.Body)
	require.Len(t, body, 1, "body: %s", rec.Body)
	msg, ok := body["error"].(string)
	require.True(t, ok, "body: %s", rec.Body)
	assert.NotEmpty(t, msg)
	return msg
}

// errCase is one request the handler must refuse, or answer as the case
// says, through a Handler built from testConfig.
type errCase struct {
	name    string
	config  func(*chargedesk.Config)
	gateway func(*fakeGateway)
	method  string // default POST
	path    string // default /chargedesk/refund
	body    []byte // nil: the documented refund payload; []byte{} is empty
	header  func(http.Header)
	chunked bool // send the body without a Content-Length

	status   int
	message  string            // the exact error message, when set
	contains []string          // parts of the error message
	absent   []string          // what the answer must never contain
	headers  map[string]string // answer headers
	called   int               // gateway calls expected
}

func runCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := &fakeGateway{}
			if c.gateway != nil {
				c.gateway(gw)
			}
			h := newHandler(t, gw, c.config)
			method, path, body := c.method, c.path, c.body
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/chargedesk/refund"
			}
			if body == nil {
				body = readRequest(t, chargedesk.ActionRefund)
			}
			r := webhook(path, body)
			r.Method = method
			if c.chunked {
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.ContentLength = -1
			}
			if c.header != nil {
				c.header(r.Header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)

			require.Equal(t, c.status, rec.Code, "body: %s", rec.Body)
			if c.status == http.StatusOK {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.True(t, json.Valid(rec.Body.Bytes()), "body: %s", rec.Body)
			} else {
				msg := errorMessage(t, rec)
				if c.message != "" {
					assert.Equal(t, c.message, msg)
				}
				for _, part := range c.contains {
					assert.Contains(t, msg, part)
				}
			}
			for _, s := range c.absent {
				assert.NotContains(t, rec.Body.String(), s)
				for name, values := range rec.Header() {
					assert.NotContains(t, strings.Join(values, " "), s, "header %s", name)
				}
			}
			for name, want := range c.headers {
				assert.Equal(t, want, rec.Header().Get(name), "header %s", name)
			}
			assert.Len(t, gw.Calls(), c.called, "gateway calls")
		})
	}
}

// postTo sends a webhook with the secret to srv and returns the answer.
func postTo(t *testing.T, srv *httptest.Server, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp.StatusCode, string(b)
}

// The operations tests: the request log line, panic recovery, the body
// limit, the deadline and late outcomes, per-object serialization, the
// duplicate guard and the Observe hook, each through the whole handler.

const (
	msgLate = "gateway finished after the agent was told the outcome is unknown; reconcile this action"
	// waitLimit bounds every wait for something that must happen, so a bug
	// fails the test instead of hanging it; no test waits for it to pass.
	waitLimit = chargedesk.LogWait

	msgTooMuch  = "Refund amount was greater than amount remaining on charge."
	msgTimeout  = "The payment platform did not answer in time, so the outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgInternal = "The payment platform integration failed while processing this action; its outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgBusy     = "Another action on this charge or subscription is still being processed; try again in a moment."
	msgDown     = "The integration could not reach its lock or duplicate store, so nothing was done; try again in a moment."
	msgHeld     = "The result of the previous action on this charge is not known yet: the payment platform may still be processing it. Check the charge on the payment platform, and if the action is still needed, try again in 1m0s."
)

// newLoggedHandler returns a handler for gw at /chargedesk, logging JSON lines
// into the returned opsLog, with configure applied to its Config.
func newLoggedHandler(t *testing.T, gw chargedesk.Gateway, configure ...func(*chargedesk.Config)) (*chargedesk.Handler, *chargedesk.LogBuffer) {
	t.Helper()
	logs := &chargedesk.LogBuffer{}
	logger := zerolog.New(logs)
	cfg := chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:   &logger,
	}
	for _, f := range configure {
		f(&cfg)
	}
	h, err := chargedesk.NewHandler(gw, cfg)
	require.NoError(t, err)
	return h, logs
}

// refundBody is a refund of amount with reason from charge id, a charge of
// 20.00 USD of which nothing is refunded yet (as ChargeDesk last saw it).
func refundBody(t *testing.T, id, amount, reason string) []byte {
	return patched(t, chargedesk.ActionRefund, func(m map[string]any) {
		m["refund_amount"] = json.Number(amount)
		m["action_reason"] = reason
		c := m["charge"].(map[string]any)
		c["charge_id"] = id
		c["amount"] = "20.00"
		c["amount_refunded"] = "0.00"
	})
}

// cancelBody is an immediate cancel of subscription sub with a full refund
// of charge id.
func cancelBody(t *testing.T, sub, id, reason string) []byte {
	return patched(t, chargedesk.ActionCancel, func(m map[string]any) {
		m["refund"] = "full"
		m["action_reason"] = reason
		m["subscription"].(map[string]any)["subscription_id"] = sub
		c := m["charge"].(map[string]any)
		c["charge_id"] = id
		c["amount"] = "20.00"
		c["amount_refunded"] = "0.00"
	})
}

// opsRequest is an authenticated webhook for action.
func actionRequest(action chargedesk.Action, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/chargedesk/"+string(action), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", secret)
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// serveAsync serves req on a goroutine of its own, as net/http does, and
// returns the recorder, a channel closed once the answer is sent (flushed),
// and one closed when ServeHTTP returns. Read the recorder only after sent.
func serveAsync(h http.Handler, req *http.Request) (rec *httptest.ResponseRecorder, sent, returned <-chan struct{}) {
	sr := &sentRecorder{ResponseRecorder: httptest.NewRecorder(), sent: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(sr, req)
	}()
	return sr.ResponseRecorder, sr.sent, done
}

// sentRecorder is a ResponseRecorder that says when the answer was sent.
type sentRecorder struct {
	*httptest.ResponseRecorder
	sent chan struct{}
	once sync.Once
}

func (r *sentRecorder) Flush() {
	r.ResponseRecorder.Flush()
	r.once.Do(func() { close(r.sent) })
}

// errorOf returns the agent's message of an error answer.
func errorOf(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error *string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	require.NotNil(t, e.Error, "not an error answer: %s", body)
	return *e.Error
}

// postOps sends an authenticated webhook to a loopback server.
func post(t *testing.T, srv *httptest.Server, action chargedesk.Action, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/chargedesk/"+string(action), bytes.NewReader(body))
	if !assert.NoError(t, err) {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", secret)
	resp, err := srv.Client().Do(req)
	if !assert.NoError(t, err) {
		return 0, nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	assert.NoError(t, err)
	return resp.StatusCode, out
}
