// Command plain is the plain net/http handler the example's throughput is
// measured against (throughput_test.go): what a developer would write by
// hand for a refund webhook, with nothing of chargedesk-go in it. It checks
// the Authorization header, reads the body, json.Unmarshals it into a
// struct with the charge as a map, and writes a fixed answer. It listens on
// $ADDR and prints its URL on stdout when ready.
package main

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

type refund struct {
	RefundAmount json.Number    `json:"refund_amount"`
	ActionReason string         `json:"action_reason"`
	Charge       map[string]any `json:"charge"`
}

func main() {
	want := []byte("Bearer " + os.Getenv("CHARGEDESK_SECRET"))
	ln, err := net.Listen("tcp", os.Getenv("ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "plain:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chargedesk/refund", func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, `{"error":"the body could not be read"}`, http.StatusBadRequest)
			return
		}
		var req refund
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":"the body is not valid"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"charge":{"status":"partially refunded"}}`+"\n")
	})
	fmt.Printf("http://%s/chargedesk\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, srv.Serve(ln))
}
