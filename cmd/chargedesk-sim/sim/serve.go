package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// serveOptions are serve's flags.
type serveOptions struct {
	addr      string
	basePath  string
	headers   headerFlags
	paths     pathFlags
	timeout   time.Duration
	apiKey    string
	state     string
	rateLimit int
	failRate  float64
	latency   time.Duration
	clock     string
}

func parseServe(args []string) (*serveOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &serveOptions{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "")
	fs.StringVar(&o.basePath, "base-path", "", "")
	fs.Var(&o.headers, "H", "")
	fs.Var(&o.headers, "header", "")
	fs.Var(&o.paths, "path", "")
	fs.DurationVar(&o.timeout, "webhook-timeout", 30*time.Second, "")
	fs.StringVar(&o.apiKey, "api-key", "", "")
	fs.StringVar(&o.state, "state", "", "")
	fs.IntVar(&o.rateLimit, "rate-limit", 0, "")
	fs.Float64Var(&o.failRate, "fail-rate", 0, "")
	fs.DurationVar(&o.latency, "latency", 0, "")
	fs.StringVar(&o.clock, "clock", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, usagef("serve: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("serve takes no arguments, got %q", fs.Arg(0))
	}
	if o.basePath != "" && !strings.HasPrefix(o.basePath, "http://") && !strings.HasPrefix(o.basePath, "https://") {
		return nil, usagef("serve: --base-path must be an http(s) URL, such as %s", defaultURL)
	}
	if o.basePath == "" && (len(o.headers.h) > 0 || len(o.paths.m) > 0) {
		return nil, usagef("serve: -H and --path need --base-path, the URL webhooks go to")
	}
	if o.timeout <= 0 {
		return nil, usagef("serve: --webhook-timeout must be more than 0")
	}
	if o.clock != "" {
		if _, err := time.Parse(time.RFC3339, o.clock); err != nil {
			return nil, usagef("serve: --clock must be an RFC 3339 time, such as 2031-06-30T12:00:00Z")
		}
	}
	if o.rateLimit < 0 || o.failRate < 0 || o.failRate > 1 || o.latency < 0 {
		return nil, usagef("serve: --rate-limit and --latency must not be negative, --fail-rate must be between 0 and 1")
	}
	return o, nil
}

// Serve runs "chargedesk-sim serve args" until ctx is done, for tests that
// need a local ChargeDesk in-process. ready, when not nil, is called with
// the API's URL and key once it accepts connections.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(apiURL, key string)) error {
	return serve(ctx, args, stdout, stderr, ready)
}

// serve runs a local ChargeDesk until ctx is done.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(apiURL, key string)) error {
	o, err := parseServe(args)
	if err != nil {
		return err
	}
	madeUp := o.apiKey == ""
	if madeUp {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		o.apiKey = "sk_local_" + hex.EncodeToString(b)
	}
	var agent *integration
	opts := apitest.Options{Key: o.apiKey, RateLimit: o.rateLimit, FailRate: o.failRate, Latency: o.latency}
	if o.clock != "" {
		start, _ := time.Parse(time.RFC3339, o.clock) // checked by parseServe
		opts.Now = apitest.ClockFrom(start.UTC())
	}
	if o.basePath != "" {
		agent = newIntegration(chargedesktest.Integration{BasePath: o.basePath, Header: o.headers.h, Paths: o.paths.m}, o.timeout)
		opts.Agent = agent.agent
	}
	api := apitest.New(opts)
	if o.state != "" {
		data, err := os.ReadFile(o.state)
		switch {
		case err == nil:
			if err := api.Load(data); err != nil {
				return fmt.Errorf("--state %s: %w", o.state, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("--state: %w", err)
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on --addr %s: %w", o.addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	cons, err := newConsole(api, o.apiKey, agent)
	if err != nil {
		return err
	}
	cons.routes(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	apiURL := "http://" + ln.Addr().String() + "/v1"
	fmt.Fprintf(stdout, "Local ChargeDesk API on %s\n", apiURL)
	fmt.Fprintf(stdout, "Agent console on http://%s/\n", ln.Addr())
	if agent != nil {
		fmt.Fprintf(stdout, "Agent actions are sent to %s\n", o.basePath)
	} else {
		fmt.Fprintln(stdout, "No --base-path: agent actions apply ChargeDesk's default change without a webhook")
	}
	if madeUp {
		fmt.Fprintf(stdout, "API key (made up for this run; set one with --api-key): %s\n", o.apiKey)
	}
	if ready != nil {
		ready(apiURL, o.apiKey)
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if o.state != "" {
		if err := saveState(api, o.state); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Saved the records to %s\n", o.state)
	}
	fmt.Fprintln(stdout, "Stopped")
	return nil
}

// pathFlags collects --path action=/path.
type pathFlags struct{ m map[chargedesk.Action]string }

func (f *pathFlags) String() string { return "" }

func (f *pathFlags) Set(s string) error {
	name, p, ok := strings.Cut(s, "=")
	action := chargedesk.Action(strings.TrimSpace(name))
	if !ok || !action.Valid() {
		return fmt.Errorf("is action=/path, the action one of %v", chargedesk.Actions())
	}
	if !strings.HasPrefix(p, "/") {
		return errors.New("is action=/path, the path starting with /")
	}
	if f.m == nil {
		f.m = map[chargedesk.Action]string{}
	}
	f.m[action] = p
	return nil
}

// saveState writes the records to path, atomically: a crash mid-write
// leaves the previous file.
func saveState(api *apitest.Server, path string) error {
	data, err := api.Save()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chargedesk-state-*")
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("--state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	return nil
}
