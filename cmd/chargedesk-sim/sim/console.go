package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/api/apitest"
)

//go:embed console.html console.css
var consoleFS embed.FS

var consoleTmpl = template.Must(template.New("console.html").Funcs(template.FuncMap{
	"get":     get,
	"slug":    func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), " ", "-") },
	"logTime": logTime,
	"lower":   strings.ToLower,
}).ParseFS(consoleFS, "console.html"))

// maxConsoleForm bounds a console form's body.
const maxConsoleForm = 64 << 10

// console is the agent console: records, the actions that apply to them,
// and what came of the last one, as a ChargeDesk agent sees it. Actions go
// through the same API gateway operations a client uses; the destructive
// ones are confirmed on a page of their own first. Every route is behind
// guard.
type console struct {
	api   *apitest.Server
	key   string
	agent *integration // nil without a Base Path
	csrf  string

	// acting is held through an action, so that an exchange of the
	// action's kind about its record, kept while it is held, is the
	// action's own (unless an API client acts on the same record at the
	// same moment).
	acting sync.Mutex

	mu      sync.Mutex
	seq     uint64             // the last result's number
	results map[string]*result // by "charges/{id}": the last action's result
	resent  *result            // the last resend's result
}

// result is what the agent saw of an action.
type result struct {
	Seq     uint64
	Action  string
	OK      bool
	Message string
	Changes []string
	Ex      *exchange // the exchange this action made; nil when it made none
}

func newConsole(api *apitest.Server, key string, agent *integration) (*console, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &console{api: api, key: key, agent: agent, csrf: hex.EncodeToString(b), results: map[string]*result{}}, nil
}

func (c *console) routes(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, guard(h)) }
	handle("/", http.NotFound) // any other path but the API's: a 404, guarded too
	handle("GET /{$}", c.index)
	handle("GET /console.css", c.stylesheet)
	handle("GET /events", c.deliveries)
	handle("POST /events/{id}/resend", c.resend)
	for _, page := range []string{"charges", "subscriptions", "customers"} {
		handle("GET /"+page+"/{id}", c.page(page))
		handle("POST /"+page+"/{id}/{op}", c.act(page))
	}
}

// pageData is what console.html shows: Kind is "index", "confirm",
// "events" (the delivery log) or the record's page ("charges",
// "subscriptions", "customers").
type pageData struct {
	Kind      string
	Record    map[string]any
	Charges   []map[string]any
	Subs      []map[string]any
	Customers []map[string]any
	Result    *result
	Fresh     bool // the result is the answer to the request that led here
	Offers    []offer
	Confirm   *confirmation
	CSRF      string
	Webhooks  bool
	// Deliveries are the delivery log's, newest first; Dropped counts
	// those dropped as it filled.
	Deliveries []deliveryRow
	Dropped    int
}

// offer is an action offered on a record's page.
type offer struct {
	*consoleAction
	Form string // where its form posts
}

// confirmation is the page that asks the agent to confirm a destructive
// action, with the form's values to post again.
type confirmation struct {
	Action  *consoleAction
	Form    string
	Back    string
	Summary [][2]string
	Values  [][2]string
}

func (c *console) index(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, &pageData{Kind: "index", Charges: c.api.Records("charges"),
		Subs: c.api.Records("subscriptions"), Customers: c.api.Records("customers")})
}

func (c *console) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	css, _ := consoleFS.ReadFile("console.css") // embedded
	_, _ = w.Write(css)
}

func (c *console) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, ok := c.api.Record(name, r.PathValue("id"))
		if !ok {
			http.Error(w, "No such record", http.StatusNotFound)
			return
		}
		id := fmt.Sprint(rec["id"])
		d := &pageData{Kind: name, Record: rec}
		c.mu.Lock()
		d.Result = c.results[name+"/"+id]
		c.mu.Unlock()
		d.Fresh = d.Result != nil && r.URL.Query().Get("result") == strconv.FormatUint(d.Result.Seq, 10)
		status := fmt.Sprint(get(rec, "status"))
		for _, a := range consoleActionsOf(name) {
			if a.appliesTo(status) {
				d.Offers = append(d.Offers, offer{consoleAction: a, Form: a.URL(id)})
			}
		}
		if name == "customers" {
			for _, ch := range c.api.Records("charges") {
				if get(ch, "customer.id") == rec["id"] {
					d.Charges = append(d.Charges, ch)
				}
			}
		}
		c.render(w, http.StatusOK, d)
	}
}

func (c *console) render(w http.ResponseWriter, status int, d *pageData) {
	d.CSRF, d.Webhooks = c.csrf, c.agent != nil
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := consoleTmpl.Execute(w, d); err != nil {
		fmt.Fprintf(w, "<p>the page did not render: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

// act performs an action: it refuses a stale form and an action that does
// not apply to the record's status, asks to confirm a destructive one,
// performs it through the API, keeps what the agent saw, and shows the
// record again (POST, redirect, GET).
func (c *console) act(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := consoleActionFor(name, r.PathValue("op"))
		if a == nil {
			http.Error(w, "No such action", http.StatusNotFound)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "The form is too large or malformed", http.StatusRequestEntityTooLarge)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.csrf)) != 1 {
			http.Error(w, "The form is stale: reload the page", http.StatusForbidden)
			return
		}
		rec, ok := c.api.Record(name, r.PathValue("id"))
		if !ok {
			http.Error(w, "No such record", http.StatusNotFound)
			return
		}
		id := fmt.Sprint(rec["id"])
		if status := fmt.Sprint(get(rec, "status")); !a.appliesTo(status) {
			c.redirect(w, r, name+"/"+id, &result{Action: string(a.Action), Message: a.refusal(fmt.Sprint(rec["object"]), status)})
			return
		}
		if a.Destructive && r.PostForm.Get("confirm") != "yes" {
			c.render(w, http.StatusOK, &pageData{Kind: "confirm", Record: rec, Confirm: confirmFor(a, id, r.PostForm)})
			return
		}
		target, res := c.perform(a, id, r.PostForm)
		c.redirect(w, r, target, res)
	}
}

// confirmFor is the confirmation of action a on record id with form.
func confirmFor(a *consoleAction, id string, form url.Values) *confirmation {
	cf := &confirmation{Action: a, Form: a.URL(id), Back: "/" + a.Page + "/" + url.PathEscape(id), Summary: a.summary(form)}
	for _, ctl := range a.Controls {
		cf.Values = append(cf.Values, [2]string{ctl.Name, form.Get(ctl.Name)})
	}
	return cf
}

// redirect keeps res as the last result of target ("charges/{id}") and
// sends the agent there, marking the result as the answer to this action.
func (c *console) redirect(w http.ResponseWriter, r *http.Request, target string, res *result) {
	c.mu.Lock()
	c.seq++
	res.Seq = c.seq
	c.results[target] = res
	c.mu.Unlock()
	page, id, _ := strings.Cut(target, "/")
	http.Redirect(w, r, "/"+page+"/"+url.PathEscape(id)+"?result="+strconv.FormatUint(res.Seq, 10), http.StatusSeeOther)
}

// perform calls the action's API operation and returns the record page to
// show and what the agent saw: the API's answer and, when the action sent
// a webhook, that exchange. An action the API refuses itself sends none,
// and shows none.
func (c *console) perform(a *consoleAction, id string, form url.Values) (target string, res *result) {
	c.acting.Lock()
	defer c.acting.Unlock()
	var mark *exchange
	if c.agent != nil {
		mark = newestExchange(c.agent)
	}
	status, body := c.call(a.apiPath(id), a.paramsFor(id, form))
	res = &result{Action: string(a.Action), OK: status == http.StatusOK}
	if !res.OK {
		var answer struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &answer)
		res.Message = answer.Error.Message
		if res.Message == "" {
			res.Message = fmt.Sprintf("The local API answered HTTP %d.", status)
		}
	}
	target, subject := a.Page+"/"+id, id
	if a.Page == "customers" {
		subject = "" // the payment request's charge is new
		// The answer is the new charge in either shape, bare or wrapped
		// under "charge": api.Charge reads them all.
		var charge api.Charge
		if res.OK && json.Unmarshal(body, &charge) == nil && charge.ID != "" {
			target, subject = "charges/"+charge.ID, charge.ID
		}
	}
	if c.agent != nil {
		res.Ex = exchangeAfter(c.agent, mark, a.Action, subject)
		if res.Ex != nil && res.Ex.Outcome != nil {
			for _, ch := range res.Ex.Outcome.Changes() {
				res.Changes = append(res.Changes, ch.Field+" → "+ch.Value)
			}
		}
	}
	return target, res
}

// newestExchange is the integration's newest exchange; nil when none.
func newestExchange(g *integration) *exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.exchanges) == 0 {
		return nil
	}
	return g.exchanges[len(g.exchanges)-1]
}

// exchangeAfter is the newest exchange of action about the record id
// (any record when id is "") kept after mark; nil when there is none.
// Exchanges are kept in order and the oldest dropped first, so when mark
// is no longer kept every exchange is newer.
func exchangeAfter(g *integration, mark *exchange, action chargedesk.Action, id string) *exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	start := 0
	if mark != nil {
		start = slices.Index(g.exchanges, mark) + 1 // 0 when mark was dropped
	}
	for i := len(g.exchanges) - 1; i >= start; i-- {
		ex := g.exchanges[i]
		if ex.Action == action && (id == "" || slices.Contains(ex.RecordIDs, id)) {
			return ex
		}
	}
	return nil
}

// call performs an API operation in-process, authenticated with the key.
func (c *console) call(path string, form url.Values) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/v1"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.key+":")))
	w := httptest.NewRecorder()
	c.api.ServeHTTP(w, req)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, body
}

// get reads a dotted path ("customer.id") of a rendered record; "" when a
// part is missing.
func get(m map[string]any, path string) any {
	var v any = m
	for part := range strings.SplitSeq(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[part]
	}
	if v == nil {
		return ""
	}
	return v
}

// stamp is a log entry's time as the console shows it.
type stamp struct {
	ISO  string // "2031-06-30T12:00:00Z", for <time datetime>
	Text string // "2031-06-30 12:00:00 UTC"
}

// logTime reads a log entry's unix time (a number, as the API renders it
// or as JSON decodes it) in UTC; "unknown" when it has none.
func logTime(v any) stamp {
	var sec int64
	switch t := v.(type) {
	case int64:
		sec = t
	case int:
		sec = int64(t)
	case float64:
		sec = int64(t)
	case json.Number:
		sec, _ = t.Int64()
	}
	if sec <= 0 {
		return stamp{Text: "unknown"}
	}
	at := time.Unix(sec, 0).UTC()
	return stamp{ISO: at.Format(time.RFC3339), Text: at.Format("2006-01-02 15:04:05") + " UTC"}
}
