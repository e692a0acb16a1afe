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
// It receives ChargeDesk's event notifications at
// /chargedesk-events/$CHARGEDESK_EVENTS_SECRET (made up and printed when
// unset), one log line per event; a payment request paid on ChargeDesk's
// own page is recorded on the platform.
//
// When CHARGEDESK_API_KEY is set, it keeps ChargeDesk's records true: every
// change the platform makes (a refund, a cancellation, a customer paying on
// the pay page, an action that finished after ChargeDesk stopped waiting)
// is marked in the transaction that makes it and pushed to ChargeDesk's
// REST API (at $CHARGEDESK_API_URL, default the real API) by the syncer
// module, which retries until ChargeDesk has it. The platform and the
// sync's queue then live in the SQLite file $PLATFORM_FILE (default
// chargedesk-platform.db in the working directory).
//
// CHARGEDESK_STORE moves what is shared to a server: a postgres:// URL
// holds the platform, the locks, the duplicate guard and the sync's queue,
// so that several instances are one platform; a redis:// URL holds the
// locks and the duplicate guard only (each instance keeps its own platform
// in memory, and cannot sync). CHARGEDESK_TIMEOUT (a Go duration, default
// 25s) is the webhook's deadline. PLATFORM_DELAY (a Go duration, at most
// 1m) makes the platform wait inside every action, as a slow payment API
// would; an action still running at the deadline completes, late.
//
// Without CHARGEDESK_API_KEY or CHARGEDESK_STORE the platform lives in
// memory. It forgets a charge, subscription or pay link after
// $LEDGER_RETENTION (default 10m) without an action on it, and the least
// recently used ones beyond $LEDGER_LIMIT objects (default 100000), so its
// memory stays flat under any stream of new ids; a webhook about a
// forgotten object adopts ChargeDesk's copy again, as on first sight.
//
// It logs to stderr with zerolog: JSON lines, one per webhook, or a console
// format when stderr is a terminal or LOG_FORMAT=console (LOG_FORMAT=json
// forces JSON), written out every 100 ms or 64 KiB rather than a system call
// per line (a crash loses at most the last 100 ms of lines). It prints its
// URL on stdout when it is ready,
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/syncer"
)

const (
	defaultAddr = "127.0.0.1:8080"
	basePath    = "/chargedesk"
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
	logs := newLogWriter(stderr)
	defer logs.Close() // last: every line is written out
	log, err := newLogger(getenv("LOG_FORMAT"), stderr, logs)
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

	set, err := readSettings(getenv, now)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, set.store, &log)
	if err != nil {
		return err
	}
	defer st.close()
	platform := newLedger(st.book, public+"/pay/", now)
	platform.delay = set.delay
	cfg := chargedesk.Config{
		BasePath: basePath,
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + secret}}},
		Logger:   &log,
		Timeout:  set.timeout,
	}
	st.cfg(&cfg)
	if st.sync != nil {
		// An action that finishes after ChargeDesk stopped waiting has
		// marked its change already (the book marks every change); the
		// hook also marks what a late success's answer names.
		cfg.OnLateOutcome = st.sync.LateOutcomes()
	}
	receiver, err := chargedesk.NewHandler(platform, cfg)
	if err != nil {
		if devSecret {
			return err
		}
		return fmt.Errorf("CHARGEDESK_SECRET: %w", err)
	}

	eventsSecret := getenv("CHARGEDESK_EVENTS_SECRET")
	devEventsSecret := eventsSecret == ""
	if devEventsSecret {
		if eventsSecret, err = newDevSecret(); err != nil {
			return err
		}
	}
	eventsReceiver, err := newEventsReceiver(platform, eventsSecret, cfg, &log)
	if err != nil {
		return fmt.Errorf("CHARGEDESK_EVENTS_SECRET: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle(basePath+"/", receiver)
	mux.Handle("POST "+eventsPath+"/{secret}", eventsReceiver)
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
		WriteTimeout: set.timeout + 5*time.Second,
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
	eventsURL := public + eventsPath + "/$CHARGEDESK_EVENTS_SECRET"
	if devEventsSecret {
		eventsURL = public + eventsPath + "/" + eventsSecret
	}
	fmt.Fprintf(stdout, "Register this URL for ChargeDesk's event notifications:\n    %s\n", eventsURL)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if st.sync != nil {
		if err := st.sync.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		defer stopSync(st.sync, log)
		fmt.Fprintf(stdout, "Syncing the platform's changes to ChargeDesk's API at %s (%s)\n", redacted(set.store.apiURL), st.name)
	}
	log.Info().Str("url", baseURL).Str("store", st.name).Bool("sync", st.sync != nil).Msg("ready")
	if ready != nil {
		ready(baseURL)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: no new webhooks, waiting for those in flight")
	sctx, cancel := context.WithTimeout(context.Background(), set.timeout+maxPlatformDelay+bookTimeout)
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

// newLogger logs JSON lines to out, one per webhook, unless format is
// "console" or, when format is empty, stderr is a terminal: then a
// human-readable console format (which costs much more per line).
func newLogger(format string, stderr, out io.Writer) (zerolog.Logger, error) {
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
		return zerolog.New(zerolog.ConsoleWriter{Out: out, NoColor: true, TimeFormat: time.TimeOnly}).
			With().Timestamp().Logger(), nil
	}
	return zerolog.New(out).With().Timestamp().Logger(), nil
}

// settings are the example's environment, read and checked.
type settings struct {
	timeout time.Duration // CHARGEDESK_TIMEOUT
	delay   time.Duration // PLATFORM_DELAY
	store   storeSettings
}

// readSettings reads the settings; a bad one is an error naming it.
func readSettings(getenv func(string) string, now func() time.Time) (settings, error) {
	set := settings{timeout: chargedesk.DefaultTimeout, store: storeSettings{
		store: getenv("CHARGEDESK_STORE"), apiKey: getenv("CHARGEDESK_API_KEY"), apiURL: getenv("CHARGEDESK_API_URL"),
		file: getenv("PLATFORM_FILE"), now: now, retention: defaultRetention, limit: defaultLimit,
	}}
	if set.store.apiURL == "" {
		set.store.apiURL = api.DefaultBaseURL
	}
	if set.store.file == "" {
		set.store.file = defaultPlatformFile
	}
	duration := func(name string, min, max time.Duration, into *time.Duration) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < min || d > max {
			return fmt.Errorf("%s %q must be a duration from %v to %v, such as %v", name, v, min, max, *into)
		}
		*into = d
		return nil
	}
	if err := errors.Join(
		duration("CHARGEDESK_TIMEOUT", time.Second, 10*time.Minute, &set.timeout),
		duration("PLATFORM_DELAY", 0, maxPlatformDelay, &set.delay),
		duration("LEDGER_RETENTION", time.Second, 24*time.Hour, &set.store.retention),
	); err != nil {
		return settings{}, err
	}
	if v := getenv("LEDGER_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return settings{}, fmt.Errorf("LEDGER_LIMIT %q must be a whole number of objects, at least 1", v)
		}
		set.store.limit = n
	}
	if u, err := url.Parse(set.store.apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return settings{}, errors.New("CHARGEDESK_API_URL must be an http(s) URL such as " + api.DefaultBaseURL)
	}
	return set, nil
}

// stopSync stops the sync's workers: pushes in flight finish, or are cut
// short after a while and pushed again at the next start.
func stopSync(s syncer.Runner, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		log.Warn().Err(err).Msg("sync: stopped before every push in flight had finished; they are pushed again at the next start")
	}
}

// redacted is u without a password, for printing.
func redacted(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "(an unparsable URL)"
	}
	return parsed.Redacted()
}
