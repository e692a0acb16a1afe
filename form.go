package chargedesk

import (
	"bytes"
	"fmt"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

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
