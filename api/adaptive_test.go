package api

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// stepClock is a controller's injected clock: sleeping advances it.
type stepClock struct {
	t     time.Time
	slept []time.Duration
}

func (c *stepClock) now() time.Time { return c.t }

func (c *stepClock) sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func newTestController(cfg controllerConfig) (*controller, *stepClock) {
	clk := &stepClock{t: testclock.Now()}
	return newController(cfg, clk.now, clk.sleep), clk
}

// runWindow fills the in-flight limit, then has windowSamples attempts
// end over windowMin, each taking latency and ending with err.
func runWindow(t *testing.T, c *controller, clk *stepClock, latency time.Duration, err error) {
	t.Helper()
	limit, _ := c.state()
	for range limit {
		require.NoError(t, c.acquire(context.Background()))
	}
	for range windowSamples {
		clk.t = clk.t.Add(windowMin / windowSamples)
		c.observe(latency, err)
	}
	for range limit {
		c.release()
	}
}

func limitOf(c *controller) int {
	l, _ := c.state()
	return l
}

var (
	throttled  = &Error{StatusCode: http.StatusTooManyRequests, RetryAfter: 2 * time.Second}
	overloaded = &Error{StatusCode: http.StatusServiceUnavailable}
)

// While the latency stays flat the limit doubles each window (slow start)
// up to the maximum, and stays there.
func TestControllerGrowsWhileLatencyIsFlat(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	var limits []int
	for range 7 {
		runWindow(t, c, clk, 150*time.Millisecond, nil)
		limits = append(limits, limitOf(c))
	}
	assert.Equal(t, []int{8, 16, 32, 64, 100, 100, 100}, limits)
}

// A limit the import does not reach (the file is read slower than
// ChargeDesk answers) does not grow.
func TestControllerGrowsOnlyWhenTheLimitIsReached(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	require.NoError(t, c.acquire(context.Background())) // 1 of 4 in flight
	for range 5 * windowSamples {
		clk.t = clk.t.Add(windowMin / windowSamples)
		c.observe(10*time.Millisecond, nil)
	}
	assert.Equal(t, startInFlight, limitOf(c))
}

// Latency rising past twice its unloaded level backs off by a quarter and
// ends the slow start: growth is then a tenth a window.
func TestControllerBacksOffOnRisingLatency(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	runWindow(t, c, clk, 10*time.Millisecond, nil) // baseline 10 ms; 8
	runWindow(t, c, clk, 15*time.Millisecond, nil) // 1.5x: still grows; 16
	require.Equal(t, 16, limitOf(c))
	runWindow(t, c, clk, 18*time.Millisecond, nil) // 1.8x: holds
	assert.Equal(t, 16, limitOf(c))
	runWindow(t, c, clk, 25*time.Millisecond, nil) // 2.5x: backs off
	assert.Equal(t, 12, limitOf(c))
	runWindow(t, c, clk, 10*time.Millisecond, nil) // flat again: +1.2
	assert.Equal(t, 13, limitOf(c))
	runWindow(t, c, clk, 10*time.Millisecond, nil)
	assert.Equal(t, 14, limitOf(c))
}

// The baseline is the lowest window latency of the last minute: once the
// API is durably slower, the old level is forgotten and growth resumes.
func TestControllerForgetsAnOldBaseline(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	runWindow(t, c, clk, 10*time.Millisecond, nil)
	runWindow(t, c, clk, 50*time.Millisecond, nil)
	backedOff := limitOf(c)
	assert.Equal(t, 6, backedOff)
	clk.t = clk.t.Add(baselineMemory)
	runWindow(t, c, clk, 50*time.Millisecond, nil)
	assert.Greater(t, limitOf(c), backedOff)
}

// A 503 (or 502, 504) backs off like rising latency.
func TestControllerBacksOffOnOverload(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	runWindow(t, c, clk, 10*time.Millisecond, nil)
	runWindow(t, c, clk, 10*time.Millisecond, nil)
	require.Equal(t, 16, limitOf(c))
	runWindow(t, c, clk, 10*time.Millisecond, overloaded)
	assert.Equal(t, 12, limitOf(c))
}

// A 429 pauses every attempt for its Retry-After, paces the attempts at
// 95% of the rate ChargeDesk accepted in the second before, and backs the
// limit off; the 429s of one burst cut once, though each extends the pause.
func TestControllerOn429(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100})
	for range 200 { // 200 answers in the last second
		clk.t = clk.t.Add(4 * time.Millisecond)
		c.observe(time.Millisecond, nil)
	}
	before := limitOf(c)
	c.observe(0, throttled)
	limit, pace := c.state()
	assert.InDelta(t, 190, pace, 0.001, "95% of the 200 a second accepted")
	assert.Equal(t, int(float64(before)*backoff), limit)

	clk.t = clk.t.Add(500 * time.Millisecond)
	c.observe(0, &Error{StatusCode: http.StatusTooManyRequests, RetryAfter: 3 * time.Second})
	limit2, pace2 := c.state()
	assert.Equal(t, limit, limit2, "one cut a second")
	assert.Equal(t, pace, pace2)

	start := clk.t
	require.NoError(t, c.wait(context.Background()))
	assert.Equal(t, 3*time.Second, clk.t.Sub(start), "the latest Retry-After is waited out")
	require.NoError(t, c.wait(context.Background()))
	require.NoError(t, c.wait(context.Background()))
	assert.InDelta(t, float64(3*time.Second+2*time.Second/190), float64(clk.t.Sub(start)), float64(time.Microsecond),
		"then each attempt after the first waits 1/190 s")
}

// Without a 429 for 10 s the pace rises by 1%, never past the user's Rate.
func TestControllerPaceProbesUpToTheUserRate(t *testing.T) {
	c, clk := newTestController(controllerConfig{max: 100, rate: 100})
	_, pace := c.state()
	require.InDelta(t, 100, pace, 0.001, "the user's rate paces from the start")
	for range 20 {
		clk.t = clk.t.Add(10 * time.Millisecond)
		c.observe(time.Millisecond, nil)
	}
	c.observe(0, throttled) // 20 accepted in the last second: 19 a second
	_, pace = c.state()
	require.InDelta(t, 19, pace, 0.001)
	for range 20 {
		runWindow(t, c, clk, time.Millisecond, nil)
	}
	clk.t = clk.t.Add(paceProbeEvery)
	runWindow(t, c, clk, time.Millisecond, nil)
	_, pace = c.state()
	assert.InDelta(t, 19*paceProbe, pace, 0.001)

	c2, clk2 := newTestController(controllerConfig{max: 100, rate: 50})
	for range 200 {
		clk2.t = clk2.t.Add(time.Millisecond)
		c2.observe(time.Millisecond, nil)
	}
	c2.observe(0, throttled)
	_, pace = c2.state()
	assert.InDelta(t, 50, pace, 0.001, "never above the user's rate")
}

// A fixed concurrency never changes, but a 429 still pauses and paces.
func TestControllerFixedConcurrency(t *testing.T) {
	c, clk := newTestController(controllerConfig{fixed: 6})
	for range 5 {
		runWindow(t, c, clk, time.Millisecond, nil)
	}
	runWindow(t, c, clk, 50*time.Millisecond, overloaded)
	c.observe(0, throttled)
	limit, pace := c.state()
	assert.Equal(t, 6, limit)
	assert.Positive(t, pace)
}

// acquire holds a record back at the limit until one in flight ends, and
// gives up when the import is cancelled.
func TestControllerAcquireBlocksAtTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newController(controllerConfig{fixed: 2}, time.Now, sleepContext)
		ctx, cancel := context.WithCancel(context.Background())
		require.NoError(t, c.acquire(ctx))
		require.NoError(t, c.acquire(ctx))
		got := make(chan error, 1)
		go func() { got <- c.acquire(ctx) }()
		synctest.Wait()
		assert.Empty(t, got, "a third waits")
		c.release()
		synctest.Wait()
		assert.NoError(t, <-got)
		go func() { got <- c.acquire(ctx) }()
		synctest.Wait()
		cancel()
		assert.ErrorIs(t, <-got, context.Canceled)
	})
}

// On the real clock (in a synctest bubble), a 429's Retry-After holds
// every attempt back for exactly that long, and cancelling ends the wait.
func TestControllerPauseOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newController(controllerConfig{}, time.Now, sleepContext)
		start := time.Now()
		c.observe(0, throttled)
		require.NoError(t, c.wait(context.Background()))
		assert.Equal(t, 2*time.Second, time.Since(start))

		c.observe(0, throttled)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, c.wait(ctx), context.DeadlineExceeded)
	})
}
