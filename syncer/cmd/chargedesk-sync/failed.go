package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/syncer"
)

func newFailed(opts *options) *cobra.Command {
	limit := 100
	cmd := &cobra.Command{
		Use:   "failed",
		Short: "List the failed pushes, oldest first",
		Long: `failed lists the pushes kept as failed, oldest first: the job id (for retry),
the object, its state (cancelled: ChargeDesk refused it, fix the cause; discarded:
it failed too many times), its attempts, when it failed, and its last error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > syncer.MaxFailedList {
				return fmt.Errorf("%w: --limit must be between 1 and %d", errUsage, syncer.MaxFailedList)
			}
			r, err := opts.runner(cmd.Context())
			if err != nil {
				return err
			}
			defer r.Close()
			failed, err := r.Failed(cmd.Context(), limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if opts.json {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(failed)
			}
			if len(failed) == 0 {
				_, err := fmt.Fprintln(out, "No failed pushes.")
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JOB\tOBJECT\tID\tSTATE\tATTEMPTS\tFAILED AT\tERROR")
			for _, f := range failed {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", f.JobID, f.Object, f.ID, f.State, f.Attempts,
					f.FailedAt.UTC().Format(time.RFC3339), f.Error)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", limit, "list at most this many")
	return cmd
}
