package chargedesk

import (
	"bytes"
	"fmt"
	"mime"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

// decodeBody decodes a webhook body: JSON unless the Content-Type says the
// body is form-encoded. ChargeDesk sends JSON; a form body (PHP's bracket
// notation, charge[amount]=34.00) decodes to the same request, under the
// same rules. It also returns the body as the JSON object it decoded (the
// form converted), in which placeholders are looked up.
func decodeBody(contentType string, body []byte) (*envelope, []byte, error) {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
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
