package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxInFlight bounds the records an [Importer] keeps in flight when
// its MaxInFlight is 0.
const DefaultMaxInFlight = 100

// The adaptive controller's tuning. The in-flight limit starts at
// startInFlight and doubles every window while the latency stays flat (slow
// start); after its first back-off it grows by a tenth a window. A window
// lasts at least windowMin and windowSamples answers.
const (
	startInFlight = 4
	windowMin     = 100 * time.Millisecond
	windowSamples = 8
	// baselineMemory is how long the lowest window latency is remembered as
	// the latency of an unloaded API.
	baselineMemory = time.Minute
	// A window whose mean latency passes latencyBackoff times the baseline
	// backs off; one under latencyGrow times the baseline may grow.
	latencyBackoff = 2.0
	latencyGrow    = 1.5
	// backoff multiplies the in-flight limit on a 429, a 502-504, or rising
	// latency.
	backoff = 0.75
	// After a 429, requests are paced at paceMargin of the rate ChargeDesk
	// accepted in the second before it; the pace rises by paceProbe after
	// every paceProbeEvery without a 429.
	paceMargin     = 0.95
	paceProbe      = 1.01
	paceProbeEvery = 10 * time.Second
	// defaultPause is the pause after a 429 without a Retry-After.
	defaultPause = time.Second
)

// controller decides how many records an import keeps in flight and how
// fast its requests start. The in-flight limit grows while the API's
// latency stays flat and no 429 arrives, and backs off on a 429, on a 502,
// 503 or 504, and on latency rising above twice its unloaded level, within
// [1, max]. A 429 also pauses every request for its Retry-After and paces
// requests, with a token bucket, just under the rate ChargeDesk accepted;
// the pace never passes the user's rate.
type controller struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	fixed bool // the in-flight limit does not adapt
	max   int
	user  rate.Limit // the user's rate, 0 for none

	mu        sync.Mutex
	limit     float64
	slowStart bool
	inflight  int
	wake      chan struct{} // a slot was released

	win     window
	history []windowMean // the last baselineMemory of window means

	pace       *rate.Limiter // nil: requests are not paced
	pauseUntil time.Time
	lastCut    time.Time // the last cut for a 429
	lastProbe  time.Time // the last 429, or the last rise of the pace
	answered   [10]int   // answers in each tenth of the last second
	bucketAt   time.Time // the start of answered's current tenth
	bucket     int
}

type window struct {
	start      time.Time
	n          int
	sum        time.Duration
	peak       int  // the most in flight during the window
	throttled  bool // a 429 came
	overloaded bool // a 502, 503 or 504 came
}

type windowMean struct {
	at   time.Time
	mean time.Duration
}

// controllerConfig are the Importer's settings the controller obeys.
type controllerConfig struct {
	fixed int     // Concurrency: a fixed in-flight limit, 0 to adapt
	max   int     // MaxInFlight
	rate  float64 // Rate: requests a second, 0 for none
}

func newController(cfg controllerConfig, now func() time.Time, sleep func(context.Context, time.Duration) error) *controller {
	c := &controller{now: now, sleep: sleep, wake: make(chan struct{}, 1), slowStart: true}
	c.max = cfg.max
	if c.max <= 0 {
		c.max = DefaultMaxInFlight
	}
	c.limit = float64(min(startInFlight, c.max))
	if cfg.fixed > 0 {
		c.fixed, c.max, c.limit = true, cfg.fixed, float64(cfg.fixed)
	}
	if cfg.rate > 0 {
		c.user = rate.Limit(cfg.rate)
		c.pace = rate.NewLimiter(c.user, 1)
	}
	t := now()
	c.win.start, c.bucketAt, c.lastProbe = t, t, t
	return c
}

// acquire waits for a slot under the in-flight limit.
func (c *controller) acquire(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.inflight < c.limitLocked() {
			c.inflight++
			c.win.peak = max(c.win.peak, c.inflight)
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release frees a slot acquire took.
func (c *controller) release() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *controller) limitLocked() int { return max(1, int(c.limit)) }

// state returns the in-flight limit and the pace (0: not paced).
func (c *controller) state() (limit int, pace float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pace != nil {
		pace = float64(c.pace.Limit())
	}
	return c.limitLocked(), pace
}

// hooks returns the hooks the client calls around each attempt.
func (c *controller) hooks() *attemptHooks {
	return &attemptHooks{before: c.wait, after: c.observe}
}

// wait holds an attempt back while a 429's Retry-After runs, then for the
// pace.
func (c *controller) wait(ctx context.Context) error {
	for {
		c.mu.Lock()
		now := c.now()
		pause := c.pauseUntil.Sub(now)
		c.mu.Unlock()
		if pause <= 0 {
			break
		}
		if err := c.sleep(ctx, pause); err != nil {
			return err
		}
	}
	c.mu.Lock()
	now := c.now()
	var res *rate.Reservation
	if c.pace != nil {
		res = c.pace.ReserveN(now, 1)
	}
	c.mu.Unlock()
	if res == nil {
		return ctx.Err()
	}
	if d := res.DelayFrom(now); d > 0 {
		if err := c.sleep(ctx, d); err != nil {
			res.CancelAt(c.now())
			return err
		}
	}
	return ctx.Err()
}

// observe learns from one attempt that took took and ended with err.
func (c *controller) observe(took time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var apiErr *Error
	isAPI := errors.As(err, &apiErr)
	switch {
	case isAPI && apiErr.StatusCode == http.StatusTooManyRequests:
		c.throttled(now, apiErr.RetryAfter)
	case isAPI && (apiErr.StatusCode == http.StatusBadGateway || apiErr.StatusCode == http.StatusServiceUnavailable ||
		apiErr.StatusCode == http.StatusGatewayTimeout):
		c.win.overloaded = true
	case err == nil || isAPI:
		// An answer at the API's normal speed: a success, or a refusal of
		// the record. A connection error says nothing of the latency.
		c.count(now)
		c.win.n++
		c.win.sum += took
	}
	if now.Sub(c.win.start) >= windowMin && (c.win.n >= windowSamples || c.win.overloaded || c.win.throttled) {
		c.decide(now)
	}
}

// throttled handles a 429: every attempt pauses for retryAfter, and at
// most once a second the pace drops under the rate ChargeDesk accepted and
// the in-flight limit backs off.
func (c *controller) throttled(now time.Time, retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = defaultPause
	}
	if until := now.Add(retryAfter); until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
	c.win.throttled = true
	c.lastProbe = now
	if !c.lastCut.IsZero() && now.Sub(c.lastCut) < time.Second {
		return
	}
	c.lastCut = now
	accepted := float64(c.acceptedLastSecond(now))
	pace := rate.Limit(accepted * paceMargin)
	if c.pace != nil && accepted == 0 {
		pace = c.pace.Limit() / 2
	}
	pace = max(pace, 1)
	if c.user > 0 {
		pace = min(pace, c.user)
	}
	if c.pace == nil {
		c.pace = rate.NewLimiter(pace, 1)
	} else {
		c.pace.SetLimitAt(now, pace)
	}
	c.cut()
}

// cut backs the in-flight limit off.
func (c *controller) cut() {
	c.slowStart = false
	if !c.fixed {
		c.limit = max(1, c.limit*backoff)
	}
}

// count records an answer for the accepted rate.
func (c *controller) count(now time.Time) {
	c.advance(now)
	c.answered[c.bucket]++
}

// advance moves answered's buckets on to now.
func (c *controller) advance(now time.Time) {
	const tenth = time.Second / 10
	for steps := 0; now.Sub(c.bucketAt) >= tenth; steps++ {
		if steps >= len(c.answered) { // idle for over a second
			clear(c.answered[:])
			c.bucketAt = now
			break
		}
		c.bucketAt = c.bucketAt.Add(tenth)
		c.bucket = (c.bucket + 1) % len(c.answered)
		c.answered[c.bucket] = 0
	}
}

func (c *controller) acceptedLastSecond(now time.Time) int {
	c.advance(now)
	n := 0
	for _, a := range c.answered {
		n += a
	}
	return n
}

// decide closes a window: it backs off on an overload or a latency above
// twice the baseline, grows while the latency stays flat and the limit was
// reached, and raises a pace that has had no 429 for a while.
func (c *controller) decide(now time.Time) {
	w := c.win
	c.win = window{start: now, peak: c.inflight}
	var mean time.Duration
	if w.n > 0 {
		mean = w.sum / time.Duration(w.n)
		c.history = append(c.history, windowMean{at: now, mean: mean})
	}
	keep := 0
	for keep < len(c.history) && now.Sub(c.history[keep].at) > baselineMemory {
		keep++
	}
	c.history = c.history[keep:]
	baseline := mean
	for _, h := range c.history {
		baseline = min(baseline, h.mean)
	}
	switch {
	case w.throttled: // cut when the 429 came
	case w.overloaded, w.n > 0 && float64(mean) > latencyBackoff*float64(baseline):
		c.cut()
	case w.n > 0 && float64(mean) <= latencyGrow*float64(baseline) && w.peak >= c.limitLocked() && !c.fixed:
		if c.slowStart {
			c.limit *= 2
		} else {
			c.limit += max(1, c.limit/10)
		}
		c.limit = min(c.limit, float64(c.max))
	}
	if c.pace != nil && now.Sub(c.lastProbe) >= paceProbeEvery && (c.user == 0 || c.pace.Limit() < c.user) {
		p := c.pace.Limit() * paceProbe
		if c.user > 0 {
			p = min(p, c.user)
		}
		c.pace.SetLimitAt(now, p)
		c.lastProbe = now
	}
}
