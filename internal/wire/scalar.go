package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// The readers of one JSON value as a field's Go value. raw is a whole JSON
// value, as the decoder read and checked it; a reader returns a
// *valueError for what it refuses.

// unquote returns the text of the JSON string raw, which the decoder has
// read whole. A lone surrogate (\ud800) becomes U+FFFD, as encoding/json
// reads it, for the field's rules to refuse where they must (an id).
func unquote(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil && b == nil {
		return "", err
	}
	return string(b), nil
}

// isEmptyPHPArray reports whether raw is [] or {}: PHP encodes an empty
// array either way, whatever the field holds when it is not empty.
func isEmptyPHPArray(raw []byte) bool {
	if len(raw) < 2 || (raw[0] != '[' && raw[0] != '{') {
		return false
	}
	return len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0
}

// readString reads text: a string, a number or boolean as its JSON text,
// null or PHP's empty array as "".
func readString(raw []byte) (string, error) {
	switch raw[0] {
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return "", wrongKind(raw, "text")
		}
		return s, nil
	case 'n':
		return "", nil
	case '[', '{':
		if !isEmptyPHPArray(raw) {
			return "", wrongKind(raw, "text")
		}
		return "", nil
	}
	return string(raw), nil // number, true, false: the text as sent
}

// RawText is the text of a JSON string, or the raw JSON of anything else
// (null becomes ""): how a map of strings (metadata) keeps every value.
func RawText(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		if s, err := unquote(raw); err == nil {
			return s
		}
	}
	return string(raw)
}

// MaxIDLen is the longest object id accepted, in bytes.
const MaxIDLen = 255

// readID reads an object id (a field tagged wire:"id"): text, or a JSON
// number that is an integer, read as its decimal text. Ids decide which
// object money moves on and which lock guards it, so a spelling a platform
// could read as another id is refused (see CheckID), as are a number with
// a fraction or exponent, a boolean, an object or a list. null is "".
// Ids are compared exactly, byte for byte: "012" and "12" are two ids.
func readID(raw []byte) (string, error) {
	const want = "an id: text without surrounding spaces or invisible characters, or a whole number"
	switch raw[0] {
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return "", wrongKind(raw, want)
		}
		if err := CheckID(s); err != nil {
			return "", wrongValue(want, err.Error())
		}
		return s, nil
	case 'n':
		return "", nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		for i, c := range raw {
			if (c < '0' || c > '9') && !(i == 0 && c == '-') {
				return "", wrongValue(want, "is a number that is not a whole number")
			}
		}
		if len(raw) > MaxIDLen {
			return "", wrongValue(want, "is too long for an id")
		}
		return string(raw), nil
	}
	return "", wrongKind(raw, want)
}

// CheckID reports what makes s unusable as an id ("" is no id, and fine):
// more than MaxIDLen bytes, invalid UTF-8, a leading or trailing space, a
// leading +, a digit other than ASCII 0-9, or a control, zero-width,
// byte-order-mark or bidi character. The message never quotes s.
func CheckID(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxIDLen {
		return fmt.Errorf("is longer than %d bytes", MaxIDLen)
	}
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return errors.New("starts or ends with a space")
	}
	if first == '+' {
		return errors.New("starts with +")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("holds the invisible or control character U+%04X", r)
		}
		if r > unicode.MaxASCII && unicode.IsDigit(r) {
			return fmt.Errorf("holds the digit U+%04X, which is not one of 0-9", r)
		}
	}
	return nil
}

// readInt reads a whole number: a number, a numeric string ("3", "3.0"),
// a boolean (1 or 0), null or "" (0).
func readInt(raw []byte) (int64, error) {
	const want = "a whole number"
	text := string(raw)
	switch raw[0] {
	case 'n', 'f':
		return 0, nil
	case 't':
		return 1, nil
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return 0, wrongKind(raw, want)
		}
		if text = strings.TrimSpace(s); text == "" {
			return 0, nil
		}
	case '[', '{':
		return 0, wrongKind(raw, want)
	}
	v, ok := ParseWhole(text)
	if !ok {
		return 0, wrongValue(want, "is not "+want)
	}
	return int64(v), nil
}

// readBool reads a boolean: true/false, 0/1, "0"/"1", "true"/"false", ""
// or null.
func readBool(raw []byte) (bool, error) {
	const want = "a boolean"
	text := string(raw)
	switch raw[0] {
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return false, wrongKind(raw, want)
		}
		text = strings.ToLower(strings.TrimSpace(s))
	case '[', '{':
		return false, wrongKind(raw, want)
	}
	switch text {
	case "true", "1":
		return true, nil
	case "false", "0", "", "null":
		return false, nil
	}
	return false, wrongValue(want, "is not a boolean (true, false, 0 or 1)")
}

// MaxUnix is the last second of year 9999.
const MaxUnix = 253402300799

// readTime reads a time: unix seconds (a number or a numeric string), or
// an RFC 3339 string, made UTC. 0, "" and null are the zero time.
func readTime(raw []byte) (time.Time, error) {
	const want = "a unix timestamp"
	text := string(raw)
	switch raw[0] {
	case 'n':
		return time.Time{}, nil
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return time.Time{}, wrongKind(raw, want)
		}
		if text = strings.TrimSpace(s); text == "" {
			return time.Time{}, nil
		}
		if strings.ContainsAny(text, "T:") {
			v, err := time.Parse(time.RFC3339Nano, text)
			// The range is the unix one, so that the time encodes as a
			// timestamp this decoder accepts back.
			if err != nil || v.Unix() < -MaxUnix || v.Unix() > MaxUnix {
				return time.Time{}, wrongValue(want, "is not a unix timestamp or RFC 3339 time")
			}
			return v.UTC(), nil
		}
	case '[', '{', 't', 'f':
		return time.Time{}, wrongKind(raw, want)
	}
	secs, ok := ParseWhole(text)
	if !ok || secs < -MaxUnix || secs > MaxUnix {
		return time.Time{}, wrongValue(want, "is not a unix timestamp")
	}
	if secs == 0 {
		return time.Time{}, nil
	}
	return time.Unix(int64(secs), 0).UTC(), nil
}

// setValue sets the scalar field fv from raw. null leaves the zero value.
func setValue(fv reflect.Value, f *fieldPlan, raw []byte) error {
	if raw[0] == 'n' {
		return nil
	}
	switch f.kind {
	case kindUnmarshaler:
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				fv.Set(reflect.New(fv.Type().Elem()))
			}
			return fv.Interface().(json.Unmarshaler).UnmarshalJSON(raw)
		}
		return fv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw)
	case kindString:
		s, err := readString(raw)
		if err == nil {
			fv.SetString(s)
		}
		return err
	case kindID:
		s, err := readID(raw)
		if err == nil {
			fv.SetString(s)
		}
		return err
	case kindInt:
		n, err := readInt(raw)
		if err == nil {
			if fv.OverflowInt(n) {
				return wrongValue("a whole number", "is not a whole number in range")
			}
			fv.SetInt(n)
		}
		return err
	case kindBool:
		b, err := readBool(raw)
		if err == nil {
			fv.SetBool(b)
		}
		return err
	case kindTime:
		t, err := readTime(raw)
		if err == nil {
			fv.Set(reflect.ValueOf(t))
		}
		return err
	case kindPointer:
		target := reflect.New(fv.Type().Elem())
		if err := setValue(target.Elem(), f.item, raw); err != nil {
			return err
		}
		fv.Set(target)
		return nil
	case kindRecord, kindRecordPtr:
		if f.kind == kindRecordPtr {
			fv.Set(reflect.New(fv.Type().Elem()))
			fv = fv.Elem()
		}
		if isEmptyPHPArray(raw) { // PHP's empty array: an empty record
			return nil
		}
		// A record that reads other forms of itself (an address sent as
		// one text) is handed the value; any other is refused.
		if u, ok := fv.Addr().Interface().(json.Unmarshaler); ok {
			return u.UnmarshalJSON(raw)
		}
		return wrongKind(raw, "an object")
	case kindRecordList, kindStrings, kindList:
		return wrongKind(raw, "a list")
	case kindMap:
		return wrongKind(raw, "an object of strings")
	}
	return fmt.Errorf("wire: unsupported field kind %d", f.kind)
}
