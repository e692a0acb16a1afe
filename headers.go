package chargedesk

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// Header is one header of ChargeDesk's configure page, as the receiver
// expects it on every webhook.
//
// Values lists the accepted values; a request passes when its header equals
// any one of them, so a secret can be rotated by accepting the old and new
// value for a while. A value may hold {field} placeholders, which ChargeDesk
// fills from the webhook's payload ("Bearer {charge_id}"); the receiver
// fills them from the payload it received and compares. See the package doc
// for how a field is looked up.
type Header struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// MinSecretLength is the fewest fixed characters (outside placeholders) a
// header value needs to count as authenticating the webhook.
const MinSecretLength = 16

// template is a text with {field} placeholders.
type template struct {
	parts []tplPart
}

type tplPart struct {
	literal string
	field   string // set for a placeholder
}

// static reports whether the template has no placeholder.
func (t template) static() bool {
	for _, p := range t.parts {
		if p.field != "" {
			return false
		}
	}
	return true
}

// fixedLen is the number of characters outside placeholders.
func (t template) fixedLen() int {
	n := 0
	for _, p := range t.parts {
		n += len(p.literal)
	}
	return n
}

// parseTemplate splits s into literals and {field} placeholders; a brace
// that does not enclose a field name is literal text. A placeholder naming
// no field ChargeDesk sends is an error.
func parseTemplate(s string, known map[string]bool) (template, error) {
	var t template
	lit := strings.Builder{}
	for i := 0; i < len(s); {
		if s[i] == '{' {
			if j := strings.IndexByte(s[i:], '}'); j > 1 && isFieldName(s[i+1:i+j]) {
				name := s[i+1 : i+j]
				if !known[name] {
					return t, fmt.Errorf("placeholder {%s} names no field ChargeDesk sends", name)
				}
				if lit.Len() > 0 {
					t.parts = append(t.parts, tplPart{literal: lit.String()})
					lit.Reset()
				}
				t.parts = append(t.parts, tplPart{field: name})
				i += j + 1
				continue
			}
		}
		lit.WriteByte(s[i])
		i++
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tplPart{literal: lit.String()})
	}
	return t, nil
}

func isFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// render fills the template from fields. A field the payload does not hold
// renders as "" or, when literalAbsent is set, as the placeholder itself;
// which one ChargeDesk sends for an absent field is not documented, so both
// are accepted.
func (t template) render(fields payloadFields, literalAbsent bool) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field == "" {
			b.WriteString(p.literal)
			continue
		}
		v, ok := fields.lookup(p.field)
		if !ok && literalAbsent {
			v = "{" + p.field + "}"
		}
		b.WriteString(v)
	}
	return b.String()
}

// hasAbsent reports whether a placeholder names a field the payload lacks.
func (t template) hasAbsent(fields payloadFields) bool {
	for _, p := range t.parts {
		if p.field != "" {
			if _, ok := fields.lookup(p.field); !ok {
				return true
			}
		}
	}
	return false
}

// knownFields lists the payload fields a placeholder may name: every scalar
// field of any webhook's top level, charge and subscription.
func knownFields() map[string]bool {
	known := map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[Charge](), reflect.TypeFor[Subscription]()} {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch f.Type.Kind() {
			case reflect.Slice, reflect.Map:
				continue
			}
			known[name] = true
		}
	}
	for _, name := range []string{"refund_amount", "action_reason", "action", "refund"} {
		known[name] = true
	}
	return known
}

// payloadFields looks fields up in the raw payload, as ChargeDesk fills
// placeholders: the top level first, then the action's main object (the
// subscription for cancel, reactivate and edit plans; the charge otherwise),
// then the other object.
type payloadFields struct {
	levels []map[string]json.RawMessage
}

func newPayloadFields(action Action, body []byte) payloadFields {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return payloadFields{}
	}
	var charge, sub map[string]json.RawMessage
	_ = json.Unmarshal(top["charge"], &charge)
	_ = json.Unmarshal(top["subscription"], &sub)
	first, second := charge, sub
	switch action {
	case ActionCancel, ActionReactivate, ActionEditPlans:
		first, second = sub, charge
	}
	return payloadFields{levels: []map[string]json.RawMessage{top, first, second}}
}

// lookup returns a field's value as ChargeDesk (PHP) writes it into text:
// a string as is, a number as sent, true as "1", false and null as "".
func (f payloadFields) lookup(name string) (string, bool) {
	for _, level := range f.levels {
		raw, ok := level[name]
		if !ok {
			continue
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0, string(raw) == "null", string(raw) == "false":
			return "", true
		case string(raw) == "true":
			return "1", true
		case raw[0] == '"':
			s, _ := unquote(raw)
			return s, true
		case raw[0] == '{' || raw[0] == '[':
			continue // not a scalar; look further
		default:
			return string(raw), true
		}
	}
	return "", false
}

// FillPlaceholders fills the {field} placeholders of text from a webhook's
// JSON body, as ChargeDesk fills its Base Path, paths and header values and
// as the handler checks them (see the package doc for the lookup order and
// how values are written). Each value passes through escape, when not nil:
// url.PathEscape for a path, for example. A brace that does not enclose a
// field name is text, and a placeholder naming a field the body lacks is
// left as written. chargedesktest and the simulator build requests with it.
func FillPlaceholders(action Action, body []byte, text string, escape func(string) string) string {
	if escape == nil {
		escape = func(s string) string { return s }
	}
	fields := newPayloadFields(action, body)
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] == '{' {
			if j := strings.IndexByte(text[i:], '}'); j > 1 && isFieldName(text[i+1:i+j]) {
				name := text[i+1 : i+j]
				v, ok := fields.lookup(name)
				if !ok {
					v = "{" + name + "}"
				}
				b.WriteString(escape(v))
				i += j + 1
				continue
			}
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String()
}

// headerRule is a configured header, parsed.
type headerRule struct {
	name   string
	values []template
	static bool // no value has a placeholder: checked before the body is read
}

// parseHeaders validates the configured headers.
func parseHeaders(headers []Header, known map[string]bool) (rules []headerRule, authenticating bool, err error) {
	seen := map[string]bool{}
	for i, h := range headers {
		setting := fmt.Sprintf("Headers[%d]", i)
		name := http.CanonicalHeaderKey(strings.TrimSpace(h.Name))
		if !isToken(name) {
			return nil, false, configErrorf(setting+".Name", "%q is not a valid header name", h.Name)
		}
		if seen[name] {
			return nil, false, configErrorf(setting+".Name", "header %s is configured twice; list its accepted values in one entry", name)
		}
		seen[name] = true
		if len(h.Values) == 0 {
			return nil, false, configErrorf(setting+".Values", "header %s has no accepted value", name)
		}
		rule := headerRule{name: name, static: true}
		secret := true
		for j, v := range h.Values {
			vs := fmt.Sprintf("%s.Values[%d]", setting, j)
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, false, configErrorf(vs, "contains a line break or NUL")
			}
			if strings.TrimSpace(v) != v || v == "" {
				return nil, false, configErrorf(vs, "is empty or starts or ends with spaces, which HTTP drops")
			}
			t, err := parseTemplate(v, known)
			if err != nil {
				return nil, false, configErrorf(vs, "%v", err)
			}
			rule.static = rule.static && t.static()
			secret = secret && t.fixedLen() >= MinSecretLength
			rule.values = append(rule.values, t)
		}
		authenticating = authenticating || secret
		rules = append(rules, rule)
	}
	return rules, authenticating, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// equalSecret compares in constant time, without leaking either length: it
// compares digests.
func equalSecret(got, want string) bool {
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// matchHeader reports whether the request's header matches any accepted
// value. Every value is compared, so timing does not tell which matched.
func (r headerRule) match(h http.Header, fields payloadFields) bool {
	got, present := h[r.name]
	if !present {
		return r.matchAbsent(fields)
	}
	if len(got) != 1 {
		return false
	}
	// HTTP drops the spaces and tabs around a field's value (RFC 9110,
	// section 5.5), so a template that renders with some, such as
	// "Charge {transaction_id}" for a payload without a transaction id, is
	// compared without them.
	sent := trimOWS(got[0])
	ok := false
	for _, t := range r.values {
		if t.static() {
			ok = equalSecret(sent, t.parts[0].literal) || ok
			continue
		}
		ok = equalSecret(sent, trimOWS(t.render(fields, false))) || ok
		if t.hasAbsent(fields) {
			ok = equalSecret(sent, trimOWS(t.render(fields, true))) || ok
		}
	}
	return ok
}

// matchAbsent reports whether a missing header is what the payload makes
// of it: a header made only of placeholders whose fields are empty renders
// as "", and an HTTP client may drop an empty header rather than send it.
// Such a header holds no secret, so accepting its absence gives nothing
// away; a header with fixed text must always be present.
func (r headerRule) matchAbsent(fields payloadFields) bool {
	for _, t := range r.values {
		if t.fixedLen() == 0 && trimOWS(t.render(fields, false)) == "" {
			return true
		}
	}
	return false
}

// trimOWS drops the optional whitespace HTTP allows around a field value.
func trimOWS(s string) string { return strings.Trim(s, " \t") }
