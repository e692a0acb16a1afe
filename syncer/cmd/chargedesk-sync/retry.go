package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/syncer"
)

// retried is one retried push, as --json writes it.
type retried struct {
	FailedJobID int64       `json:"failed_job_id"`
	Object      syncer.Kind `json:"object"`
	ID          string      `json:"id"`
	JobID       int64       `json:"job_id"`
}

func newRetry(opts *options) *cobra.Command {
	all := false
	cmd := &cobra.Command{
		Use:   "retry [JOB_ID...]",
		Short: "Push the objects of failed pushes again",
		Long: `retry marks the object of each failed push again, so that a worker pushes its
current state, and deletes the failed push. Name the jobs by id (from failed) or
retry them all with --all. Fix the cause first, or the push fails again.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("%w: name the failed pushes' job ids, or --all", errUsage)
			}
			ids := make([]int64, 0, len(args))
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return fmt.Errorf("%w: %q is not a job id", errUsage, a)
				}
				ids = append(ids, id)
			}
			r, err := opts.runner(cmd.Context())
			if err != nil {
				return err
			}
			defer r.Close()
			objects := map[int64]syncer.Failure{}
			failed, err := r.Failed(cmd.Context(), syncer.MaxFailedList)
			if err != nil {
				return err
			}
			for _, f := range failed {
				objects[f.JobID] = f
				if all {
					ids = append(ids, f.JobID)
				}
			}
			done := make([]retried, 0, len(ids))
			for _, id := range ids {
				newID, err := r.Retry(cmd.Context(), id)
				if err != nil {
					return err
				}
				f := objects[id]
				done = append(done, retried{FailedJobID: id, Object: f.Object, ID: f.ID, JobID: newID})
				if !opts.json {
					fmt.Fprintf(cmd.OutOrStdout(), "retried job %d (%s %s) as job %d\n", id, f.Object, f.ID, newID)
				}
			}
			if opts.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(done)
			}
			if len(done) == 0 {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "No failed pushes.")
				return err
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "retry every failed push")
	return cmd
}
