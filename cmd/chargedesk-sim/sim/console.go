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
	"strings"
	"sync"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

//go:embed console.html
var consoleFS embed.FS

var consoleTmpl = template.Must(template.New("console.html").Funcs(template.FuncMap{
	"get": func(m map[string]any, path string) any {
		var v any = m
		for _, part := range strings.Split(path, ".") {
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
	},
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}).ParseFS(consoleFS, "console.html"))

// console is the agent console: records, their actions, and what came of
// the last one, as a ChargeDesk agent sees it. Actions go through the same
// API gateway operations a client uses.
type console struct {
	api   *apitest.Server
	key   string
	agent *integration // nil without a Base Path
	csrf  string

	mu      sync.Mutex
	results map[string]*result // by record id: the last action's result
}

// result is what the agent saw of an action.
type result struct {
	Action  string
	OK      bool
	Message string
	Changes []string
	Ex      *exchange
}

func newConsole(api *apitest.Server, key string, agent *integration) (*console, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &console{api: api, key: key, agent: agent, csrf: hex.EncodeToString(b), results: map[string]*result{}}, nil
}

func (c *console) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", c.index)
	mux.HandleFunc("GET /charges/{id}", c.page("charges"))
	mux.HandleFunc("GET /subscriptions/{id}", c.page("subscriptions"))
	mux.HandleFunc("GET /customers/{id}", c.page("customers"))
	mux.HandleFunc("POST /charges/{id}/{op}", c.act("charges"))
	mux.HandleFunc("POST /subscriptions/{id}/{op}", c.act("subscriptions"))
	mux.HandleFunc("POST /customers/{id}/{op}", c.act("customers"))
}

type pageData struct {
	Kind      string
	Record    map[string]any
	Charges   []map[string]any
	Subs      []map[string]any
	Customers []map[string]any
	Result    *result
	CSRF      string
	Webhooks  bool
}

func (c *console) index(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, &pageData{Kind: "index", Charges: c.api.Records("charges"),
		Subs: c.api.Records("subscriptions"), Customers: c.api.Records("customers")})
}

func (c *console) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, ok := c.api.Record(name, r.PathValue("id"))
		if !ok {
			http.Error(w, "No such record", http.StatusNotFound)
			return
		}
		d := &pageData{Kind: name, Record: rec}
		c.mu.Lock()
		d.Result = c.results[name+"/"+r.PathValue("id")]
		c.mu.Unlock()
		if name == "customers" {
			for _, ch := range c.api.Records("charges") {
				if ch["customer"].(map[string]any)["id"] == rec["id"] {
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
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	if err := consoleTmpl.Execute(w, d); err != nil {
		fmt.Fprintf(w, "<p>the page did not render: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

// operations maps a console action to the API operation that performs it.
var operations = map[string]map[string]string{
	"charges": {"refund": "/gateway/charges/%s/refund", "capture": "/gateway/charges/%s/capture",
		"void": "/gateway/charges/%s/void"},
	"subscriptions": {"cancel": "/gateway/subscriptions/%s/cancel", "reactivate": "/gateway/subscriptions/%s/reactivate",
		"plans": "/gateway/subscriptions/%s/plans"},
	"customers": {"request-payment": "/gateway/products/charge"},
}

// act performs an action through the API, keeps what the agent saw, and
// shows the record again (POST, redirect, GET).
func (c *console) act(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, op := r.PathValue("id"), r.PathValue("op")
		path, ok := operations[name][op]
		if !ok {
			http.Error(w, "No such action", http.StatusNotFound)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "The form is too large", http.StatusRequestEntityTooLarge)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.csrf)) != 1 {
			http.Error(w, "The form is stale: reload the page", http.StatusForbidden)
			return
		}
		form := formFor(name, op, id, r.PostForm)
		if strings.Contains(path, "%s") {
			path = fmt.Sprintf(path, url.PathEscape(id))
		}
		status, body := c.call(path, form)
		res := &result{Action: op, OK: status == http.StatusOK}
		var answer struct {
			ID    string `json:"id"`
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &answer)
		if !res.OK {
			res.Message = answer.Error.Message
		}
		target := name + "/" + id
		if name == "customers" && res.OK {
			target = "charges/" + answer.ID // the payment request's new charge
		}
		if c.agent != nil {
			res.Ex = c.agent.lastFor(strings.TrimPrefix(strings.TrimPrefix(target, "charges/"), "subscriptions/"))
			if res.Ex != nil && res.Ex.Outcome != nil {
				for _, ch := range res.Ex.Outcome.Changes() {
					res.Changes = append(res.Changes, ch.Field+" → "+ch.Value)
				}
			}
		}
		c.mu.Lock()
		c.results[target] = res
		c.mu.Unlock()
		http.Redirect(w, r, "/"+target, http.StatusSeeOther)
	}
}

// formFor turns the console's form into the API operation's parameters.
func formFor(name, op, id string, f url.Values) url.Values {
	out := url.Values{}
	copyIf := func(from, to string) {
		if v := strings.TrimSpace(f.Get(from)); v != "" {
			out.Set(to, v)
		}
	}
	switch {
	case op == "refund":
		copyIf("amount", "amount")
		copyIf("reason", "log_reason")
	case op == "capture":
		copyIf("amount", "amount")
	case op == "cancel":
		copyIf("mode", "action")
		copyIf("refund", "refund")
		copyIf("reason", "log_reason")
	case op == "plans":
		for i, line := range strings.Split(f.Get("plans"), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			out.Set(fmt.Sprintf("plans[%d][id]", i), fields[0])
			if len(fields) > 1 {
				out.Set(fmt.Sprintf("plans[%d][quantity]", i), fields[1])
			}
		}
	case name == "customers" && op == "request-payment":
		out.Set("using", "invoice")
		out.Set("customer[id]", id)
		copyIf("amount", "amount")
		copyIf("currency", "currency")
		copyIf("description", "description")
	}
	return out
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
