// Package cli holds what the chargedesk and chargedesk-sim commands share on
// top of spf13/cobra: exit statuses, usage errors, the version command and
// colour on a terminal. A command is a *cobra.Command built in a file of its
// own and added to its root; [Execute] runs the root and maps its error to
// an exit status, so no command calls os.Exit.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// The exit statuses every command keeps.
const (
	// ExitOK is success.
	ExitOK = 0
	// ExitFailed is a command that ran and failed (an import with a failed
	// record, a webhook the receiver refused, an unreachable host).
	ExitFailed = 1
	// ExitUsage is a command line that is wrong: an unknown command or
	// flag, a missing or extra argument, a bad flag value.
	ExitUsage = 2
	// ExitInterrupted is a command stopped by Ctrl-C or SIGTERM (128+2, as
	// a shell reports SIGINT).
	ExitInterrupted = 130
)

// UsageError is a mistake in the command line; [Execute] prints it with a
// pointer to the command's help and exits [ExitUsage].
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with the formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitError ends a command with Code. Its Err, when not nil, is printed on
// stderr after the command's name; nil means the command already said why.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an *ExitError with code and no message: the command printed
// its outcome itself.
func Exit(code int) error { return &ExitError{Code: code} }

// Execute runs root with args (without the program's name) and returns the
// exit status: 0 on success, an *ExitError's Code, 2 for a usage error
// (printed with "Run '<command> --help' for usage."), and 1 for any other
// error, printed as "<root name>: <error>". Help goes to stdout with status
// 0. Execute sets root's input, outputs and error handling; nil args mean
// no arguments, never the process's own.
func Execute(ctx context.Context, root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	initHelpFlags(root)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if cmd == nil {
		cmd = root
	}
	var exit *ExitError
	var usage *UsageError
	switch {
	case errors.As(err, &exit):
		if exit.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", root.Name(), exit.Err)
		}
		return exit.Code
	case errors.As(err, &usage), isCobraUsage(err):
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", root.Name(), strings.TrimRight(err.Error(), "\n"), cmd.CommandPath())
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	return ExitFailed
}

// initHelpFlags adds every command's --help flag before cobra looks for the
// command, which it otherwise does only after: "--help send" would read
// send as the flag's value and show the root's help.
func initHelpFlags(c *cobra.Command) {
	c.InitDefaultHelpFlag()
	for _, sub := range c.Commands() {
		initHelpFlags(sub)
	}
}

// isCobraUsage recognises the usage errors cobra makes itself, which carry
// no type: an unknown command, and required flags not set.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "required flag(s) ")
}

// Group makes cmd a command that only holds subcommands (the root, or
// "events" in "events resend"): run without one, it prints its help on
// stderr and is a usage error; with an unknown one, it is a usage error
// that suggests the closest command ("did you mean send?").
func Group(cmd *cobra.Command) *cobra.Command {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return &UsageError{Err: errors.New(msg)}
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		c.SetOut(c.ErrOrStderr())
		_ = c.Help()
		return &UsageError{Err: errors.New("name a command")}
	}
	// Runnable only to report a missing or unknown command: its usage is
	// its Use line alone, not also "<name> [command]".
	cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(), runnableUsage, "Usage:\n  {{.UseLine}}", 1))
	return cmd
}

// runnableUsage is how cobra's usage template starts.
const runnableUsage = "Usage:{{if .Runnable}}\n  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}\n  {{.CommandPath}} [command]{{end}}"

// ExactArgs is cobra.ExactArgs as a usage error, naming what is expected:
// ExactArgs(1, "an action").
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) == n:
			return nil
		case len(args) < n:
			return Usagef("%s needs %s", c.CommandPath(), what)
		}
		return Usagef("%s takes %s, not %q", c.CommandPath(), what, args)
	}
}

// NoArgs is cobra.NoArgs as a usage error.
func NoArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("%s takes no arguments, got %q", c.CommandPath(), args[0])
	}
	return nil
}
