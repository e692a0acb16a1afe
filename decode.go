package chargedesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// This file holds the tolerant decoding that every payload goes through.
// ChargeDesk is a PHP application: a number may arrive as a string and a
// string as a number, a boolean as 0/1 or "0"/"1", an empty object as [],
// and any field as null. The flex types below accept all of these and refuse
// anything else with a *json.UnmarshalTypeError that encoding/json completes
// with the field's path; decodeError turns that into a message for the agent.

// envelope holds every top-level field any webhook carries. Each request
// type is filled from it, so one decoder serves every action and a new field
// in one action cannot break another.
type envelope struct {
	RefundAmount Amount        `json:"refund_amount"`
	ActionReason flexString    `json:"action_reason"`
	Action       flexString    `json:"action"`
	Refund       flexString    `json:"refund"`
	Plans        flexPlans     `json:"plans"`
	Charge       *Charge       `json:"charge"`
	Subscription *Subscription `json:"subscription"`
}

// decodeEnvelope checks body's structure and decodes it.
func decodeEnvelope(body []byte) (*envelope, error) {
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	env := new(envelope)
	if err := json.Unmarshal(body, env); err != nil {
		return nil, decodeError(err)
	}
	return env, nil
}

// decodeError turns an encoding/json error into one that names the field.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := strings.ReplaceAll(te.Field, ".[", "[")
		if field == "" {
			field = "body"
		}
		switch te.Value {
		case "object", "array", "string", "number", "bool":
			return fmt.Errorf("%w: %s must be %s, not a JSON %s", errBadJSON, field, describeType(te.Type), te.Value)
		}
		return fmt.Errorf("%w: %s: %s", errBadJSON, field, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %s at byte %d", errBadJSON, se.Error(), se.Offset)
	}
	return fmt.Errorf("%w: %s", errBadJSON, err.Error())
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t {
	case reflect.TypeFor[Amount](), reflect.TypeFor[*Amount]():
		return "an amount"
	case reflect.TypeFor[flexString](), reflect.TypeFor[*flexString]():
		return "text"
	case reflect.TypeFor[flexInt](), reflect.TypeFor[*flexInt]():
		return "a whole number"
	case reflect.TypeFor[flexBool](), reflect.TypeFor[*flexBool]():
		return "a boolean"
	case reflect.TypeFor[unixTime](), reflect.TypeFor[*unixTime]():
		return "a unix timestamp"
	case reflect.TypeFor[flexStrings](), reflect.TypeFor[*flexStrings]():
		return "a list"
	case reflect.TypeFor[flexMap](), reflect.TypeFor[*flexMap]():
		return "an object of strings"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a " + t.String()
}

// typeError reports that raw is not what was wanted; encoding/json adds the
// field path.
func typeError(raw []byte, what string, target any) error {
	return typeErrorMsg(raw, truncate(raw, 40)+" is not "+what, target)
}

func typeErrorMsg(_ []byte, msg string, target any) error {
	return &json.UnmarshalTypeError{Value: msg, Type: reflect.TypeOf(target)}
}

// isEmptyPHPArray reports whether raw is [] or {}: PHP encodes an empty
// array either way, whatever the field holds when it is not empty.
func isEmptyPHPArray(raw []byte) bool {
	if len(raw) < 2 || (raw[0] != '[' && raw[0] != '{') {
		return false
	}
	inner := bytes.TrimSpace(raw[1 : len(raw)-1])
	return len(inner) == 0
}

// unquote returns the text of a JSON string literal.
func unquote(raw []byte) (string, bool) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// flexString is text that may arrive as a string, number, boolean or null.
type flexString string

func (s *flexString) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case '"':
		v, ok := unquote(raw)
		if !ok {
			return typeError(raw, "text", s)
		}
		*s = flexString(v)
	case 'n':
		*s = ""
	case '[', '{':
		if !isEmptyPHPArray(raw) {
			return typeError(raw, "text", s)
		}
		*s = ""
	default: // number, true, false: keep the text as sent
		*s = flexString(raw)
	}
	return nil
}

func (s flexString) MarshalJSON() ([]byte, error) { return json.Marshal(string(s)) }

// flexInt is a whole number that may arrive as a number, a numeric string,
// a boolean or null.
type flexInt int

func (n *flexInt) UnmarshalJSON(raw []byte) error {
	text := string(raw)
	switch raw[0] {
	case 'n':
		*n = 0
		return nil
	case 't':
		*n = 1
		return nil
	case 'f':
		*n = 0
		return nil
	case '"':
		s, ok := unquote(raw)
		if !ok {
			return typeError(raw, "a whole number", n)
		}
		text = strings.TrimSpace(s)
		if text == "" {
			*n = 0
			return nil
		}
	case '[', '{':
		return typeError(raw, "a whole number", n)
	}
	v, ok := parseWhole(text)
	if !ok {
		return typeError(raw, "a whole number", n)
	}
	*n = flexInt(v)
	return nil
}

func (n flexInt) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(n), 10), nil }

// parseWhole parses an integer that may be written with a zero fraction
// ("2", "2.0", "2e0"), as PHP sometimes writes whole numbers.
func parseWhole(s string) (int, bool) {
	if v, err := strconv.ParseInt(s, 10, 0); err == nil {
		return int(v), true
	}
	a, err := ParseAmount(s)
	if err != nil || !a.IsInt() {
		return 0, false
	}
	whole, _, ok := a.Int64(0)
	if !ok || whole > math.MaxInt || whole < math.MinInt {
		return 0, false
	}
	return int(whole), true
}

// flexBool is a boolean that may arrive as true/false, 0/1, "0"/"1",
// "true"/"false", "" or null.
type flexBool bool

func (b *flexBool) UnmarshalJSON(raw []byte) error {
	text := string(raw)
	if raw[0] == '"' {
		s, ok := unquote(raw)
		if !ok {
			return typeError(raw, "a boolean", b)
		}
		text = strings.ToLower(strings.TrimSpace(s))
	}
	switch text {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return typeError(raw, "a boolean (true, false, 0 or 1)", b)
	}
	return nil
}

func (b flexBool) MarshalJSON() ([]byte, error) { return strconv.AppendBool(nil, bool(b)), nil }

// unixTime is a time ChargeDesk sends as unix seconds (a number or numeric
// string). 0, "" and null mean unset and decode to the zero time.Time. An
// RFC 3339 string within the same range is accepted too, and made UTC.
type unixTime time.Time

// maxUnix is the last second of year 9999.
const maxUnix = 253402300799

func (t *unixTime) UnmarshalJSON(raw []byte) error {
	text := string(raw)
	switch raw[0] {
	case 'n':
		*t = unixTime{}
		return nil
	case '"':
		s, ok := unquote(raw)
		if !ok {
			return typeError(raw, "a unix timestamp", t)
		}
		text = strings.TrimSpace(s)
		if text == "" {
			*t = unixTime{}
			return nil
		}
		if strings.ContainsAny(text, "T:") {
			v, err := time.Parse(time.RFC3339Nano, text)
			// The range is the unix one, so that the time encodes as a
			// timestamp this decoder accepts back.
			if err != nil || v.Unix() < -maxUnix || v.Unix() > maxUnix {
				return typeError(raw, "a unix timestamp or RFC 3339 time", t)
			}
			*t = unixTime(v.UTC())
			return nil
		}
	case '[', '{', 't', 'f':
		return typeError(raw, "a unix timestamp", t)
	}
	secs, ok := parseWhole(text)
	if !ok || secs < -maxUnix || secs > maxUnix {
		return typeError(raw, "a unix timestamp", t)
	}
	if secs == 0 {
		*t = unixTime{}
		return nil
	}
	*t = unixTime(time.Unix(int64(secs), 0).UTC())
	return nil
}

func (t unixTime) MarshalJSON() ([]byte, error) {
	v := time.Time(t)
	if v.IsZero() {
		return []byte("0"), nil
	}
	return strconv.AppendInt(nil, v.Unix(), 10), nil
}

// flexStrings is a list of text values. null decodes to nil; PHP's {} for an
// empty list and an object with keys "0", "1", ... (a PHP array whose keys
// are not in order) decode to the values in the order sent.
type flexStrings []string

func (l *flexStrings) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case 'n':
		*l = nil
		return nil
	case '[':
		var items []flexString
		if err := json.Unmarshal(raw, &items); err != nil {
			return typeError(raw, "a list of text", l)
		}
		out := make([]string, len(items))
		for i, v := range items {
			out[i] = string(v)
		}
		*l = out
		return nil
	case '{':
		values, err := objectValues(raw)
		if err != nil {
			return typeError(raw, "a list of text", l)
		}
		out := make([]string, 0, len(values))
		for _, v := range values {
			var s flexString
			if err := s.UnmarshalJSON(v); err != nil {
				return typeError(raw, "a list of text", l)
			}
			out = append(out, string(s))
		}
		*l = out
		return nil
	}
	return typeError(raw, "a list", l)
}

// objectValues returns the raw values of a JSON object in document order.
func objectValues(raw []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var values []json.RawMessage
	for dec.More() {
		if _, err := dec.Token(); err != nil { // key
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	return values, nil
}

// flexMap is a string map such as metadata. [] (PHP's empty array) and null
// decode to an empty or nil map; numbers and booleans keep their JSON text;
// a nested object or array keeps its raw JSON text, so nothing sent is lost.
// A list decodes with keys "0", "1", ...
type flexMap map[string]string

func (m *flexMap) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case 'n':
		*m = nil
		return nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return typeError(raw, "an object of strings", m)
		}
		out := make(map[string]string, len(items))
		for i, v := range items {
			out[strconv.Itoa(i)] = rawText(v)
		}
		*m = out
		return nil
	case '{':
		var items map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return typeError(raw, "an object of strings", m)
		}
		out := make(map[string]string, len(items))
		for k, v := range items {
			out[k] = rawText(v)
		}
		*m = out
		return nil
	}
	return typeError(raw, "an object of strings", m)
}

// rawText is the text of a JSON string, or the raw JSON of anything else
// (null becomes "").
func rawText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		if s, ok := unquote(v); ok {
			return s
		}
	}
	return string(v)
}

// flexPlans is the plans list of an edit plans webhook; like any PHP array
// it may arrive as an object keyed "0", "1", ..., and [] or {} when empty.
type flexPlans []Plan

func (p *flexPlans) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case 'n':
		*p = nil
		return nil
	case '[', '{':
		var values []json.RawMessage
		var err error
		if raw[0] == '[' {
			err = json.Unmarshal(raw, &values)
		} else {
			values, err = objectValues(raw)
		}
		if err != nil {
			return typeError(raw, "a list of plans", p)
		}
		plans := make([]Plan, len(values))
		for i, v := range values {
			if err := plans[i].UnmarshalJSON(v); err != nil {
				return indexError(err, i)
			}
		}
		*p = plans
		return nil
	}
	return typeError(raw, "a list of plans", p)
}

// indexError puts a list index into the field path of a decoding error, so
// it reads plans[1].quantity rather than plans.quantity.
func indexError(err error, i int) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	field := fmt.Sprintf("[%d]", i)
	if te.Field != "" {
		field += "." + te.Field
	}
	return &json.UnmarshalTypeError{Value: te.Value, Type: te.Type, Offset: te.Offset, Field: field}
}

// decodeObject decodes a JSON object into the overlay w, whose fields point
// into the public struct being decoded. [] and {} (PHP's empty array) decode
// as an empty object, and null (a plan entry of null, or json.Unmarshal of
// null into a Charge value) leaves the struct as the caller reset it.
func decodeObject(raw []byte, w any, what string) error {
	switch raw[0] {
	case '{':
		return json.Unmarshal(raw, w)
	case 'n':
		return nil
	case '[':
		if isEmptyPHPArray(raw) {
			return nil
		}
	}
	return typeError(raw, what, w)
}
