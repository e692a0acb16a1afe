// Package middleware holds the net/http middleware that wraps the ChargeDesk
// webhook handler. Each one is a func(http.Handler) http.Handler, or a
// constructor that returns one, and works with any router.
//
// Use them in this order, outermost first, so that each one sees what the
// ones outside it set up:
//
//	h := middleware.RequestID(
//		middleware.Logger(logger)(
//			middleware.Recoverer(
//				middleware.BodyLimit(0)(webhook))))
//
// RequestID puts the request id in the context; Logger builds the request
// logger from it and writes one line per request; Recoverer turns a panic into
// a JSON 500 that Logger records; BodyLimit caps the body before the handler
// reads it.
//
// Notes that apply to every middleware here:
//   - Every error answer is {"error": "message"} with Content-Type
//     application/json, and its message is safe to show a ChargeDesk agent.
//   - Nothing here logs a header value, the query string or the body: they
//     may hold the webhook secret or customer data.
//   - The request logger lives in the context; reach it with zerolog.Ctx.
//   - Response writer wrappers expose Unwrap, so http.ResponseController
//     (Flush, SetWriteDeadline, ...) reaches the server's writer.
//   - There is no package-level state; every setting is an argument.
package middleware
