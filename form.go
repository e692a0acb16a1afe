package chargedesk

import (
	"bytes"
	"fmt"
	"mime"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

// decodeBody decodes a webhook body. ChargeDesk sends JSON; a form body
// (PHP's bracket notation, charge[amount]=34.00) decodes to the same
// request, under the same rules. A body that is a JSON object is JSON
// whatever its Content-Type says (a PHP curl call that forgets the header
// sends application/x-www-form-urlencoded); only a body that is not one is
// read as a form, and only when the Content-Type says form. It also returns the body as the JSON object it decoded (the
// form converted), in which placeholders are looked up.
func decodeBody(contentType string, body []byte) (*envelope, []byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && mt == "application/x-www-form-urlencoded" && !looksLikeJSONObject(body) {
		js, err := formToJSON(body)
		if err != nil {
			return nil, nil, err
		}
		body = js
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		return nil, nil, err
	}
	return env, body, nil
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
	js, err := phpquery.DecodeForm(body, maxDepth)
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
