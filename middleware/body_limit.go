package middleware

import (
	"fmt"
	"net/http"

	"github.com/chargedesk/chargedesk-go/internal/jsonerr"
)

// DefaultBodyLimit is the body size, in bytes, BodyLimit uses when given a
// limit of zero or less: 1 MiB, far above any ChargeDesk webhook.
const DefaultBodyLimit int64 = 1 << 20

// BodyLimit returns middleware that caps the request body at n bytes; n <= 0
// means DefaultBodyLimit.
//
// A request whose Content-Length is over n is answered 413 {"error": ...}
// without calling next. Otherwise the body is wrapped in http.MaxBytesReader,
// so a body that turns out longer than n (chunked, or with a lying
// Content-Length) makes the handler's read fail with an error that errors.As
// finds as *http.MaxBytesError; the handler answers that one itself. A body of
// exactly n bytes is read in full.
func BodyLimit(n int64) func(http.Handler) http.Handler {
	if n <= 0 {
		n = DefaultBodyLimit
	}
	tooLarge := fmt.Sprintf("The webhook body is larger than the %d bytes this integration accepts.", n)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				jsonerr.Write(w, http.StatusRequestEntityTooLarge, tooLarge)
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
