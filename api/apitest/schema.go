package apitest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

// kind is how a field's input is read and its value written.
type kind int

const (
	kString kind = iota
	kAmount
	kInt
	kBool
	kTime
	kMap     // metadata: string map, written [] when empty as PHP does
	kRef     // customer[id]: an object with an id
	kList    // items[], lines[]: a list of text
	kAddress // billing_address: an object of text
)

type field struct {
	name string
	kind kind
}

// resource describes one record type of the API.
type resource struct {
	path   string // "charges"
	object string // "charge"
	unique string // the unique id duplicate=update matches on
	fields []field
	// required when creating, by input name (customer[id] as "customer").
	required []string
	// enums limit a field to these values.
	enums map[string][]string
}

var chargeStatuses = []string{"pending", "paid", "partially refunded", "refunded", "failed", "authorized",
	"void", "invoiced", "invoice canceled", "unpaid", "past due", "subscription pending", "disputed", "trial",
	"credit", "uncollectible", "open", "draft", "unclaimed"}

var subscriptionStatuses = []string{"requested", "pending", "new", "trialing", "active", "past_due",
	"canceled", "unpaid", "suspended", "pending_cancel"}

var intervals = []string{"day", "week", "month", "year"}

var resources = map[string]*resource{
	"charges": {
		path: "charges", object: "charge", unique: "transaction_id",
		fields: []field{{"transaction_id", kString}, {"amount", kAmount}, {"currency", kString}, {"status", kString},
			{"amount_refunded", kAmount}, {"last_4_digits", kString}, {"description", kString},
			{"customer", kRef}, {"product", kRef}, {"subscription", kRef}, {"metadata", kMap},
			{"occurred", kTime}, {"lines", kList}},
		required: []string{"amount", "currency", "customer"},
		enums:    map[string][]string{"status": chargeStatuses},
	},
	"customers": {
		path: "customers", object: "customer", unique: "customer_id",
		fields: []field{{"customer_id", kString}, {"email", kString}, {"country", kString}, {"name", kString},
			{"phone", kString}, {"username", kString}, {"customer_company", kString}, {"website", kString},
			{"description", kString}, {"delinquent", kBool}, {"card_on_file", kBool}, {"tax_number", kString},
			{"billing_address", kAddress}, {"invoice_details", kString}, {"metadata", kMap}},
		required: []string{"customer_id"},
	},
	"subscriptions": {
		path: "subscriptions", object: "subscription", unique: "subscription_id",
		fields: []field{{"subscription_id", kString}, {"customer_id", kString}, {"status", kString},
			{"amount", kAmount}, {"currency", kString}, {"interval", kString}, {"interval_count", kInt},
			{"quantity", kInt}, {"trial_start", kTime}, {"trial_end", kTime}, {"billing_cycles_total", kInt},
			{"billing_cycles_current", kInt}, {"items", kList}, {"metadata", kMap}},
		required: []string{"subscription_id"},
		enums:    map[string][]string{"status": subscriptionStatuses, "interval": intervals},
	},
	"products": {
		path: "products", object: "product", unique: "product_id",
		fields: []field{{"product_id", kString}, {"name", kString}, {"description", kString}, {"url", kString},
			{"amount", kAmount}, {"currency", kString}, {"interval", kString}, {"trial_period_days", kInt},
			{"billing_cycles_total", kInt}, {"setup_amount", kAmount}, {"chargeable", kBool}},
		required: []string{"product_id"},
		enums:    map[string][]string{"interval": intervals},
	},
}

// paramError is a 400 naming the parameter.
type paramError struct {
	param, message, code string
}

func (e *paramError) Error() string { return e.message }

func badParam(param, code, format string, args ...any) *paramError {
	return &paramError{param: param, code: code, message: fmt.Sprintf(format, args...)}
}

// readField reads one input value (decoded from JSON or a PHP form, so any
// JSON value) as the field's kind.
func readField(f field, v any) (any, error) {
	bad := func(want string) error {
		return badParam(f.name, "parameter_invalid", "%s must be %s", f.name, want)
	}
	switch f.kind {
	case kString:
		s, ok := scalarText(v)
		if !ok {
			return nil, bad("text")
		}
		return s, nil
	case kAmount:
		s, ok := scalarText(v)
		if !ok {
			return nil, bad("an amount")
		}
		if s == "" {
			return nil, nil
		}
		a, err := chargedesk.ParseAmount(s)
		if err != nil {
			return nil, bad("an amount")
		}
		return a, nil
	case kInt:
		s, ok := scalarText(v)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return nil, bad("a whole number")
		}
		return n, nil
	case kBool:
		s, _ := scalarText(v)
		switch strings.ToLower(s) {
		case "1", "true":
			return true, nil
		case "0", "false", "":
			return false, nil
		}
		return nil, bad("a boolean")
	case kTime:
		s, ok := scalarText(v)
		if !ok {
			return nil, bad("a time")
		}
		if s == "" {
			return time.Time{}, nil
		}
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC(), nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, bad("a unix timestamp or RFC 3339 time")
		}
		return t.UTC(), nil
	case kMap, kAddress:
		m, ok := v.(map[string]any)
		if !ok {
			if l, isList := v.([]any); isList && len(l) == 0 {
				return map[string]string{}, nil
			}
			return nil, bad("an object")
		}
		out := make(map[string]string, len(m))
		for k, item := range m {
			s, ok := scalarText(item)
			if !ok {
				return nil, bad("an object of text")
			}
			out[k] = s
		}
		return out, nil
	case kRef:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("an object with an id")
		}
		id, ok := scalarText(m["id"])
		if !ok {
			return nil, bad("an object with an id")
		}
		return id, nil
	case kList:
		l, ok := v.([]any)
		if !ok {
			return nil, bad("a list")
		}
		out := make([]string, 0, len(l))
		for _, item := range l {
			s, ok := scalarText(item)
			if !ok {
				return nil, bad("a list of text")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, bad("known")
}

// scalarText is a JSON scalar as PHP reads it into text.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "1", true
		}
		return "", true
	case nil:
		return "", true
	}
	return "", false
}

// decodeInput reads a request's parameters: a JSON object, or a form in
// PHP's bracket notation, merged over the URL's query. Like ChargeDesk, it
// goes by the body, not by its Content-Type.
func decodeInput(body []byte, query string) (map[string]any, error) {
	out := map[string]any{}
	if query != "" {
		if err := mergeForm(out, []byte(query)); err != nil {
			return nil, err
		}
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return out, nil
	}
	if strings.HasPrefix(trimmed, "{") {
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, badParam("", "invalid_json", "the body is not a valid JSON object")
		}
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	}
	return out, mergeForm(out, body) // not a JSON object: a form, whatever its Content-Type says
}

func mergeForm(out map[string]any, form []byte) error {
	js, err := phpquery.DecodeForm(form, 8)
	if err != nil {
		return badParam("", "invalid_form", "%v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return badParam("", "invalid_form", "the form does not decode")
	}
	for k, v := range m {
		out[k] = v
	}
	return nil
}
