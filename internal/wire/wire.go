// Package wire holds the tolerant decoding of ChargeDesk's JSON, shared by
// the webhook receiver and the REST API client. ChargeDesk is a PHP
// application: a number may arrive as a string and a string as a number, a
// boolean as 0/1 or "0"/"1", an empty object as [], and any field as null.
// The types here accept all of these and refuse anything else with a
// *json.UnmarshalTypeError that encoding/json completes with the field's
// path.
package wire

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
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/govalues/decimal"
)

// MaxAmountLen bounds the text of one decimal; longer text is refused before
// it is parsed.
const MaxAmountLen = 64

// DecimalError is why a text is not an exact decimal amount. Its Error
// quotes the text (for a caller parsing its own data); Reason alone never
// does, for messages about data someone else sent.
type DecimalError struct {
	Text   string
	Reason string // "is not a decimal amount", ...
}

func (e *DecimalError) Error() string {
	if len(e.Text) > 24 {
		return fmt.Sprintf("%q... %s", e.Text[:20], e.Reason)
	}
	return fmt.Sprintf("%q %s", e.Text, e.Reason)
}

// ParseDecimal parses s ("12.34", "-5", "1.5e2") exactly. It refuses, rather
// than rounds, a value with more digits than the decimal type holds (19),
// and refuses NaN, Infinity, hexadecimal and anything with spaces, with a
// *DecimalError.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > MaxAmountLen {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is too long for an amount"}
	}
	if !IsDecimalLiteral(s) {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is not a decimal amount"}
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is out of range for an amount"}
	}
	if SignificantDigits(s) > decimal.MaxPrec || ImpliedScale(s) > decimal.MaxScale {
		// govalues would round this; money is never rounded silently.
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "has more digits than an amount can hold exactly"}
	}
	return d, nil
}

// Truncate returns b cut to at most n bytes on a rune boundary, with "..."
// when it was cut.
func Truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// TypeError reports that raw is not what was wanted; encoding/json adds the
// field path.
func TypeError(raw []byte, what string, target any) error {
	return TypeErrorMsg(raw, "is not "+what, target) // never the value: it may be customer data
}

func TypeErrorMsg(_ []byte, msg string, target any) error {
	return &json.UnmarshalTypeError{Value: msg, Type: reflect.TypeOf(target)}
}

// IsEmptyPHPArray reports whether raw is [] or {}: PHP encodes an empty
// array either way, whatever the field holds when it is not empty.
func IsEmptyPHPArray(raw []byte) bool {
	if len(raw) < 2 || (raw[0] != '[' && raw[0] != '{') {
		return false
	}
	inner := bytes.TrimSpace(raw[1 : len(raw)-1])
	return len(inner) == 0
}

// Unquote returns the text of a JSON string literal, as encoding/json reads
// it. The escapes PHP writes (\/ in every URL, \uXXXX for non-ASCII text)
// are decoded into one allocation; anything unusual (a lone surrogate,
// invalid UTF-8, a control character) is left to encoding/json.
func Unquote(raw []byte) (string, bool) {
	inner := raw[1 : len(raw)-1]
	if !utf8.Valid(inner) {
		return unquoteSlow(raw) // encoding/json writes U+FFFD for each bad byte
	}
	first := bytes.IndexByte(inner, '\\')
	if first < 0 {
		return string(inner), true
	}
	var b strings.Builder
	b.Grow(len(inner))
	b.Write(inner[:first])
	for i := first; i < len(inner); {
		c := inner[i]
		if c < 0x20 {
			return unquoteSlow(raw)
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(inner) {
			return unquoteSlow(raw)
		}
		switch e := inner[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(inner[i+2:])
			if !ok || utf16.IsSurrogate(r) {
				return unquoteSlow(raw)
			}
			b.WriteRune(r)
			i += 6
			continue
		default:
			return unquoteSlow(raw)
		}
		i += 2
	}
	return b.String(), true
}

func unquoteSlow(raw []byte) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// String is text that may arrive as a string, number, boolean or null.
type String string

func (s *String) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case '"':
		v, ok := Unquote(raw)
		if !ok {
			return TypeError(raw, "text", s)
		}
		*s = String(v)
	case 'n':
		*s = ""
	case '[', '{':
		if !IsEmptyPHPArray(raw) {
			return TypeError(raw, "text", s)
		}
		*s = ""
	default: // number, true, false: keep the text as sent
		*s = String(raw)
	}
	return nil
}

func (s String) MarshalJSON() ([]byte, error) { return json.Marshal(string(s)) }

// Int is a whole number that may arrive as a number, a numeric string,
// a boolean or null.
type Int int

func (n *Int) UnmarshalJSON(raw []byte) error {
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
		s, ok := Unquote(raw)
		if !ok {
			return TypeError(raw, "a whole number", n)
		}
		text = strings.TrimSpace(s)
		if text == "" {
			*n = 0
			return nil
		}
	case '[', '{':
		return TypeError(raw, "a whole number", n)
	}
	v, ok := ParseWhole(text)
	if !ok {
		return TypeError(raw, "a whole number", n)
	}
	*n = Int(v)
	return nil
}

func (n Int) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(n), 10), nil }

// ParseWhole parses an integer that may be written with a zero fraction
// ("2", "2.0", "2e0"), as PHP sometimes writes whole numbers.
func ParseWhole(s string) (int, bool) {
	if v, err := strconv.ParseInt(s, 10, 0); err == nil {
		return int(v), true
	}
	d, err := ParseDecimal(s)
	if err != nil || !d.IsInt() {
		return 0, false
	}
	whole, _, ok := d.Int64(0)
	if !ok || whole > math.MaxInt || whole < math.MinInt {
		return 0, false
	}
	return int(whole), true
}

// Bool is a boolean that may arrive as true/false, 0/1, "0"/"1",
// "true"/"false", "" or null.
type Bool bool

func (b *Bool) UnmarshalJSON(raw []byte) error {
	text := string(raw)
	if raw[0] == '"' {
		s, ok := Unquote(raw)
		if !ok {
			return TypeError(raw, "a boolean", b)
		}
		text = strings.ToLower(strings.TrimSpace(s))
	}
	switch text {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return TypeError(raw, "a boolean (true, false, 0 or 1)", b)
	}
	return nil
}

func (b Bool) MarshalJSON() ([]byte, error) { return strconv.AppendBool(nil, bool(b)), nil }

// UnixTime is a time ChargeDesk sends as unix seconds (a number or numeric
// string). 0, "" and null mean unset and decode to the zero time.Time. An
// RFC 3339 string within the same range is accepted too, and made UTC.
type UnixTime time.Time

// MaxUnix is the last second of year 9999.
const MaxUnix = 253402300799

func (t *UnixTime) UnmarshalJSON(raw []byte) error {
	text := string(raw)
	switch raw[0] {
	case 'n':
		*t = UnixTime{}
		return nil
	case '"':
		s, ok := Unquote(raw)
		if !ok {
			return TypeError(raw, "a unix timestamp", t)
		}
		text = strings.TrimSpace(s)
		if text == "" {
			*t = UnixTime{}
			return nil
		}
		if strings.ContainsAny(text, "T:") {
			v, err := time.Parse(time.RFC3339Nano, text)
			// The range is the unix one, so that the time encodes as a
			// timestamp this decoder accepts back.
			if err != nil || v.Unix() < -MaxUnix || v.Unix() > MaxUnix {
				return TypeError(raw, "a unix timestamp or RFC 3339 time", t)
			}
			*t = UnixTime(v.UTC())
			return nil
		}
	case '[', '{', 't', 'f':
		return TypeError(raw, "a unix timestamp", t)
	}
	secs, ok := ParseWhole(text)
	if !ok || secs < -MaxUnix || secs > MaxUnix {
		return TypeError(raw, "a unix timestamp", t)
	}
	if secs == 0 {
		*t = UnixTime{}
		return nil
	}
	*t = UnixTime(time.Unix(int64(secs), 0).UTC())
	return nil
}

func (t UnixTime) MarshalJSON() ([]byte, error) {
	v := time.Time(t)
	if v.IsZero() {
		return []byte("0"), nil
	}
	return strconv.AppendInt(nil, v.Unix(), 10), nil
}

// Strings is a list of text values. null decodes to nil; PHP's {} for an
// empty list and an object with keys "0", "1", ... (a PHP array whose keys
// are not in order) decode to the values in the order sent.
type Strings []string

func (l *Strings) UnmarshalJSON(raw []byte) error {
	if raw[0] == '[' || raw[0] == '{' {
		// The common case in one pass over raw; anything unusual goes the
		// slow way, which words the error.
		out := []string{}
		if eachMember(raw, func(_, v []byte) bool {
			var s String
			if s.UnmarshalJSON(v) != nil {
				return false
			}
			out = append(out, string(s))
			return true
		}) {
			*l = out
			return nil
		}
	}
	return l.unmarshalSlow(raw)
}

func (l *Strings) unmarshalSlow(raw []byte) error {
	switch raw[0] {
	case 'n':
		*l = nil
		return nil
	case '[':
		var items []String
		if err := json.Unmarshal(raw, &items); err != nil {
			return TypeError(raw, "a list of text", l)
		}
		out := make([]string, len(items))
		for i, v := range items {
			out[i] = string(v)
		}
		*l = out
		return nil
	case '{':
		values, err := ObjectValues(raw)
		if err != nil {
			return TypeError(raw, "a list of text", l)
		}
		out := make([]string, 0, len(values))
		for _, v := range values {
			var s String
			if err := s.UnmarshalJSON(v); err != nil {
				return TypeError(raw, "a list of text", l)
			}
			out = append(out, string(s))
		}
		*l = out
		return nil
	}
	return TypeError(raw, "a list", l)
}

// Values returns the raw values of the JSON array or object raw, in order,
// read in one pass without copying; ok is false when raw is not an array or
// object it could read whole, for the caller to fall back on encoding/json.
func Values(raw []byte) (values [][]byte, ok bool) {
	if len(raw) == 0 || raw[0] != '[' && raw[0] != '{' {
		return nil, false
	}
	ok = eachMember(raw, func(_, v []byte) bool {
		values = append(values, v)
		return true
	})
	return values, ok
}

// ObjectValues returns the raw values of a JSON object in document order.
func ObjectValues(raw []byte) ([]json.RawMessage, error) {
	if len(raw) > 0 && raw[0] == '{' {
		if values, ok := Values(raw); ok {
			out := make([]json.RawMessage, len(values))
			for i, v := range values {
				out[i] = v
			}
			return out, nil
		}
	}
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

// Map is a string map such as metadata. [] (PHP's empty array) and null
// decode to an empty or nil map; numbers and booleans keep their JSON text;
// a nested object or array keeps its raw JSON text, so nothing sent is lost.
// A list decodes with keys "0", "1", ...
type Map map[string]string

func (m *Map) UnmarshalJSON(raw []byte) error {
	if raw[0] == '[' || raw[0] == '{' {
		out := map[string]string{}
		i := 0
		if eachMember(raw, func(k, v []byte) bool {
			key := string(k)
			if raw[0] == '[' {
				key = strconv.Itoa(i)
			}
			out[key] = RawText(v)
			i++
			return true
		}) {
			*m = out
			return nil
		}
	}
	return m.unmarshalSlow(raw)
}

func (m *Map) unmarshalSlow(raw []byte) error {
	switch raw[0] {
	case 'n':
		*m = nil
		return nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return TypeError(raw, "an object of strings", m)
		}
		out := make(map[string]string, len(items))
		for i, v := range items {
			out[strconv.Itoa(i)] = RawText(v)
		}
		*m = out
		return nil
	case '{':
		var items map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return TypeError(raw, "an object of strings", m)
		}
		out := make(map[string]string, len(items))
		for k, v := range items {
			out[k] = RawText(v)
		}
		*m = out
		return nil
	}
	return TypeError(raw, "an object of strings", m)
}

// RawText is the text of a JSON string, or the raw JSON of anything else
// (null becomes "").
func RawText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		if s, ok := Unquote(v); ok {
			return s
		}
	}
	return string(v)
}

// IsDecimalLiteral reports whether s is [sign] digits [. digits] [e [sign] digits]
// with at least one digit in the significand.
func IsDecimalLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// splitLiteral returns the digits of a decimal literal without sign, point,
// exponent, leading zeros or trailing fraction zeros, and the exponent.
func splitLiteral(s string) (intPart, fracPart string, exp int) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if i := indexAny(s, 'e', 'E'); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	intPart, fracPart = s, ""
	if i := indexAny(s, '.', '.'); i >= 0 {
		intPart, fracPart = s[:i], s[i+1:]
	}
	for intPart != "" && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for fracPart != "" && fracPart[len(fracPart)-1] == '0' {
		fracPart = fracPart[:len(fracPart)-1]
	}
	return intPart, fracPart, exp
}

// SignificantDigits counts the digits that carry value in a decimal literal.
func SignificantDigits(s string) int {
	i, f, _ := splitLiteral(s)
	digits := i + f
	for digits != "" && digits[0] == '0' {
		digits = digits[1:]
	}
	return len(digits)
}

// ImpliedScale is the number of fraction digits the literal's value needs.
func ImpliedScale(s string) int {
	_, f, exp := splitLiteral(s)
	return len(f) - exp
}

func indexAny(s string, a, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == a || s[i] == b {
			return i
		}
	}
	return -1
}

// MaxIDLen is the longest object id accepted, in bytes.
const MaxIDLen = 255

// ID is an object id (charge_id, customer_id, ...): text, or a JSON number
// that is an integer, read as its decimal text. Ids decide which object
// money moves on and which lock guards it, so a spelling a platform could
// read as another id is refused: leading or trailing space, a leading +,
// digits other than ASCII 0-9 (fullwidth, Arabic-Indic, ...), control,
// zero-width, byte-order-mark and bidi characters, invalid UTF-8 (and its
// replacement character), more than MaxIDLen bytes, a number with a
// fraction or exponent, a boolean, an object or a list. null is "" (no id).
// Ids are compared exactly, byte for byte: "012" and "12" are two ids.
type ID string

// UnmarshalJSON implements json.Unmarshaler with the rules on ID.
func (s *ID) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case '"':
		v, ok := Unquote(raw)
		if !ok {
			return TypeErrorMsg(raw, "is not an id", s)
		}
		if err := CheckID(v); err != nil {
			return TypeErrorMsg(raw, err.Error(), s)
		}
		*s = ID(v)
	case 'n':
		*s = ""
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		for i, c := range raw {
			if (c < '0' || c > '9') && !(i == 0 && c == '-') {
				return TypeErrorMsg(raw, "is a number that is not a whole number", s)
			}
		}
		if len(raw) > MaxIDLen {
			return TypeErrorMsg(raw, "is too long for an id", s)
		}
		*s = ID(raw)
	default:
		return TypeErrorMsg(raw, "is not an id", s)
	}
	return nil
}

// MarshalJSON writes the id as a JSON string.
func (s ID) MarshalJSON() ([]byte, error) { return json.Marshal(string(s)) }

// CheckID reports what makes s unusable as an id ("" is no id, and fine).
// The message never quotes s.
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
		if unsafeInID(r) {
			return fmt.Errorf("holds the invisible or control character U+%04X", r)
		}
		if r > unicode.MaxASCII && unicode.IsDigit(r) {
			return fmt.Errorf("holds the digit U+%04X, which is not one of 0-9", r)
		}
	}
	return nil
}

// unsafeInID reports control, format (zero-width, bidi, BOM) and
// replacement characters.
func unsafeInID(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError ||
		r == '\u2028' || r == '\u2029'
}

// KeyName returns a key for an error message: quoted when it looks like a
// field name (at most 60 letters, digits and _ . - [ ]), else a neutral
// phrase, since a key can carry data (an email used as a metadata key).
func KeyName(key string) string {
	if key == "" || len(key) > 60 {
		return "(a key not shown)"
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-[]", c) >= 0) {
			return "(a key not shown)"
		}
	}
	return strconv.Quote(key)
}

// DecodeObject decodes a JSON object into the overlay w, whose fields point
// into the public struct being decoded. [] and {} (PHP's empty array) decode
// as an empty object, and null (a plan entry of null, or json.Unmarshal of
// null into a Charge value) leaves the struct as the caller reset it.
func DecodeObject(raw []byte, w any, what string) error {
	switch raw[0] {
	case '{':
		return json.Unmarshal(raw, w)
	case 'n':
		return nil
	case '[':
		if IsEmptyPHPArray(raw) {
			return nil
		}
	}
	return TypeError(raw, what, w)
}
