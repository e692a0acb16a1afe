package chargedesktest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// fields looks payload fields up as ChargeDesk does to fill placeholders:
// the top level, then the action's main object, then the other object.
type fields struct {
	levels []map[string]json.RawMessage
}

func newFields(action chargedesk.Action, body []byte) fields {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return fields{}
	}
	var charge, sub map[string]json.RawMessage
	_ = json.Unmarshal(top["charge"], &charge)
	_ = json.Unmarshal(top["subscription"], &sub)
	first, second := charge, sub
	switch action {
	case chargedesk.ActionCancel, chargedesk.ActionReactivate, chargedesk.ActionEditPlans:
		first, second = sub, charge
	}
	return fields{levels: []map[string]json.RawMessage{top, first, second}}
}

// lookup returns a field as PHP writes it into text: a string as is, a
// number as sent, true as "1", false and null as "". Objects and lists are
// skipped, as they fill no placeholder.
func (f fields) lookup(name string) (string, bool) {
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
			var s string
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			return s, true
		case raw[0] == '{' || raw[0] == '[':
			continue
		default:
			return string(raw), true
		}
	}
	return "", false
}

// render fills the {field} placeholders of tpl, passing each value through
// escape. A brace that does not enclose a field name is kept as text, and
// so is a placeholder naming a field the payload lacks.
func (f fields) render(tpl string, escape func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(tpl); {
		if tpl[i] == '{' {
			if j := strings.IndexByte(tpl[i:], '}'); j > 1 && isFieldName(tpl[i+1:i+j]) {
				name := tpl[i+1 : i+j]
				if v, ok := f.lookup(name); ok {
					b.WriteString(escape(v))
				} else {
					b.WriteString(escape("{" + name + "}"))
				}
				i += j + 1
				continue
			}
		}
		b.WriteByte(tpl[i])
		i++
	}
	return b.String()
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
