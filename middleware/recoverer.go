package middleware

import (
	"net/http"
	"runtime/debug"

	"github.com/chargedesk/chargedesk-go/internal/jsonerr"
	"github.com/chargedesk/chargedesk-go/internal/safe"
	"github.com/rs/zerolog"
)

// panicMessage is the answer to ChargeDesk when the handler panics: the
// action may or may not have reached the payment gateway.
const panicMessage = "The integration failed while processing this action; " +
	"its outcome is unknown. Check the charge or subscription before retrying."

// Recoverer recovers a panic in next, so one bad request never stops the
// server.
//
// It logs the panic value and the stack at Error level, message "panic in
// webhook handler", through the request logger (zerolog.Ctx; put Logger
// outside Recoverer so the line carries the request id). It then answers 500
// {"error": ...} with a message telling the agent the outcome is unknown, or,
// when the handler had already sent the header, leaves the response as it is.
//
// A panic with http.ErrAbortHandler is not recovered: Recoverer panics again
// with it so net/http aborts the response quietly.
func Recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := newResponseWriter(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The value is described as text, safely: its Error, String or
			// MarshalJSON may panic again.
			zerolog.Ctx(r.Context()).Error().Str("panic", safe.Describe(v)).Str("stack", string(debug.Stack())).
				Msg("panic in webhook handler")
			if !ww.wroteHeader {
				jsonerr.Write(ww, http.StatusInternalServerError, panicMessage)
			}
		}()
		next.ServeHTTP(ww, r)
	})
}
