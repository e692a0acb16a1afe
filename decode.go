package chargedesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"reflect"
	"strings"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// This file holds the tolerant decoding that every payload goes through.
// ChargeDesk is a PHP application: a number may arrive as a string and a
// string as a number, a boolean as 0/1 or "0"/"1", an empty object as [],
// and any field as null. The flex types below accept all of these and refuse
// anything else with a *json.UnmarshalTypeError that encoding/json completes
// with the field's path; decodeError turns that into a message for the agent.

// decodeBody decodes a webhook body. ChargeDesk sends JSON; a form body
// (PHP's bracket notation, charge[amount]=34.00) decodes to the same
// request, under the same rules. A body that is a JSON object is JSON
// whatever its Content-Type says (a PHP curl call that forgets the header
// sends application/x-www-form-urlencoded); only a body that is not one is
// read as a form, and only when the Content-Type says form. With fields
// set, it also returns the payload's fields, in which placeholders are
// looked up, collected in the same pass.
func decodeBody(contentType string, body []byte, fields bool) (*envelope, payloadFields, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && mt == "application/x-www-form-urlencoded" && !looksLikeJSONObject(body) {
		js, err := formToJSON(body)
		if err != nil {
			return nil, payloadFields{}, err
		}
		body = js
	}
	var pf payloadFields
	var collect func(record, key string, raw []byte)
	if fields {
		pf.top, pf.charge, pf.sub = map[string]json.RawMessage{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}
		collect = func(record, key string, raw []byte) {
			switch record {
			case "":
				pf.top[key] = raw
			case "charge":
				pf.charge[key] = raw
			case "subscription":
				pf.sub[key] = raw
			}
		}
	}
	env, err := decodeEnvelopeCollect(body, collect)
	if err != nil {
		return nil, payloadFields{}, err
	}
	return env, pf, nil
}

func decodeEnvelopeCollect(body []byte, collect func(record, key string, raw []byte)) (*envelope, error) {
	env := new(envelope)
	err := wire.CheckDecode(body, webhookSchema, env, collect)
	switch {
	case err == nil:
		return env, nil
	case errors.Is(err, errBadJSON), errors.Is(err, errEmptyBody), errors.Is(err, errNotObject):
		return nil, err
	}
	return nil, decodeError(err)
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
		return fmt.Errorf("%w: %s %s", errBadJSON, field, te.Value)
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
	case reflect.TypeFor[flexID](), reflect.TypeFor[*flexID]():
		return "an id: text without surrounding spaces or invisible characters, or a whole number"
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

// The tolerant types live in internal/wire, shared with the REST client;
// these names keep the receiver's code as it reads.
type (
	flexString  = wire.String
	flexID      = wire.ID
	flexInt     = wire.Int
	flexBool    = wire.Bool
	unixTime    = wire.UnixTime
	flexStrings = wire.Strings
	flexMap     = wire.Map
)

func typeError(raw []byte, what string, target any) error { return wire.TypeError(raw, what, target) }

func typeErrorMsg(raw []byte, msg string, target any) error {
	return wire.TypeErrorMsg(raw, msg, target)
}

func unquote(raw []byte) (string, bool) { return wire.Unquote(raw) }

func objectValues(raw []byte) ([]json.RawMessage, error) { return wire.ObjectValues(raw) }

func truncate(b []byte, n int) string { return wire.Truncate(b, n) }

// flexPlans is the plans list of an edit plans webhook; like any PHP array
// it may arrive as an object keyed "0", "1", ..., and [] or {} when empty.
type flexPlans []Plan

func (p *flexPlans) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case 'n':
		*p = nil
		return nil
	case '[', '{':
		values, err := listValues(raw)
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

// listValues returns the values of a list, or of PHP's object keyed "0",
// "1", ...: read in one pass, else by encoding/json.
func listValues(raw []byte) ([][]byte, error) {
	if values, ok := wire.Values(raw); ok {
		return values, nil
	}
	var list []json.RawMessage
	var err error
	if raw[0] == '[' {
		err = json.Unmarshal(raw, &list)
	} else {
		list, err = objectValues(raw)
	}
	values := make([][]byte, len(list))
	for i, v := range list {
		values[i] = v
	}
	return values, err
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

// decodeObject decodes a JSON object into the overlay w; see
// wire.DecodeObject.
func decodeObject(raw []byte, w any, what string) error { return wire.DecodeObject(raw, w, what) }

// refundAmount is an envelope's refund_amount, remembering whether it was
// read as a PHP float, for the log: known while decoding, so the body is
// not scanned again.
type refundAmount struct {
	Amount
	phpFloat bool
}

func (a *refundAmount) UnmarshalJSON(raw []byte) error {
	a.phpFloat = IsPHPFloat(raw)
	return a.Amount.UnmarshalJSON(raw)
}
