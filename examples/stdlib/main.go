// Command stdlib mounts the ChargeDesk receiver in an existing net/http
// application, next to its other routes.
//
//	CHARGEDESK_SECRET=... go run ./examples/stdlib
//
// ChargeDesk's Base Path is then http://<host>:8080/chargedesk, with the
// header Authorization: Bearer $CHARGEDESK_SECRET.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
)

// gateway performs the actions enabled in ChargeDesk; the others answer
// "not supported".
type gateway struct {
	chargedesk.UnimplementedGateway
}

// Refund refunds on the payment platform. Replace the body with your
// platform's refund call, and answer the charge's state as it reports it.
func (gateway) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}

// newMux is the application: its own routes, and the receiver at the Base
// Path. The pattern keeps the full path, which the receiver matches, so
// do not wrap it in http.StripPrefix.
func newMux(secret string, logger zerolog.Logger) (http.Handler, error) {
	receiver, err := chargedesk.NewHandler(gateway{}, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
		Logger:   &logger,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("/chargedesk/", receiver)
	return mux, nil
}

func main() {
	mux, err := newMux(os.Getenv("CHARGEDESK_SECRET"), zerolog.New(os.Stderr).With().Timestamp().Logger())
	if err != nil {
		log.Fatal(err) // names the bad setting, such as a missing or short CHARGEDESK_SECRET
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
