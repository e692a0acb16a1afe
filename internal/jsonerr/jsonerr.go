// Package jsonerr writes the one error shape ChargeDesk reads from a webhook
// answer, {"error": "message"}, for the root package and its middleware.
package jsonerr

import (
	"encoding/json"
	"net/http"
)

// Write sends status with the body {"error": message} and the JSON content
// type. message is shown to the ChargeDesk agent as it is: it must never hold
// a secret or an internal detail.
func Write(w http.ResponseWriter, status int, message string) {
	body, err := json.Marshal(struct {
		Error string `json:"error"`
	}{message})
	if err != nil {
		// A string always encodes; keep the answer well-formed regardless.
		body = []byte(`{"error":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
