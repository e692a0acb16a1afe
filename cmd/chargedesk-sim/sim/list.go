package sim

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

func newListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the agent actions, their default paths and what they ask",
		Args:  cli.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if asJSON {
				return listJSON(c.OutOrStdout())
			}
			list(c.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the actions as a JSON array of {"action", "path", "description"}`)
	return cmd
}

// list prints the actions, their default paths and what they ask.
func list(w io.Writer) {
	for _, a := range chargedesk.Actions() {
		fmt.Fprintf(w, "%-16s %-17s %s\n", a, a.DefaultPath(), a.Description())
	}
}

func listJSON(w io.Writer) error {
	type action struct {
		Action      chargedesk.Action `json:"action"`
		Path        string            `json:"path"`
		Description string            `json:"description"`
	}
	out := []action{}
	for _, a := range chargedesk.Actions() {
		out = append(out, action{a, a.DefaultPath(), a.Description()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
