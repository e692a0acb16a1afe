// Package sim is the chargedesk-sim command, as a package so that tests can
// run it in-process. Its API is not stable: to build, send and read
// webhooks in your own tests, use package chargedesktest.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usage = `chargedesk-sim plays ChargeDesk: it serves a local copy of ChargeDesk's REST
API, and sends a Custom Integration webhook to your receiver and shows what
the agent would see.

Usage:
  chargedesk-sim serve [flags]             run a local ChargeDesk REST API
  chargedesk-sim send <action> [flags]     send the example payload of an action
  chargedesk-sim payload <action> [flags]  print the payload send would send
  chargedesk-sim list                      list the actions and their paths

Flags of serve:
  --addr ADDR        where to listen (default 127.0.0.1:8090); the agent
                     console is at /, the API at /v1
  --base-path URL    the Custom Integration's Base Path: agent actions (the
                     API's gateway operations and the console's buttons)
                     are sent there as webhooks, and the answer applied
  -H 'Name: value'   a header of the Custom Integration; repeatable
  --path action=/p   an action's path below the Base Path; repeatable
  --webhook-timeout D  how long to wait for an answer (default 30s)
  --api-key KEY      the secret key clients must send (default: made up and
                     printed)
  --state FILE       load the records from FILE at start, save them there
                     at exit
  --rate-limit N     answer 429 with Retry-After above N requests a second
  --fail-rate P      answer this fraction of requests (0 to 1) with 503
  --latency D        delay every answer by D (such as 50ms)
  --clock TIME       start the local ChargeDesk's clock at TIME (RFC 3339),
                     running on from there: records are stamped by it

Flags of send (payload takes --file, --set and --unset):
  --url URL          the Base Path, as entered in ChargeDesk
                     (default http://127.0.0.1:8080/chargedesk)
  --path PATH        the action's path below the Base Path (default /<action>)
  -H 'Name: value'   a header, as entered in ChargeDesk; repeatable
  --file FILE        the JSON payload to send ("-" for stdin) instead of the
                     documented example
  --set path=value   change a payload field; repeatable, applied in order;
                     a field the payload lacks is added, with a warning.
                     A JSON literal is sent as such (5.00, true, null,
                     "quoted text", {...}), anything else as a string:
                     --set refund_amount=5.00 --set charge.status=authorized
  --unset path       remove a payload field: --unset charge; repeatable
  --json             print the outcome as JSON
  --timeout D        give up waiting for the answer after D (default 10s)
  -v                 print the request and its body on stderr; header values
                     with fixed text (secrets) are masked, placeholder-only
                     ones shown filled

The URL, the path and header values may hold {field} placeholders, filled
from the payload as ChargeDesk fills them: -H 'X-Charge: {charge_id}'.

Exit status: 0 when the action succeeded, 1 when it failed or no answer
came, 2 when the command is wrong.
`

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errHelp is -h or --help after a command: the usage goes to stdout.
var errHelp = errors.New("help requested")

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// Run runs the command line args (without the program's name) and returns
// the exit status: 0 when the action succeeded, 1 when it failed or no
// answer came, 2 when the command line is wrong.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "send":
		var failed bool
		failed, err = send(ctx, args[1:], stdin, stdout, stderr)
		if err == nil && failed {
			return exitFailed
		}
	case "payload":
		err = payload(args[1:], stdin, stdout, stderr)
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr, nil)
	case "list":
		if len(args) > 1 {
			err = usagef("list takes no arguments")
		} else {
			list(stdout)
		}
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q", args[0])
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "chargedesk-sim: %v\nRun 'chargedesk-sim help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "chargedesk-sim: %v\n", err)
		return exitFailed
	}
}

// list prints the actions, their default paths and what they ask.
func list(w io.Writer) {
	what := map[chargedesk.Action]string{
		chargedesk.ActionRefund:         "refund part or all of a paid charge (refund_amount)",
		chargedesk.ActionCapture:        "capture an authorized charge",
		chargedesk.ActionVoid:           "void an authorized charge",
		chargedesk.ActionCancel:         "cancel (cancel, cancel-immediately, cancel-period-end) or suspend a subscription",
		chargedesk.ActionReactivate:     "reactivate a suspended or pending-cancellation subscription",
		chargedesk.ActionEditPlans:      "replace a subscription's plans",
		chargedesk.ActionRequestPayment: "ask the customer to pay a charge; answers redirect_url",
	}
	for _, a := range chargedesk.Actions() {
		fmt.Fprintf(w, "%-16s %-17s %s\n", a, a.DefaultPath(), what[a])
	}
}

// parseAction reads the action argument.
func parseAction(s string) (chargedesk.Action, error) {
	a := chargedesk.Action(strings.TrimPrefix(s, "/"))
	if !a.Valid() {
		return "", usagef("unknown action %q; the actions are %v", s, chargedesk.Actions())
	}
	return a, nil
}
