package sim

import (
	"io"

	"github.com/spf13/cobra"
)

func newPayloadCmd() *cobra.Command {
	opts := &options{}
	cmd := &cobra.Command{
		Use:   "payload <action> [flags]",
		Short: "Print the payload send would send",
		Long: `Print the payload send would send for an action: the example of ChargeDesk's
documentation (or --file), changed by --set and --unset in order. The
output is JSON, for a script or for --file.`,
		Example:           `  chargedesk-sim payload capture --set charge.status=authorized > capture.json`,
		Args:              actionArg,
		ValidArgsFunction: completeAction,
		RunE: func(c *cobra.Command, args []string) error {
			return payload(args[0], opts, c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	addPayloadFlags(cmd.Flags(), opts)
	return cmd
}

// payload prints the body send would send.
func payload(arg string, opts *options, stdin io.Reader, stdout, stderr io.Writer) error {
	action, err := parseAction(arg)
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
