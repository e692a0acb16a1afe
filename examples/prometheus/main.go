// Command prometheus runs a ChargeDesk Custom Integration receiver that
// exports Prometheus metrics, fed by chargedesk.Config.Observe:
//
//	chargedesk_webhooks_total{action,outcome,status}    counter
//	chargedesk_webhook_duration_seconds{action}          histogram
//
// plus the Go runtime and process collectors, at /metrics. Run it with
//
//	CHARGEDESK_SECRET=$(openssl rand -hex 24) go run .
//
// It listens on $ADDR (default 127.0.0.1:8081), takes webhooks under the
// Base Path /chargedesk with the header Authorization: Bearer
// $CHARGEDESK_SECRET (16 characters or more), and stops gracefully on SIGINT
// or SIGTERM. Its gateway is a stand-in that accepts every refund and does
// not support the other actions (501): put your platform's in its place.
//
// The label values are bounded: action is one of the seven actions, or
// "unknown" for a path that matched none; outcome one of the
// chargedesk.Outcome constants; status an HTTP status the handler answers.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
)

const (
	defaultAddr = "127.0.0.1:8081"
	basePath    = "/chargedesk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "prometheus:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then lets the webhooks in flight finish.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	log := zerolog.New(stderr).With().Timestamp().Logger()
	addr := getenv("ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	secret := getenv("CHARGEDESK_SECRET")
	if secret == "" {
		return errors.New("set CHARGEDESK_SECRET to the secret of the Authorization header entered in ChargeDesk")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler, err := newServer(secret, &log, reg)
	if err != nil {
		return fmt.Errorf("CHARGEDESK_SECRET: %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on ADDR %q: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Above the gateway's deadline, so a 504 still reaches ChargeDesk.
		WriteTimeout: chargedesk.DefaultTimeout + 5*time.Second,
		IdleTimeout:  time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("webhooks", "http://"+ln.Addr().String()+basePath+"/<action>").
		Str("metrics", "http://"+ln.Addr().String()+"/metrics").Msg("listening")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Longer than the handler's deadline, so every webhook in flight ends.
	shutdown, cancel := context.WithTimeout(context.Background(), chargedesk.DefaultTimeout+5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// newServer returns the receiver under basePath and the metrics of reg at
// /metrics, with the webhook metrics registered in reg.
func newServer(secret string, log *zerolog.Logger, reg *prometheus.Registry) (http.Handler, error) {
	m := newMetrics(reg)
	receiver, err := chargedesk.NewHandler(refundOnly{}, chargedesk.Config{
		BasePath: basePath,
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
		Logger:   log,
		Observe:  m.observe,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(basePath+"/", receiver)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux, nil
}

// metrics holds the webhook metrics.
type metrics struct {
	webhooks *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics creates the webhook metrics and registers them in reg.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chargedesk_webhooks_total",
			Help: "ChargeDesk webhooks answered, by action, outcome and HTTP status.",
		}, []string{"action", "outcome", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chargedesk_webhook_duration_seconds",
			Help: "Time from a ChargeDesk webhook's arrival to its answer, by action.",
			// Up to past the handler's 25 s deadline.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 30},
		}, []string{"action"}),
	}
	reg.MustRegister(m.webhooks, m.duration)
	return m
}

// observe is the Config.Observe hook: called once per webhook, concurrently.
func (m *metrics) observe(e chargedesk.Event) {
	action := string(e.Action)
	if action == "" {
		action = "unknown"
	}
	m.webhooks.WithLabelValues(action, string(e.Outcome), strconv.Itoa(e.Status)).Inc()
	m.duration.WithLabelValues(action).Observe(e.Duration.Seconds())
}

// refundOnly stands in for a payment platform: it performs every refund as
// asked and supports no other action.
type refundOnly struct {
	chargedesk.UnimplementedGateway
}

// Refund answers the charge as refunded by the requested amount.
func (refundOnly) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}
