// Command webhookload is a load generator for a Custom Integration
// receiver, as hey or wrk would be used on one, but sending what ChargeDesk
// sends: refund webhooks of the documented payload, each on a new charge
// (a new charge_id and transaction_id), from keep-alive clients.
//
//	go run ./loadtest/webhookload -url http://127.0.0.1:8080/chargedesk -H 'Authorization: Bearer <secret>' -c 64 -d 10m -pid <receiver's pid>
//
// It prints a line every interval (requests, rate, latency percentiles,
// statuses and, with -pid, the receiver's resident memory from /proc) and
// a summary at the end; -json prints the summary as JSON. -rate holds the
// load at a steady rate, for memory over time. It stops after
// -d or -n, whichever comes first, or on SIGINT.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// headers collects -H 'Name: value'.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type options struct {
	url         string
	header      headers
	concurrency int
	duration    time.Duration
	requests    int64
	every       time.Duration
	pid         int
	json        bool
	timeout     time.Duration
	rate        float64
}

func main() {
	o := options{}
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080/chargedesk", "the receiver's Base Path")
	flag.Var(&o.header, "H", "a header to send, 'Name: value' (repeatable)")
	flag.IntVar(&o.concurrency, "c", 16, "clients sending at once, each on a keep-alive connection")
	flag.DurationVar(&o.duration, "d", time.Minute, "how long to send")
	flag.Int64Var(&o.requests, "n", 0, "stop after this many requests (0: no limit)")
	flag.DurationVar(&o.every, "every", 30*time.Second, "how often to print a line")
	flag.IntVar(&o.pid, "pid", 0, "the receiver's process id, to sample its resident memory")
	flag.BoolVar(&o.json, "json", false, "print the summary as JSON")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "a request's timeout")
	flag.Float64Var(&o.rate, "rate", 0, "send at most this many requests a second, from all clients together (0: as fast as answered),\nas hey's -q does: a steady load shows memory that grows with time rather than with the rate")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
	if o.json {
		_ = json.NewEncoder(os.Stdout).Encode(s)
	}
}

// idZeros is where a request's charge ids go: the run's 6 digits, then
// the request's number in 12.
const idZeros = "000000000000000000"

// summary is a run's outcome.
type summary struct {
	Requests  int64            `json:"requests"`
	Seconds   float64          `json:"seconds"`
	PerSecond float64          `json:"per_second"`
	P50ms     float64          `json:"p50_ms"`
	P90ms     float64          `json:"p90_ms"`
	P99ms     float64          `json:"p99_ms"`
	MaxMs     float64          `json:"max_ms"`
	Statuses  map[string]int64 `json:"statuses"`
	RSSMiB    []float64        `json:"rss_mib,omitempty"` // one sample each interval
}

// stats are the latencies and statuses of one interval.
type stats struct {
	mu        sync.Mutex
	latencies []time.Duration
	statuses  map[string]int64
}

func (s *stats) add(d time.Duration, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latencies = append(s.latencies, d)
	s.statuses[status]++
}

// take returns the interval's figures and starts the next.
func (s *stats) take() ([]time.Duration, map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, st := s.latencies, s.statuses
	s.latencies, s.statuses = make([]time.Duration, 0, len(l)), map[string]int64{}
	return l, st
}

func run(ctx context.Context, o options, out io.Writer) (*summary, error) {
	template, err := chargedesktest.Build(chargedesk.ActionRefund,
		chargedesktest.SetString("charge.charge_id", "load-"+idZeros),
		chargedesktest.SetString("charge.transaction_id", "tx-load-"+idZeros))
	if err != nil {
		return nil, err
	}
	header := http.Header{"Content-Type": {"application/json"}}
	for _, h := range o.header {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("-H %q is not 'Name: value'", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	target := strings.TrimRight(o.url, "/") + chargedesk.ActionRefund.DefaultPath()
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency}
	client := &http.Client{Transport: transport, Timeout: o.timeout}
	defer transport.CloseIdleConnections()

	pace := rate.NewLimiter(rate.Inf, 0)
	if o.rate > 0 {
		pace = rate.NewLimiter(rate.Limit(o.rate), max(1, int(o.rate/100)))
	}
	var next atomic.Int64
	run := fmt.Sprintf("%06d", time.Now().UnixNano()%1_000_000)
	interval := &stats{statuses: map[string]int64{}}
	var all []time.Duration
	total := map[string]int64{}
	var wg sync.WaitGroup
	start := time.Now()
	for range o.concurrency {
		wg.Go(func() {
			body := bytes.Clone(template)
			for ctx.Err() == nil {
				if pace.Wait(ctx) != nil {
					return // the run ended
				}
				n := next.Add(1)
				if o.requests > 0 && n > o.requests {
					return
				}
				id := fmt.Sprintf("%s%012d", run, n) // never repeats within a run
				stamp(body, id)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
				if err != nil {
					return
				}
				req.Header = header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				status := "error"
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = strconv.Itoa(resp.StatusCode)
				} else if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
					return // the run ended under it: not counted
				}
				interval.add(time.Since(t0), status)
			}
		})
	}
	s := &summary{Statuses: total}
	ticker := time.NewTicker(o.every)
	defer ticker.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	report := func(final bool) {
		l, st := interval.take()
		all = append(all, l...)
		for k, v := range st {
			total[k] += v
		}
		line := fmt.Sprintf("%7.1fs %9d requests %8.0f/s p50 %6.2fms p99 %6.2fms %v",
			time.Since(start).Seconds(), len(all), float64(len(l))/o.every.Seconds(), ms(percentile(l, 50)), ms(percentile(l, 99)), st)
		if o.pid > 0 {
			if rss, err := residentMiB(o.pid); err == nil {
				s.RSSMiB = append(s.RSSMiB, rss)
				line += fmt.Sprintf(" rss %.0f MiB", rss)
			}
		}
		if !final && !o.json {
			fmt.Fprintln(out, line)
		}
	}
	for waiting := true; waiting; {
		select {
		case <-ticker.C:
			report(false)
		case <-done:
			waiting = false
		}
	}
	report(true)
	elapsed := time.Since(start)
	s.Requests, s.Seconds = int64(len(all)), elapsed.Seconds()
	s.PerSecond = float64(len(all)) / elapsed.Seconds()
	s.P50ms, s.P90ms, s.P99ms = ms(percentile(all, 50)), ms(percentile(all, 90)), ms(percentile(all, 99))
	s.MaxMs = ms(percentile(all, 100))
	if !o.json {
		fmt.Fprintf(out, "\n%d requests in %.1fs: %.0f/s; latency p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms; statuses %v\n",
			s.Requests, s.Seconds, s.PerSecond, s.P50ms, s.P90ms, s.P99ms, s.MaxMs, s.Statuses)
	}
	return s, nil
}

// stamp writes id over the template's ids: the 18 digits after "load-".
func stamp(body []byte, id string) {
	for _, marker := range [][]byte{[]byte(`"load-`), []byte(`"tx-load-`)} {
		if i := bytes.Index(body, marker); i >= 0 {
			copy(body[i+len(marker):], id)
		}
	}
}

func percentile(l []time.Duration, p int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// residentMiB reads a process's resident memory from /proc.
func residentMiB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}
