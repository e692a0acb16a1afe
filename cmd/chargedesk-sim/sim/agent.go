package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// maxExchanges bounds the exchanges the console keeps.
const maxExchanges = 200

// exchange is one webhook ChargeDesk sent and what came back, as the
// console shows it: header values that hold a secret are masked.
type exchange struct {
	At        time.Time
	Action    chargedesk.Action
	URL       string
	Headers   [][2]string
	Payload   string
	Status    int
	Answer    string
	Err       string
	Outcome   *chargedesktest.Outcome
	RecordIDs []string
}

// integration is the Custom Integration as ChargeDesk's configure page
// holds it, sending agent actions as webhooks.
type integration struct {
	in     chargedesktest.Integration
	client *http.Client

	mu        sync.Mutex
	exchanges []*exchange
}

func newIntegration(in chargedesktest.Integration, timeout time.Duration) *integration {
	return &integration{in: in, client: &http.Client{
		Timeout: timeout,
		// ChargeDesk posts to the URL entered; it does not follow redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// agent sends the action's webhook and reads the answer as ChargeDesk does.
func (g *integration) agent(ctx context.Context, action chargedesk.Action, payload []byte) apitest.AgentAnswer {
	ex := &exchange{At: time.Now(), Action: action, Payload: indent(payload), RecordIDs: recordIDs(payload)}
	defer g.keep(ex)
	req, err := g.in.NewRequest(ctx, action, payload)
	if err != nil {
		ex.Err = err.Error()
		return apitest.AgentAnswer{Error: "The Custom Integration's settings are wrong: " + strings.TrimPrefix(err.Error(), "chargedesktest: ")}
	}
	ex.URL = req.URL.String()
	ex.Headers = maskedHeaders(g.in.Header, req.Header)
	out, err := chargedesktest.Send(g.client, req)
	if err != nil {
		ex.Err = err.Error()
		return apitest.AgentAnswer{Error: "The integration did not answer: " + strings.TrimPrefix(err.Error(), "chargedesktest: ")}
	}
	ex.Status, ex.Answer, ex.Outcome = out.Status, out.Body, out
	switch {
	case !out.OK && out.ErrorMessage != "":
		return apitest.AgentAnswer{Error: out.ErrorMessage, Status: out.Status}
	case !out.OK:
		return apitest.AgentAnswer{Error: fmt.Sprintf("The integration answered HTTP %d without a message.", out.Status), Status: out.Status}
	case action == chargedesk.ActionRequestPayment && out.RedirectURL == "":
		return apitest.AgentAnswer{Error: "The integration answered no usable redirect_url, so no payment was requested.", Status: out.Status}
	}
	return apitest.AgentAnswer{Status: out.Status, Updates: out.Updates, RedirectURL: out.RedirectURL}
}

func (g *integration) keep(ex *exchange) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.exchanges = append(g.exchanges, ex)
	if len(g.exchanges) > maxExchanges {
		g.exchanges = slices.Delete(g.exchanges, 0, len(g.exchanges)-maxExchanges)
	}
}

// lastFor is the newest exchange about a record.
func (g *integration) lastFor(id string) *exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.exchanges) - 1; i >= 0; i-- {
		if slices.Contains(g.exchanges[i].RecordIDs, id) {
			return g.exchanges[i]
		}
	}
	return nil
}

var placeholder = regexp.MustCompile(`\{[A-Za-z0-9_]+\}`)

// maskedHeaders lists the request's configured headers: a value whose
// template has fixed text (a secret) is masked; one made only of
// placeholders is shown filled, so that placeholders can be debugged.
func maskedHeaders(templates, sent http.Header) [][2]string {
	var out [][2]string
	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for i, tmpl := range templates[name] {
			value := "[masked]"
			if isTemplateOnly(tmpl) && i < len(sent.Values(name)) {
				value = sent.Values(name)[i]
			}
			out = append(out, [2]string{name, value})
		}
	}
	return out
}

// isTemplateOnly reports whether a header template holds no fixed text
// beyond placeholders, spaces and punctuation: nothing secret.
func isTemplateOnly(tmpl string) bool {
	rest := placeholder.ReplaceAllString(tmpl, "")
	return strings.Trim(rest, " ,;:-_/") == ""
}

func indent(payload []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, payload, "", "  ") != nil {
		return string(payload)
	}
	return b.String()
}

// recordIDs are the ids of the charge and subscription a payload is about.
func recordIDs(payload []byte) []string {
	var p struct {
		Charge struct {
			ID string `json:"charge_id"`
		} `json:"charge"`
		Subscription struct {
			ID string `json:"subscription_id"`
		} `json:"subscription"`
	}
	_ = json.Unmarshal(payload, &p)
	var ids []string
	for _, id := range []string{p.Charge.ID, p.Subscription.ID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
