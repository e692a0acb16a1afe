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

// actionDescriptions says what each action asks of the integration.
func actionDescriptions() map[chargedesk.Action]string {
	return map[chargedesk.Action]string{
		chargedesk.ActionRefund:         "refund part or all of a paid charge (refund_amount)",
		chargedesk.ActionCapture:        "capture an authorized charge",
		chargedesk.ActionVoid:           "void an authorized charge",
		chargedesk.ActionCancel:         "cancel (cancel, cancel-immediately, cancel-period-end) or suspend a subscription",
		chargedesk.ActionReactivate:     "reactivate a suspended or pending-cancellation subscription",
		chargedesk.ActionEditPlans:      "replace a subscription's plans",
		chargedesk.ActionRequestPayment: "ask the customer to pay a charge; answers redirect_url",
	}
}

// list prints the actions, their default paths and what they ask.
func list(w io.Writer) {
	what := actionDescriptions()
	for _, a := range chargedesk.Actions() {
		fmt.Fprintf(w, "%-16s %-17s %s\n", a, a.DefaultPath(), what[a])
	}
}

func listJSON(w io.Writer) error {
	type action struct {
		Action      chargedesk.Action `json:"action"`
		Path        string            `json:"path"`
		Description string            `json:"description"`
	}
	what := actionDescriptions()
	out := []action{}
	for _, a := range chargedesk.Actions() {
		out = append(out, action{a, a.DefaultPath(), what[a]})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
