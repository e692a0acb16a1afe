package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/internal/faultproxy"
)

// The multi-process tests of the shared backends: receiver processes
// (internal/instance) share one backend and one payment platform whose
// refund is a racy read, pause, check and write, with no locking of its
// own, and which keeps going after its caller gives up, as a real payment
// API does once a request is sent. Only the shared locks keep it from
// refunding more than the charge. In each test the platform never refunds
// more than the charge, and every answer is the truth or says the outcome
// is unknown. Every loop is bounded in count and time; every process is
// stopped by the test.

const instanceSecret = "instances-secret-0123456789abcdef"

// The instances' settings: a short deadline and settle time, so that the
// tests see holds end, and frequent renewals, so that a stopped holder is
// noticed within a second.
var instanceEnv = []string{"TIMEOUT=3s", "SETTLE_TIME=2s", "RENEW_EVERY=200ms"}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// instanceBinary builds internal/instance once per test run.
func instanceBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chargedesk-instance-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "instance")
		out, err := exec.Command("go", "build", "-o", binary, "./internal/instance").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

// charge34 is every charge's amount on the platform.
var charge34 = chargedesk.MustParseAmount("34.00")

// racyPlatform is the shared payment platform: a charge of 34.00 per id,
// refunded by read, pause, check, write, with no lock held across them. A
// refund whose charge is gated waits for the test, whatever its caller
// does meanwhile.
type racyPlatform struct {
	mu       sync.Mutex
	refunded map[string]chargedesk.Amount
	accepted map[string][]string // the refunds it performed, per charge
	slow     map[string]chan struct{}
	arrived  chan string
}

func newRacyPlatform(t *testing.T) (*racyPlatform, string) {
	p := &racyPlatform{refunded: map[string]chargedesk.Amount{}, accepted: map[string][]string{},
		slow: map[string]chan struct{}{}, arrived: make(chan string, 100)}
	srv := &http.Server{Handler: p}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p, "http://" + ln.Addr().String()
}

func (p *racyPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("charge")
	amount, err := chargedesk.ParseAmount(r.URL.Query().Get("amount"))
	if err != nil {
		http.Error(w, "bad amount", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	before := p.refunded[id]
	gate := p.slow[id]
	p.mu.Unlock()
	if gate != nil {
		p.arrived <- id
		<-gate // held until the test lets it go, whatever the caller does
	}
	time.Sleep(5 * time.Millisecond) // the window a lock must close
	total, _ := before.Add(amount)
	if total.Cmp(charge34) > 0 {
		http.Error(w, "Refund amount was greater than amount remaining on charge.", http.StatusUnprocessableEntity)
		return
	}
	p.mu.Lock()
	p.refunded[id] = total
	p.accepted[id] = append(p.accepted[id], amount.String())
	p.mu.Unlock()
	fmt.Fprintln(w, total.String())
}

// gate holds the refunds of charge id until the returned function is
// called (at most once; the test's end calls it too).
func (p *racyPlatform) gate(t *testing.T, id string) (open func()) {
	g := make(chan struct{})
	p.mu.Lock()
	p.slow[id] = g
	p.mu.Unlock()
	var once sync.Once
	open = func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.slow, id)
			p.mu.Unlock()
			close(g)
		})
	}
	t.Cleanup(open)
	return open
}

// waitArrival waits until a gated refund reaches the platform.
func (p *racyPlatform) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-p.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the refund did not reach the platform")
	}
}

func (p *racyPlatform) performed(id string) (sum chargedesk.Amount, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accepted[id] {
		sum, _ = sum.Add(chargedesk.MustParseAmount(a))
	}
	return sum, len(p.accepted[id])
}

// neverMoreThanTheCharge is the invariant every test here ends with.
func (p *racyPlatform) neverMoreThanTheCharge(t *testing.T, id string) {
	t.Helper()
	sum, _ := p.performed(id)
	assert.LessOrEqual(t, sum.Cmp(charge34), 0, "the platform refunded %s on a 34.00 charge", sum)
}

// instance is a running receiver process.
type instance struct {
	url    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

func startInstance(t *testing.T, store, platformURL string, extraEnv ...string) *instance {
	t.Helper()
	in, err := launchInstance(t, store, platformURL, extraEnv...)
	require.NoError(t, err)
	return in
}

// launchInstance starts an instance and waits for it to be ready, or to
// fail.
func launchInstance(t *testing.T, store, platformURL string, extraEnv ...string) (*instance, error) {
	cmd := exec.Command(instanceBinary(t))
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "CHARGEDESK_STORE="+store, "PLATFORM_URL="+platformURL,
		"CHARGEDESK_SECRET="+instanceSecret)
	cmd.Env = append(append(cmd.Env, instanceEnv...), extraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	in := &instance{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = in.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimPrefix(strings.TrimSpace(line), "ready ")
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-ready:
		if !strings.HasPrefix(u, "http://") {
			return nil, fmt.Errorf("the instance did not start: %q; stderr: %s", u, in.stderr.String())
		}
		in.url = u
		return in, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("the instance did not start")
	}
}

// answer is what the agent was told.
type answer struct {
	status  int
	message string
}

// refund sends a refund of amount on charge id, with reason, and returns
// what the agent sees.
func refund(t *testing.T, in *instance, id, amount, reason string) answer {
	t.Helper()
	body, err := chargedesktest.Build(chargedesk.ActionRefund, chargedesktest.SetString("charge.charge_id", id),
		chargedesktest.Set("refund_amount", amount), chargedesktest.SetString("action_reason", reason))
	require.NoError(t, err)
	integration := chargedesktest.Integration{BasePath: in.url, Header: http.Header{"Authorization": {"Bearer " + instanceSecret}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := integration.NewRequest(ctx, chargedesk.ActionRefund, body)
	require.NoError(t, err)
	out, err := chargedesktest.Send(nil, req)
	if err != nil {
		return answer{0, err.Error()}
	}
	return answer{out.Status, out.ErrorMessage}
}

// refundAsync sends a refund on its own goroutine.
func refundAsync(t *testing.T, in *instance, id, amount, reason string) <-chan answer {
	c := make(chan answer, 1)
	go func() { c <- refund(t, in, id, amount, reason) }()
	return c
}

// truthOrUnknown checks that an answer is a success the platform
// performed, a refusal of an action that was not performed, or says the
// outcome is unknown.
func truthOrUnknown(t *testing.T, a answer, performed bool) {
	t.Helper()
	switch {
	case a.status == http.StatusOK:
		assert.True(t, performed, "answered success for a refund the platform did not perform")
	case a.status == http.StatusGatewayTimeout || a.status == http.StatusInternalServerError:
		assert.Contains(t, a.message, "unknown", "a failure must say the outcome is unknown")
	default:
		assert.False(t, performed, "answered %d (%s) for a refund the platform performed", a.status, a.message)
	}
}

func backendURL(t *testing.T, name string) string {
	env := "CHARGEDESK_TEST_" + strings.ToUpper(name)
	u := os.Getenv(env)
	if u == "" {
		t.Skipf("%s is not set", env)
	}
	return u
}

// viaProxy returns store's URL through a fault proxy.
func viaProxy(t *testing.T, store string) (string, *faultproxy.Proxy) {
	u, err := url.Parse(store)
	require.NoError(t, err)
	px := faultproxy.New(t, u.Host)
	u.Host = px.Addr
	return u.String(), px
}

func TestInstances(t *testing.T) {
	for _, backend := range []string{"postgres", "redis"} {
		t.Run(backend, func(t *testing.T) {
			store := backendURL(t, backend)
			run := fmt.Sprint(time.Now().UnixNano())
			platform, platformURL := newRacyPlatform(t)
			var ins []*instance
			for range 3 {
				ins = append(ins, startInstance(t, store, platformURL))
			}

			t.Run("60 concurrent refunds never exceed the charge", func(t *testing.T) {
				id := "ch-race-" + run
				var wg sync.WaitGroup
				answers := make([]answer, 60)
				for i := range 60 {
					wg.Go(func() { answers[i] = refund(t, ins[i%3], id, "1.00", fmt.Sprint("refund ", i)) })
				}
				wg.Wait()
				ok := 0
				for _, a := range answers {
					if a.status == http.StatusOK {
						ok++
					}
				}
				sum, n := platform.performed(id)
				assert.Equal(t, "34.00", sum.String(), "exactly the charge, never more")
				assert.Equal(t, 34, n)
				assert.Equal(t, 34, ok, "answers %v", answers)
			})

			t.Run("one refund sent to three instances at once", func(t *testing.T) {
				id := "ch-same-" + run
				var wg sync.WaitGroup
				answers := make([]answer, 3)
				for i := range 3 {
					wg.Go(func() { answers[i] = refund(t, ins[i], id, "5.00", "double click") })
				}
				wg.Wait()
				count := map[int]int{}
				for _, a := range answers {
					count[a.status]++
				}
				assert.Equal(t, map[int]int{200: 1, 409: 2}, count)
				_, n := platform.performed(id)
				assert.Equal(t, 1, n)
			})

			// The platform is slower than the deadline; the Gateway gives up
			// at it, the platform does not. The second agent's refund, on
			// another instance, is refused: the first's outcome is unknown.
			t.Run("a platform slower than the deadline", func(t *testing.T) {
				id := "ch-slow-" + run
				open := platform.gate(t, id)
				first := refundAsync(t, ins[0], id, "20.00", "first agent")
				platform.waitArrival(t)
				second := refundAsync(t, ins[1], id, "20.00", "second agent")
				a1 := <-first
				assert.Equal(t, http.StatusGatewayTimeout, a1.status, a1.message)
				// Refused: held once the first's outcome became unknown, or
				// busy when too little of its own deadline was left.
				a2 := <-second
				assert.Contains(t, []int{http.StatusConflict, http.StatusServiceUnavailable}, a2.status, a2.message)
				open() // the platform finishes the first refund, late
				require.Eventually(t, func() bool { _, n := platform.performed(id); return n == 1 }, 5*time.Second, 10*time.Millisecond)
				a3 := refund(t, ins[2], id, "20.00", "third, at once")
				assert.Equal(t, http.StatusConflict, a3.status, "still settling: %s", a3.message)
				sum, n := platform.performed(id)
				assert.Equal(t, "20.00", sum.String())
				assert.Equal(t, 1, n)
				truthOrUnknown(t, a1, true)
				truthOrUnknown(t, a2, false)
				platform.neverMoreThanTheCharge(t, id)
			})

			for _, fault := range []string{"cut", "blackholed"} {
				// The holder's link to the store fails while its platform
				// call runs: its lock stays, another instance is refused,
				// and the holder answers the platform's real outcome.
				t.Run("the store's link "+fault+" mid-action", func(t *testing.T) {
					id := "ch-" + fault + "-" + run
					u, px := viaProxy(t, store)
					holder := startInstance(t, u, platformURL, "STORE_TIMEOUT=500ms")
					open := platform.gate(t, id)
					first := refundAsync(t, holder, id, "20.00", "holder")
					platform.waitArrival(t)
					if fault == "cut" {
						px.Cut()
					} else {
						px.Blackhole()
					}
					time.Sleep(time.Second) // the holder misses its renewals
					a2 := refund(t, ins[0], id, "20.00", "another agent")
					assert.Contains(t, []int{http.StatusConflict, http.StatusServiceUnavailable}, a2.status, a2.message)
					open()
					a1 := <-first
					assert.Equal(t, http.StatusOK, a1.status, "the platform's success is the answer: %s", a1.message)
					sum, n := platform.performed(id)
					assert.Equal(t, "20.00", sum.String())
					assert.Equal(t, 1, n)
					truthOrUnknown(t, a1, true)
					truthOrUnknown(t, a2, false)
					// The log line follows the answer: wait for it.
					assert.Eventually(t, func() bool { return strings.Contains(holder.stderr.String(), "reconcile") },
						5*time.Second, 10*time.Millisecond, "the holder's log names what must be reconciled")
					platform.neverMoreThanTheCharge(t, id)
				})
			}

			// kill -9 of the instance holding the lock while its platform
			// call is under way: the call completes on the platform; the
			// others are refused at once, told how long to wait, until the
			// dead holder's lease runs out.
			t.Run("kill -9 of the instance holding the lock", func(t *testing.T) {
				id := "ch-kill-" + run
				open := platform.gate(t, id)
				victim := startInstance(t, store, platformURL)
				go refund(t, victim, id, "20.00", "victim")
				platform.waitArrival(t)
				require.NoError(t, victim.cmd.Process.Kill()) // SIGKILL, while it holds the lock
				_ = victim.cmd.Wait()
				time.Sleep(time.Second) // its lease goes unrenewed
				start := time.Now()
				a := refund(t, ins[0], id, "20.00", "after the crash")
				assert.Less(t, time.Since(start), 2*time.Second, "refused at once, not at the deadline")
				assert.Equal(t, http.StatusConflict, a.status, a.message)
				assert.Contains(t, a.message, "try again in")
				open() // the victim's platform call completes on its own
				require.Eventually(t, func() bool { _, n := platform.performed(id); return n == 1 }, 5*time.Second, 10*time.Millisecond)
				var later answer
				require.Eventually(t, func() bool {
					later = refund(t, ins[1], id, "10.00", "once the lease ran out")
					return later.status != http.StatusConflict
				}, 15*time.Second, 250*time.Millisecond, "the object is free once the dead holder's lease runs out")
				assert.Equal(t, http.StatusOK, later.status, later.message)
				sum, _ := platform.performed(id)
				assert.Equal(t, "30.00", sum.String(), "each refund once")
				platform.neverMoreThanTheCharge(t, id)
			})

			t.Run("the backend goes away and comes back", func(t *testing.T) {
				u, px := viaProxy(t, store)
				in := startInstance(t, u, platformURL, "STORE_TIMEOUT=500ms")
				id := "ch-outage-" + run
				a := refund(t, in, id, "1.00", "before")
				require.Equal(t, http.StatusOK, a.status, a.message)
				px.Cut()
				a = refund(t, in, id, "2.00", "during")
				assert.Equal(t, http.StatusServiceUnavailable, a.status)
				assert.Contains(t, a.message, "nothing was done")
				px.Restore(t)
				require.Eventually(t, func() bool {
					return refund(t, in, id, "3.00", "after").status == http.StatusOK
				}, 15*time.Second, 200*time.Millisecond, "service again once the backend is back")
				sum, _ := platform.performed(id)
				assert.Equal(t, "4.00", sum.String(), "the refund refused during the outage never happened")
			})
		})
	}
}

// Instances started together on an empty database all start.
func TestInstancesStartTogetherOnAnEmptyDatabase(t *testing.T) {
	store := backendURL(t, "postgres")
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, store)
	require.NoError(t, err)
	defer admin.Close()
	namespace := fmt.Sprintf("chargedesk_start_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+namespace)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP SCHEMA "+namespace+" CASCADE") })
	u, err := url.Parse(store)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", namespace)
	u.RawQuery = q.Encode()
	_, platformURL := newRacyPlatform(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { _, errs[i] = launchInstance(t, u.String(), platformURL) })
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "instance %d", i)
	}
}

// TestInstancesThroughput measures refunds a second through one instance
// and spread over three, on each backend, 16 at a time, each on a new
// charge. It runs only with CHARGEDESK_LOAD=1 and logs its figures (see
// docs/performance.md); it asserts nothing about speed. Bounded: 1,500
// refunds or 60 s per phase.
func TestInstancesThroughput(t *testing.T) {
	if os.Getenv("CHARGEDESK_LOAD") == "" {
		t.Skip("CHARGEDESK_LOAD is not set: the throughput figures are measured on demand")
	}
	for _, backend := range []string{"postgres", "redis"} {
		t.Run(backend, func(t *testing.T) {
			store := backendURL(t, backend)
			_, platformURL := newRacyPlatform(t)
			var ins []*instance
			for range 3 {
				ins = append(ins, startInstance(t, store, platformURL, "TIMEOUT=25s", "RENEW_EVERY=2s"))
			}
			for _, spread := range []int{1, 3} {
				const total, workers = 1500, 16
				run := fmt.Sprintf("%s-%d-%d", backend, spread, time.Now().UnixNano())
				deadline := time.Now().Add(60 * time.Second)
				var next, okCount atomic.Int64
				var wg sync.WaitGroup
				start := time.Now()
				for w := range workers {
					wg.Go(func() {
						for time.Now().Before(deadline) {
							i := next.Add(1)
							if i > total {
								return
							}
							if a := refund(t, ins[(int(i)+w)%spread], fmt.Sprintf("ch-tp-%s-%d", run, i), "1.00", "load"); a.status == http.StatusOK {
								okCount.Add(1)
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				t.Logf("%s, %d instance(s): %d refunds in %s, %.0f/s", backend, spread, okCount.Load(), elapsed.Round(time.Millisecond),
					float64(okCount.Load())/elapsed.Seconds())
			}
		})
	}
}
