// Package middleware holds net/http middleware for the ChargeDesk webhook
// handler, each a func(http.Handler) http.Handler that works with any
// router. Config.DefaultMiddleware uses RequestID.
//
// The handler itself writes the one log line per webhook, recovers panics
// and enforces the body limit, so none of those is a middleware: they hold
// whatever the stack. A middleware that wraps the ResponseWriter must expose
// Unwrap, as http.ResponseController requires, so that the handler still
// reaches its own writer through it.
package middleware
