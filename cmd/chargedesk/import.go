package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

// importFlags are import's flags.
type importFlags struct {
	dryRun      bool
	fromLine    int
	concurrency int
	maxInFlight int
	rate        float64
	maxFailures int
	progress    string
	json        bool
	noLookup    bool
}

func newImportCmd(e env, af *apiFlags) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import <file.jsonl> [flags]",
		Short: "Upsert the records of a JSON Lines file into ChargeDesk",
		Long: `Upsert the charges, customers, subscriptions and products of a JSON Lines
file into ChargeDesk, one record a line (FILE may be - for standard input):

  {"object": "customer", "customer_id": "cus_1", "email": "jane@example.com"}
  {"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}

Each record is one request, a create with duplicate=update, so an import can
run again safely. A line that is not exactly one JSON object in UTF-8, that
repeats a key or spells one in another case, has an unknown field, or holds
an id with surrounding spaces or invisible characters is reported by its
number and nothing is sent for it; the rest go on.

How many records are in flight adapts to ChargeDesk: it grows while the
API's latency stays flat, and backs off on a 429 (waiting out its
Retry-After, then pacing itself under the rate ChargeDesk accepted), on a
502-504 or on rising latency, within --max-in-flight and --rate.

The import stops at once, with one message, when going on is pointless: the
API key is refused (401, 403), the URL is not ChargeDesk's API (404, a
redirect), or the host cannot be reached after the client's retries; and
after --max-failures failed records.

The summary goes to standard output (as one JSON object with --json),
failures in line order; progress is drawn on standard error when it is a
terminal. Exit status: 0 when every record was imported, 1 when any failed
or the import stopped, 2 on a usage error, 130 when interrupted; each early
end prints the --from-line that resumes the import.`,
		Example: `  CHARGEDESK_API_KEY=sk_... chargedesk import records.jsonl
  chargedesk import records.jsonl --dry-run
  chargedesk import records.jsonl --from-line 52001 --max-failures 100 --json
  chargedesk import - --api-url http://127.0.0.1:8090/v1 < records.jsonl`,
		Args: cli.ExactArgs(1, "one FILE.jsonl (or - for standard input)"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"jsonl", "json", "ndjson"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(c *cobra.Command, args []string) error {
			af.resolve(c, e)
			return runImport(c, e, *af, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "validate every line and send nothing")
	fl.IntVar(&f.fromLine, "from-line", 1, "start at this `line`, to resume an interrupted import")
	fl.IntVar(&f.concurrency, "concurrency", 0, "keep exactly `N` records in flight instead of adapting (0: adapt)")
	fl.IntVar(&f.maxInFlight, "max-in-flight", api.DefaultMaxInFlight, "the most records the adaptive concurrency keeps in flight")
	fl.Float64Var(&f.rate, "rate", 0, "the most requests started a `second`, retries included (0: no limit of yours)")
	fl.IntVar(&f.maxFailures, "max-failures", 0, "stop after `N` failed records (0: never)")
	fl.StringVar(&f.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal, else none), bar, lines or none")
	fl.BoolVar(&f.json, "json", false, "print the summary, failures included, as one JSON object")
	fl.BoolVar(&f.noLookup, "no-lookup", false, "no longer needed: accepted, and changes nothing")
	_ = fl.MarkHidden("no-lookup")
	_ = cmd.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions([]string{"auto", "bar", "lines", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runImport(c *cobra.Command, e env, af apiFlags, f importFlags, file string) error {
	stdout, stderr := c.OutOrStdout(), c.ErrOrStderr()
	switch {
	case f.fromLine < 1:
		return cli.Usagef("--from-line must be at least 1")
	case f.concurrency < 0, f.maxInFlight < 1, f.maxFailures < 0:
		return cli.Usagef("--concurrency and --max-failures must not be negative, --max-in-flight at least 1")
	case f.rate < 0:
		return cli.Usagef("--rate must not be negative")
	}
	mode := f.progress
	switch mode {
	case "auto":
		mode = "none"
		if e.terminal {
			mode = "bar"
		}
	case "bar", "lines", "none":
	default:
		return cli.Usagef("--progress must be auto, bar, lines or none")
	}
	in, size, closeIn, err := openInput(file, c.InOrStdin())
	if err != nil {
		return cli.Usagef("%v", err)
	}
	defer closeIn()
	if af.key == "" && !f.dryRun {
		return cli.Usagef("no API key: set CHARGEDESK_API_KEY (or --api-key)")
	}
	if f.noLookup {
		fmt.Fprintln(stderr, "chargedesk: --no-lookup is no longer needed: every import sends one request a record")
	}

	if e.getenv("GOGC") == "" {
		// The import's heap is a few MB of records in flight: collecting
		// it a quarter as often costs a few MB more and saves CPU the
		// server shares on a small machine.
		debug.SetGCPercent(400)
	}
	reader := api.NewJSONLReader(in)
	im := &api.Importer{Concurrency: f.concurrency, MaxInFlight: f.maxInFlight, Rate: f.rate, DryRun: f.dryRun, MaxFailures: f.maxFailures}
	if !f.dryRun {
		conns := f.maxInFlight
		if f.concurrency > 0 {
			conns = f.concurrency
		}
		im.Client = api.NewClient(af.key, api.WithBaseURL(af.url), api.WithConnections(conns),
			api.WithUserAgent("chargedesk-import/"+cli.ReadBuild().Version))
	}
	shown := newProgressView(stderr, mode, size, reader.BytesRead)
	im.Progress = shown.update
	stopView := shown.start()
	summary, err := im.Run(c.Context(), reader.Records(f.fromLine))
	stopView()
	if err != nil {
		return err
	}
	if f.json {
		if err := printJSONSummary(stdout, summary, f.dryRun, reader.Err()); err != nil {
			return err
		}
	} else {
		printSummary(stdout, summary, f.dryRun, e.colors)
	}
	resume := fmt.Sprintf("resume with --from-line %d", summary.ResumeLine)
	var stop *api.StopError
	switch {
	case reader.Err() != nil:
		return &cli.ExitError{Code: cli.ExitFailed, Err: fmt.Errorf("import: reading stopped: %v; %s", reader.Err(), resume)}
	case summary.Interrupted:
		w := stdout
		if f.json {
			w = stderr
		}
		fmt.Fprintf(w, "interrupted: %s\n", resume)
		return cli.Exit(cli.ExitInterrupted)
	case errors.As(summary.Stopped, &stop):
		return &cli.ExitError{Code: cli.ExitFailed, Err: fmt.Errorf("import stopped: %s; %s", stopAdvice(stop, af), resume)}
	case errors.Is(summary.Stopped, api.ErrTooManyFailures):
		return &cli.ExitError{Code: cli.ExitFailed, Err: fmt.Errorf("import stopped after %d failed records (--max-failures %d); %s", summary.Failed, f.maxFailures, resume)}
	case summary.Failed > 0:
		return cli.Exit(cli.ExitFailed)
	}
	return nil
}

// stopAdvice says why the import stopped and what to check.
func stopAdvice(stop *api.StopError, af apiFlags) string {
	switch stop.Kind {
	case api.StopAuth:
		return fmt.Sprintf("ChargeDesk refused the API key (%v); check CHARGEDESK_API_KEY or --api-key", stop.Err)
	case api.StopNotFound:
		return fmt.Sprintf("%s is not ChargeDesk's API (%v); check --api-url or CHARGEDESK_API_URL, which ends in /v1", af.url, stop.Err)
	case api.StopRedirect:
		return fmt.Sprintf("ChargeDesk's API answered with a redirect (%v); check --api-url or CHARGEDESK_API_URL", stop.Err)
	case api.StopUnreachable:
		return fmt.Sprintf("ChargeDesk's API could not be reached after retries (%v); check the network and --api-url", stop.Err)
	}
	return stop.Error()
}

// openInput opens the file (or standard input for "-") and returns its
// size when known, for the progress percentage.
func openInput(name string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if name == "-" {
		return stdin, 0, func() {}, nil
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	var size int64
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return file, size, func() { file.Close() }, nil
}
