package chargedesk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

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
// that does not enclose a field name is literal text. With known set, a
// placeholder naming no field in it is an error.
func parseTemplate(s string, known map[string]bool) (template, error) {
	var t template
	lit := strings.Builder{}
	for i := 0; i < len(s); {
		if s[i] == '{' {
			if j := strings.IndexByte(s[i:], '}'); j > 1 && isFieldName(s[i+1:i+j]) {
				name := s[i+1 : i+j]
				if known != nil && !known[name] {
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

// render fills the template from fields. A field the payload does not
// hold renders as "": its placeholder spelled out never matches, so a
// bound header or path cannot be met by sending "{charge_id}".
func (t template) render(fields payloadFields) string {
	return t.fill(fields, nil, false)
}

// fill writes the template with each placeholder's value passed through
// escape (when not nil); a field the payload does not hold is written as
// its placeholder when keep is set, else as "".
func (t template) fill(fields payloadFields, escape func(string) string, keep bool) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field == "" {
			b.WriteString(p.literal)
			continue
		}
		v, ok := fields.lookup(p.field)
		if !ok && keep {
			v = "{" + p.field + "}"
		}
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// knownFields lists the payload fields a placeholder may name: every scalar
// field of any action's request (the body's top level), of the charge and
// of the subscription.
func knownFields() map[string]bool {
	known := map[string]bool{}
	types := []reflect.Type{reflect.TypeFor[Charge](), reflect.TypeFor[Subscription]()}
	for _, def := range actionTable {
		types = append(types, reflect.TypeOf(def.newRequest()).Elem())
	}
	for _, t := range types {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case !f.IsExported() || name == "" || name == "-":
				continue
			case f.Type.Kind() == reflect.Slice, f.Type.Kind() == reflect.Map, f.Type.Kind() == reflect.Pointer:
				continue // a list or an object: not a scalar
			}
			known[name] = true
		}
	}
	return known
}

// payloadFields looks fields up in the raw payload, as ChargeDesk fills
// placeholders: the top level first, then the action's main object (the
// subscription for cancel, reactivate and edit plans; the charge otherwise),
// then the other object.
type payloadFields struct {
	main             subject
	top, charge, sub map[string]json.RawMessage
}

// newPayloadFields reads the fields of a body on its own, for
// FillPlaceholders; the handler collects them as it decodes (decodeBody).
func newPayloadFields(main subject, body []byte) payloadFields {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return payloadFields{}
	}
	var charge, sub map[string]json.RawMessage
	_ = json.Unmarshal(top["charge"], &charge)
	_ = json.Unmarshal(top["subscription"], &sub)
	return payloadFields{main: main, top: top, charge: charge, sub: sub}
}

// levels lists the maps in lookup order.
func (f payloadFields) levels() [3]map[string]json.RawMessage {
	if f.main == subjectSubscription {
		return [3]map[string]json.RawMessage{f.top, f.sub, f.charge}
	}
	return [3]map[string]json.RawMessage{f.top, f.charge, f.sub}
}

// lookup returns a field's value as ChargeDesk (PHP) writes it into text:
// a string as is, a number as sent, true as "1", false and null as "".
func (f payloadFields) lookup(name string) (string, bool) {
	for _, level := range f.levels() {
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
			return wire.RawText(raw), true
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
	main := subjectCharge
	if def := definition(action); def != nil {
		main = def.subject
	}
	t, _ := parseTemplate(text, nil) // without known fields, it cannot fail
	return t.fill(newPayloadFields(main, body), escape, true)
}
