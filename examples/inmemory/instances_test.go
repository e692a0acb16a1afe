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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// The multi-process tests of the shared backends: three receiver processes
// (internal/instance) share one backend and one payment platform whose
// refund is a racy read-then-write with no locking of its own, so only the
// shared locks keep it from refunding more than the charge. Every loop is
// bounded in count and time; every process is stopped by the test.

const instanceSecret = "instances-secret-0123456789abcdef"

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

// racyPlatform is the shared payment platform: a charge of 34.00 per id,
// refunded by read, pause, check, write, with no lock held across them.
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
		<-gate // held until the test lets it go
	}
	time.Sleep(5 * time.Millisecond) // the window a lock must close
	total, _ := before.Add(amount)
	if total.Cmp(chargedesk.MustParseAmount("34.00").Decimal) > 0 {
		http.Error(w, "Refund amount was greater than amount remaining on charge.", http.StatusUnprocessableEntity)
		return
	}
	p.mu.Lock()
	p.refunded[id] = total
	p.accepted[id] = append(p.accepted[id], amount.String())
	p.mu.Unlock()
	fmt.Fprintln(w, total.String())
}

func (p *racyPlatform) performed(id string) (sum chargedesk.Amount, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accepted[id] {
		sum, _ = sum.Add(chargedesk.MustParseAmount(a))
	}
	return sum, len(p.accepted[id])
}

// instance is a running receiver process.
type instance struct {
	url string
	cmd *exec.Cmd
}

func startInstance(t *testing.T, store, platformURL string, extraEnv ...string) *instance {
	t.Helper()
	cmd := exec.Command(instanceBinary(t))
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "CHARGEDESK_STORE="+store, "PLATFORM_URL="+platformURL,
		"CHARGEDESK_SECRET="+instanceSecret)
	cmd.Env = append(cmd.Env, extraEnv...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimPrefix(strings.TrimSpace(line), "ready ")
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-ready:
		require.True(t, strings.HasPrefix(u, "http://"), "instance said %q", u)
		return &instance{url: u, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatal("the instance did not start")
		return nil
	}
}

// refund sends a refund of amount on charge id, with reason, and returns
// the status and the agent's message.
func refund(t *testing.T, in *instance, id, amount, reason string) (int, string) {
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
		return 0, err.Error()
	}
	return out.Status, out.ErrorMessage
}

// proxy forwards TCP to a backend and can cut and restore the link, as a
// backend restart or a network partition would.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(t, err)
	p.serve(ln)
}

// through rewrites a store URL to go through the proxy.
func (p *proxy) through(t *testing.T, store string) string {
	u, err := url.Parse(store)
	require.NoError(t, err)
	u.Host = p.addr
	return u.String()
}

func backendURL(t *testing.T, name string) string {
	env := "CHARGEDESK_TEST_" + strings.ToUpper(name)
	u := os.Getenv(env)
	if u == "" {
		t.Skipf("%s is not set", env)
	}
	return u
}

func TestInstances(t *testing.T) {
	for _, backend := range []string{"postgres", "redis"} {
		t.Run(backend, func(t *testing.T) {
			store := backendURL(t, backend)
			run := time.Now().Format("150405.000000")
			platform, platformURL := newRacyPlatform(t)
			var ins []*instance
			for range 3 {
				ins = append(ins, startInstance(t, store, platformURL, "REDIS_LEASE=1s"))
			}

			t.Run("60 concurrent refunds never exceed the charge", func(t *testing.T) {
				id := "ch-race-" + run
				var wg sync.WaitGroup
				statuses := make([]int, 60)
				for i := range 60 {
					wg.Go(func() { statuses[i], _ = refund(t, ins[i%3], id, "1.00", fmt.Sprint("refund ", i)) })
				}
				wg.Wait()
				ok := 0
				for _, s := range statuses {
					if s == http.StatusOK {
						ok++
					}
				}
				sum, n := platform.performed(id)
				assert.Equal(t, "34.00", sum.String(), "exactly the charge, never more")
				assert.Equal(t, 34, n)
				assert.Equal(t, 34, ok, "statuses %v", statuses)
			})

			t.Run("16 actions in flight on different charges through one instance", func(t *testing.T) {
				// Each holds a lock while it needs the duplicate guard: the
				// backend must not run out of connections between them.
				var wg sync.WaitGroup
				statuses := make([]int, 32)
				for i := range 32 {
					wg.Go(func() {
						statuses[i], _ = refund(t, ins[0], fmt.Sprintf("ch-flight-%s-%d", run, i), "1.00", "in flight")
					})
					if i%16 == 15 {
						wg.Wait()
					}
				}
				wg.Wait()
				for i, s := range statuses {
					assert.Equal(t, http.StatusOK, s, "refund %d", i)
				}
			})

			t.Run("one refund sent to three instances at once", func(t *testing.T) {
				id := "ch-same-" + run
				var wg sync.WaitGroup
				statuses := make([]int, 3)
				for i := range 3 {
					wg.Go(func() { statuses[i], _ = refund(t, ins[i], id, "5.00", "double click") })
				}
				wg.Wait()
				count := map[int]int{}
				for _, s := range statuses {
					count[s]++
				}
				assert.Equal(t, map[int]int{200: 1, 409: 2}, count)
				_, n := platform.performed(id)
				assert.Equal(t, 1, n)
			})

			t.Run("kill -9 of the instance holding the lock", func(t *testing.T) {
				id := "ch-kill-" + run
				gate := make(chan struct{})
				platform.mu.Lock()
				platform.slow[id] = gate
				platform.mu.Unlock()
				victim := startInstance(t, store, platformURL, "REDIS_LEASE=1s")
				go refund(t, victim, id, "10.00", "victim")
				select {
				case <-platform.arrived: // only a gated charge is announced
				case <-time.After(10 * time.Second):
					t.Fatal("the refund did not reach the platform")
				}
				require.NoError(t, victim.cmd.Process.Kill()) // SIGKILL, while it holds the lock
				_ = victim.cmd.Wait()
				platform.mu.Lock()
				delete(platform.slow, id)
				platform.mu.Unlock()
				start := time.Now()
				status, msg := refund(t, ins[0], id, "20.00", "after the crash")
				assert.Equal(t, http.StatusOK, status, msg)
				assert.Less(t, time.Since(start), 8*time.Second, "the lock is not held forever")
				close(gate) // the victim's platform call completes on its own
				require.Eventually(t, func() bool { _, n := platform.performed(id); return n == 2 }, 5*time.Second, 10*time.Millisecond)
				sum, _ := platform.performed(id)
				assert.Equal(t, "30.00", sum.String(), "each refund once")
			})

			t.Run("the backend goes away and comes back", func(t *testing.T) {
				px := newProxy(t, mustHost(t, store))
				viaProxy := startInstance(t, px.through(t, store), platformURL, "REDIS_LEASE=1s")
				id := "ch-outage-" + run
				status, msg := refund(t, viaProxy, id, "1.00", "before")
				require.Equal(t, http.StatusOK, status, msg)
				px.cut()
				status, msg = refund(t, viaProxy, id, "2.00", "during")
				assert.Equal(t, http.StatusServiceUnavailable, status)
				assert.Contains(t, msg, "nothing was done")
				px.restore(t)
				require.Eventually(t, func() bool {
					status, _ = refund(t, viaProxy, id, "3.00", "after")
					return status == http.StatusOK
				}, 15*time.Second, 200*time.Millisecond, "service again once the backend is back")
				sum, _ := platform.performed(id)
				assert.Equal(t, "4.00", sum.String(), "the refund refused during the outage never happened")
			})
		})
	}
}

func mustHost(t *testing.T, store string) string {
	u, err := url.Parse(store)
	require.NoError(t, err)
	return u.Host
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
				ins = append(ins, startInstance(t, store, platformURL))
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
							if s, _ := refund(t, ins[(int(i)+w)%spread], fmt.Sprintf("ch-tp-%s-%d", run, i), "1.00", "load"); s == http.StatusOK {
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
