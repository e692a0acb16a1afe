package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/chargedesk/chargedesk-go/api"
)

const usage = `usage: chargedesk import [flags] FILE.jsonl

Upserts the charges, customers, subscriptions and products of a JSON Lines
file into ChargeDesk, one record a line (FILE may be - for standard input).
The API key comes from --api-key or CHARGEDESK_API_KEY.

flags:
`

// run is the command; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, terminal bool) int {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			fmt.Fprintln(stderr, "\nchargedesk: name a subcommand: import")
		} else if args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(stderr, "\nchargedesk: unknown subcommand %q\n", args[0])
		}
		return 2
	}
	return runImport(ctx, args[1:], stdin, stdout, stderr, getenv, terminal)
}

type importFlags struct {
	apiURL, apiKey string
	concurrency    int
	rate           float64
	dryRun         bool
	fromLine       int
	noLookup       bool
	progress       string
}

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, terminal bool) int {
	fs := flag.NewFlagSet("chargedesk import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var f importFlags
	fs.StringVar(&f.apiURL, "api-url", api.DefaultBaseURL, "ChargeDesk's API `URL`, such as a local ChargeDesk's http://127.0.0.1:8090/v1")
	fs.StringVar(&f.apiKey, "api-key", "", "the secret API `key` (default $CHARGEDESK_API_KEY; prefer the variable: flags show in process lists)")
	fs.IntVar(&f.concurrency, "concurrency", 4, "records in flight at once")
	fs.Float64Var(&f.rate, "rate", 0, "most records started a `second` (0: no limit)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate every line and send nothing")
	fs.IntVar(&f.fromLine, "from-line", 1, "start at this `line`, to resume an interrupted import")
	fs.BoolVar(&f.noLookup, "no-lookup", false, "skip the read before each upsert that tells created from updated")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto (a bar on a terminal, else lines), bar, lines or none")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "chargedesk import: name one FILE.jsonl (or - for standard input)")
		return 2
	}
	if f.fromLine < 1 || f.concurrency < 1 || f.rate < 0 {
		fmt.Fprintln(stderr, "chargedesk import: --from-line and --concurrency must be at least 1, --rate not negative")
		return 2
	}
	mode := f.progress
	switch mode {
	case "auto":
		mode = "lines"
		if terminal {
			mode = "bar"
		}
	case "bar", "lines", "none":
	default:
		fmt.Fprintln(stderr, "chargedesk import: --progress must be auto, bar, lines or none")
		return 2
	}
	if f.apiKey == "" {
		f.apiKey = getenv("CHARGEDESK_API_KEY")
	}
	if f.apiKey == "" && !f.dryRun {
		fmt.Fprintln(stderr, "chargedesk import: no API key: set CHARGEDESK_API_KEY (or --api-key)")
		return 2
	}

	in, size, closeIn, err := openInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "chargedesk import:", err)
		return 2
	}
	defer closeIn()

	reader := api.NewJSONLReader(in)
	im := &api.Importer{Concurrency: f.concurrency, Rate: f.rate, DryRun: f.dryRun, SkipLookup: f.noLookup}
	if !f.dryRun {
		im.Client = api.NewClient(f.apiKey, api.WithBaseURL(f.apiURL), api.WithUserAgent("chargedesk-import"))
	}
	shown := newProgressView(stderr, mode, size, reader.BytesRead)
	im.Progress = shown.update
	stopView := shown.start()
	summary, err := im.Run(ctx, reader.Records(f.fromLine))
	stopView()
	if err != nil {
		fmt.Fprintln(stderr, "chargedesk import:", err)
		return 2
	}
	printSummary(stdout, summary, f.dryRun)
	switch {
	case reader.Err() != nil:
		fmt.Fprintf(stderr, "chargedesk import: reading stopped: %v; resume with --from-line %d\n", reader.Err(), summary.ResumeLine)
		return 1
	case summary.Interrupted:
		fmt.Fprintf(stdout, "interrupted: resume with --from-line %d\n", summary.ResumeLine)
		return 130
	case summary.Failed > 0:
		return 1
	}
	return 0
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

func printSummary(w io.Writer, s *api.Summary, dryRun bool) {
	rate := 0.0
	if secs := s.Elapsed.Seconds(); secs > 0 {
		rate = float64(s.Done) / secs
	}
	var parts []string
	if dryRun {
		parts = append(parts, fmt.Sprintf("%d valid", s.Valid))
	} else {
		if s.Created+s.Updated > 0 || s.Upserted == 0 {
			parts = append(parts, fmt.Sprintf("%d created", s.Created), fmt.Sprintf("%d updated", s.Updated))
		}
		if s.Upserted > 0 {
			parts = append(parts, fmt.Sprintf("%d upserted", s.Upserted))
		}
	}
	parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	verb := "imported"
	if dryRun {
		verb = "checked (dry run, nothing sent)"
	}
	fmt.Fprintf(w, "%s %d records in %s (%.0f/s): %s\n", verb, s.Done, s.Elapsed.Round(time.Millisecond), rate, strings.Join(parts, ", "))
	for _, f := range s.Failures {
		fmt.Fprintln(w, "  failed:", f.Error())
	}
	if more := s.Failed - len(s.Failures); more > 0 {
		fmt.Fprintf(w, "  ... and %d more failures\n", more)
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// progressView shows an import's progress: a bar redrawn in place on a
// terminal, or a plain line every few seconds.
type progressView struct {
	w     io.Writer
	mode  string
	size  int64
	bytes func() int64

	mu   sync.Mutex
	last api.Progress
}

func newProgressView(w io.Writer, mode string, size int64, bytes func() int64) *progressView {
	return &progressView{w: w, mode: mode, size: size, bytes: bytes}
}

func (v *progressView) update(p api.Progress) {
	v.mu.Lock()
	v.last = p
	v.mu.Unlock()
}

// start draws until the returned function is called, which draws once more.
func (v *progressView) start() (stop func()) {
	if v.mode == "none" {
		return func() {}
	}
	every := 5 * time.Second
	if v.mode == "bar" {
		every = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				v.draw(false)
			case <-done:
				v.draw(true)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (v *progressView) draw(final bool) {
	v.mu.Lock()
	p := v.last
	v.mu.Unlock()
	pct := -1.0
	if v.size > 0 {
		pct = min(100, 100*float64(v.bytes())/float64(v.size))
	}
	rate := 0.0
	if secs := p.Elapsed.Seconds(); secs > 0 {
		rate = float64(p.Done) / secs
	}
	counts := fmt.Sprintf("%d records, %.0f/s, %d failed", p.Done, rate, p.Failed)
	if v.mode == "lines" {
		if pct >= 0 {
			fmt.Fprintf(v.w, "progress: %.0f%%, %s\n", pct, counts)
		} else {
			fmt.Fprintf(v.w, "progress: %s\n", counts)
		}
		return
	}
	const width = 30
	bar := strings.Repeat(" ", width)
	label := "   "
	if pct >= 0 {
		filled := int(pct / 100 * width)
		bar = strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		label = fmt.Sprintf("%3.0f%%", pct)
	}
	fmt.Fprintf(v.w, "\r[%s] %s %s\033[K", bar, label, counts)
	if final {
		fmt.Fprintln(v.w)
	}
}
