package chargedesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/internal/safe"
)

// This file is the Gateway call: what happens between taking an action's
// locks and answering it. The rules it keeps:
//
//   - The Gateway runs on the webhook's goroutine. If it has not returned
//     by the deadline, the agent is told the outcome is unknown (504) from
//     a timer, and the objects are marked held: other actions on them are
//     refused at once.
//   - A lock ends only when its action has provably ended: on a known
//     outcome (a success, recorded first for the duplicate guard; a
//     refusal; not supported) it is released; on an unknown one (any other
//     error, a panic, a lost lock, runtime.Goexit) it settles, held for
//     Config.SettleTime.
//   - Every store call has its own deadline, and a store failure never
//     turns the platform's answer into another: it is logged to reconcile.

// outcome is what a Gateway call produced.
type outcome struct {
	answer any
	err    error
}

// unknown reports whether the Gateway's outcome leaves the action's effect
// on the platform unknown, as the agent is then told: anything but a
// success, a refusal (*AgentError: nothing was done) or ErrNotSupported. A
// context error, a panic, a bad answer or any other error may come after
// the platform was asked to act.
func (o outcome) unknown() bool {
	var ae *AgentError
	return o.err != nil && !errors.As(o.err, &ae) && !errors.Is(o.err, ErrNotSupported)
}

// gatewayPanic is a panic in Gateway code, caught by perform.
type gatewayPanic struct {
	value any
	stack []byte
}

func (p *gatewayPanic) Error() string { return "gateway panicked: " + safe.Describe(p.value) }

// errAnsweredAtDeadline is callGateway's error when the webhook was
// answered at the deadline: there is nothing left to answer.
var errAnsweredAtDeadline = errors.New("answered at the deadline")

// gatewayCall is one call of the Gateway under its action's locks.
type gatewayCall struct {
	h       *Handler
	def     *actionDef
	req     request
	dupKey  string
	idemKey string
	w       http.ResponseWriter
	log     *zerolog.Logger // the webhook's: its fields make the log line
	glog    *zerolog.Logger // the Gateway's own copy of it, in its context
	locks   *lockSet

	timer     *time.Timer    // the deadline's answer; nil without a deadline
	answering sync.WaitGroup // the deadline's answer, while it is sent
	stopWatch func()         // stops watching for lost locks
	lost      chan struct{}  // closed when a lock is lost
	returned  bool           // perform returned: not runtime.Goexit
	out       outcome
	dropped   []error // parts of a successful answer ChargeDesk cannot use
}

// callGateway calls the Gateway for req under locks, on the caller's
// goroutine, and answers the webhook at ctx's deadline if the Gateway has
// not returned by then. It returns the Gateway's answer or error, or
// errAnsweredAtDeadline once a late call has returned. Running the Gateway
// here keeps ServeHTTP running while a late call does, so that
// http.Server.Shutdown waits for it.
func (h *Handler) callGateway(ctx context.Context, def *actionDef, req request, dupKey string, w http.ResponseWriter, log *zerolog.Logger, locks *lockSet) (answer any, err error) {
	c := &gatewayCall{h: h, def: def, req: req, dupKey: dupKey, idemKey: "chargedesk-" + dupKey[:40], w: w, log: log,
		locks: locks, lost: make(chan struct{})}
	// The Gateway's logger is a copy of the webhook's, with a buffer of its
	// own: the deadline's answer may write the webhook's line while the
	// Gateway still adds fields to its copy.
	glog := log.With().Logger()
	gctx := glog.WithContext(ctx) // stores a copy of glog: the one the Gateway updates
	if c.glog = zerolog.Ctx(gctx); c.glog == zerolog.Ctx(context.Background()) {
		c.glog = &glog // a disabled logger, not stored: never touch zerolog's default
	}
	gctx, cancel := context.WithCancel(gctx)
	gctx = context.WithValue(gctx, actionKeys{}, actionKeys{idempotency: c.idemKey, fence: locks.fence()})
	c.stopWatch = c.watchLost(cancel)
	if deadline, ok := ctx.Deadline(); ok {
		c.answering.Add(1)
		c.timer = time.AfterFunc(time.Until(deadline), c.answerAtDeadline)
	}
	// Deferred, so that it also runs if the Gateway ends the goroutine with
	// runtime.Goexit (as t.FailNow in a test's fake does).
	defer func() { answer, err = c.end(cancel) }()
	c.perform(gctx)
	return nil, nil // set by end
}

// perform calls the Gateway; a panic is its outcome. On success the parts
// of the answer ChargeDesk cannot use are dropped.
func (c *gatewayCall) perform(ctx context.Context) {
	defer func() {
		if p := recover(); p != nil {
			c.out, c.returned = outcome{err: &gatewayPanic{value: p, stack: debug.Stack()}}, true
		}
	}()
	answer, err := c.def.call(ctx, c.h.gateway, c.req)
	if err == nil {
		// Success counts as done: what ChargeDesk cannot use is dropped,
		// never the action.
		answer, c.dropped, err = settleAnswer(answer, c.req)
	}
	c.out, c.returned = outcome{answer: answer, err: err}, true
}

// answerAtDeadline tells the agent the outcome is unknown, writes the
// webhook's line, and marks the objects held so that other actions on them
// are refused at once rather than wait.
func (c *gatewayCall) answerAtDeadline() {
	defer c.answering.Done()
	respond(c.w, c.log, c.def.action, nil, fmt.Errorf("gateway %s: %w", c.def.action, context.DeadlineExceeded))
	if x := exchangeOf(c.w); x != nil {
		c.h.conclude(x, false)
	}
	c.logStoreErrors(c.locks.each(c.h.store, Lease.Unknown), "a lock could not be marked as held for an unknown outcome; other actions on the object wait for it instead of being refused at once")
}

// end settles the call once the Gateway has returned (or ended the
// goroutine): it records a success for the duplicate guard, releases or
// settles the locks, and returns what to answer.
func (c *gatewayCall) end(cancel context.CancelFunc) (any, error) {
	late := c.timer != nil && !c.timer.Stop()
	if late {
		c.answering.Wait() // the deadline's answer is sent: w is done with
	}
	c.stopWatch()
	cancel()
	lostLock := false
	select {
	case <-c.lost:
		lostLock = true
	default:
	}
	settled := false
	switch {
	case !c.returned:
		c.out = outcome{err: errors.New("the Gateway ended its goroutine (runtime.Goexit)")}
		settled = true
	case c.out.unknown() || lostLock:
		settled = true
	case c.out.err == nil:
		c.remember()
	}
	if settled {
		c.logStoreErrors(c.locks.each(c.h.store, Lease.Settle),
			"a lock could not be settled; the object stays held until its lease runs out")
		c.glog.UpdateContext(func(lc zerolog.Context) zerolog.Context { return lc.Dur("held_for", c.h.settle) })
	} else {
		c.logStoreErrors(c.locks.each(c.h.store, Lease.Release),
			"a lock could not be released; the object stays held until its lease runs out")
	}
	for _, d := range c.dropped {
		c.glog.Error().Str("error", safe.Error(d)).
			Msg("dropped a part of the gateway's answer that ChargeDesk cannot use; the action succeeded and is answered without it")
	}
	if late {
		logLate(c.glog, c.def.action, c.out)
		if c.h.late != nil {
			c.h.late(c.lateOutcome())
		}
		return nil, errAnsweredAtDeadline
	}
	// The Gateway is done with its logger: the fields it added
	// (zerolog.Ctx(ctx).UpdateContext) join the webhook's line.
	*c.log = *c.glog
	if !c.returned {
		return nil, c.out.err // the goroutine is ending: the endpoint answers
	}
	if p, ok := c.out.err.(*gatewayPanic); ok {
		if p.value == http.ErrAbortHandler {
			panic(http.ErrAbortHandler)
		}
		c.log.UpdateContext(func(lc zerolog.Context) zerolog.Context {
			return lc.Str("panic", safe.Describe(p.value)).Str("stack", string(p.stack))
		})
	}
	return c.out.answer, c.out.err
}

// remember records a success for the duplicate guard before the locks are
// released, so that the next identical webhook, which waits on them, sees
// it. A store failure is logged to reconcile; the success stands.
func (c *gatewayCall) remember() {
	if c.h.window <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.h.store)
	defer cancel()
	if err := c.h.dupes.Remember(ctx, c.dupKey, c.h.window); err != nil {
		c.glog.Error().Str("error", safe.Error(err)).Str("idempotency_key", c.idemKey).
			Msg("the action succeeded but the duplicate guard could not record it: an identical webhook in the window would be performed again; reconcile if one arrives")
	}
}

func (c *gatewayCall) logStoreErrors(errs []error, msg string) {
	for _, err := range errs {
		c.glog.Error().Str("error", safe.Error(err)).Msg(msg)
	}
}

// watchLost cancels the Gateway's context when one of its locks is lost
// while it works, and logs at error level what to reconcile. The returned
// function stops the watch.
func (c *gatewayCall) watchLost(cancel context.CancelFunc) func() {
	channels := c.locks.lost()
	if len(channels) == 0 {
		return func() {}
	}
	wl := c.log.With().Logger() // its own: the Gateway's may be in use
	stop := make(chan struct{})
	var once sync.Once
	for _, l := range channels {
		go func() {
			select {
			case <-l:
				once.Do(func() {
					// Logged first, so the line is written by the time the
					// cancelled gateway's answer is.
					wl.Error().Str("idempotency_key", c.idemKey).
						Msg("a lock was lost while the gateway worked on this " + string(c.def.action) +
							": its context is cancelled; another instance may act on the same object, so reconcile this action on the platform")
					close(c.lost)
					cancel()
				})
			case <-stop:
			}
		}()
	}
	return func() { close(stop) }
}

// actionKeys are what a Gateway call is given to fence its action at the
// platform.
type actionKeys struct {
	idempotency string
	fence       int64
}

// IdempotencyKey returns a stable key for the action a Gateway call
// performs, for the payment platform's own idempotency key (Stripe's
// Idempotency-Key header, say): the same for an identical webhook sent
// again (same action, objects, amount, reason), different for a different
// action. It is the fence that still holds when the duplicate guard cannot
// help: a retry after the window, a lock lost to a paused process, a store
// that was unreachable. Identical actions an agent really means twice
// share it, so they need different reasons. It is "" outside a Gateway
// call.
func IdempotencyKey(ctx context.Context) string {
	k, _ := ctx.Value(actionKeys{}).(actionKeys)
	return k.idempotency
}

// FencingToken returns the Gateway call's fencing token: a number larger
// than that of every earlier action on the same charge or subscription
// (across instances, with a shared Locker). A platform that stores the
// largest token it has seen per object, and refuses a write that carries a
// smaller one, refuses a stale writer: an action whose lock ran out while
// its process was paused, after another action took the object. It is 0
// outside a Gateway call.
func FencingToken(ctx context.Context) int64 {
	k, _ := ctx.Value(actionKeys{}).(actionKeys)
	return k.fence
}

// shape is what the update sets, for the log: its status and amounts, and
// whether it sets the rest.
func (c *ChargeUpdate) shape() map[string]any {
	m := map[string]any{}
	if c.Status != "" {
		m["status"] = c.Status
	}
	if c.Amount != nil {
		m["amount"] = c.Amount
	}
	if c.AmountRefunded != nil {
		m["amount_refunded"] = c.AmountRefunded
	}
	if c.Currency != "" {
		m["currency"] = c.Currency
	}
	if len(c.Metadata) > 0 {
		m["metadata_keys"] = len(c.Metadata)
	}
	if c.PayLink != "" {
		m["pay_link"] = true
	}
	return m
}

// shape is what the update sets, for the log.
func (sub *SubscriptionUpdate) shape() map[string]any {
	m := map[string]any{}
	if sub.Status != "" {
		m["status"] = sub.Status
	}
	if sub.Amount != nil {
		m["amount"] = sub.Amount
	}
	if sub.Quantity != nil {
		m["quantity"] = *sub.Quantity
	}
	if len(sub.Items) > 0 {
		m["items"] = len(sub.Items)
	}
	return m
}
