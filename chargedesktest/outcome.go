package chargedesktest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// updateObjects are the objects an answer may update, in the order they are
// listed.
var updateObjects = []string{"charge", "subscription", "customer", "product"}

// Outcome is a webhook's answer as the ChargeDesk agent sees it.
type Outcome struct {
	// Action is the webhook's action; "" when it is not known.
	Action chargedesk.Action `json:"action"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// OK reports whether ChargeDesk tells the agent the action succeeded:
	// a 2xx answer with no "error" key and, for a payment request, a
	// redirect_url.
	OK bool `json:"ok"`
	// ErrorMessage is the answer's "error" message, which the agent sees;
	// "" when there is none.
	ErrorMessage string `json:"error,omitempty"`
	// Updates holds the fields the answer asks ChargeDesk to update, by
	// object ("charge", "subscription", "customer", "product") and field.
	// Numbers are json.Number, exact as sent; nil when there are none.
	Updates map[string]map[string]any `json:"updates,omitempty"`
	// RedirectURL is a payment request's redirect_url, the customer's pay
	// link.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Problems lists what ChargeDesk cannot use in the answer, in words for
	// the developer; nil when there is nothing to report.
	Problems []string `json:"problems,omitempty"`
	// Body is the answer's body as received.
	Body string `json:"body"`
}

// ReadOutcome reads an answer to a webhook of action (which may be "" when
// unknown) with the given status and body.
func ReadOutcome(action chargedesk.Action, status int, body []byte) *Outcome {
	o := &Outcome{Action: action, Status: status, Body: string(body)}
	success := status >= 200 && status <= 299
	o.OK = success
	answer := o.decode(body, success)
	if answer != nil {
		o.readError(answer, success)
		o.readUpdates(answer)
		if r, ok := answer.vals["redirect_url"]; ok {
			o.RedirectURL, _ = r.(string)
		}
	}
	if !success && o.ErrorMessage == "" {
		o.Problems = append(o.Problems, fmt.Sprintf(
			"a %d answer without an error message: the agent is only told the action could not be performed", status))
	}
	if success && action == chargedesk.ActionRequestPayment {
		o.checkRedirect(answer)
	}
	return o
}

// decode returns the answer's JSON object, or nil (with a problem noted)
// when it is empty or not one.
func (o *Outcome) decode(body []byte, success bool) *object {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil // an empty 2xx is a valid acknowledgement
	}
	tree, err := decodeTree(body)
	if err != nil {
		o.Problems = append(o.Problems, "the answer is not JSON, so ChargeDesk can read neither an error message nor updates from it")
		return nil
	}
	answer, ok := tree.(*object)
	if !ok {
		o.Problems = append(o.Problems, "the answer is JSON but not an object; ChargeDesk reads an object with error, update objects or redirect_url")
		return nil
	}
	return answer
}

func (o *Outcome) readError(answer *object, success bool) {
	e, ok := answer.get("error")
	if !ok {
		return
	}
	switch t := e.(type) {
	case string:
		o.ErrorMessage = t
	case *object:
		// The REST API's error shape; webhook answers use a plain string.
		if m, ok := t.vals["message"].(string); ok {
			o.ErrorMessage = m
		}
		o.Problems = append(o.Problems, `"error" is an object; ChargeDesk shows the agent a string: {"error": "message"}`)
	default:
		o.Problems = append(o.Problems, `"error" is not a string; ChargeDesk shows the agent a string: {"error": "message"}`)
	}
	if success {
		o.OK = false
		o.Problems = append(o.Problems, fmt.Sprintf(
			`a %d answer carries an "error" key: success or failure is ambiguous; answer a 4xx or 5xx status with the error`, o.Status))
	}
}

func (o *Outcome) readUpdates(answer *object) {
	for _, name := range updateObjects {
		v, ok := answer.get(name)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case *object:
			if o.Updates == nil {
				o.Updates = map[string]map[string]any{}
			}
			o.Updates[name] = plain(t).(map[string]any)
		case []any:
			if len(t) > 0 {
				o.Problems = append(o.Problems, fmt.Sprintf("%q is a list; an update object must be a JSON object", name))
			}
		case nil:
		default:
			o.Problems = append(o.Problems, fmt.Sprintf("%q is not an object; an update object must be a JSON object", name))
		}
	}
}

func (o *Outcome) checkRedirect(answer *object) {
	var problem string
	switch r, ok := answerField(answer, "redirect_url"); {
	case !ok:
		problem = "a payment request answered without a redirect_url: ChargeDesk has no payment page to send the customer to"
	case !isHTTPURL(r):
		problem = fmt.Sprintf("the redirect_url %q is not an absolute http(s) URL", r)
	}
	if problem != "" {
		o.OK = false
		o.Problems = append(o.Problems, problem)
	}
}

func answerField(answer *object, key string) (string, bool) {
	if answer == nil {
		return "", false
	}
	v, ok := answer.get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok && s != ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Change is one field an answer updates, as text.
type Change struct {
	// Field is the field's path: "charge.status".
	Field string `json:"field"`
	// Value is the new value: a string as is, a number as sent, true or
	// false, null, or an object or list as compact JSON.
	Value string `json:"value"`
}

// Changes lists the fields the answer updates: the charge's first, then
// the subscription's, the customer's and the product's, each object's
// fields in alphabetical order.
func (o *Outcome) Changes() []Change {
	var out []Change
	for _, name := range updateObjects {
		fields := o.Updates[name]
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, Change{Field: name + "." + k, Value: text(fields[k])})
		}
	}
	return out
}

// Field returns the new value of one updated field ("charge.status",
// "subscription.quantity") as text, as in [Outcome.Changes]; ok is false
// when the answer does not update it.
func (o *Outcome) Field(path string) (value string, ok bool) {
	name, field, found := strings.Cut(path, ".")
	if !found {
		return "", false
	}
	v, ok := o.Updates[name][field]
	if !ok {
		return "", false
	}
	return text(v), true
}

func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
