package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
	"github.com/chargedesk/chargedesk-go/events"
)

// eventTimeout is how long ChargeDesk waits for a webhook's answer.
const eventTimeout = 30 * time.Second

// triggerOptions are trigger's flags.
type triggerOptions struct {
	url       string
	overrides eventOverrides
	timeout   time.Duration
	print     bool
}

// eventOverrides collects trigger's --set and --unset in order. A path
// that starts with the event's object (charge.amount) is short for its
// place under data (data.charge.amount).
type eventOverrides struct{ list []string }

type eventSetFlag struct{ o *eventOverrides }

func (f eventSetFlag) String() string { return "" }

// Type names the value in help.
func (f eventSetFlag) Type() string { return "path=value" }

func (f eventSetFlag) Set(s string) error {
	if strings.HasPrefix(s, "-") || !strings.Contains(s, "=") {
		return errors.New("is path=value; use --unset to remove a field")
	}
	if _, err := chargedesktest.ParseOverride(s); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "chargedesktest: "))
	}
	f.o.list = append(f.o.list, s)
	return nil
}

type eventUnsetFlag struct{ o *eventOverrides }

func (f eventUnsetFlag) String() string { return "" }

// Type names the value in help.
func (f eventUnsetFlag) Type() string { return "path" }

func (f eventUnsetFlag) Set(s string) error {
	if _, err := chargedesktest.ParseOverride("-" + s); err != nil || s == "" || strings.Contains(s, "=") {
		return errors.New("is a field path, such as data.charge.metadata")
	}
	f.o.list = append(f.o.list, "-"+s)
	return nil
}

// resolve returns the overrides for an event of class, short paths put
// under data.
func (o eventOverrides) resolve(class events.Class) ([]chargedesktest.Override, error) {
	var out []chargedesktest.Override
	for _, s := range o.list {
		unset := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		if first, _, _ := strings.Cut(s, "."); first == string(class) {
			s = "data." + s
		}
		if unset {
			s = "-" + s
		}
		ov, err := chargedesktest.ParseOverride(s)
		if err != nil {
			return nil, err
		}
		out = append(out, ov)
	}
	return out, nil
}

func newTriggerCmd(colors cli.Palette) *cobra.Command {
	o := &triggerOptions{}
	cmd := &cobra.Command{
		Use:   "trigger <event> --url URL [flags]",
		Short: "Send an example event notification to a URL and show the answer",
		Long: `Send one event notification, as ChargeDesk sends it to a webhook registered
under Setup > API, to --url: ChargeDesk's documented example for the event,
with a new event_id and the time now, changed by --set and --unset. Print the
answer's status: a 2xx acknowledges the event; anything else, 3xx included
(redirects are not followed), or no answer within --timeout, is a failure
ChargeDesk would retry hourly for 3 days, and a 410 would disable the webhook.

A --set path that starts with the event's object is short for its place
under data: --set charge.amount=5.00 is --set data.charge.amount=5.00.

Exit status: 0 when the event was acknowledged, 1 when it was not, 2 when
the command line is wrong.`,
		Example: `  chargedesk-sim trigger charge_refunded --url http://127.0.0.1:8080/chargedesk-events/<secret>
  chargedesk-sim trigger charge_paid --url $URL --set charge.amount=5.00 --set charge.amount_refunded=0.00
  chargedesk-sim trigger customer_updated --print`,
		Args:              eventArg,
		ValidArgsFunction: completeEvent,
		RunE: func(c *cobra.Command, args []string) error {
			return trigger(c.Context(), events.Name(args[0]), o, c.OutOrStdout(), c.ErrOrStderr(), colors)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "url", "", "the webhook's `URL`, as registered in ChargeDesk")
	fs.Var(eventSetFlag{&o.overrides}, "set", "change a field of the event, as path=value; repeatable, applied in order. A JSON\n"+
		"literal is sent as such (5.00, true, null, \"quoted text\"), anything else as a string")
	fs.Var(eventUnsetFlag{&o.overrides}, "unset", "remove a `field` of the event; repeatable")
	fs.DurationVar(&o.timeout, "timeout", eventTimeout, "give up waiting for the answer after this long (ChargeDesk waits 30s)")
	fs.BoolVar(&o.print, "print", false, "print the event instead of sending it")
	return cmd
}

// eventArg takes the one event argument a command acts on.
func eventArg(c *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return usagef("%s needs an event: one of %s", c.Name(), eventList())
	case 1:
		if !events.Name(args[0]).Known() {
			return usagef("unknown event %q; the events are %s", args[0], eventList())
		}
		return nil
	}
	return usagef("%s takes one event, not %q", c.Name(), args)
}

// eventList is the documented events, for a message.
func eventList() string {
	names := make([]string, 0, len(events.Names()))
	for _, n := range events.Names() {
		names = append(names, string(n))
	}
	return strings.Join(names, ", ")
}

// completeEvent completes an event argument.
func completeEvent(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, n := range events.Names() {
		names = append(names, string(n))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// newEventID returns a new event id, made as the documented example's is:
// a prefix and 18 random letters and digits.
func newEventID() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "event-trigger-" + string(b), nil
}

// trigger builds the event and sends it, or prints it.
func trigger(ctx context.Context, name events.Name, o *triggerOptions, stdout, stderr io.Writer, colors cli.Palette) error {
	switch {
	case o.print:
	case o.url == "":
		return usagef("trigger needs --url, the webhook's URL (or --print to print the event)")
	case !isHTTPURL(o.url):
		return usagef("--url must be an http(s) URL, such as http://127.0.0.1:8080/chargedesk-events/<secret>")
	case o.timeout <= 0:
		return usagef("--timeout must be more than 0")
	}
	id, err := newEventID()
	if err != nil {
		return err
	}
	body, err := exampleEvent(name, id, time.Now().Unix())
	if err != nil {
		return err
	}
	overrides, err := o.overrides.resolve(name.Class())
	if err != nil {
		return usagef("%s", strings.TrimPrefix(err.Error(), "chargedesktest: "))
	}
	for _, ov := range overrides {
		if path, isSet := setPath(ov); isSet && !pathExists(body, path) {
			warnNewField(stderr, body, path)
		}
		if body, err = chargedesktest.Apply(body, ov); err != nil {
			return usagef("%s", strings.TrimPrefix(err.Error(), "chargedesktest: "))
		}
	}
	if o.print {
		_, err := io.WriteString(stdout, indent(body)+"\n")
		return err
	}
	status, message, err := postEvent(ctx, o.url, body, o.timeout)
	if err != nil {
		fmt.Fprintf(stdout, "%s %s %s was not answered: %v\n", colors.Red("✘"), name, id, err)
		return cli.Exit(cli.ExitFailed)
	}
	if status >= 200 && status < 300 {
		fmt.Fprintf(stdout, "%s %s %s acknowledged (HTTP %d)\n", colors.Green("✔"), name, id, status)
		return nil
	}
	line := fmt.Sprintf("%s %s %s not acknowledged (HTTP %d)", colors.Red("✘"), name, id, status)
	if message != "" {
		line += ": " + message
	}
	fmt.Fprintln(stdout, line)
	switch {
	case status == http.StatusGone:
		fmt.Fprintf(stdout, "%s ChargeDesk disables a webhook that answers 410: it would send it nothing more\n", colors.Yellow("⚠"))
	case status >= 300 && status < 400:
		fmt.Fprintf(stdout, "%s ChargeDesk follows no redirect: register the URL it redirects to\n", colors.Yellow("⚠"))
	default:
		fmt.Fprintf(stdout, "%s ChargeDesk would send it again every hour for 3 days\n", colors.Yellow("⚠"))
	}
	return cli.Exit(cli.ExitFailed)
}

// postEvent posts an event as ChargeDesk does and returns the answer's
// status and its error message, if it has one; redirects are not
// followed.
func postEvent(ctx context.Context, target string, body []byte, timeout time.Duration) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", errors.New("the URL does not make a request")
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, "", fmt.Errorf("no answer within %s", timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text names the URL, which holds the secret
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(answer, &e)
	return resp.StatusCode, e.Error, nil
}

// isHTTPURL reports whether s is an http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
