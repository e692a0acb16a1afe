package apitest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// kind is how a field's input is read and its value written.
type kind int

const (
	kString  kind = iota
	kAmount       // chargedesk.Amount: written as text at the currency's scale
	kInt          // int64
	kBool         // bool: written 0 and 1, or true and false
	kTime         // unix: read as unix seconds or RFC 3339
	kMap          // pairs: an object of text (metadata), written [] when empty
	kAddress      // address: an object of the address lines
	kRef          // ref: an object with only an id (customer[id])
	kList         // texts: a list of text (items[], lines[])
)

// field is one input field of a record type.
type field struct {
	name  string
	kind  kind
	index int // in the record struct
}

// addressLines are the keys of a billing address.
var addressLines = []string{"line1", "line2", "city", "state", "postal_code", "country"}

var kinds = map[reflect.Type]kind{
	reflect.TypeFor[string]():            kString,
	reflect.TypeFor[chargedesk.Amount](): kAmount,
	reflect.TypeFor[int64]():             kInt,
	reflect.TypeFor[bool]():              kBool,
	reflect.TypeFor[unix]():              kTime,
	reflect.TypeFor[pairs]():             kMap,
	reflect.TypeFor[address]():           kAddress,
	reflect.TypeFor[ref]():               kRef,
	reflect.TypeFor[texts]():             kList,
}

// fieldsOf lists the fields of a record struct tagged `api`, in
// declaration order. A field of a type with no kind is a programming
// error, caught by the package's tests.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("api")
		if name == "" {
			continue
		}
		k, ok := kinds[sf.Type]
		if !ok {
			panic(fmt.Sprintf("apitest: %s.%s has no field kind", t.Name(), sf.Name))
		}
		out = append(out, field{name: name, kind: k, index: i})
	}
	return out
}

// resource describes one record type of the API.
type resource struct {
	name   string // "charges", as in the path
	object string // "charge"
	unique string // the unique id duplicate=update matches on
	fields []field
	// required when creating, by input name (customer[id] as "customer").
	required []string
	// enums limit a field to these values.
	enums map[string][]string
	// make returns a new, empty record.
	make func() record
	// dateFilter is the name of the list's time filter (occurred[min],
	// first_seen[min], created[min]).
	dateFilter string
	// accepted are the parameters of a create or an update (see params).
	accepted []string
}

var chargeStatuses = []string{"pending", "paid", "partially refunded", "refunded", "failed", "authorized",
	"void", "invoiced", "invoice canceled", "unpaid", "past due", "subscription pending", "disputed", "trial",
	"credit", "uncollectible", "open", "draft", "unclaimed"}

var subscriptionStatuses = []string{"requested", "pending", "new", "trialing", "active", "past_due",
	"canceled", "unpaid", "suspended", "pending_cancel"}

var intervals = []string{"day", "week", "month", "year"}

// resourceNames are the record resources, in the spec's order.
var resourceNames = []string{"charges", "customers", "subscriptions", "products"}

func newResource(name, object, unique string, proto record, required []string, enums map[string][]string, dateFilter string) *resource {
	t := reflect.TypeOf(proto).Elem()
	res := &resource{name: name, object: object, unique: unique, fields: fieldsOf(t), required: required,
		enums: enums, dateFilter: dateFilter, make: func() record {
			r := reflect.New(t).Interface().(record)
			r.meta().self = r
			return r
		}}
	res.accepted = res.params()
	return res
}

var resources = map[string]*resource{
	"charges": newResource("charges", "charge", "transaction_id", &charge{},
		[]string{"amount", "currency", "customer"}, map[string][]string{"status": chargeStatuses}, "occurred"),
	"customers": newResource("customers", "customer", "customer_id", &customer{},
		[]string{"customer_id"}, nil, "first_seen"),
	"subscriptions": newResource("subscriptions", "subscription", "subscription_id", &subscription{},
		[]string{"subscription_id"}, map[string][]string{"status": subscriptionStatuses, "interval": intervals}, "created"),
	"products": newResource("products", "product", "product_id", &product{},
		[]string{"product_id"}, map[string][]string{"interval": intervals}, "created"),
}

func (res *resource) field(name string) (field, bool) {
	for _, f := range res.fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// params are the parameters a create or an update of the resource
// accepts, in the notation of paramsAccepted.
func (res *resource) params() []string {
	var out []string
	for _, f := range res.fields {
		switch f.kind {
		case kRef:
			out = append(out, f.name+"[id]")
		case kMap:
			out = append(out, f.name+"[*]")
		case kList:
			out = append(out, f.name+"[]")
		case kAddress:
			for _, line := range addressLines {
				out = append(out, f.name+"["+line+"]")
			}
		default:
			out = append(out, f.name)
		}
	}
	return out
}

// value returns the field of r as its Go value.
func value(r record, f field) any {
	return reflect.ValueOf(r).Elem().Field(f.index).Interface()
}

// setValue sets the field of r to v, a value of the field's type.
func setValue(r record, f field, v any) {
	reflect.ValueOf(r).Elem().Field(f.index).Set(reflect.ValueOf(v))
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
// JSON value) as a value of the field's Go type.
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
			return chargedesk.Amount{}, nil
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
		t, err := readTime(s)
		if err != nil {
			return nil, bad("a unix timestamp or RFC 3339 time")
		}
		return t, nil
	case kMap, kAddress:
		m, ok := v.(map[string]any)
		if !ok {
			if l, isList := v.([]any); isList && len(l) == 0 {
				return emptyOf(f.kind), nil // PHP's empty array
			}
			if s, isText := v.(string); isText && s == "" {
				return emptyOf(f.kind), nil
			}
			return nil, bad("an object")
		}
		out := make(map[string]string, len(m))
		for k, item := range m {
			if f.kind == kAddress && !slices.Contains(addressLines, k) {
				return nil, badParam(f.name+"["+k+"]", "parameter_unknown", "Unknown parameter %s[%s]", f.name, k)
			}
			s, ok := scalarText(item)
			if !ok {
				return nil, bad("an object of text")
			}
			if strings.ContainsRune(k, 0) || strings.ContainsRune(s, 0) {
				return nil, bad("an object of text without NUL characters")
			}
			out[k] = s
		}
		if f.kind == kAddress {
			return address(pairsOf(out)), nil
		}
		return pairsOf(out), nil
	case kRef:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("an object with an id")
		}
		for k := range m {
			if k != "id" {
				return nil, badParam(f.name+"["+k+"]", "parameter_unknown", "Unknown parameter %s[%s]; only %s[id] is taken", f.name, k, f.name)
			}
		}
		id, ok := scalarText(m["id"])
		if !ok {
			return nil, bad("an object with an id")
		}
		return ref(id), nil
	case kList:
		l, ok := v.([]any)
		if !ok {
			if s, isText := v.(string); isText && s == "" {
				return texts(""), nil
			}
			return nil, bad("a list")
		}
		out := make([]string, 0, len(l))
		for _, item := range l {
			s, ok := scalarText(item)
			if !ok || strings.ContainsRune(s, 0) {
				return nil, bad("a list of text without NUL characters")
			}
			out = append(out, s)
		}
		return textsOf(out), nil
	}
	return nil, bad("known")
}

func emptyOf(k kind) any {
	if k == kAddress {
		return address("")
	}
	return pairs("")
}

// readTime reads unix seconds (0 or "" for none) or an RFC 3339 time: the
// API documents the first, the seed the second, and both are taken.
func readTime(s string) (unix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return unix(secs), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, err
	}
	return unix(t.Unix()), nil
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
