// Command inmemory is a complete ChargeDesk Custom Integration receiver on
// an in-memory payment platform: the README's first command, and a starting
// point for a real integration (replace the ledger with calls to your
// platform).
//
//	go run ./examples/inmemory
//
// It listens on $ADDR (default 127.0.0.1:8080) with the Base Path
// /chargedesk and the default action paths, and requires the header
// Authorization: Bearer $CHARGEDESK_SECRET. When CHARGEDESK_SECRET is unset
// it makes up a development secret and prints it, with a warning. Payment
// requests answer a link to a pay page it serves at /pay/{id}, under
// $PUBLIC_URL when set (the URL at which customers reach this server, such
// as a tunnel's), else under the address it listens on.
//
// When CHARGEDESK_API_KEY is set, it also keeps ChargeDesk's records
// current: each charge or subscription the platform changes is upserted
// through ChargeDesk's REST API (at $CHARGEDESK_API_URL, default the real
// API), after the webhook is answered and without delaying the answer.
//
// CHARGEDESK_STORE chooses where the locks and the duplicate guard live:
// unset, in this process; a postgres:// or redis:// URL, a backend that
// several instances share (backend/postgres, backend/redis). PLATFORM_DELAY
// (a Go duration) makes the pretend platform wait inside every action, as a
// slow payment API would.
//
// The pretend platform forgets a charge, subscription or pay link after
// $LEDGER_RETENTION (default 10m) without an action on it, so its memory
// stays flat under any stream of new ids; a webhook about a forgotten
// object adopts ChargeDesk's copy again, as on first sight.
//
// It logs to stderr with zerolog: JSON lines, one per webhook, or a console
// format when stderr is a terminal or LOG_FORMAT=console (LOG_FORMAT=json
// forces JSON). It prints its URL on stdout when it is ready,
// and on SIGINT or SIGTERM stops taking webhooks and lets those in flight
// finish before it exits.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
)

const (
	defaultAddr = "127.0.0.1:8080"
	basePath    = "/chargedesk"
	// shutdownTimeout bounds the wait for webhooks in flight at shutdown;
	// it exceeds the handler's deadline, so every one of them can finish.
	shutdownTimeout = chargedesk.DefaultTimeout + 5*time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	if err := run(ctx, time.Now, os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "inmemory:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then shuts down gracefully. It reads its
// time with now and its settings with getenv, prints to stdout what a person needs (the URL, a
// development secret) and logs to stderr. ready, when not nil, is called
// with the Base Path's URL once the server accepts connections.
func run(ctx context.Context, now func() time.Time, getenv func(string) string, stdout, stderr io.Writer, ready func(baseURL string)) error {
	log, err := newLogger(getenv("LOG_FORMAT"), stderr)
	if err != nil {
		return err
	}

	secret := getenv("CHARGEDESK_SECRET")
	devSecret := secret == ""
	if devSecret {
		if secret, err = newDevSecret(); err != nil {
			return err
		}
	}
	addr := getenv("ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on ADDR %q: %w", addr, err)
	}
	defer ln.Close()
	public, err := publicURL(getenv("PUBLIC_URL"), ln.Addr())
	if err != nil {
		return err
	}

	platform := newLedger(public+"/pay/", now)
	if v := getenv("LEDGER_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("LEDGER_RETENTION %q must be a duration of at least 1s, such as 10m", v)
		}
		platform.retention = d
	}
	var push *pusher
	if key := getenv("CHARGEDESK_API_KEY"); key != "" {
		apiURL := getenv("CHARGEDESK_API_URL")
		if apiURL == "" {
			apiURL = api.DefaultBaseURL
		}
		push = newPusher(api.NewClient(key, api.WithBaseURL(apiURL), api.WithLogger(log),
			api.WithUserAgent("chargedesk-go-inmemory")), log)
		platform.changed = push.add
	}
	if v := getenv("PLATFORM_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("PLATFORM_DELAY %q must be a duration such as 200ms", v)
		}
		platform.delay = d
	}
	st, err := openStore(ctx, getenv("CHARGEDESK_STORE"))
	if err != nil {
		return err
	}
	defer st.close()
	cfg := chargedesk.Config{
		BasePath: basePath,
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
		Logger:   &log,
	}
	st.cfg(&cfg)
	receiver, err := chargedesk.NewHandler(platform, cfg)
	if err != nil {
		if devSecret {
			return err
		}
		return fmt.Errorf("CHARGEDESK_SECRET: %w", err)
	}

	mux := http.NewServeMux()
	if push != nil {
		mux.Handle(basePath+"/", push.afterAnswer(receiver))
	} else {
		mux.Handle(basePath+"/", receiver)
	}
	mux.Handle("GET /pay/{id}", payHandler(platform, log))
	mux.Handle("POST /pay/{id}", payHandler(platform, log))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "ChargeDesk receiver on an in-memory platform.\nWebhooks: POST %s%s/<action> (%v)\n",
			public, basePath, chargedesk.Actions())
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Above the gateway's deadline, so a 504 still reaches ChargeDesk.
		WriteTimeout: chargedesk.DefaultTimeout + 5*time.Second,
		IdleTimeout:  time.Minute,
	}

	baseURL := public + basePath
	if devSecret {
		log.Warn().Msg("CHARGEDESK_SECRET is not set: using a development secret, printed on stdout")
		fmt.Fprintf(stdout, "WARNING: CHARGEDESK_SECRET is not set, so this run accepts a development secret:\n\n"+
			"    %s\n\nSet CHARGEDESK_SECRET (16 characters or more) before anyone else can reach this server.\n\n", secret)
	}
	fmt.Fprintf(stdout, "ChargeDesk receiver listening on %s\n", baseURL)
	header := `"Authorization: Bearer $CHARGEDESK_SECRET"`
	if devSecret {
		header = "'Authorization: Bearer " + secret + "'"
	}
	fmt.Fprintf(stdout, "Send it a refund with:\n    go run ./cmd/chargedesk-sim send refund --url %s -H %s\n", baseURL, header)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	pushCtx, stopPush := context.WithCancel(context.Background())
	pushed := make(chan struct{})
	if push != nil {
		go func() { defer close(pushed); push.run(pushCtx) }()
		log.Info().Msg("pushing changed charges and subscriptions to ChargeDesk's API")
	} else {
		close(pushed)
	}
	// After shutdown, push what is left before returning.
	defer func() { stopPush(); <-pushed }()
	log.Info().Str("url", baseURL).Str("store", st.name).Msg("ready")
	if ready != nil {
		ready(baseURL)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: no new webhooks, waiting for those in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info().Msg("stopped")
	return nil
}

// newDevSecret returns a random secret for one run.
func newDevSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("development secret: %w", err)
	}
	return "dev-" + hex.EncodeToString(b), nil
}

// publicURL returns the URL at which the server is reached, without a
// trailing slash: PUBLIC_URL when set, else http:// and the listener's
// address (localhost when it listens on every interface).
func publicURL(env string, addr net.Addr) (string, error) {
	if env != "" {
		u, err := url.Parse(env)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("PUBLIC_URL %q must be an http(s) URL such as https://pay.example.com", env)
		}
		return strings.TrimRight(env, "/"), nil
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", fmt.Errorf("listener address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// newLogger logs JSON lines, one per webhook, unless format is "console"
// or, when format is empty, stderr is a terminal: then a human-readable
// console format (which costs much more per line).
func newLogger(format string, stderr io.Writer) (zerolog.Logger, error) {
	switch format {
	case "":
		if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "console"
		}
	case "json", "console":
	default:
		return zerolog.Logger{}, fmt.Errorf("LOG_FORMAT %q must be json or console", format)
	}
	if format == "console" {
		return zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true, TimeFormat: time.TimeOnly}).
			With().Timestamp().Logger(), nil
	}
	return zerolog.New(stderr).With().Timestamp().Logger(), nil
}
