package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
	"github.com/chargedesk/chargedesk-go/events"
)

// maxEventBody bounds an event listen receives.
const maxEventBody = 1 << 20

// listenOptions are listen's flags.
type listenOptions struct {
	api       apiFlags
	forwardTo string
	events    []string
	addr      string
}

func newListenCmd(colors cli.Palette) *cobra.Command {
	o := &listenOptions{}
	cmd := &cobra.Command{
		Use:   "listen --forward-to URL [flags]",
		Short: "Forward the local ChargeDesk's event notifications to a URL",
		Long: `Register a webhook on a local ChargeDesk (chargedesk-sim serve) for --events
(default: every event), receive its event notifications on a loopback port,
forward each, as it came, to --forward-to, and print one line per event: its
name, event_id, object id and the forward's answer. The forward's status is
the local ChargeDesk's answer: a failure is retried hourly, as ChargeDesk
does (resend it now with chargedesk-sim events resend), and a 410 disables
the webhook. Ctrl-C stops, and deletes the webhook.

Exit status: 0 when stopped with Ctrl-C, 1 when the webhook could not be
registered or deleted, 2 when the command line is wrong.`,
		Example: `  CHARGEDESK_API_KEY=sk_local_... chargedesk-sim listen --forward-to http://127.0.0.1:8080/chargedesk-events/<secret>
  chargedesk-sim listen --forward-to $URL --events charge_refunded,charge_disputed --api-url http://127.0.0.1:8090/v1`,
		Args: cli.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.api.resolve(c); err != nil {
				return err
			}
			return listen(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr(), colors)
		},
	}
	fs := cmd.Flags()
	o.api.add(fs)
	fs.StringVar(&o.forwardTo, "forward-to", "", "the `URL` to forward each event to, such as your receiver's")
	fs.StringSliceVar(&o.events, "events", nil, "the `events` to register for, comma-separated (default: every event)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "the loopback address and port to receive the events on (port 0: any free one)")
	return cmd
}

// check refuses options that cannot work, and returns the events named.
func (o *listenOptions) check() ([]events.Name, error) {
	if o.forwardTo == "" {
		return nil, usagef("listen needs --forward-to, the URL to forward the events to")
	}
	if !isHTTPURL(o.forwardTo) {
		return nil, usagef("--forward-to must be an http(s) URL, such as http://127.0.0.1:8080/chargedesk-events/<secret>")
	}
	if host, _, err := net.SplitHostPort(o.addr); err != nil || !loopback(host) {
		return nil, usagef("--addr must be a loopback address and port, such as 127.0.0.1:0")
	}
	var names []events.Name
	for _, e := range o.events {
		n := events.Name(strings.TrimSpace(e))
		if !n.Known() {
			return nil, usagef("--events: unknown event %q; the events are %s", e, eventList())
		}
		names = append(names, n)
	}
	return names, nil
}

// listen registers the webhook, forwards its events until ctx is done,
// and deletes it.
func listen(ctx context.Context, o *listenOptions, stdout, stderr io.Writer, colors cli.Palette) error {
	names, err := o.check()
	if err != nil {
		return err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	path := "/chargedesk-sim-listen/" + hex.EncodeToString(secret)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on --addr %s: %w", o.addr, err)
	}
	f := &forwarder{path: path, to: o.forwardTo, out: stdout, colors: colors,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), eventTimeout+5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	client := api.NewClient(o.api.key, api.WithBaseURL(o.api.url))
	params := &api.WebhookParams{URL: "http://" + ln.Addr().String() + path, Events: names}
	what := "every event"
	if len(names) == 0 {
		params.All = new(true)
	} else {
		what = strings.Join(o.events, ", ")
	}
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	hook, err := client.Webhooks.Create(cctx, params)
	cancel()
	if err != nil {
		return fmt.Errorf("registering the webhook on %s: %w", o.api.url, err)
	}
	fmt.Fprintf(stdout, "Forwarding %s of webhook %s to %s; Ctrl-C to stop\n", what, hook.ID, redactURL(o.forwardTo))

	var stopErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		stopErr = fmt.Errorf("receiving the events: %w", err)
	}
	dctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := client.Webhooks.Delete(dctx, hook.ID); err != nil {
		return errors.Join(stopErr, fmt.Errorf("deleting webhook %s: %w", hook.ID, err))
	}
	fmt.Fprintf(stdout, "Deleted webhook %s\n", hook.ID)
	return stopErr
}

// forwarder receives the webhook's events at path, forwards each to to,
// answers with the forward's status, and prints a line per event.
type forwarder struct {
	path   string
	to     string
	client *http.Client
	colors cli.Palette

	mu  sync.Mutex // one line at a time
	out io.Writer
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != f.path {
		http.NotFound(w, r) // not the local ChargeDesk: it knows the path
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBody))
	if err != nil {
		http.Error(w, "The event could not be read", http.StatusRequestEntityTooLarge)
		return
	}
	name, id, object := "(not an event)", "-", "-"
	if e, err := events.Decode(body); err == nil {
		name, id, object = safeName(string(e.Name)), e.ID, objectID(e)
	}
	status, answer, err := f.forward(r.Context(), r.Header.Get("Content-Type"), body)
	var outcome string
	switch {
	case err != nil:
		status, outcome = http.StatusBadGateway, f.colors.Red("no answer: "+err.Error())
	case status >= 200 && status < 300:
		outcome = f.colors.Green(fmt.Sprintf("%d", status))
	default:
		outcome = f.colors.Red(fmt.Sprintf("%d", status))
	}
	f.mu.Lock()
	fmt.Fprintf(f.out, "%s  %s  %s  → %s\n", name, id, object, outcome)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// forward posts body to f.to, within ChargeDesk's 30 s, and returns the
// answer's status and body (at most 64 KiB).
func (f *forwarder) forward(ctx context.Context, contentType string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.to, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, fmt.Errorf("none within %s", eventTimeout)
		}
		return 0, nil, unwrapURL(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, answer, nil
}

// objectID is the id of an event's object; "-" when it has none.
func objectID(e *events.Event) string {
	switch {
	case e.Data.Charge != nil:
		return e.Data.Charge.ChargeID
	case e.Data.Customer != nil:
		return e.Data.Customer.CustomerID
	case e.Data.Subscription != nil:
		return e.Data.Subscription.SubscriptionID
	case e.Data.Product != nil:
		return e.Data.Product.ProductID
	}
	return "-"
}

// safeName is an event's name as a line shows it: lower case, digits and
// _ only, at most 64; anything else may be data.
func safeName(n string) string {
	if n == "" || len(n) > 64 {
		return "(not shown)"
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "(not shown)"
		}
	}
	return n
}

// redactURL is a URL as a line shows it: without its user and query, its
// last path segment, where a secret would be, hidden.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not shown)"
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 && i < len(path)-1 {
		path = path[:i+1] + "…"
	}
	out := u.Scheme + "://" + u.Host + path
	if u.RawQuery != "" {
		out += "?…"
	}
	return out
}

// loopback reports whether host is localhost or a loopback IP.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
