package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// The throughput load test: the example, built and run as a user runs it
// (a secret, its real configuration, JSON logs to stderr, which is a pipe
// the test drains), against the plain net/http handler of internal/plain,
// in alternating rounds on the same machine, each driven by 16 keep-alive
// clients sending refunds on new charge ids. It reports; it asserts only
// that every answer was a 200, never a speed (see docs/performance.md).
//
// Without CHARGEDESK_LOAD it runs two short rounds, so that the mode keeps
// working. With CHARGEDESK_LOAD=1 it runs the rounds of docs/performance.md;
// with CHARGEDESK_LOAD_MINUTES=N as well it then loads the example alone for
// N minutes and samples its resident memory every 30 s.

const loadSecret = "load-secret-0123456789abcdef"

// process is a server the test started; it is killed when the test ends.
type process struct {
	cmd       *exec.Cmd
	url       string        // the Base Path's URL
	logLines  *atomic.Int64 // lines read from its stderr
	logBytes  *atomic.Int64
	drainDone chan struct{}
}

// buildTo builds pkg into dir and returns the binary's path.
func buildTo(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	require.NoError(t, err, "%s", b)
	return out
}

// start runs bin with env, stderr to a pipe it drains, and waits for the URL
// it prints on stdout.
func start(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "CHARGEDESK_SECRET=" + loadSecret}, env...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, logLines: new(atomic.Int64), logBytes: new(atomic.Int64), drainDone: make(chan struct{})}
	go func() {
		defer close(p.drainDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logLines.Add(1)
			p.logBytes.Add(int64(len(sc.Bytes()) + 1))
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-p.drainDone
	})
	ready := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if i := strings.Index(line, "http://"); i >= 0 {
				ready <- strings.TrimSpace(line[i:])
				_, _ = io.Copy(io.Discard, r)
				return
			}
			if err != nil {
				ready <- ""
				return
			}
		}
	}()
	select {
	case u := <-ready:
		require.NotEmpty(t, u, "%s printed no URL", bin)
		p.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start", bin)
	}
	return p
}

// rss is the process's resident memory, from /proc.
func (p *process) rss(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// cpu is the CPU time the process has used so far, user and system, from
// /proc.
func (p *process) cpu(t *testing.T) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	require.NoError(t, err)
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th of them, in clock ticks.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	require.Greater(t, len(f), 12, "%s", b)
	utime, err := strconv.ParseInt(f[11], 10, 64)
	require.NoError(t, err)
	stime, err := strconv.ParseInt(f[12], 10, 64)
	require.NoError(t, err)
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// refundTemplate is a refund on a charge whose ids (ChargeDesk's charge_id
// and the platform's transaction_id) end in a run of zeros the driver
// replaces with a request number: the parts of the body around them.
func refundTemplate(t testing.TB) [][]byte {
	const marker = "load-0000000000000000"
	body, err := chargedesktest.Build(chargedesk.ActionRefund, chargedesktest.SetString("charge.charge_id", "ch-"+marker),
		chargedesktest.SetString("charge.transaction_id", "tx-"+marker), chargedesktest.Set("refund_amount", "12.34"))
	require.NoError(t, err)
	parts := bytes.Split(body, []byte(marker))
	require.Len(t, parts, 3)
	return parts
}

// appendRefund appends to b the template's refund on charge n.
func appendRefund(b []byte, parts [][]byte, n int64) []byte {
	for i, p := range parts {
		if i > 0 {
			b = fmt.Appendf(b, "load-%016d", n)
		}
		b = append(b, p...)
	}
	return b
}

// drive sends n refunds (or as many as fit in d) to url from conc
// keep-alive clients, each on a new charge id, and returns the rate of 200s
// and how many answers were not 200.
func drive(t *testing.T, url string, conc, n int, d time.Duration, next *atomic.Int64) (perSecond float64, failed int64) {
	parts := refundTemplate(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, bad, sent atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for range conc {
		wg.Go(func() {
			for ctx.Err() == nil && sent.Add(1) <= int64(n) {
				body := appendRefund(nil, parts, next.Add(1))
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/refund", bytes.NewReader(body))
				if err != nil {
					bad.Add(1)
					continue
				}
				req.Header.Set("Authorization", "Bearer "+loadSecret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(begin).Seconds(), bad.Load()
}

func TestThroughputAgainstPlainHandler(t *testing.T) {
	rounds, n, capPerRound := 1, 500, 10*time.Second
	if os.Getenv("CHARGEDESK_LOAD") != "" {
		rounds, n, capPerRound = 9, 15_000, 30*time.Second
	}
	dir := t.TempDir()
	example := start(t, buildTo(t, dir, ".", "inmemory"))
	plain := start(t, buildTo(t, dir, "./internal/plain", "plain"))

	const conc = 16
	var next atomic.Int64
	// A warm-up for each, so that neither pays for its first connections.
	for _, p := range []*process{plain, example} {
		_, failed := drive(t, p.url, conc, 500, capPerRound, &next)
		require.Zero(t, failed)
	}
	var plainRates, exampleRates, ratios, plainCPU, exampleCPU []float64
	// perRefund is the server's CPU time per refund over one round, in µs.
	perRefund := func(p *process, n int) (float64, float64) {
		before := p.cpu(t)
		r, failed := drive(t, p.url, conc, n, capPerRound, &next)
		require.Zero(t, failed, "an answer other than 200")
		used := p.cpu(t) - before
		return r, float64(used.Microseconds()) / float64(n)
	}
	for round := range rounds {
		pr, pc := perRefund(plain, n)
		er, ec := perRefund(example, n)
		plainRates, exampleRates, ratios = append(plainRates, pr), append(exampleRates, er), append(ratios, er/pr)
		plainCPU, exampleCPU = append(plainCPU, pc), append(exampleCPU, ec)
		t.Logf("round %d: plain %.0f/s, example %.0f/s, ratio %.2f; server CPU per refund: plain %.0f µs, example %.0f µs",
			round+1, pr, er, er/pr, pc, ec)
	}
	// The figure is the median of the rounds' ratios: each round's pair ran
	// back to back, so a slower moment of a shared machine weighs on both.
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	t.Logf("%d rounds of %d refunds, %d clients: plain %.0f/s, example %.0f/s (medians); example/plain %.2fx (median of the rounds' ratios)",
		rounds, n, conc, median(plainRates), median(exampleRates), median(ratios))
	t.Logf("server CPU per refund (medians): plain %.0f µs, example %.0f µs", median(plainCPU), median(exampleCPU))
	t.Logf("the example logged %d lines (%d bytes) to its stderr pipe", example.logLines.Load(), example.logBytes.Load())
	require.Positive(t, example.logLines.Load(), "the example logs to its pipe while it is measured")

	minutes, _ := strconv.Atoi(os.Getenv("CHARGEDESK_LOAD_MINUTES"))
	if minutes <= 0 || os.Getenv("CHARGEDESK_LOAD") == "" {
		return
	}
	// Sustained new-id load on the example alone, with its default
	// settings: its memory is bounded by the duplicate window (so it
	// follows the rate) and by the ledger's limit of objects.
	sustained := start(t, buildTo(t, dir, ".", "inmemory"))
	stop := time.Now().Add(time.Duration(minutes) * time.Minute)
	for minute := 0.0; time.Now().Before(stop); minute += 0.5 {
		rate, failed := drive(t, sustained.url, conc, 1<<30, 30*time.Second, &next)
		require.Zero(t, failed)
		t.Logf("minute %4.1f: %.0f refunds/s, RSS %.1f MiB", minute+0.5, rate, float64(sustained.rss(t))/(1<<20))
	}
}
