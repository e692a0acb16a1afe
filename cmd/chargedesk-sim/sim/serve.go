package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
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
	apiShape  string
	json      bool
}

// addServeFlags adds serve's flags to fs.
func addServeFlags(fs *pflag.FlagSet, o *serveOptions) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "where to listen; the agent console is at /, the API at /v1")
	fs.StringVar(&o.basePath, "base-path", "", "the Custom Integration's Base Path: agent actions (the API's gateway\n"+
		"operations and the console's buttons) are sent there as webhooks, and the answer applied")
	fs.VarP(&o.headers, "header", "H", "a header of the Custom Integration, as 'Name: value'; repeatable")
	fs.Var(&o.paths, "path", "an action's path below the Base Path, as action=/path; repeatable")
	fs.DurationVar(&o.timeout, "webhook-timeout", 30*time.Second, "how long to wait for the integration's answer")
	fs.StringVar(&o.apiKey, "api-key", "", "the secret `key` clients must send (default: made up and printed)")
	fs.StringVar(&o.state, "state", "", "load the records from `FILE` at start, save them there at exit")
	fs.IntVar(&o.rateLimit, "rate-limit", 0, "answer 429 with Retry-After above `N` requests a second (0: no limit)")
	fs.Float64Var(&o.failRate, "fail-rate", 0, "answer this fraction of requests (0 to 1) with 503")
	fs.DurationVar(&o.latency, "latency", 0, "delay every API answer by this long (such as 150ms)")
	fs.StringVar(&o.clock, "clock", "", "start the local ChargeDesk's clock at `TIME` (RFC 3339), running on from\nthere: records are stamped by it")
	fs.StringVar(&o.apiShape, "api-shape", string(apitest.ShapeDocumented), "the shape of the API's answers: `documented` (ChargeDesk's own: charge_id, \"34.00\",\nunix times) or seed (the third-party OpenAPI seed's: id, numbers, RFC 3339 times)")
	fs.BoolVar(&o.json, "json", false, "print the API's URL, the console's and the key as one JSON object once listening;\nlater messages go to stderr")
}

// check refuses options that do not fit together.
func (o *serveOptions) check() error {
	if o.basePath != "" && !strings.HasPrefix(o.basePath, "http://") && !strings.HasPrefix(o.basePath, "https://") {
		return usagef("serve: --base-path must be an http(s) URL, such as %s", defaultURL)
	}
	if o.basePath == "" && (len(o.headers.h) > 0 || len(o.paths.m) > 0) {
		return usagef("serve: -H and --path need --base-path, the URL webhooks go to")
	}
	if o.timeout <= 0 {
		return usagef("serve: --webhook-timeout must be more than 0")
	}
	if o.clock != "" {
		if _, err := time.Parse(time.RFC3339, o.clock); err != nil {
			return usagef("serve: --clock must be an RFC 3339 time, such as 2031-06-30T12:00:00Z")
		}
	}
	if _, err := apitest.ParseShape(o.apiShape); err != nil {
		return usagef("serve: --api-shape must be documented or seed")
	}
	if o.rateLimit < 0 || o.failRate < 0 || o.failRate > 1 || o.latency < 0 {
		return usagef("serve: --rate-limit and --latency must not be negative, --fail-rate must be between 0 and 1")
	}
	return nil
}

// newServeCmd returns the serve command; ready, when not nil, is called
// with the API's URL and key once it accepts connections.
func newServeCmd(ready func(apiURL, key string)) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run a local ChargeDesk: its REST API, agent actions and agent console",
		Long: `Run a local, stateful ChargeDesk until Ctrl-C: its REST API under /v1 (import
into it with chargedesk import --api-url), its agent actions, which send the
documented webhooks to --base-path and apply the answers, and an agent
console at /. The changes it sees send ChargeDesk's event notifications to
the webhooks registered through its API (POST /v1/webhooks, or
chargedesk-sim listen), with ChargeDesk's retries; the console lists them at
/events. --rate-limit, --fail-rate and --latency inject faults for client
tests.`,
		Example: `  chargedesk-sim serve --api-key sk_local_dev_key_0123456789
  chargedesk-sim serve --base-path http://127.0.0.1:8080/chargedesk -H 'Authorization: Bearer <secret>' --state local.json
  chargedesk-sim serve --latency 150ms --rate-limit 200`,
		Args: cli.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			return serve(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr(), ready)
		},
	}
	addServeFlags(cmd.Flags(), o)
	return cmd
}

// Serve runs "chargedesk-sim serve args" until ctx is done, for tests that
// need a local ChargeDesk in-process. ready, when not nil, is called with
// the API's URL and key once it accepts connections.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(apiURL, key string)) error {
	cmd := newServeCmd(ready)
	if args == nil {
		args = []string{}
	}
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cli.UsageError{Err: err} })
	return cmd.ExecuteContext(ctx)
}

// serve runs a local ChargeDesk until ctx is done.
func serve(ctx context.Context, o *serveOptions, stdout, stderr io.Writer, ready func(apiURL, key string)) error {
	madeUp := o.apiKey == ""
	if madeUp {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		o.apiKey = "sk_local_" + hex.EncodeToString(b)
	}
	var agent *integration
	shape, _ := apitest.ParseShape(o.apiShape) // checked by check
	opts := apitest.Options{Key: o.apiKey, RateLimit: o.rateLimit, FailRate: o.failRate, Latency: o.latency, Shape: shape}
	lines := &deliveryLines{}
	opts.OnDelivery = lines.print
	if o.clock != "" {
		start, _ := time.Parse(time.RFC3339, o.clock) // checked by parseServe
		opts.Now = apitest.ClockFrom(start.UTC())
	}
	if o.basePath != "" {
		agent = newIntegration(chargedesktest.Integration{BasePath: o.basePath, Header: o.headers.h, Paths: o.paths.m}, o.timeout)
		opts.Agent = agent.agent
	}
	api := apitest.New(opts)
	defer api.Close() // stops the event deliveries on every way out
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
	if o.json {
		if err := printServing(stdout, apiURL, "http://"+ln.Addr().String()+"/", o.apiKey, madeUp, o.basePath); err != nil {
			return err
		}
		stdout = stderr // the JSON object is all standard output holds
	} else {
		fmt.Fprintf(stdout, "Local ChargeDesk API on %s\n", apiURL)
		fmt.Fprintf(stdout, "Agent console on http://%s/ (event deliveries at /events)\n", ln.Addr())
		if agent != nil {
			fmt.Fprintf(stdout, "Agent actions are sent to %s\n", o.basePath)
		} else {
			fmt.Fprintln(stdout, "No --base-path: agent actions apply ChargeDesk's default change without a webhook")
		}
		if madeUp {
			fmt.Fprintf(stdout, "API key (made up for this run; set one with --api-key): %s\n", o.apiKey)
		}
	}
	lines.start(stdout)
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
	_ = api.Close() // deliveries under way are canceled; pending ones are saved
	if o.state != "" {
		if err := saveState(api, o.state); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Saved the records to %s\n", o.state)
	}
	fmt.Fprintln(stdout, "Stopped")
	return nil
}

// printServing writes serve's --json object.
func printServing(w io.Writer, apiURL, consoleURL, key string, madeUp bool, basePath string) error {
	return json.NewEncoder(w).Encode(struct {
		APIURL     string `json:"api_url"`
		ConsoleURL string `json:"console_url"`
		APIKey     string `json:"api_key"`
		KeyMadeUp  bool   `json:"api_key_made_up"`
		BasePath   string `json:"base_path,omitempty"`
	}{apiURL, consoleURL, key, madeUp, basePath})
}

// pathFlags collects --path action=/path.
type pathFlags struct{ m map[chargedesk.Action]string }

func (f *pathFlags) String() string { return "" }

// Type names the value in help.
func (f *pathFlags) Type() string { return "action=/path" }

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

// deliveryLines prints a line per event delivery attempt, once serve has
// said where it listens: the event, its id, the webhook and the outcome.
type deliveryLines struct {
	mu  sync.Mutex
	out io.Writer // nil until start
}

func (l *deliveryLines) start(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out = w
}

func (l *deliveryLines) print(d apitest.Delivery) {
	answer := fmt.Sprintf("HTTP %d", d.Status)
	if d.Status == 0 {
		answer = d.Error
	}
	line := fmt.Sprintf("Event %s %s to %s: %s, %s", d.Event, d.EventID, d.WebhookID, answer, d.State)
	if !d.NextAttempt.IsZero() {
		line += " (next attempt " + d.NextAttempt.Format("2006-01-02 15:04:05") + " UTC)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.out != nil {
		fmt.Fprintln(l.out, line)
	}
}
