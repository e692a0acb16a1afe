package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	chargedesk "github.com/chargedesk/chargedesk-go"
)

// secret is the shared secret of the handler under load.
const secret = "Bearer 7f3c9a1e5b2d4c6a8e0f1b3d5a7c9e2f"

// idDigits is how many digits make a request's charge id unique, so that the
// duplicate guard, which stays on, lets every request through.
const idDigits = 9

// settings bound one run of the load test.
type settings struct {
	requests   int           // per concurrency level and handler
	perLevel   time.Duration // time cap per concurrency level and handler
	bigClients int           // clients sending a body at the limit at once
	bodyLimit  int64         // Config.MaxBodyBytes, and the size of their bodies
	bigTimeout time.Duration // time cap for the big-body phase
}

// full is the run the README's figures come from.
var full = settings{requests: 20_000, perLevel: 10 * time.Second, bigClients: 200,
	bodyLimit: chargedesk.DefaultMaxBodyBytes, bigTimeout: 60 * time.Second}

// short is the bounded run for CI: the same phases, smaller.
var short = settings{requests: 400, perLevel: time.Second, bigClients: 200,
	bodyLimit: 64 << 10, bigTimeout: 10 * time.Second}

// TestLoadShort runs the load test small enough for every CI run.
func TestLoadShort(t *testing.T) {
	s := short
	if raceEnabled {
		s.requests, s.bodyLimit = 100, 16<<10
	}
	runLoad(t, s)
}

// TestLoad runs the full load test. It runs only when asked for, with
// -run TestLoad (or ^TestLoad$) or CHARGEDESK_LOAD=1.
func TestLoad(t *testing.T) {
	run := ""
	if f := flag.Lookup("test.run"); f != nil {
		run = f.Value.String()
	}
	if os.Getenv("CHARGEDESK_LOAD") != "1" && run != "TestLoad" && run != "^TestLoad$" {
		t.Skip("the full load test runs with -run TestLoad or CHARGEDESK_LOAD=1")
	}
	runLoad(t, full)
}

// gateway answers every refund at once, or, while a barrier is set, once
// the barrier opens.
type gateway struct {
	chargedesk.UnimplementedGateway
	calls atomic.Int64
	hold  atomic.Pointer[barrier]
}

func (g *gateway) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	g.calls.Add(1)
	if b := g.hold.Load(); b != nil {
		b.wait()
	}
	// As a gateway that reads Raw would, keep the body until answered: the
	// memory figure is then the worst case, every body held at once.
	runtime.KeepAlive(req)
	return nil, nil
}

// barrier holds the first n requests that reach it until all n have, or
// until its time is up: so that every big body is in memory at once.
type barrier struct {
	n       int64
	arrived atomic.Int64
	open    chan struct{}
	timeout <-chan time.Time
}

func newBarrier(n int, d time.Duration) *barrier {
	return &barrier{n: int64(n), open: make(chan struct{}), timeout: time.After(d)}
}

func (b *barrier) wait() {
	if b.arrived.Add(1) == b.n {
		close(b.open)
	}
	select {
	case <-b.open:
	case <-b.timeout:
	}
}

// plainRefund is what the plain handler decodes: the refund's fields, the
// charge as a map.
type plainRefund struct {
	RefundAmount json.Number    `json:"refund_amount"`
	ActionReason string         `json:"action_reason"`
	Charge       map[string]any `json:"charge"`
}

// baseline returns the plain net/http handler the stack is compared with,
// with nothing of this module in it: it checks the secret header, reads the
// body, json.Unmarshals it into a plainRefund and writes a fixed JSON
// answer. While a barrier is set, it waits there after decoding, as the
// stack's gateway does.
func baseline(hold *atomic.Pointer[barrier]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(secret)) != 1 {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, `{"error":"the body could not be read"}`, http.StatusBadRequest)
			return
		}
		var req plainRefund
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":"the body is not valid"}`, http.StatusBadRequest)
			return
		}
		if b := hold.Load(); b != nil {
			b.wait()
		}
		runtime.KeepAlive(body) // held until answered, as the stack's is
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "{}\n")
	}
}

// serve starts h on a new 127.0.0.1 listener and returns its base URL; the
// server is shut down when the test ends.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return "http://" + ln.Addr().String()
}

// target is one server under load.
type target struct {
	name   string
	url    string // of the refund action
	gw     *gateway
	flight *inFlight
	hold   *atomic.Pointer[barrier] // where the big-body phase sets its barrier
}

// inFlight counts the requests inside a handler, and the most at once.
type inFlight struct {
	now, peak atomic.Int64
}

func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.now.Add(1)
		defer f.now.Add(-1)
		for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
		}
		h.ServeHTTP(w, r)
	})
}

func runLoad(t *testing.T, s settings) {
	example, err := os.ReadFile("../chargedesktest/payloads/refund.json")
	require.NoError(t, err)

	logger := zerolog.New(io.Discard).With().Timestamp().Logger()
	gw := &gateway{}
	h, err := chargedesk.NewHandler(gw, chargedesk.Config{
		BasePath:     "/chargedesk",
		Headers:      []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:       &logger,
		MaxBodyBytes: s.bodyLimit,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	var baseHold atomic.Pointer[barrier]
	mux.HandleFunc("POST /chargedesk/refund", baseline(&baseHold))
	stackFlight, baseFlight := &inFlight{}, &inFlight{}
	targets := []target{
		{name: "stack", url: serve(t, stackFlight.wrap(h)) + "/chargedesk/refund", gw: gw, flight: stackFlight, hold: &gw.hold},
		{name: "baseline", url: serve(t, baseFlight.wrap(mux)) + "/chargedesk/refund", flight: baseFlight, hold: &baseHold},
	}
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever the environment says
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 512,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		Timeout: s.bigTimeout,
	}
	t.Cleanup(client.CloseIdleConnections)

	t.Logf("load test: GOMAXPROCS=%d NumCPU=%d %s, %d requests or %s per level, race=%v",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), s.requests, s.perLevel, raceEnabled)
	var lines []string
	lines = append(lines, fmt.Sprintf("%-9s %5s %9s %10s %9s %9s %7s", "handler", "conc", "requests", "req/s", "p50", "p99", "errors"))
	var next atomic.Int64 // unique ids across all phases
	for _, conc := range []int{1, 16, 64} {
		for _, tg := range targets {
			r := drive(t, client, tg.url, example, conc, s.requests, s.perLevel, &next)
			lines = append(lines, fmt.Sprintf("%-9s %5d %9d %10.0f %9s %9s %7d", tg.name, conc, r.count,
				float64(r.count)/r.elapsed.Seconds(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors))
			assert.Zero(t, r.errors, "%s at concurrency %d: %s", tg.name, conc, r.firstError)
			assert.Positive(t, r.count)
		}
	}
	t.Log("throughput and latency (refund, example payload):\n" + strings.Join(lines, "\n"))

	lines = lines[:0]
	lines = append(lines, fmt.Sprintf("%-9s %7s %10s %4s %9s %12s %14s %12s %9s", "handler", "clients", "body", "ok", "in flight", "heap peak", "heap/in flight", "RSS peak", "wall"))
	for _, tg := range targets {
		calls := int64(0)
		if tg.gw != nil {
			calls = tg.gw.calls.Load()
		}
		tg.flight.peak.Store(0)
		tg.hold.Store(newBarrier(s.bigClients, s.bigTimeout/2))
		m := bigBodies(t, client, tg.url, example, s, &next)
		tg.hold.Store(nil)
		peak := tg.flight.peak.Load()
		lines = append(lines, fmt.Sprintf("%-9s %7d %10d %4d %9d %9.1fMiB %11.2fMiB %12s %9s", tg.name, s.bigClients, s.bodyLimit, m.ok, peak,
			mib(m.heapPeak), mib(m.heapPeak)/float64(max(peak, 1)), m.rss, m.elapsed.Round(time.Millisecond)))
		assert.Equal(t, s.bigClients, m.ok, "%s: every body at the limit is accepted; first error: %s", tg.name, m.firstError)
		if tg.gw != nil {
			assert.Equal(t, int64(s.bigClients), tg.gw.calls.Load()-calls, "the gateway is called once per big body")
		}
	}
	t.Log("memory while every client sends a body at the limit at once (in flight: most requests inside the handler at once,\n" +
		"each held after decoding until all have arrived; heap: Go heap objects above the idle heap, sampled every 2ms; RSS: the whole process, clients included):\n" + strings.Join(lines, "\n"))
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// result is one concurrency level's outcome.
type result struct {
	count, errors int
	firstError    string
	elapsed       time.Duration
	p50, p99      time.Duration
}

// drive sends up to n refunds with conc clients, for at most d, each with a
// new charge id, and measures them.
func drive(t *testing.T, client *http.Client, url string, example []byte, conc, n int, d time.Duration, next *atomic.Int64) result {
	t.Helper()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       result
		wg        sync.WaitGroup
		issued    atomic.Int64
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conc {
		wg.Go(func() {
			body, at := stampable(t, example)
			var mine []time.Duration
			var errs int
			var first string
			for issued.Add(1) <= int64(n) && time.Now().Before(deadline) {
				stamp(body[at:at+idDigits], next.Add(1))
				t0 := time.Now()
				err := post(client, url, bytes.NewReader(body), int64(len(body)))
				mine = append(mine, time.Since(t0))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, mine...)
			res.errors += errs
			if res.firstError == "" {
				res.firstError = first
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.count = len(latencies)
	if res.count > 0 {
		slices.Sort(latencies)
		res.p50 = latencies[res.count*50/100]
		res.p99 = latencies[min(res.count-1, res.count*99/100)]
	}
	return res
}

// post sends one webhook and reads the answer; anything but a 200 is an
// error.
func post(client *http.Client, url string, body io.Reader, length int64) error {
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return err
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", secret)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, answer)
	}
	return nil
}

// stampable returns a copy of the example refund with idDigits zeros after
// its charge id, and where they are.
func stampable(t *testing.T, example []byte) ([]byte, int) {
	field := []byte(`"charge_id": "`)
	i := bytes.Index(example, field)
	require.GreaterOrEqual(t, i, 0)
	end := i + len(field) + bytes.IndexByte(example[i+len(field):], '"')
	out := slices.Concat(example[:end], []byte("-"), bytes.Repeat([]byte("0"), idDigits), example[end:])
	return out, end + 1
}

// stamp writes n into digits, zero-padded.
func stamp(digits []byte, n int64) {
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
}

// memory is the outcome of the big-body phase.
type memory struct {
	ok         int
	firstError string
	heapPeak   uint64 // heap object bytes above those before the phase
	rss        string // the process's peak resident set during the phase
	elapsed    time.Duration
}

// bigBodies has s.bigClients clients each send, at once, a valid refund
// padded with an unknown field to exactly s.bodyLimit bytes, and samples the
// heap while they do. The padding is one shared buffer, streamed, so the
// clients themselves hold little memory.
func bigBodies(t *testing.T, client *http.Client, url string, example []byte, s settings, next *atomic.Int64) memory {
	t.Helper()
	template, at := stampable(t, example)
	open := bytes.IndexByte(template, '{')
	head := []byte(`{"padding": "`)
	tail := template[open+1:]
	pad := int(s.bodyLimit) - len(head) - len(`",`) - len(tail)
	require.Positive(t, pad)
	padding := bytes.Repeat([]byte("x"), pad)
	tailAt := at - (open + 1) // where the id's digits are in tail

	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	idle := sample[0].Value.Uint64()

	stop := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		peak := idle
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				sampled <- peak - idle
				return
			case <-tick.C:
			}
		}
	}()

	var (
		mu    sync.Mutex
		m     memory
		wg    sync.WaitGroup
		begin = make(chan struct{})
	)
	start := time.Now()
	for range s.bigClients {
		own := slices.Clone(tail)
		stamp(own[tailAt:tailAt+idDigits], next.Add(1))
		body := io.MultiReader(bytes.NewReader(head), bytes.NewReader(padding), strings.NewReader(`",`), bytes.NewReader(own))
		wg.Go(func() {
			<-begin
			err := post(client, url, body, s.bodyLimit)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				m.ok++
			} else if m.firstError == "" {
				m.firstError = err.Error()
			}
		})
	}
	close(begin)
	wg.Wait()
	m.elapsed = time.Since(start)
	close(stop)
	m.heapPeak = <-sampled
	m.rss = "n/a"
	if hwm, err := peakRSS(); err == nil {
		m.rss = fmt.Sprintf("%.1fMiB", mib(hwm))
		if !resetPeakRSS {
			m.rss += " (since start)"
		}
	}
	return m
}

// peakRSS reads the process's peak resident set (VmHWM) from /proc.
func peakRSS() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.Join(sc.Err(), errors.New("no VmHWM in /proc/self/status"))
}
