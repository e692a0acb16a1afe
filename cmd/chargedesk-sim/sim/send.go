package sim

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
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

func (f unsetFlag) Set(s string) error {
	o, err := chargedesktest.ParseOverride("-" + s)
	if err != nil || s == "" || strings.Contains(s, "=") {
		return errors.New("is a field path, such as charge or charge.metadata")
	}
	f.o.list = append(f.o.list, o)
	return nil
}

// parseArgs reads "<action> [flags]", flags before or after the action.
func parseArgs(cmd string, args []string, withSend bool) (chargedesk.Action, *options, error) {
	opts := &options{}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.file, "file", "", "")
	fs.Var(setFlag{&opts.overrides}, "set", "")
	fs.Var(unsetFlag{&opts.overrides}, "unset", "")
	if withSend {
		fs.StringVar(&opts.url, "url", defaultURL, "")
		fs.StringVar(&opts.path, "path", "", "")
		fs.Var(&opts.headers, "H", "")
		fs.Var(&opts.headers, "header", "")
		fs.BoolVar(&opts.json, "json", false, "")
		fs.DurationVar(&opts.timeout, "timeout", 10*time.Second, "")
		fs.BoolVar(&opts.verbose, "v", false, "")
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", nil, errHelp
			}
			return "", nil, usagef("%s: %v", cmd, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	switch len(positional) {
	case 0:
		return "", nil, usagef("%s needs an action: one of %v", cmd, chargedesk.Actions())
	case 1:
	default:
		return "", nil, usagef("%s takes one action, not %q", cmd, positional)
	}
	action, err := parseAction(positional[0])
	if err != nil {
		return "", nil, err
	}
	if withSend && opts.timeout <= 0 {
		return "", nil, usagef("--timeout must be more than 0")
	}
	if opts.path != "" && !strings.HasPrefix(opts.path, "/") {
		return "", nil, usagef("--path must start with /")
	}
	return action, opts, nil
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

// payload prints the body send would send.
func payload(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	action, opts, err := parseArgs("payload", args, false)
	if err != nil {
		return err
	}
	body, err := buildBody(action, opts, stdin, stderr)
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(body, '\n'))
	return err
}

// send sends the webhook and prints the outcome; failed reports whether
// the action failed as the agent would see it.
func send(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (failed bool, err error) {
	action, opts, err := parseArgs("send", args, true)
	if err != nil {
		return false, err
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
		printOutcome(stdout, out)
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
func printOutcome(w io.Writer, o *chargedesktest.Outcome) {
	switch {
	case o.OK:
		fmt.Fprintf(w, "✔ %s succeeded (HTTP %d)\n", o.Action, o.Status)
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
		fmt.Fprintf(w, "✘ %s failed (HTTP %d): %s\n", o.Action, o.Status, o.ErrorMessage)
	default:
		fmt.Fprintf(w, "✘ %s failed (HTTP %d), with no message for the agent\n", o.Action, o.Status)
	}
	for _, p := range o.Problems {
		fmt.Fprintf(w, "⚠ %s\n", p)
	}
}
