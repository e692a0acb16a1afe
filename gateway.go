package chargedesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/chargedesk/chargedesk-go/internal/safe"
	"github.com/rs/zerolog"
)

// outcome is what a gateway call produced.
type outcome struct {
	answer any
	err    error
}

// gatewayPanic is a panic in gateway code, caught by perform.
type gatewayPanic struct {
	value any
	stack []byte
}

func (p *gatewayPanic) Error() string { return "gateway panicked: " + safe.Describe(p.value) }

// errAnsweredAtDeadline is callGateway's error when the webhook was
// answered at the deadline while the gateway still worked: there is nothing
// left to answer.
var errAnsweredAtDeadline = errors.New("answered at the deadline")

// callGateway calls the gateway for req on the caller's goroutine, and
// answers the webhook through w at ctx's deadline if the gateway has not
// returned by then: the agent is told the outcome is unknown, from a
// goroutine that starts only when the deadline passes. The call keeps its
// locks until it returns, however late; a late outcome is logged for an
// operator to reconcile, and callGateway then returns errAnsweredAtDeadline.
// Running the gateway here rather than in a goroutine of its own spares
// every webhook the hand-over between two goroutines (on an idle server,
// waking another thread twice), and keeps ServeHTTP running while a late
// call does, so that http.Server.Shutdown waits for it.
func (h *Handler) callGateway(ctx context.Context, def *actionDef, req request, dupKey string, w http.ResponseWriter, log *zerolog.Logger, unlock func(), lost []<-chan struct{}) (answer any, err error) {
	action := def.action
	idemKey := "chargedesk-" + dupKey[:40]
	// WithContext stores a copy of *log for the gateway, whose fields go
	// there. The copy shares log's buffer, but a zerolog logger only ever
	// appends to its buffer: the gateway's fields go past log's end, which
	// log does not read, and log is given a buffer of its own before the
	// deadline's answer adds to it.
	gctx := context.WithValue(log.WithContext(ctx), idempotencyKey{}, idemKey)
	cancelGateway := func() {}
	if len(lost) > 0 {
		// Cancelled when a lock is lost. Otherwise ctx is cancelled once
		// the webhook is answered, which is after the gateway returns.
		gctx, cancelGateway = context.WithCancel(gctx)
	}
	stopWatch := watchLost(lost, cancelGateway, log, action, idemKey)
	stored := zerolog.Ctx(gctx)

	// A timer rather than context.AfterFunc: no goroutine and no channel
	// until the deadline, nor a child registered with ctx.
	stopDeadline := func() bool { return true }
	var answering sync.WaitGroup // the deadline's answer, while it is sent
	if deadline, ok := ctx.Deadline(); ok {
		answering.Add(1)
		t := time.AfterFunc(time.Until(deadline), func() {
			defer answering.Done()
			// The gateway may still add to its copy: from here on, log's
			// fields go to a buffer of log's own.
			*log = log.With().Logger()
			respond(w, log, action, nil, fmt.Errorf("gateway %s: %w", action, context.DeadlineExceeded))
			if x := exchangeOf(w); x != nil {
				h.conclude(x, false) // the line is written now, not when the gateway returns
			}
		})
		stopDeadline = t.Stop
	}
	var out outcome
	var problems []func() // log lines, written once the locks are released
	defer func() {
		// Deferred, so that the locks are released even if the gateway
		// ends the goroutine (runtime.Goexit, as t.FailNow in a test's
		// fake does).
		late := !stopDeadline()
		if late {
			answering.Wait() // the deadline's answer is sent: w is done with
		}
		stopWatch()
		cancelGateway()
		unlock()
		for _, p := range problems {
			p()
		}
		if late {
			logLate(stored, action, out)
			answer, err = nil, errAnsweredAtDeadline
			return
		}
		// The gateway is done with its copy of the logger: the fields it
		// added (zerolog.Ctx(ctx).UpdateContext) join the webhook's line.
		if stored != zerolog.Ctx(context.Background()) { // not zerolog's global default
			*log = *stored
		}
		answer, err = h.gatewayOutcome(log, out)
	}()
	out, problems = h.perform(gctx, def, req, dupKey, stored)
	return nil, nil // set by the deferred function
}

// perform calls the gateway, settles its answer and, on success, remembers
// the action for the duplicate guard. A panic in the gateway is its
// outcome. The problems it meets are returned as log lines to write once
// the locks are released.
func (h *Handler) perform(ctx context.Context, def *actionDef, req request, dupKey string, log *zerolog.Logger) (out outcome, problems []func()) {
	defer func() {
		if p := recover(); p != nil {
			out = outcome{err: &gatewayPanic{value: p, stack: debug.Stack()}}
		}
	}()
	answer, err := def.call(ctx, h.gateway, req)
	if err == nil {
		// Success counts as done: parts of the answer ChargeDesk cannot
		// use are dropped, never the action.
		var dropped []error
		answer, dropped, err = settleAnswer(answer, req)
		for _, d := range dropped {
			problems = append(problems, func() {
				log.Error().Str("error", safe.Error(d)).
					Msg("dropped a part of the gateway's answer that ChargeDesk cannot use; the action succeeded and is answered without it")
			})
		}
	}
	if err == nil && h.window > 0 {
		// Remembered before the locks are released, so the next identical
		// webhook, which waits on them, sees it.
		if rerr := h.dupes.Remember(context.WithoutCancel(ctx), dupKey, h.window); rerr != nil {
			problems = append(problems, func() {
				log.Error().Str("error", safe.Error(rerr)).Str("duplicate_key", dupKey).
					Msg("the action succeeded but the duplicate guard could not record it: an identical webhook in the window would be performed again; reconcile if one arrives")
			})
		}
	}
	return outcome{answer: answer, err: err}, problems
}

// gatewayOutcome returns the gateway's outcome to the caller, adding a
// panic's stack to the log line; http.ErrAbortHandler is panicked again,
// for net/http.
func (h *Handler) gatewayOutcome(log *zerolog.Logger, out outcome) (any, error) {
	if p, ok := out.err.(*gatewayPanic); ok {
		if p.value == http.ErrAbortHandler {
			panic(http.ErrAbortHandler)
		}
		log.UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("panic", safe.Describe(p.value)).Str("stack", string(p.stack))
		})
	}
	return out.answer, out.err
}

// logLate reports an outcome that arrived after the agent was told it was
// unknown: late_outcome is what the agent would have been told (success,
// refused, error, ...), with the gateway's answer or error.
func logLate(log *zerolog.Logger, action Action, out outcome) {
	ev := log.Error().Bool("late", true)
	if out.err != nil {
		_, message, oc := errorAnswer(action, out.err)
		ev = ev.Str("late_outcome", string(oc)).Str("late_agent_error", message).Str("late_error", safe.Error(out.err))
		if p, ok := out.err.(*gatewayPanic); ok {
			ev = ev.Str("stack", string(p.stack))
		}
	} else {
		ev = ev.Str("late_outcome", string(OutcomeSuccess)).Interface("late_answer", answerShape(out.answer))
	}
	ev.Msg("gateway finished after the agent was told the outcome is unknown; reconcile this action")
}

// answerShape is what a late answer changed, for the log: statuses,
// amounts and counts, and the names of the other fields it set, never their
// values, which may be a customer's details (an email, a name, a link).
func answerShape(answer any) map[string]any {
	var r *Response
	shape := map[string]any{}
	switch a := answer.(type) {
	case *Response:
		r = a
	case *PaymentResponse:
		if a == nil {
			return shape
		}
		r = &a.Response
		shape["redirect_url"] = a.RedirectURL != ""
	}
	if r == nil {
		return shape
	}
	if r.Charge != nil {
		shape["charge"] = r.Charge.shape()
	}
	if r.Subscription != nil {
		shape["subscription"] = r.Subscription.shape()
	}
	if r.Customer != nil {
		shape["customer"] = setFields(r.Customer)
	}
	if r.Product != nil {
		shape["product"] = setFields(r.Product)
	}
	return shape
}

// setFields names the fields of an update object that are set.
func setFields(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

type idempotencyKey struct{}

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
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// watchLost cancels the Gateway's context when one of its locks is lost
// while it works (see LeaseLocker), and logs at error level what to
// reconcile, through its own copy of log taken now (the Gateway's may be in
// use). The returned function stops the watch.
func watchLost(lost []<-chan struct{}, cancel context.CancelFunc, log *zerolog.Logger, action Action, idemKey string) func() {
	if len(lost) == 0 {
		return func() {}
	}
	wl := log.With().Logger()
	stop := make(chan struct{})
	var once sync.Once
	for _, l := range lost {
		go func() {
			select {
			case <-l:
				once.Do(func() {
					// Logged first, so the line is written by the time the
					// cancelled gateway's answer is.
					wl.Error().Str("idempotency_key", idemKey).
						Msg("a lock was lost while the gateway worked on this " + string(action) +
							": its context is cancelled; another instance may act on the same object, so reconcile this action on the platform")
					cancel()
				})
			case <-stop:
			}
		}()
	}
	return func() { close(stop) }
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
