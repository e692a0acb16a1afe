package middleware

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Logger returns middleware that gives each request its own logger and writes
// one line per request when the handler returns.
//
// The request logger is base with a request_id field (left out when
// GetRequestID returns "", so put RequestID outside Logger). It is stored in
// the context, where the handler reaches it with zerolog.Ctx and may add
// fields with UpdateContext; those fields appear on the request line, which is
// written through that same logger.
//
// The request line has message "webhook", level Info for a status below 400,
// Warn for 400-499 and Error for 500 and above, and the fields method, path
// (r.URL.Path), status (200 when the handler never sets one), bytes (body
// bytes written) and duration (zerolog's DurationFieldUnit, milliseconds by
// default). It never holds a header value, the query string or the body.
//
// If the handler panics, Logger writes the line with status 500 and lets the
// panic go on unchanged; put Recoverer inside Logger to answer it. A base at
// zerolog.Disabled level, such as zerolog.Nop() or the zero Logger, makes
// Logger return next unchanged: zerolog does not store a disabled logger in a
// context, and zerolog.Ctx then falls back to zerolog.DefaultContextLogger.
func Logger(base zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if base.GetLevel() == zerolog.Disabled {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx := r.Context()
			// With copies base's context fields, so fields the handler adds
			// never reach base or another request's logger.
			c := base.With()
			if id := GetRequestID(ctx); id != "" {
				c = c.Str("request_id", id)
			}
			l := c.Logger()
			ctx = l.WithContext(ctx)
			lp := zerolog.Ctx(ctx)
			ww := newResponseWriter(w)

			panicked := true
			defer func() {
				status := ww.status
				if panicked {
					status = http.StatusInternalServerError
				}
				lp.WithLevel(levelFor(status)).
					Str("method", r.Method).
					Str("path", r.URL.Path).
					Int("status", status).
					Int("bytes", ww.bytes).
					Dur("duration", time.Since(start)).
					Msg("webhook")
			}()
			next.ServeHTTP(ww, r.WithContext(ctx))
			panicked = false
		})
	}
}

// levelFor maps a response status to the level of the request line.
func levelFor(status int) zerolog.Level {
	switch {
	case status >= 500:
		return zerolog.ErrorLevel
	case status >= 400:
		return zerolog.WarnLevel
	default:
		return zerolog.InfoLevel
	}
}
