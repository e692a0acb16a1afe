package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

const defaultURL = "http://127.0.0.1:8080/chargedesk"

// options are the flags of send and payload.
type options struct {
	url       string
	path      string
	headers   headerFlags
	file      string
	overrides overrideFlags
	json      bool
	timeout   time.Duration
	verbose   bool
}

// headerFlags collects -H 'Name: value'.
type headerFlags struct{ h http.Header }

func (f *headerFlags) String() string { return "" }

// Type names the value in help.
func (f *headerFlags) Type() string { return "'Name: value'" }

func (f *headerFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return errors.New(`a header is 'Name: value'`)
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(name, value)
	return nil
}

// overrideFlags collects --set and --unset in command-line order.
type overrideFlags struct{ list []chargedesktest.Override }

type setFlag struct{ o *overrideFlags }

func (f setFlag) String() string { return "" }

// Type names the value in help.
func (f setFlag) Type() string { return "path=value" }

func (f setFlag) Set(s string) error {
	if strings.HasPrefix(s, "-") {
		return errors.New("is path=value; use --unset to remove a field")
	}
	o, err := chargedesktest.ParseOverride(s)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "chargedesktest: "))
	}
	f.o.list = append(f.o.list, o)
	return nil
}

type unsetFlag struct{ o *overrideFlags }

func (f unsetFlag) String() string { return "" }

// Type names the value in help.
func (f unsetFlag) Type() string { return "path" }

func (f unsetFlag) Set(s string) error {
	o, err := chargedesktest.ParseOverride("-" + s)
	if err != nil || s == "" || strings.Contains(s, "=") {
		return errors.New("is a field path, such as charge or charge.metadata")
	}
	f.o.list = append(f.o.list, o)
	return nil
}

// actionArg takes the one action argument a command acts on.
func actionArg(c *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return usagef("%s needs an action: one of %v", c.Name(), chargedesk.Actions())
	case 1:
		_, err := parseAction(args[0])
		return err
	}
	return usagef("%s takes one action, not %q", c.Name(), args)
}

// addPayloadFlags adds the flags that build the payload: --file, --set and
// --unset.
func addPayloadFlags(fs *pflag.FlagSet, opts *options) {
	fs.StringVar(&opts.file, "file", "", "the JSON payload to send (\"-\" for stdin) instead of the documented example")
	fs.Var(setFlag{&opts.overrides}, "set", "change a payload field, as path=value; repeatable, applied in order; a field the payload\n"+
		"lacks is added, with a warning. A JSON literal is sent as such (5.00, true, null,\n"+
		"\"quoted text\", {...}), anything else as a string:\n--set refund_amount=5.00 --set charge.status=authorized")
	fs.Var(unsetFlag{&opts.overrides}, "unset", "remove a payload `field`: --unset charge; repeatable")
}

func newSendCmd(colors cli.Palette) *cobra.Command {
	opts := &options{}
	cmd := &cobra.Command{
		Use:   "send <action> [flags]",
		Short: "Send the example payload of an action to a receiver and show what the agent sees",
		Long: `Send the example payload of ChargeDesk's documentation for an action (or
--file), changed by --set and --unset, to the Base Path --url followed by
the action's path, as ChargeDesk does; print success and each field
ChargeDesk will update, or the error message the agent sees, and flag
answers ChargeDesk cannot use. Redirects are not followed, as ChargeDesk
does not follow them.

The URL, the path and header values may hold {field} placeholders, filled
from the payload as ChargeDesk fills them: -H 'X-Charge: {charge_id}'.

Exit status: 0 when the action succeeded, 1 when it failed or no answer
came, 2 when the command line is wrong.`,
		Example: `  chargedesk-sim send refund --url http://127.0.0.1:8080/chargedesk -H 'Authorization: Bearer <secret>'
  chargedesk-sim send refund --set refund_amount=5.00 --json
  chargedesk-sim send cancel --set action=suspend --unset refund --unset charge`,
		Args:              actionArg,
		ValidArgsFunction: completeAction,
		RunE: func(c *cobra.Command, args []string) error {
			failed, err := send(c.Context(), args[0], opts, c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr(), colors)
			if err == nil && failed {
				return cli.Exit(cli.ExitFailed)
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.url, "url", defaultURL, "the Base Path, as entered in ChargeDesk")
	fs.StringVar(&opts.path, "path", "", "the action's path below the Base Path (default /<action>)")
	fs.VarP(&opts.headers, "header", "H", "a header, as entered in ChargeDesk, as 'Name: value'; repeatable")
	addPayloadFlags(fs, opts)
	fs.BoolVar(&opts.json, "json", false, "print the outcome as JSON")
	fs.DurationVar(&opts.timeout, "timeout", 10*time.Second, "give up waiting for the answer after this long")
	fs.BoolVarP(&opts.verbose, "verbose", "v", false, "print the request and its body on stderr; header values with fixed\ntext (secrets) are masked, placeholder-only ones shown filled")
	return cmd
}

// buildBody returns the payload to send: the example or --file, with the
// overrides applied.
func buildBody(action chargedesk.Action, opts *options, stdin io.Reader, stderr io.Writer) ([]byte, error) {
	var (
		body []byte
		err  error
	)
	switch opts.file {
	case "":
		body, err = chargedesktest.Payload(action)
	case "-":
		body, err = io.ReadAll(stdin)
	default:
		body, err = os.ReadFile(opts.file)
	}
	if err != nil {
		return nil, usagef("--file: %v", err)
	}
	for _, o := range opts.overrides.list {
		if path, isSet := setPath(o); isSet && !pathExists(body, path) {
			warnNewField(stderr, body, path)
		}
		body, err = chargedesktest.Apply(body, o)
		if err != nil {
			return nil, usagef("%s", strings.TrimPrefix(err.Error(), "chargedesktest: "))
		}
	}
	return body, nil
}

// send sends the webhook and prints the outcome; failed reports whether
// the action failed as the agent would see it.
func send(ctx context.Context, arg string, opts *options, stdin io.Reader, stdout, stderr io.Writer, colors cli.Palette) (failed bool, err error) {
	action, err := parseAction(arg)
	if err != nil {
		return false, err
	}
	if opts.timeout <= 0 {
		return false, usagef("--timeout must be more than 0")
	}
	if opts.path != "" && !strings.HasPrefix(opts.path, "/") {
		return false, usagef("--path must start with /")
	}
	body, err := buildBody(action, opts, stdin, stderr)
	if err != nil {
		return false, err
	}
	in := chargedesktest.Integration{BasePath: opts.url, Header: opts.headers.h}
	if opts.path != "" {
		in.Paths = map[chargedesk.Action]string{action: opts.path}
	}
	if !strings.HasPrefix(opts.url, "http://") && !strings.HasPrefix(opts.url, "https://") {
		return false, usagef("--url must be an http(s) URL, such as %s", defaultURL)
	}
	req, err := in.NewRequest(ctx, action, body)
	if err != nil {
		return false, usagef("%s", strings.TrimPrefix(err.Error(), "chargedesktest: "))
	}
	if opts.verbose {
		printRequest(stderr, req, opts.headers.h, body)
	}
	client := &http.Client{
		Timeout: opts.timeout,
		// ChargeDesk posts to the URL entered; it does not follow redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	out, err := chargedesktest.Send(client, req)
	if err != nil {
		return false, fmt.Errorf("%s was not answered: %v", action, strings.TrimPrefix(err.Error(), "chargedesktest: "))
	}
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return false, err
		}
	} else {
		printOutcome(stdout, out, colors)
	}
	return !out.OK, nil
}

// printRequest shows the request: its URL and header values with their
// placeholders filled, except values whose template holds fixed text (a
// secret), which are masked; then the body.
func printRequest(w io.Writer, req *http.Request, templates http.Header, body []byte) {
	fmt.Fprintf(w, "→ %s %s\n", req.Method, req.URL.Redacted())
	for _, h := range maskedHeaders(templates, req.Header) {
		fmt.Fprintf(w, "  %s: %s\n", h[0], h[1])
	}
	fmt.Fprintf(w, "  Content-Type: %s\n\n%s\n", req.Header.Get("Content-Type"), indent(body))
}

// printOutcome shows the outcome as the agent sees it.
func printOutcome(w io.Writer, o *chargedesktest.Outcome, colors cli.Palette) {
	switch {
	case o.OK:
		fmt.Fprintf(w, "%s %s succeeded (HTTP %d)\n", colors.Green("✔"), o.Action, o.Status)
		if o.RedirectURL != "" {
			fmt.Fprintf(w, "  redirect_url → %s\n", o.RedirectURL)
		}
		changes := o.Changes()
		for _, c := range changes {
			fmt.Fprintf(w, "  %s → %s\n", c.Field, c.Value)
		}
		if len(changes) == 0 {
			fmt.Fprintln(w, "  (no update objects: ChargeDesk updates the charge or subscription itself)")
		}
	case o.ErrorMessage != "":
		fmt.Fprintf(w, "%s %s failed (HTTP %d): %s\n", colors.Red("✘"), o.Action, o.Status, o.ErrorMessage)
	default:
		fmt.Fprintf(w, "%s %s failed (HTTP %d), with no message for the agent\n", colors.Red("✘"), o.Action, o.Status)
	}
	for _, p := range o.Problems {
		fmt.Fprintf(w, "%s %s\n", colors.Yellow("⚠"), p)
	}
}
