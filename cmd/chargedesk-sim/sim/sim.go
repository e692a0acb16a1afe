// Package sim is the chargedesk-sim command, as a package so that tests can
// run it in-process. Its API is not stable: to build, send and read
// webhooks in your own tests, use package chargedesktest.
//
// Each command is a *cobra.Command built in a file of its own (serve.go,
// send.go, payload.go, list.go, trigger.go, events_resend.go, listen.go)
// and added in newRootCmd; a command reports
// a wrong command line with usagef, which exits 2.
package sim

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

// usagef returns a usage error: the command exits 2 with a pointer to its
// help.
func usagef(format string, args ...any) error { return cli.Usagef(format, args...) }

// newRootCmd returns chargedesk-sim with its commands.
func newRootCmd(colors cli.Palette) *cobra.Command {
	root := cli.Group(&cobra.Command{
		Use:   "chargedesk-sim <command> [flags]",
		Short: "Play ChargeDesk against a Custom Integration",
		Long: `chargedesk-sim plays ChargeDesk: it serves a local copy of ChargeDesk's REST
API and agent console, sends a Custom Integration webhook to your receiver
and shows what the agent would see, and sends, resends and forwards
ChargeDesk's event notifications.

Exit status: 0 when the command (the action) succeeded, 1 when it failed or
no answer came, 2 when the command line is wrong.`,
		Example: `  chargedesk-sim serve --api-key sk_local_dev_key_0123456789
  chargedesk-sim send refund --url http://127.0.0.1:8080/chargedesk -H 'Authorization: Bearer <secret>'
  chargedesk-sim payload capture --set charge.status=authorized
  chargedesk-sim trigger charge_refunded --url http://127.0.0.1:8080/chargedesk-events/<secret>
  chargedesk-sim listen --forward-to http://127.0.0.1:8080/chargedesk-events/<secret>`,
	})
	root.AddCommand(
		newServeCmd(nil),
		newSendCmd(colors),
		newPayloadCmd(),
		newListCmd(),
		newTriggerCmd(colors),
		newEventsCmd(colors),
		newListenCmd(colors),
		cli.NewVersionCmd(root),
	)
	return root
}

// Run runs the command line args (without the program's name) and returns
// the exit status: 0 when the action succeeded, 1 when it failed or no
// answer came, 2 when the command line is wrong. Help goes to stdout.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Execute(ctx, newRootCmd(cli.NewPalette(cli.IsTerminal(stdout), os.Getenv)), args, stdin, stdout, stderr)
}

// parseAction reads the action argument.
func parseAction(s string) (chargedesk.Action, error) {
	a := chargedesk.Action(strings.TrimPrefix(s, "/"))
	if !a.Valid() {
		return "", usagef("unknown action %q; the actions are %v", s, chargedesk.Actions())
	}
	return a, nil
}

// completeAction completes an action argument.
func completeAction(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, a := range chargedesk.Actions() {
		names = append(names, string(a)+"\t"+a.DefaultPath())
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
