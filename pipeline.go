package chargedesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/internal/safe"
	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// This file is a webhook's way through the handler, top to bottom:
// endpoint (around the middleware: the log line, Observe, panics), then
// serveAction and process (headers, body, decoding, validation, locks,
// duplicates), then callGateway (gateway.go), then respond.

// endpoint returns the handler of one route: the middleware stack around
// serve, and around both what every webhook gets whatever answered it (the
// action's handler or a middleware): the request's logger, the one log line,
// the Event for Observe, and a last resort against panics.
func (h *Handler) endpoint(action Action, stack []func(http.Handler) http.Handler, serve http.Handler) http.HandlerFunc {
	next := serve
	for i := len(stack) - 1; i >= 0; i-- {
		next = stack[i](next)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		x := &exchange{ResponseWriter: w, start: time.Now(), req: r, action: action}
		// The webhook's logger, put in the context by ServeHTTP.
		x.log = zerolog.Ctx(r.Context())
		if x.log == zerolog.Ctx(context.Background()) {
			// A disabled logger, which zerolog does not store: never mutate
			// zerolog's process-wide default in its place.
			l := h.logger
			x.log = &l
		}
		if action != "" {
			x.log.UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str("action", string(action)) })
		}
		defer h.finish(x)
		next.ServeHTTP(x, r)
		x.returned = true
	}
}

// finish ends every webhook: it recovers a panic (the agent still gets a
// JSON 500 unless an answer was sent; http.ErrAbortHandler is panicked again
// for net/http once reported), answers a handler that ended its goroutine
// with runtime.Goexit the same way, and writes the webhook's one log line
// and reports the Event unless the deadline's answer did.
func (h *Handler) finish(x *exchange) {
	v := recover()
	if v == nil && !x.returned && !x.concluded {
		// runtime.Goexit, in Gateway code or a middleware: nothing may have
		// been answered.
		x.outcome = OutcomeError
		x.log.UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Bool("goexit", true) })
		if x.status == 0 {
			writeAnswer(x, http.StatusInternalServerError, errorBody(msgInternal))
		}
	}
	if v != nil {
		stack := string(debug.Stack())
		if x.concluded {
			// After the deadline's answer and its line: the panic gets a
			// line of its own.
			x.log.Error().Str("panic", safe.Describe(v)).Str("stack", stack).
				Msg("panic after the webhook was answered at its deadline")
		} else {
			x.outcome = OutcomeError
			x.log.UpdateContext(func(c zerolog.Context) zerolog.Context {
				return c.Str("panic", safe.Describe(v)).Str("stack", stack)
			})
			if v != http.ErrAbortHandler && x.status == 0 {
				writeAnswer(x, http.StatusInternalServerError, errorBody(msgInternal))
			}
		}
	}
	if !x.concluded {
		h.conclude(x, v != nil)
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
}

// conclude writes the webhook's one log line and reports its Event, once
// it is answered; aborted says a panic ended it, and a 500 is reported if
// nothing was sent.
func (h *Handler) conclude(x *exchange, aborted bool) {
	x.concluded = true
	status := x.status
	if status == 0 {
		status = http.StatusOK
		if aborted { // aborted before anything was sent
			status = http.StatusInternalServerError
		}
	}
	outcome := x.outcome
	if outcome == "" { // answered by a middleware
		outcome = outcomeForStatus(status)
	}
	duration := time.Since(x.start)
	x.log.WithLevel(levelFor(status)).Str("outcome", string(outcome)).
		Str("method", x.req.Method).Str("path", x.req.URL.Path).Int("status", status).Int("bytes", x.bytes).
		Dur("duration", duration).Msg("webhook")
	if h.observe != nil {
		h.observe(Event{Action: x.action, Outcome: outcome, Status: status, Duration: duration})
	}
}

func levelFor(status int) zerolog.Level {
	switch {
	case status >= 500:
		return zerolog.ErrorLevel
	case status >= 400:
		return zerolog.WarnLevel
	}
	return zerolog.InfoLevel
}

// serveAction returns the handler of one action, below the middleware.
func (h *Handler) serveAction(def *actionDef) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := requestLog(w)
		// Deadline for the whole action, lock waits included; the gateway's
		// context does not end when ChargeDesk disconnects.
		ctx, cancel := h.deadline(context.WithoutCancel(r.Context()))
		defer cancel()
		answer, err := h.process(ctx, def, w, r, log)
		if err == errAnsweredAtDeadline {
			return
		}
		respond(w, log, def.action, answer, err)
	}
}

// refuse returns the handler of a route that only refuses: no action at the
// path, or not with that method.
func (h *Handler) refuse(base string) (notFound, notAllowed http.HandlerFunc) {
	notFound = func(w http.ResponseWriter, r *http.Request) {
		// The log says what came and what was expected: the common cause is
		// a Base Path that differs from the mount, or http.StripPrefix.
		respond(w, requestLog(w), "", nil, &requestError{kind: refusedPath, message: msgNotFound,
			err: fmt.Errorf("no action at the path %q: the Base Path is %q and the action paths are below it; mount the handler so that it sees the full request path (chi Mount or Route, or a ServeMux pattern, not http.StripPrefix)",
				wire.Truncate([]byte(r.URL.Path), 200), base)})
	}
	notAllowed = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		respond(w, requestLog(w), "", nil, &requestError{kind: refusedMethod, message: msgMethod})
	}
	return notFound, notAllowed
}

func (h *Handler) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.timeout)
}

// process runs a webhook through authentication, decoding, validation, the
// locks, the duplicate guard and the gateway, and returns its answer.
func (h *Handler) process(ctx context.Context, def *actionDef, w http.ResponseWriter, r *http.Request, log *zerolog.Logger) (any, error) {
	if !h.staticHeadersMatch(r.Header) {
		return nil, unauthorized("a fixed header did not match")
	}
	body, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	req := def.newRequest()
	payload, err := decodeBody(r.Header.Get("Content-Type"), body, req, h.hasFields)
	if err != nil {
		return nil, &requestError{kind: refusedMalformed, message: sentence(err), err: err}
	}
	if h.hasFields && !h.templatesMatch(def, r, payload) {
		return nil, unauthorized("a templated header or the Base Path did not match the payload")
	}
	req.received(Raw{Body: body, Header: r.Header})
	annotate(log, req)
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	key := duplicateKey(def.action, req)
	locks, err := h.guard(ctx, def, req, key, log)
	if err != nil {
		return nil, err
	}
	return h.callGateway(ctx, def, req, key, w, log, locks)
}

// guard takes the locks of req's objects and checks the duplicate guard,
// leaving the Gateway at least MinGatewayTime before the deadline. On
// success the caller owns the locks; on an error they are released.
func (h *Handler) guard(ctx context.Context, def *actionDef, req request, key string, log *zerolog.Logger) (*lockSet, error) {
	waitCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithDeadline(ctx, deadline.Add(-h.minLeft))
		defer cancel()
	}
	locks, err := lockAll(waitCtx, h.locker, lockKeys(req), h.terms(), h.store)
	var held *HeldError
	switch {
	case err == nil:
	case errors.As(err, &held):
		return nil, &requestError{kind: refusedHeld, message: heldMessage(def.subject, held), err: err}
	case waitCtx.Err() != nil:
		return nil, &requestError{kind: refusedBusy, message: msgBusy,
			err: fmt.Errorf("another action on the same object still ran when less than %s was left before the deadline: %w", h.minLeft, err)}
	default:
		return nil, &requestError{kind: refusedBusy, message: msgStoreDown, err: fmt.Errorf("locker: %w", err)}
	}
	if h.window > 0 {
		sctx, cancel := context.WithTimeout(ctx, h.store)
		seen, err := h.dupes.Seen(sctx, key)
		cancel()
		switch {
		case err != nil:
			h.releaseAll(locks, log)
			return nil, &requestError{kind: refusedBusy, message: msgStoreDown, err: fmt.Errorf("duplicate store: %w", err)}
		case seen:
			h.releaseAll(locks, log)
			return nil, &requestError{kind: refusedDuplicate, message: fmt.Sprintf(
				"An identical action was just processed for this %s. If it is really meant to happen twice, repeat it after %s.",
				def.subject, roundWindow(h.window))}
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < h.minLeft {
		h.releaseAll(locks, log)
		return nil, &requestError{kind: refusedBusy, message: msgBusy,
			err: fmt.Errorf("less than %s was left before the deadline once the locks and the duplicate guard were had", h.minLeft)}
	}
	return locks, nil
}

// releaseAll releases locks taken for an action that did not start, and
// logs what could not be released (its lease then ends with its terms).
func (h *Handler) releaseAll(locks *lockSet, log *zerolog.Logger) {
	for _, err := range locks.each(h.store, Lease.Release) {
		log.Error().Str("error", safe.Error(err)).Msg("a lock could not be released; it ends on its own when its lease runs out")
	}
}

// lockKeys names the locks an action holds: one per object it acts on.
func lockKeys(req request) []string {
	charge, sub := req.objects()
	var keys []string
	if charge != nil {
		keys = append(keys, "charge:"+charge.ChargeID)
	}
	if sub != nil {
		keys = append(keys, "subscription:"+sub.SubscriptionID)
	}
	return keys
}

// annotate adds what identifies the webhook to its log line: the ids of
// its objects (ChargeDesk's charge_id and the platform's transaction_id,
// the subscription's id), then the action's own fields (amount, mode).
func annotate(log *zerolog.Logger, req request) {
	charge, sub := req.objects()
	log.UpdateContext(func(c zerolog.Context) zerolog.Context {
		if charge != nil {
			c = c.Str("charge_id", charge.ChargeID)
			if charge.TransactionID != "" {
				c = c.Str("transaction_id", charge.TransactionID)
			}
			if charge.CustomerID != "" {
				c = c.Str("customer_id", charge.CustomerID)
			}
		}
		if sub != nil {
			c = c.Str("subscription_id", sub.SubscriptionID)
			if charge == nil && sub.CustomerID != "" {
				c = c.Str("customer_id", sub.CustomerID)
			}
		}
		return req.logFields(c)
	})
}

// readBody reads the body within the limit. The buffer grows with what
// arrives, never from the Content-Length a sender declares, so a slow body
// holds no more memory than it has sent.
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, tooLarge(h.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(mbe.Limit)
	case err != nil:
		return nil, &requestError{kind: refusedMalformed, message: "The webhook body could not be read.", err: err}
	case int64(len(body)) > h.maxBody:
		return nil, tooLarge(h.maxBody)
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return &requestError{kind: refusedTooLarge,
		message: fmt.Sprintf("The webhook body is larger than the %d bytes this integration accepts.", limit)}
}

// respond writes a webhook's answer: the gateway's answer, or err as the
// agent's message. It is the one place an answer is written, and it records
// the outcome for the log line and Observe.
func respond(w http.ResponseWriter, log *zerolog.Logger, action Action, answer any, err error) {
	status, outcome := http.StatusOK, OutcomeSuccess
	var body []byte
	if err == nil {
		body, err = json.Marshal(answer)
		if err != nil {
			err = fmt.Errorf("%w: encoding it: %w", ErrBadAnswer, err)
		}
	}
	if err != nil {
		var message string
		status, message, outcome = errorAnswer(action, err)
		body = errorBody(message)
		log.UpdateContext(func(c zerolog.Context) zerolog.Context {
			c = c.Str("agent_error", message)
			if detail := errorDetail(err); detail != nil {
				c = c.Str("error", safe.Error(detail))
			}
			return c
		})
	}
	if x := exchangeOf(w); x != nil {
		x.outcome = outcome
	}
	writeAnswer(w, status, body)
}

// errorDetail is what the log says of err beyond the agent's message: the
// cause of a refusal or an AgentError, or err itself.
func errorDetail(err error) error {
	var re *requestError
	var ae *AgentError
	switch {
	case errors.As(err, &re):
		return re.err
	case errors.As(err, &ae):
		return ae.Err
	}
	return err
}

// errorBody is the answer ChargeDesk shows the agent: {"error": message}.
func errorBody(message string) []byte {
	body, _ := json.Marshal(struct { // a string always encodes
		Error string `json:"error"`
	}{message})
	return body
}

// writeAnswer writes a JSON answer, with the same headers whatever it is,
// and sends it at once: ChargeDesk is not kept waiting while the webhook's
// log line is written.
func writeAnswer(w http.ResponseWriter, status int, body []byte) {
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_ = http.NewResponseController(w).Flush()
}
