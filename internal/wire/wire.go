// Package wire reads ChargeDesk's JSON, for the webhook receiver, the
// event receiver and the REST API client alike: one decoder, driven by the
// json tags of the struct it fills (see Decode).
//
// ChargeDesk is a PHP application, and the decoder is liberal in what it
// accepts: a number may arrive as a string and a string as a number, a
// boolean as 0/1 or "0"/"1", an empty object as [], a list as an object
// keyed "0", "1", ..., a time as unix seconds or RFC 3339, and any field as
// null. It is strict about the rest: the body must be exactly one JSON
// object in valid UTF-8, no object may repeat a key (in any letter case),
// a key of a struct may not be spelled in another case, nesting is bounded
// and so is a number's length; a value of the wrong kind is refused with a
// *FieldError naming the field, never quoting the value.
package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is how deeply a body may nest objects and arrays. ChargeDesk's
// payloads nest three levels; the bound keeps hostile input from costing
// stack or time.
const MaxDepth = 32

// MaxNumberLen bounds a JSON number literal; no field ChargeDesk sends needs
// more, and a longer one can only be an attempt to cost time.
const MaxNumberLen = 64

// The errors of a body that is not a usable JSON object; their messages
// are the agent's.
var (
	ErrEmptyBody = errors.New("the webhook body is empty; ChargeDesk sends a JSON object")
	ErrNotObject = errors.New("the webhook body must be a JSON object")
	ErrBadJSON   = errors.New("the webhook body is not valid")
)

// FieldError is a member whose value does not fit its field. Its message
// names the field and what it must be, never the value, which may be
// customer data.
type FieldError struct {
	// Path is the member's place: "charge.amount", "plans[1].quantity".
	Path string
	// Want is what the field takes: "an amount", "a whole number", ...
	Want string
	// Got is the JSON kind received when it is the wrong kind ("object",
	// "array", "string", "number", "bool"); "" when the kind was right but
	// the value was not.
	Got string
	// Reason says what is wrong: "is not an amount", "is not a decimal
	// amount", "starts or ends with a space".
	Reason string
}

func (e *FieldError) Error() string { return e.Path + " " + e.Reason }

// valueError is a scalar reader's refusal, before the decoder names the
// field.
type valueError struct {
	want, got, reason string
}

func (e *valueError) Error() string { return e.reason }

// wrongKind refuses raw, of another JSON kind than want.
func wrongKind(raw []byte, want string) *valueError {
	return &valueError{want: want, got: kindName(raw), reason: "is not " + want}
}

// wrongValue refuses a value of the right kind for reason.
func wrongValue(want, reason string) *valueError {
	return &valueError{want: want, reason: reason}
}

// kindName is the JSON kind of raw, for a message.
func kindName(raw []byte) string {
	if len(raw) == 0 {
		return "value"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
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

// syntaxError is a body that is not valid JSON, worded for the agent.
func syntaxError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadJSON}, args...)...)
}
