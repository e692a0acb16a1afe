package chargedesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// decodeBody decodes a webhook body into v, its action's request type,
// by the json tags of the request's fields and records (internal/wire holds
// the one decoder, and the rules are in the package doc). ChargeDesk sends
// JSON; a form body (PHP's bracket notation, charge[amount]=34.00) decodes
// to the same request, under the same rules. A body that is a JSON object
// is JSON whatever its Content-Type says (a PHP curl call that forgets the
// header sends application/x-www-form-urlencoded); only a body that is not
// one is read as a form, and only when the Content-Type says form. A
// request sees each top-level member (its member method). With fields set, it also returns the payload's fields, in which placeholders
// are looked up, collected in the same pass.
func decodeBody(contentType string, body []byte, v any, fields bool) (payloadFields, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && mt == "application/x-www-form-urlencoded" && !looksLikeJSONObject(body) {
		js, err := formToJSON(body)
		if err != nil {
			return payloadFields{}, err
		}
		body = js
	}
	var pf payloadFields
	if fields {
		pf.top, pf.charge, pf.sub = map[string]json.RawMessage{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}
	}
	seer, _ := v.(interface{ member(key string, raw []byte) })
	err = wire.DecodeCollect(body, v, func(record, key string, raw []byte) {
		if record == "" && seer != nil {
			seer.member(key, raw)
		}
		if !fields {
			return
		}
		switch record {
		case "":
			pf.top[key] = raw
		case "charge":
			pf.charge[key] = raw
		case "subscription":
			pf.sub[key] = raw
		}
	})
	if err != nil {
		return payloadFields{}, decodeError(err)
	}
	return pf, nil
}

// decodeError words a decoding error for the agent: the body's structure,
// or the field whose value does not fit, never the value.
func decodeError(err error) error {
	var fe *wire.FieldError
	switch {
	case errors.Is(err, errBadJSON), errors.Is(err, errEmptyBody), errors.Is(err, errNotObject):
		return err
	case errors.As(err, &fe):
		return fmt.Errorf("%w: %s", errBadJSON, fe.Error())
	}
	return fmt.Errorf("%w: %s", errBadJSON, err.Error())
}

// formToJSON turns a PHP-style form into the JSON object PHP would build
// from it: a[b]=1 sets key b of object a, a[0][b]=1 builds a list, and a[]=1
// appends to a list of values. A key given twice, or given both as a value
// and as an object, is refused rather than resolved as PHP would (last one
// wins), since which was meant cannot be known.
func formToJSON(body []byte) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errEmptyBody
	}
	js, err := phpquery.DecodeForm(body, wire.MaxDepth)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return js, nil
}

// looksLikeJSONObject reports whether body, past leading white space,
// starts a JSON object. A form's first key cannot start with "{": PHP's
// encoder escapes it as %7B.
func looksLikeJSONObject(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}
