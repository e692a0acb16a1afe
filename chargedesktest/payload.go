package chargedesktest

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// payloads holds the example payloads of ChargeDesk's Custom Integration
// page, byte for byte, one file per action: the one copy, which the root
// package's tests read too.
//
//go:embed payloads/*.json
var payloads embed.FS

// Payload returns the example payload ChargeDesk's documentation gives for
// action, byte for byte (a new copy on every call). It fails only for an
// action that is not one of [chargedesk.Actions].
func Payload(action chargedesk.Action) ([]byte, error) {
	if !action.Valid() {
		return nil, fmt.Errorf("chargedesktest: %q is not a ChargeDesk action; the actions are %v", action, chargedesk.Actions())
	}
	return payloads.ReadFile("payloads/" + string(action) + ".json")
}

// Override changes one field of a payload; build it with [Set],
// [SetString], [Unset] or [ParseOverride]. The zero Override is invalid.
type Override struct {
	path  string
	lit   []byte // the value as a JSON literal
	unset bool
}

// String returns the override as ParseOverride reads it, the value as JSON.
func (o Override) String() string {
	if o.unset {
		return "-" + o.path
	}
	return o.path + "=" + string(o.lit)
}

// Set sets the field at path (charge.amount, plans.0.quantity) to value.
// A value that is a JSON literal is inserted as that literal, exactly as
// written: 5.00 is the number 5.00 (never a float64), true the boolean,
// null null, "5.00" (with its quotes) the string 5.00, and {...} or [...]
// that object or list. Any other value is inserted as a string, so
// Set("charge.status", "authorized") needs no quotes.
//
// The field's parent must exist in the payload, which catches a misspelt
// object name; the field itself is added when missing. In a list, the index
// may be one past the end to append.
func Set(path, value string) Override {
	if value != "" && strings.TrimSpace(value) == value && json.Valid([]byte(value)) {
		return Override{path: path, lit: []byte(value)}
	}
	return SetString(path, value)
}

// SetString sets the field at path to the string value, even one that
// reads as a number ("12345").
func SetString(path, value string) Override {
	var b bytes.Buffer
	writeString(&b, value)
	return Override{path: path, lit: b.Bytes()}
}

// Unset removes the field at path, as ChargeDesk leaves out the charge of a
// cancel without a refund. The field must exist.
func Unset(path string) Override {
	return Override{path: path, unset: true}
}

// ParseOverride reads an override as the command line writes it:
// "path=value" is Set(path, value) and "-path" is Unset(path).
func ParseOverride(s string) (Override, error) {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		if _, err := splitPath(rest); err != nil {
			return Override{}, fmt.Errorf("chargedesktest: override %q: %w", s, err)
		}
		return Unset(rest), nil
	}
	path, value, ok := strings.Cut(s, "=")
	if !ok {
		return Override{}, fmt.Errorf("chargedesktest: override %q is not path=value", s)
	}
	if _, err := splitPath(path); err != nil {
		return Override{}, fmt.Errorf("chargedesktest: override %q: %w", s, err)
	}
	return Set(path, value), nil
}

// Build returns the example payload of action with the overrides applied in
// order. Without overrides it is [Payload]'s bytes unchanged; with some,
// the payload is re-encoded as compact JSON that keeps its key order and
// the exact text of every number.
func Build(action chargedesk.Action, overrides ...Override) ([]byte, error) {
	body, err := Payload(action)
	if err != nil {
		return nil, err
	}
	return Apply(body, overrides...)
}

// Apply returns body, a JSON object, with the overrides applied in order;
// see [Build]. It fails on a body that is not one JSON object and on an
// override whose path does not fit the payload, naming it.
func Apply(body []byte, overrides ...Override) ([]byte, error) {
	if len(overrides) == 0 {
		return bytes.Clone(body), nil
	}
	root, err := decodeTree(body)
	if err != nil {
		return nil, fmt.Errorf("chargedesktest: the payload is not valid JSON: %w", err)
	}
	if _, ok := root.(*object); !ok {
		return nil, errors.New("chargedesktest: the payload is not a JSON object")
	}
	for _, o := range overrides {
		switch {
		case o.path == "":
			return nil, errors.New("chargedesktest: an override has no field path")
		case o.unset:
			err = unsetPath(root, o.path)
		default:
			var v any
			// Decoded afresh each time, so no two payloads share a value.
			if v, err = decodeTree(o.lit); err == nil {
				err = setPath(root, o.path, v)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("chargedesktest: override %w", err)
		}
	}
	var b bytes.Buffer
	if err := encodeTree(&b, root); err != nil {
		return nil, fmt.Errorf("chargedesktest: %w", err)
	}
	return b.Bytes(), nil
}
