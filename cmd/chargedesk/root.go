package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

// env is what the commands read from outside their flags.
type env struct {
	getenv func(string) string
	// terminal reports whether stderr is a terminal: progress is drawn
	// there only then.
	terminal bool
	// colors paint standard output when it is a terminal.
	colors cli.Palette
}

// apiFlags are the flags every command that calls the API shares.
type apiFlags struct {
	url, key string
}

// resolve fills the flags the command line did not set from their
// environment fallbacks.
func (f *apiFlags) resolve(c *cobra.Command, e env) {
	if !c.Flags().Changed("api-url") {
		if u := e.getenv("CHARGEDESK_API_URL"); u != "" {
			f.url = u
		}
	}
	if !c.Flags().Changed("api-key") {
		f.key = e.getenv("CHARGEDESK_API_KEY")
	}
}

// newRootCmd returns the chargedesk command with its subcommands: one file
// each, added here.
func newRootCmd(e env) *cobra.Command {
	root := cli.Group(&cobra.Command{
		Use:   "chargedesk <command> [flags]",
		Short: "Work with ChargeDesk's REST API from the shell",
		Long: `chargedesk works with ChargeDesk's REST API from the shell.

The API key comes from --api-key or $CHARGEDESK_API_KEY (prefer the
variable: flags show in process lists), the API's URL from --api-url or
$CHARGEDESK_API_URL.`,
		Example: `  CHARGEDESK_API_KEY=sk_... chargedesk import records.jsonl
  chargedesk import records.jsonl --api-url http://127.0.0.1:8090/v1 --json`,
	})
	var af apiFlags
	root.PersistentFlags().StringVar(&af.url, "api-url", api.DefaultBaseURL, "ChargeDesk's API `URL`, such as a local ChargeDesk's http://127.0.0.1:8090/v1 (default $CHARGEDESK_API_URL, else the real API)")
	root.PersistentFlags().StringVar(&af.key, "api-key", "", "the secret API `key` (default $CHARGEDESK_API_KEY)")
	root.AddCommand(
		newImportCmd(e, &af),
		cli.NewVersionCmd(root),
	)
	return root
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, terminal bool) int {
	e := env{getenv: getenv, terminal: terminal, colors: cli.NewPalette(cli.IsTerminal(stdout), getenv)}
	return cli.Execute(ctx, newRootCmd(e), args, stdin, stdout, stderr)
}
