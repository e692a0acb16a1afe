// Command chi mounts the ChargeDesk receiver in an existing chi
// application, next to its other routes.
//
//	CHARGEDESK_SECRET=... go run ./examples/chi
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

	"github.com/go-chi/chi/v5"
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

// newRouter is the application: its own routes, and the receiver mounted
// at the Base Path. Mount keeps the full path, which the receiver matches.
func newRouter(secret string, logger zerolog.Logger) (http.Handler, error) {
	receiver, err := chargedesk.NewHandler(gateway{}, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
		Logger:   &logger,
	})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	r.Mount("/chargedesk", receiver)
	return r, nil
}

func main() {
	router, err := newRouter(os.Getenv("CHARGEDESK_SECRET"), zerolog.New(os.Stderr).With().Timestamp().Logger())
	if err != nil {
		log.Fatal(err) // names the bad setting, such as a missing or short CHARGEDESK_SECRET
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: router, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
