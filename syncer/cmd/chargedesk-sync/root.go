package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/syncer"
)

// env is the variable that names the store.
const env = "CHARGEDESK_STORE"

// errUsage marks a usage error (exit 2).
var errUsage = errors.New("usage")

// options are the flags every command shares.
type options struct {
	store string
	json  bool
	open  func(ctx context.Context, store string) (syncer.Runner, error)
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	opts := &options{open: func(ctx context.Context, store string) (syncer.Runner, error) {
		return syncer.Open(ctx, store, syncer.Config{})
	}}
	root := newRoot(opts, getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "chargedesk-sync:", err)
		return 2
	}
	fmt.Fprintln(stderr, "chargedesk-sync:", err)
	return 1
}

func newRoot(opts *options, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "chargedesk-sync",
		Short: "List and retry the pushes to ChargeDesk that the syncer keeps as failed",
		Long: `chargedesk-sync lists and retries the pushes to ChargeDesk that the syncer keeps
as failed: those ChargeDesk refused (a 4xx naming a field) and those that failed
too many times. It works on the workers' store: $` + env + ` or --store, a
postgres:// URL or sqlite:PATH.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&opts.store, "store", getenv(env), "the store: a postgres:// URL or sqlite:PATH (default $"+env+")")
	root.PersistentFlags().BoolVar(&opts.json, "json", false, "write JSON, for scripts")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return fmt.Errorf("%w: %v", errUsage, err) })
	root.AddCommand(newFailed(opts), newRetry(opts))
	return root
}

// runner opens the store.
func (o *options) runner(ctx context.Context) (syncer.Runner, error) {
	if o.store == "" {
		return nil, fmt.Errorf("%w: no store: set %s or --store", errUsage, env)
	}
	return o.open(ctx, o.store)
}
