package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// consoleEnv is a console on a loopback server, its API, and the number
// of webhooks its integration received (when it has one).
type consoleEnv struct {
	t        *testing.T
	c        *console
	url      string // http://127.0.0.1:port
	webhooks *atomic.Int64
	records  *atomic.Int64 // records made, for unique ids
	now      time.Time
	attempts chan apitest.Delivery // each event delivery attempt, as it ends
}

// in is env for the subtest t.
func (env consoleEnv) in(t *testing.T) *consoleEnv {
	env.t = t
	return &env
}

// newConsoleEnv starts a console; with webhooks, its actions go to a
// receiver that answers 200 {} (ChargeDesk's default change applies).
func newConsoleEnv(t *testing.T, webhooks bool) *consoleEnv {
	t.Helper()
	env := &consoleEnv{t: t, webhooks: &atomic.Int64{}, records: &atomic.Int64{}, now: testclock.Now().UTC().Truncate(time.Second),
		attempts: make(chan apitest.Delivery, 64)}
	opts := apitest.Options{Key: "sk_console_test", Now: func() time.Time { return env.now },
		OnDelivery: func(d apitest.Delivery) { env.attempts <- d }}
	var agent *integration
	if webhooks {
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			env.webhooks.Add(1)
			w.Header().Set("Content-Type", "application/json")
			if strings.HasSuffix(r.URL.Path, "/payment-request") {
				_, _ = io.WriteString(w, `{"redirect_url":"https://pay.example.com/1"}`)
				return
			}
			_, _ = io.WriteString(w, "{}")
		}))
		t.Cleanup(receiver.Close)
		agent = newIntegration(chargedesktest.Integration{BasePath: receiver.URL + "/chargedesk"}, 5*time.Second)
		opts.Agent = agent.agent
	}
	c, err := newConsole(apitest.New(opts), opts.Key, agent)
	require.NoError(t, err)
	env.c = c
	mux := http.NewServeMux()
	c.routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env.url = srv.URL
	return env
}

// create makes a record through the API and returns its id.
func (env *consoleEnv) create(name string, form url.Values) string {
	env.t.Helper()
	status, body := env.c.call("/"+name, form)
	require.Equal(env.t, http.StatusOK, status, string(body))
	// The answer is in the local API's shape, documented by default: the
	// API client's records read every shape.
	var rec interface{ GetID() string }
	switch name {
	case "charges":
		rec = new(chargeID)
	case "subscriptions":
		rec = new(subscriptionID)
	default:
		rec = new(customerID)
	}
	require.NoError(env.t, json.Unmarshal(body, rec))
	return rec.GetID()
}

type (
	chargeID       struct{ api.Charge }
	subscriptionID struct{ api.Subscription }
	customerID     struct{ api.Customer }
)

func (r *chargeID) GetID() string       { return r.ID }
func (r *subscriptionID) GetID() string { return r.ID }
func (r *customerID) GetID() string     { return r.ID }

func (env *consoleEnv) charge(status string) string {
	return env.create("charges", url.Values{"transaction_id": {fmt.Sprintf("tx_%d", env.records.Add(1))},
		"amount": {"34.00"}, "currency": {"USD"}, "customer[id]": {"cus_1"}, "status": {status}})
}

func (env *consoleEnv) subscription(status string) string {
	return env.create("subscriptions", url.Values{"subscription_id": {fmt.Sprintf("sub_%d", env.records.Add(1))}, "customer_id": {"cus_1"},
		"amount": {"10.00"}, "currency": {"USD"}, "interval": {"month"}, "status": {status}})
}

// do sends a request with Host and, for a POST, Origin set as the
// console's own pages send them, unless header says otherwise; it does not
// follow redirects.
func (env *consoleEnv) do(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	env.t.Helper()
	req, err := http.NewRequest(method, env.url+path, strings.NewReader(form.Encode()))
	require.NoError(env.t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", env.url)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(env.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(env.t, err)
	return resp, string(body)
}

func (env *consoleEnv) get(path string) string {
	env.t.Helper()
	resp, body := env.do(http.MethodGet, path, nil, nil)
	require.Equal(env.t, http.StatusOK, resp.StatusCode, body)
	return body
}

// post posts a console form with its CSRF token and follows a redirect to
// the record's page; it returns the POST's status and the page shown.
func (env *consoleEnv) post(path string, form url.Values) (int, string) {
	env.t.Helper()
	form.Set("csrf", env.c.csrf)
	resp, body := env.do(http.MethodPost, path, form, nil)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, env.get(resp.Header.Get("Location"))
	}
	return resp.StatusCode, body
}

func (env *consoleEnv) status(name, id string) string {
	rec, ok := env.c.api.Record(name, id)
	require.True(env.t, ok)
	return rec["status"].(string)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// offered lists the actions a page's forms post to, by their last segment.
func offered(page string) []string {
	var ops []string
	for _, m := range formAction.FindAllStringSubmatch(page, -1) {
		ops = append(ops, m[1][strings.LastIndex(m[1], "/")+1:])
	}
	return ops
}

// Every action of the library's table has a control on the console, at
// the record's page followed by the action's default path; a new action
// fails this test until the console offers it.
func TestConsoleOffersEveryLibraryAction(t *testing.T) {
	env := newConsoleEnv(t, false)
	env.create("customers", url.Values{"customer_id": {"cus_1"}})
	pages := map[string]func() string{ // a record of the page, in a status that lets the action apply
		"charges":       func() string { return "" },
		"subscriptions": func() string { return "" },
		"customers":     func() string { return "cus_1" },
	}
	statuses := map[string][]string{
		"charges":       {"paid", "partially refunded", "authorized", "refunded", "void", "invoiced"},
		"subscriptions": {"active", "suspended", "pending_cancel", "canceled"},
	}
	for _, action := range chargedesk.Actions() {
		t.Run(string(action), func(t *testing.T) {
			env := env.in(t)
			var entries []*consoleAction
			for _, a := range consoleActions {
				if a.Action == action {
					entries = append(entries, a)
				}
			}
			require.Len(t, entries, 1, "the console offers %s exactly once", action)
			a := entries[0]
			assert.Equal(t, action.DefaultPath(), "/"+a.Op())
			id := pages[a.Page]()
			for _, status := range statuses[a.Page] {
				if a.appliesTo(status) {
					if a.Page == "charges" {
						id = env.charge(status)
					} else {
						id = env.subscription(status)
					}
					break
				}
			}
			require.NotEmpty(t, id, "%s applies to some %s", action, a.Page)
			page := env.get("/" + a.Page + "/" + id)
			assert.Contains(t, page, `<form method="post" action="/`+a.Page+"/"+id+action.DefaultPath()+`"`)
		})
	}
	for _, a := range consoleActions {
		assert.True(t, a.Action.Valid(), "%s is an action of the library", a.Action)
	}
}

// A record's page offers only the actions that can apply to its status;
// every control has a label, and the page a viewport.
func TestConsoleOffersOnlyApplicableActions(t *testing.T) {
	env := newConsoleEnv(t, false)
	env.create("customers", url.Values{"customer_id": {"cus_1"}})
	label := regexp.MustCompile(`<label for="([^"]+)">`)
	control := regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`)
	for _, tc := range []struct {
		page, status string
		want         []string
	}{
		{"charges", "paid", []string{"refund"}},
		{"charges", "partially refunded", []string{"refund"}},
		{"charges", "refunded", nil},
		{"charges", "authorized", []string{"capture", "void"}},
		{"charges", "void", nil},
		{"charges", "invoiced", nil},
		{"subscriptions", "active", []string{"cancel", "edit-plans"}},
		{"subscriptions", "suspended", []string{"cancel", "reactivate", "edit-plans"}},
		{"subscriptions", "pending_cancel", []string{"cancel", "reactivate", "edit-plans"}},
		{"subscriptions", "canceled", nil},
		{"customers", "", []string{"payment-request"}},
	} {
		t.Run(tc.page+"/"+tc.status, func(t *testing.T) {
			env := env.in(t)
			id := "cus_1"
			switch tc.page {
			case "charges":
				id = env.charge(tc.status)
			case "subscriptions":
				id = env.subscription(tc.status)
			}
			page := env.get("/" + tc.page + "/" + id)
			assert.Equal(t, tc.want, offered(page))
			if tc.want == nil {
				assert.Contains(t, page, "No agent action applies to this")
			}
			var labelled, controls []string
			for _, m := range label.FindAllStringSubmatch(page, -1) {
				labelled = append(labelled, m[1])
			}
			for _, m := range control.FindAllStringSubmatch(page, -1) {
				controls = append(controls, m[1])
			}
			assert.Equal(t, labelled, controls, "every control has a label")
			assert.Contains(t, page, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
		})
	}
}

// An action posted for a record it cannot apply to (a stale page, a
// forged form) is refused by the console with its own message.
func TestConsoleRefusesActionsThatDoNotApply(t *testing.T) {
	env := newConsoleEnv(t, true)
	paid := env.charge("paid")
	code, page := env.post("/charges/"+paid+"/void", url.Values{"confirm": {"yes"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Contains(t, page, "Void needs an authorized charge; this charge is paid.")
	assert.Contains(t, page, "No webhook was sent for this action.")
	assert.Equal(t, "paid", env.status("charges", paid))
	canceled := env.subscription("canceled")
	_, page = env.post("/subscriptions/"+canceled+"/cancel", url.Values{"confirm": {"yes"}})
	assert.Contains(t, page, "Cancel needs a subscription that is not canceled; this subscription is canceled.")
	assert.Zero(t, env.webhooks.Load())

	resp, _ := env.do(http.MethodPost, "/charges/"+paid+"/plans", url.Values{"csrf": {env.c.csrf}}, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an action of another page")
}

// Void, cancel, refund and capture ask for confirmation on a page of their
// own (no script needed) before anything is sent; the others act at once.
func TestConsoleConfirmsDestructiveActions(t *testing.T) {
	for _, tc := range []struct {
		page, status, op string
		form             url.Values
		confirm          string // the question; "" when the action acts at once
		after            string // the record's status once done
	}{
		{"charges", "authorized", "void", url.Values{}, "Void charge ", "void"},
		{"charges", "authorized", "capture", url.Values{"amount": {""}}, "Capture charge ", "paid"},
		{"charges", "paid", "refund", url.Values{"amount": {"4.00"}, "reason": {"Duplicate"}}, "Refund charge ", "partially refunded"},
		{"subscriptions", "active", "cancel", url.Values{"mode": {"suspend"}, "refund": {"none"}}, "Cancel subscription ", "suspended"},
		{"subscriptions", "suspended", "reactivate", url.Values{}, "", "active"},
		{"subscriptions", "active", "edit-plans", url.Values{"plans": {"pro 2\n\nextra"}}, "", "active"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			env := newConsoleEnv(t, true)
			var id string
			if tc.page == "charges" {
				id = env.charge(tc.status)
			} else {
				id = env.subscription(tc.status)
			}
			assert.Equal(t, tc.confirm != "", consoleActionFor(tc.page, tc.op).Destructive)
			code, page := env.post("/"+tc.page+"/"+id+"/"+tc.op, tc.form)
			if tc.confirm != "" {
				assert.Equal(t, http.StatusOK, code)
				assert.Contains(t, page, "<h1 id=\"confirm-h\">"+tc.confirm+id+"?</h1>")
				assert.Contains(t, page, `<input type="hidden" name="confirm" value="yes">`)
				assert.Contains(t, page, `No, go back`)
				assert.Equal(t, tc.status, env.status(tc.page, id), "nothing done before the confirmation")
				assert.Zero(t, env.webhooks.Load(), "nothing sent before the confirmation")
				for name, v := range tc.form {
					assert.Contains(t, page, `<input type="hidden" name="`+name+`" value="`+v[0]+`">`)
				}
				tc.form.Set("confirm", "yes")
				code, page = env.post("/"+tc.page+"/"+id+"/"+tc.op, tc.form)
			}
			assert.Equal(t, http.StatusSeeOther, code)
			assert.Contains(t, page, "✔ "+tc.op+" succeeded")
			assert.Equal(t, tc.after, env.status(tc.page, id))
			assert.EqualValues(t, 1, env.webhooks.Load())
		})
	}
}

// The confirmation of a refund shows what will be refunded, a blank amount
// as all that remains.
func TestConsoleConfirmationSaysWhat(t *testing.T) {
	env := newConsoleEnv(t, false)
	id := env.charge("paid")
	_, page := env.post("/charges/"+id+"/refund", url.Values{"amount": {" "}, "reason": {"Wrong size"}})
	assert.Contains(t, page, "<dt>Charge</dt><dd>34.00 USD, 0.00 refunded, paid</dd>")
	assert.Contains(t, page, "<dt>Amount</dt><dd>all that remains</dd>")
	assert.Contains(t, page, "<dt>Reason</dt><dd>Wrong size</dd>")
	assert.Contains(t, page, "A refund sends money back to the customer")
}

// A refund the local API refuses itself sends no webhook, and its result
// shows the API's message and no exchange, not the previous action's.
func TestConsoleShowsOnlyThisActionsExchange(t *testing.T) {
	env := newConsoleEnv(t, true)
	id := env.charge("paid")
	_, page := env.post("/charges/"+id+"/refund", url.Values{"amount": {"10.00"}, "confirm": {"yes"}})
	assert.Contains(t, page, "✔ refund succeeded")
	assert.Contains(t, page, "The exchange with your integration")
	assert.EqualValues(t, 1, env.webhooks.Load())

	_, page = env.post("/charges/"+id+"/refund", url.Values{"amount": {"100.00"}, "confirm": {"yes"}})
	assert.Contains(t, page, "✘ refund failed:")
	assert.Contains(t, page, "The refund must be more than 0 and at most 24.00 USD")
	assert.NotContains(t, page, "The exchange with your integration")
	assert.Contains(t, page, "No webhook was sent for this action.")
	assert.EqualValues(t, 1, env.webhooks.Load())
	assert.Equal(t, "partially refunded", env.status("charges", id))
}

// A payment request from a customer's page shows the new charge and its
// exchange.
func TestConsolePaymentRequest(t *testing.T) {
	env := newConsoleEnv(t, true)
	env.create("customers", url.Values{"customer_id": {"cus_1"}})
	code, page := env.post("/customers/cus_1/payment-request", url.Values{"amount": {"12.00"}, "currency": {"USD"},
		"description": {"Setup"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Contains(t, page, "✔ payment-request succeeded")
	assert.Contains(t, page, "<h1>charge ch-")
	assert.Contains(t, page, "The exchange with your integration")
}

// The result is announced: a live region holds it, and on the page that
// answers the action it takes the focus and leads the title.
func TestConsoleAnnouncesResults(t *testing.T) {
	env := newConsoleEnv(t, false)
	id := env.charge("paid")
	_, page := env.post("/charges/"+id+"/refund", url.Values{"amount": {"1.00"}, "confirm": {"yes"}})
	assert.Contains(t, page, `<p id="announce" role="status" aria-live="polite" aria-atomic="true"><strong>✔ refund succeeded</strong>`)
	assert.Contains(t, page, `tabindex="-1" autofocus`)
	assert.Contains(t, page, "<title>refund succeeded · charge "+id)

	later := env.get("/charges/" + id)
	assert.Contains(t, later, "✔ refund succeeded", "the last result stays on the record's page")
	assert.NotContains(t, later, "autofocus", "but takes the focus only once")
	assert.Contains(t, later, "<title>charge "+id)
}

// Every log entry shows its time, in UTC.
func TestConsoleLogTimes(t *testing.T) {
	env := newConsoleEnv(t, false)
	id := env.charge("paid")
	_, page := env.post("/charges/"+id+"/refund", url.Values{"amount": {"1.00"}, "confirm": {"yes"}})
	want := `<time datetime="` + env.now.Format(time.RFC3339) + `">` + env.now.Format("2006-01-02 15:04:05") + ` UTC</time>`
	assert.Contains(t, page, want)

	at := time.Date(2031, 6, 30, 12, 0, 5, 0, time.UTC)
	for _, v := range []any{at.Unix(), int(at.Unix()), float64(at.Unix()), json.Number("1940587205")} {
		assert.Equal(t, stamp{ISO: "2031-06-30T12:00:05Z", Text: "2031-06-30 12:00:05 UTC"}, logTime(v), "%T", v)
	}
	for _, v := range []any{nil, "", int64(0), json.Number("x")} {
		assert.Equal(t, stamp{Text: "unknown"}, logTime(v), "%#v", v)
	}
}

// The log tells an agent action from an update made through the API (the
// platform's sync), each with its time: a user watches a late refund
// arrive.
func TestConsoleLogShowsTheSource(t *testing.T) {
	env := newConsoleEnv(t, false)
	tx := fmt.Sprintf("tx_%d", env.records.Add(1))
	form := url.Values{"transaction_id": {tx}, "amount": {"34.00"}, "currency": {"USD"}, "customer[id]": {"cus_1"},
		"status": {"paid"}, "duplicate": {"update"}}
	id := env.create("charges", form)
	_, page := env.post("/charges/"+id+"/refund", url.Values{"amount": {"1.00"}, "confirm": {"yes"}})
	assert.Contains(t, page, "<td>Agent action: refund</td>")

	env.now = env.now.Add(time.Minute)
	form.Set("amount_refunded", "12.34")
	form.Set("status", "partially refunded")
	env.create("charges", form)
	page = env.get("/charges/" + id)
	want := `<time datetime="` + env.now.Format(time.RFC3339) + `">` + env.now.Format("2006-01-02 15:04:05") +
		` UTC</time></td><td>API</td><td>Updated through the API: `
	assert.Contains(t, page, want)
	assert.Contains(t, page, "amount_refunded 1.00 → 12.34")
}

// A stale form, without the CSRF token, is refused.
func TestConsoleRefusesStaleForms(t *testing.T) {
	env := newConsoleEnv(t, true)
	id := env.charge("paid")
	resp, _ := env.do(http.MethodPost, "/charges/"+id+"/refund", url.Values{"amount": {"1.00"}, "confirm": {"yes"}}, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "paid", env.status("charges", id))
}

// A request whose Host is not the console's address (a page of another
// site whose name now resolves here: DNS rebinding) is refused, as is a
// POST that does not come from the console's own pages.
func TestConsoleRefusesOtherHostsAndOrigins(t *testing.T) {
	env := newConsoleEnv(t, true)
	id := env.charge("paid")
	_, port, err := net.SplitHostPort(strings.TrimPrefix(env.url, "http://"))
	require.NoError(t, err)
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LocalHost:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"attacker.example:" + port, http.StatusMisdirectedRequest},
		{"attacker.example", http.StatusMisdirectedRequest},
		{"127.0.0.1:1", http.StatusMisdirectedRequest},
		{"127.0.0.1", http.StatusMisdirectedRequest},
		{"10.0.0.1:" + port, http.StatusMisdirectedRequest},
	} {
		for _, path := range []string{"/", "/charges/" + id, "/console.css"} {
			resp, body := env.do(http.MethodGet, path, nil, http.Header{"Host": {tc.host}})
			assert.Equal(t, tc.want, resp.StatusCode, "%s %s", tc.host, path)
			if tc.want != http.StatusOK {
				assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
				assert.Contains(t, body, "This console answers only at its own address")
			}
		}
	}
	resp, _ := env.do(http.MethodPost, "/charges/"+id+"/refund", url.Values{"csrf": {env.c.csrf}, "confirm": {"yes"}},
		http.Header{"Host": {"attacker.example:" + port}, "Origin": {"http://attacker.example:" + port}})
	assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)

	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"its own origin", http.Header{}, http.StatusSeeOther},
		{"another site", http.Header{"Origin": {"http://attacker.example"}}, http.StatusForbidden},
		{"another port", http.Header{"Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
		{"https", http.Header{"Origin": {"https://127.0.0.1:" + port}}, http.StatusForbidden},
		{"an opaque origin", http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"two origins", http.Header{"Origin": {env.url, env.url}}, http.StatusForbidden},
		{"another name of the same address", http.Header{"Origin": {"http://localhost:" + port}}, http.StatusForbidden},
		{"no origin, its own referer", http.Header{"Origin": nil, "Referer": {env.url + "/charges/" + id}}, http.StatusSeeOther},
		{"no origin, another referer", http.Header{"Origin": nil, "Referer": {"http://attacker.example/x"}}, http.StatusForbidden},
		{"no origin, no referer", http.Header{"Origin": nil}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := env.in(t)
			before := env.webhooks.Load()
			resp, _ := env.do(http.MethodPost, "/charges/"+id+"/refund",
				url.Values{"csrf": {env.c.csrf}, "confirm": {"yes"}, "amount": {"1.00"}}, tc.header)
			assert.Equal(t, tc.want, resp.StatusCode)
			sent := int64(0)
			if tc.want == http.StatusSeeOther {
				sent = 1
			}
			assert.Equal(t, before+sent, env.webhooks.Load())
		})
	}
}

// servedHost accepts the address the request came in on, with the loopback
// names at its port, and nothing else.
func TestServedHost(t *testing.T) {
	lan := &net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8090}
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}
	for _, tc := range []struct {
		host  string
		local net.Addr
		want  bool
	}{
		{"192.168.1.5:8090", lan, true},
		{"localhost:8090", lan, true},
		{"127.0.0.1:8090", lan, true},
		{"[::1]:8090", lan, true},
		{"192.168.1.6:8090", lan, false},
		{"192.168.1.5:8091", lan, false},
		{"192.168.1.5", lan, false},
		{"rebound.example:8090", lan, false},
		{"localhost.:8090", lan, false},
		{"localhost", loop, true},
		{"127.0.0.1", loop, true},
		{"[::1]", loop, true},
		{"", loop, false},
		{"localhost:80", nil, false},
		{"[fe80::1%25eth0]:80", loop, false},
	} {
		assert.Equal(t, tc.want, servedHost(tc.host, tc.local), "%q on %v", tc.host, tc.local)
	}
}

// Every console answer, a refusal too, forbids framing and runs no script.
func TestConsoleSecurityHeaders(t *testing.T) {
	env := newConsoleEnv(t, false)
	id := env.charge("paid")
	_, port, err := net.SplitHostPort(strings.TrimPrefix(env.url, "http://"))
	require.NoError(t, err)
	for _, tc := range []struct {
		method, path string
		header       http.Header
		want         int
	}{
		{http.MethodGet, "/", nil, http.StatusOK},
		{http.MethodGet, "/charges/" + id, nil, http.StatusOK},
		{http.MethodGet, "/console.css", nil, http.StatusOK},
		{http.MethodGet, "/charges/nope", nil, http.StatusNotFound},
		{http.MethodGet, "/favicon.ico", nil, http.StatusNotFound},
		{http.MethodPut, "/charges/" + id, nil, http.StatusForbidden}, // a method no page uses, not from its pages
		{http.MethodGet, "/", http.Header{"Host": {"rebound.example:" + port}}, http.StatusMisdirectedRequest},
		{http.MethodPost, "/charges/" + id + "/refund", http.Header{"Origin": {"http://attacker.example"}}, http.StatusForbidden},
		{http.MethodPost, "/charges/" + id + "/refund", nil, http.StatusForbidden}, // no CSRF token
	} {
		resp, _ := env.do(tc.method, tc.path, url.Values{}, tc.header)
		assert.Equal(t, tc.want, resp.StatusCode, "%s %s", tc.method, tc.path)
		assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), tc.path)
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "frame-ancestors 'none'", tc.path)
		assert.Contains(t, csp, "default-src 'none'", tc.path)
		assert.NotContains(t, csp, "unsafe", tc.path)
		assert.NotContains(t, csp, "script-src", tc.path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), tc.path)
	}
	resp, css := env.do(http.MethodGet, "/console.css", nil, nil)
	assert.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, css, "@media (max-width: 600px)")
	page := env.get("/charges/" + id)
	assert.NotContains(t, page, "<script")
	assert.NotContains(t, page, "style=")
	assert.NotContains(t, page, "<style")
	assert.True(t, slices.Contains(strings.Fields(consoleCSP), "'self';"), "its stylesheet is its own")
}
