package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/rs/zerolog"
)

// RequestIDHeader is the header RequestID reads an incoming request id from
// and writes the request id to on the response.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest incoming request id RequestID accepts.
const maxRequestIDLen = 128

// requestIDKey is the context key for the request id.
type requestIDKey struct{}

// RequestID gives every request an id, stores it in the request context (read
// it with GetRequestID) and sets it as the RequestIDHeader response header
// before calling next. When the context holds a zerolog logger (the
// ChargeDesk handler's, for one), the id joins its fields as request_id.
//
// An incoming RequestIDHeader is kept when it is 1 to 128 characters of
// [A-Za-z0-9._:-]. A missing, empty, too long or otherwise malformed one is
// ignored, not rejected, and replaced by 16 random bytes from crypto/rand in
// lower-case hex (32 characters).
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		if l := zerolog.Ctx(ctx); l != zerolog.Ctx(context.Background()) {
			// Not zerolog's process-wide default, which must not be changed.
			l.UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str("request_id", id) })
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// GetRequestID returns the request id RequestID stored in ctx, or "" when
// ctx holds none (RequestID was not in the chain, or ctx is not a request's).
func GetRequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID reports whether id is 1..maxRequestIDLen characters of
// [A-Za-z0-9._:-].
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	// Since Go 1.24 crypto/rand.Read never returns an error: it crashes the
	// program if the system's random source fails.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
