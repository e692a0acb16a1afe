package chargedesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-playground/validator/v10"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/internal/jsonerr"
	"github.com/chargedesk/chargedesk-go/internal/safe"
)

// Handler receives ChargeDesk's Custom Integration webhooks and turns each
// into a call on a Gateway. Build it with NewHandler; it is safe for
// concurrent use.
type Handler struct {
	gateway   Gateway
	logger    zerolog.Logger
	validate  *validator.Validate
	headers   []headerRule
	routes    map[Action]*route
	chain     http.Handler
	mux       *chi.Mux
	actions   map[string]Action // chi pattern -> its action, for Observe
	maxBody   int64
	timeout   time.Duration
	window    time.Duration
	locker    Locker
	dupes     DuplicateStore
	observe   func(Event)
	hasFields bool // some header or path has placeholders
}

// NewHandler returns the Handler for gateway with cfg, or a *ConfigError
// naming the bad setting: a bad header or path, a placeholder naming no
// field ChargeDesk sends, two actions on one path, or no authenticating
// header without AllowUnauthenticated.
func NewHandler(gateway Gateway, cfg Config) (*Handler, error) {
	if gateway == nil {
		return nil, configErrorf("gateway", "is nil")
	}
	known := knownFields()
	headers, authenticating, err := parseHeaders(cfg.Headers, known)
	if err != nil {
		return nil, err
	}
	if !authenticating && !cfg.AllowUnauthenticated {
		return nil, configErrorf("Headers", "no header authenticates the webhooks: add one whose every value has a secret of at least %d fixed characters (for example Authorization: Bearer <secret>), or set AllowUnauthenticated", MinSecretLength)
	}
	h := &Handler{
		gateway:  gateway,
		logger:   cfg.logger(),
		validate: newValidator(),
		headers:  headers,
		routes:   map[Action]*route{},
		actions:  map[string]Action{},
		maxBody:  cfg.MaxBodyBytes,
		timeout:  cfg.Timeout,
		window:   cfg.DuplicateWindow,
		locker:   cfg.Locker,
		dupes:    cfg.DuplicateStore,
		observe:  cfg.Observe,
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.timeout > 0 && h.timeout < time.Second {
		return nil, configErrorf("Timeout", "%s is under one second, too short for any payment platform (a number in JSON is nanoseconds: write \"25s\"); negative turns the deadline off", h.timeout)
	}
	if h.window > 0 && h.window < time.Second {
		return nil, configErrorf("DuplicateWindow", "%s is under one second, too short to catch a double click (a number in JSON is nanoseconds: write \"60s\"); negative turns the guard off", h.window)
	}
	if h.timeout == 0 {
		h.timeout = DefaultTimeout
	}
	if h.window == 0 {
		h.window = DefaultDuplicateWindow
	}
	if h.locker == nil {
		h.locker = NewMemoryLocker()
	}
	if h.dupes == nil {
		h.dupes = NewMemoryDuplicateStore()
	}
	for _, r := range headers {
		h.hasFields = h.hasFields || !r.static
	}

	base, err := basePath(cfg.BasePath)
	if err != nil {
		return nil, err
	}
	// Checked alone first, so that a bad placeholder in the Base Path is
	// blamed on it rather than on the first action's path.
	if _, err := buildRoute(base, "/", known, "BasePath"); err != nil {
		return nil, err
	}
	mux := chi.NewRouter()
	mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		// The log says what came and what was expected: the common cause is
		// a Base Path that differs from the mount, or http.StripPrefix.
		h.fail(w, r, &requestError{status: http.StatusNotFound, message: msgNotFound, outcome: OutcomeNotFound,
			err: fmt.Errorf("no action at the path %q: the Base Path is %q and the action paths are below it; mount the handler so that it sees the full request path (chi Mount or Route, or a ServeMux pattern, not http.StripPrefix)",
				truncate([]byte(r.URL.Path), 200), base)})
	})
	mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, &requestError{status: http.StatusMethodNotAllowed, message: msgMethod, outcome: OutcomeNotFound})
	})
	for action := range cfg.Paths {
		if !action.Valid() {
			return nil, configErrorf("Paths["+string(action)+"]", "is not a ChargeDesk action; the actions are %v", Actions())
		}
	}
	seen := map[string]Action{}
	for _, action := range Actions() {
		setting := "Paths[" + string(action) + "]"
		p, ok := cfg.Paths[action]
		if !ok {
			p = action.DefaultPath()
		}
		rt, err := buildRoute(base, p, known, setting)
		if err != nil {
			return nil, err
		}
		if other, dup := seen[rt.pattern]; dup {
			return nil, configErrorf(setting, "is the same path as Paths[%s]", other)
		}
		seen[rt.pattern] = action
		h.routes[action] = rt
		h.hasFields = h.hasFields || len(rt.params) > 0
		serve := h.serveAction(action)
		mux.Post(rt.pattern, serve)
		h.actions[rt.pattern] = action
		if !strings.HasSuffix(rt.pattern, "/") {
			mux.Post(rt.pattern+"/", serve) // a trailing slash is tolerated
			h.actions[rt.pattern+"/"] = action
		}
	}

	stack := cfg.Middleware
	if stack == nil {
		stack = cfg.DefaultMiddleware()
	}
	var chain http.Handler = mux
	for i := len(stack) - 1; i >= 0; i-- {
		chain = stack[i](chain)
	}
	h.chain = chain
	h.mux = mux
	return h, nil
}

// ServeHTTP routes a webhook to its action. It reports the outcome to
// Config.Observe, then runs the middleware stack and the action.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	st := &requestState{rec: rec}
	// A fresh route context: the handler matches the full path whether or
	// not a parent chi router already routed part of it.
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, chi.NewRouteContext())
	ctx = context.WithValue(ctx, stateKey{}, st)
	if h.observe != nil {
		// The action is known before the middleware runs, so an answer
		// middleware gives (a 413 from BodyLimit) is reported with it.
		st.action = h.actions[h.mux.Find(chi.NewRouteContext(), r.Method, routePath(r))]
		panicked := true
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
				if panicked { // a panic middleware let through (http.ErrAbortHandler)
					status = http.StatusInternalServerError
				}
			}
			outcome := st.outcome
			if outcome == "" {
				outcome = outcomeForStatus(status)
			}
			h.observe(Event{Action: st.action, Outcome: outcome, Status: status, Duration: time.Since(start)})
		}()
		h.chain.ServeHTTP(rec, r.WithContext(ctx))
		panicked = false
		return
	}
	h.chain.ServeHTTP(rec, r.WithContext(ctx))
}

// serveAction returns the handler of one action: it reads top to bottom as
// the webhook is processed.
func (h *Handler) serveAction(action Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		stateFrom(ctx).action = action
		ctx, log, own := h.requestLogger(ctx)
		stateFrom(ctx).log = log
		if own {
			r = r.WithContext(ctx)
		}
		log.UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str("action", string(action)) })
		if own {
			defer func() { h.logOwnLine(log, r, start) }()
		}
		defer h.lastResort(w, r, log)

		// Deadline for the whole action, lock waits included; the gateway's
		// context does not end when ChargeDesk disconnects.
		actx, cancel := h.deadline(context.WithoutCancel(ctx))
		defer cancel()

		answer, err := h.process(actx, action, r, log)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		stateFrom(ctx).outcome = OutcomeSuccess
		log.UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str("outcome", string(OutcomeSuccess)) })
		writeJSON(w, http.StatusOK, answer)
	}
}

// lastResort recovers a panic in the handler's own path (a value from the
// gateway whose Error or MarshalJSON panics, with no Recoverer middleware):
// the agent still gets a JSON 500 unless an answer was already sent, and
// the log line keeps the outcome and the stack. http.ErrAbortHandler is let
// through for net/http.
func (h *Handler) lastResort(w http.ResponseWriter, r *http.Request, log *zerolog.Logger) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	st := stateFrom(r.Context())
	st.outcome = OutcomeError
	stack := string(debug.Stack())
	log.UpdateContext(func(c zerolog.Context) zerolog.Context {
		return c.Str("outcome", string(OutcomeError)).Str("panic", safe.Describe(v)).Str("stack", stack)
	})
	if st.rec == nil || st.rec.status == 0 {
		jsonerr.Write(w, http.StatusInternalServerError, msgInternal)
	}
}

func (h *Handler) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.timeout)
}

// process runs a webhook through authentication, decoding, validation, the
// locks, the duplicate guard and the gateway, and returns its answer.
func (h *Handler) process(ctx context.Context, action Action, r *http.Request, log *zerolog.Logger) (any, error) {
	if !h.staticHeadersMatch(r.Header) {
		return nil, unauthorized("a fixed header did not match")
	}
	body, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	env, payload, err := decodeBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, &requestError{status: http.StatusBadRequest, message: sentence(err), outcome: OutcomeInvalid, err: err}
	}
	if h.hasFields && !h.templatesMatch(action, r, payload) {
		return nil, unauthorized("a templated header or the Base Path did not match the payload")
	}
	req := env.request(action, Raw{Body: body, Header: r.Header})
	annotate(log, req)
	if err := validateRequest(h.validate, req); err != nil {
		return nil, err
	}

	unlock, lost, err := lockAll(ctx, h.locker, lockKeys(req))
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, &requestError{status: http.StatusServiceUnavailable, message: msgBusy, outcome: OutcomeBusy,
			err: fmt.Errorf("the webhook's deadline passed while it waited for another action on the same object to finish: %w", err)}
	default:
		return nil, &requestError{status: http.StatusServiceUnavailable, message: msgStoreDown, outcome: OutcomeBusy,
			err: fmt.Errorf("locker: %w", err)}
	}
	// From here the locks are released by whoever finishes last with the
	// object: this function, or the gateway call if it outlives the deadline.
	released := false
	defer func() {
		if !released {
			unlock()
		}
	}()
	key := duplicateKey(action, req)
	if h.window > 0 {
		seen, err := h.dupes.Seen(ctx, key)
		if err != nil {
			return nil, &requestError{status: http.StatusServiceUnavailable, message: msgStoreDown, outcome: OutcomeBusy,
				err: fmt.Errorf("duplicate store: %w", err)}
		}
		if seen {
			return nil, &requestError{status: http.StatusConflict, outcome: OutcomeDuplicate, message: fmt.Sprintf(
				"An identical action was just processed for this %s. If it is really meant to happen twice, repeat it after %s.",
				objectNoun(action), roundWindow(h.window))}
		}
	}
	released = true
	return h.callGateway(ctx, action, req, key, unlock, lost)
}

// requestLogger returns ctx with the request's logger, and a pointer to it
// through which every field is added: zerolog's WithContext stores a copy
// whose buffer aliases the original's, so two copies appending fields would
// overwrite each other. The logger is the one middleware put in ctx or,
// failing that, a new one from the handler's logger, in which case own is
// true and serveAction writes the webhook's log line itself. It is never
// zerolog's process-wide DefaultContextLogger, which must not be mutated.
func (h *Handler) requestLogger(ctx context.Context) (context.Context, *zerolog.Logger, bool) {
	fallback := zerolog.Ctx(context.Background())
	if l := zerolog.Ctx(ctx); l != fallback {
		return ctx, l, false
	}
	l := h.logger.With().Logger()
	ctx = l.WithContext(ctx)
	if stored := zerolog.Ctx(ctx); stored != fallback {
		return ctx, stored, true
	}
	return ctx, &l, true // a disabled logger, which zerolog does not store
}

func (h *Handler) logOwnLine(log *zerolog.Logger, r *http.Request, start time.Time) {
	// The outcome is already among the logger's fields.
	status := http.StatusOK
	if rec := stateFrom(r.Context()).rec; rec != nil && rec.status != 0 {
		status = rec.status
	}
	level := zerolog.InfoLevel
	switch {
	case status >= 500:
		level = zerolog.ErrorLevel
	case status >= 400:
		level = zerolog.WarnLevel
	}
	log.WithLevel(level).Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).
		Dur("duration", time.Since(start)).Msg("webhook")
}

// readBody reads the body within the limit, into a buffer sized from
// Content-Length when the sender gave one.
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, tooLarge(h.maxBody)
	}
	size := int64(4096)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // +1 to see EOF without growing
	}
	body := make([]byte, 0, min(size, h.maxBody+1))
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)] // grow
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if int64(len(body)) > h.maxBody {
			return nil, tooLarge(h.maxBody)
		}
		var mbe *http.MaxBytesError
		switch {
		case err == io.EOF:
			return body, nil
		case errors.As(err, &mbe):
			return nil, tooLarge(mbe.Limit)
		case err != nil:
			return nil, &requestError{status: http.StatusBadRequest, message: "The webhook body could not be read.", outcome: OutcomeInvalid, err: err}
		}
	}
}

func tooLarge(limit int64) error {
	return &requestError{status: http.StatusRequestEntityTooLarge, outcome: OutcomeInvalid,
		message: fmt.Sprintf("The webhook body is larger than the %d bytes this integration accepts.", limit)}
}

// fail answers err to the agent and records it for the log and Observe.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	status, message, outcome := errorAnswer(st.action, err)
	st.outcome = outcome
	log := st.log
	if log == nil {
		// Before an action ran (404, 405): the middleware's logger, if any.
		if l := zerolog.Ctx(r.Context()); l != zerolog.Ctx(context.Background()) {
			log = l
		}
	}
	if log == nil {
		jsonerr.Write(w, status, message)
		return
	}
	log.UpdateContext(func(c zerolog.Context) zerolog.Context {
		c = c.Str("outcome", string(outcome)).Str("agent_error", message)
		var ae *AgentError
		var re *requestError
		switch {
		case errors.As(err, &re):
			if re.err != nil {
				c = c.Str("error", safe.Error(re.err))
			}
		case errors.As(err, &ae):
			if ae.Err != nil {
				c = c.Str("error", safe.Error(ae.Err))
			}
		default:
			c = c.Str("error", safe.Error(err))
		}
		return c
	})
	jsonerr.Write(w, status, message)
}

// writeJSON sends a success answer; v is encoded before anything is
// written, so an encoding failure still yields a well-formed error.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		jsonerr.Write(w, http.StatusInternalServerError, msgBadAnswer)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// sentence makes an error's text read as a sentence for the agent.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// roundWindow is the duplicate window as the agent reads it: whole seconds,
// unless it is shorter than one.
func roundWindow(d time.Duration) time.Duration {
	if r := d.Round(time.Second); r > 0 {
		return r
	}
	return d
}

func objectNoun(action Action) string {
	switch action {
	case ActionCancel, ActionReactivate, ActionEditPlans:
		return "subscription"
	}
	return "charge"
}
