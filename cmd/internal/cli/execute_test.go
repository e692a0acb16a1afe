package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
)

// tool is a root with one command whose outcome the test sets.
func tool(outcome error) *cobra.Command {
	root := Group(&cobra.Command{Use: "tool <command> [flags]", Short: "a tool"})
	var n int
	run := &cobra.Command{Use: "run <thing>", Short: "run a thing", Args: ExactArgs(1, "one thing"),
		RunE: func(*cobra.Command, []string) error { return outcome }}
	run.Flags().IntVar(&n, "count", 1, "how many")
	root.AddCommand(run, NewVersionCmd(root))
	return root
}

func execute(outcome error, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), tool(outcome), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExecuteExitStatuses(t *testing.T) {
	tests := []struct {
		name    string
		outcome error
		args    []string
		code    int
		stderr  string
	}{
		{"success", nil, []string{"run", "x"}, ExitOK, ""},
		{"flags after the argument", nil, []string{"run", "x", "--count", "2"}, ExitOK, ""},
		{"failure said", errors.New("it broke"), []string{"run", "x"}, ExitFailed, "tool: it broke\n"},
		{"failure already said", Exit(ExitFailed), []string{"run", "x"}, ExitFailed, ""},
		{"interrupted", Exit(ExitInterrupted), []string{"run", "x"}, ExitInterrupted, ""},
		{"usage from the command", Usagef("--count must be positive"), []string{"run", "x"}, ExitUsage,
			"tool: --count must be positive\nRun 'tool run --help' for usage.\n"},
		{"missing argument", nil, []string{"run"}, ExitUsage, "tool: tool run needs one thing\n"},
		{"extra argument", nil, []string{"run", "x", "y"}, ExitUsage, `tool run takes one thing, not ["x" "y"]`},
		{"unknown flag", nil, []string{"run", "x", "--cuont", "2"}, ExitUsage, "tool: unknown flag: --cuont\nRun 'tool run --help' for usage.\n"},
		{"bad flag value", nil, []string{"run", "x", "--count", "two"}, ExitUsage, `invalid argument "two" for "--count"`},
		{"mistyped command", nil, []string{"rnu", "x"}, ExitUsage, `tool: unknown command "rnu" for "tool"; did you mean run?`},
		{"no command", nil, nil, ExitUsage, "name a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := execute(tt.outcome, tt.args...)
			assert.Equal(t, tt.code, code)
			if tt.stderr == "" {
				assert.Empty(t, errOut)
			} else {
				assert.Contains(t, errOut, tt.stderr)
			}
		})
	}
}

// Help goes to stdout with status 0, wherever --help stands.
func TestExecuteHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage:\n  tool <command> [flags]\n\nAvailable Commands:"},
		{[]string{"help"}, "Usage:\n  tool <command> [flags]\n\nAvailable Commands:"},
		{[]string{"run", "--help"}, "Usage:\n  tool run <thing> [flags]\n\nFlags:\n      --count int"},
		{[]string{"--help", "run"}, "--count int"},
		{[]string{"run", "x", "-h"}, "--count int"},
		{[]string{"help", "run"}, "--count int"},
	} {
		code, out, errOut := execute(nil, tt.args...)
		assert.Equal(t, ExitOK, code, tt.args)
		assert.Empty(t, errOut, tt.args)
		assert.Contains(t, out, tt.want, tt.args)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := execute(nil, "version")
	assert.Equal(t, ExitOK, code)
	assert.Regexp(t, `^tool \S+ \(library \S+.*, go1\.\d+.* \S+/\S+\)\n$`, out)
	code, out2, _ := execute(nil, "--version")
	assert.Equal(t, ExitOK, code)
	assert.Equal(t, out, out2)
	b := ReadBuild()
	assert.NotEmpty(t, b.Version, "(devel) from a checkout")
	assert.NotEmpty(t, b.Library)
}

func TestPalette(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	assert.Equal(t, "\033[31mx\033[0m", NewPalette(true, env("")).Red("x"))
	assert.Equal(t, "x", NewPalette(true, env("1")).Red("x"), "NO_COLOR")
	assert.Equal(t, "x", NewPalette(false, env("")).Green("x"), "not a terminal")
	assert.False(t, IsTerminal(&bytes.Buffer{}))
}
