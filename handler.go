package chargedesk

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
)

// Handler receives ChargeDesk's Custom Integration webhooks and turns each
// into a call on a Gateway. Build it with NewHandler; it is safe for
// concurrent use.
type Handler struct {
	gateway   Gateway
	logger    zerolog.Logger
	headers   []headerRule
	routes    map[Action]*route
	mux       *chi.Mux
	maxBody   int64
	timeout   time.Duration
	window    time.Duration
	settle    time.Duration
	minLeft   time.Duration // MinGatewayTime
	store     time.Duration // StoreTimeout
	locker    Locker
	dupes     DuplicateStore
	observe   func(Event)
	late      func(LateOutcome)
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
		gateway: gateway,
		logger:  cfg.logger(),
		headers: headers,
		maxBody: cmp.Or(max(cfg.MaxBodyBytes, 0), DefaultMaxBodyBytes),
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout),
		window:  cmp.Or(cfg.DuplicateWindow, DefaultDuplicateWindow),
		settle:  cmp.Or(cfg.SettleTime, DefaultSettleTime),
		store:   cmp.Or(cfg.StoreTimeout, DefaultStoreTimeout),
		locker:  cfg.Locker,
		dupes:   cfg.DuplicateStore,
		observe: cfg.Observe,
		late:    cfg.OnLateOutcome,
	}
	h.minLeft = cmp.Or(cfg.MinGatewayTime, max(h.timeout, 0)/5)
	if h.timeout > 0 && h.timeout < time.Second {
		return nil, configErrorf("Timeout", "%s is under one second, too short for any payment platform (a number in JSON is nanoseconds: write \"25s\"); negative turns the deadline off", h.timeout)
	}
	if h.window > 0 && h.window < time.Second {
		return nil, configErrorf("DuplicateWindow", "%s is under one second, too short to catch a double click (a number in JSON is nanoseconds: write \"60s\"); negative turns the guard off", h.window)
	}
	if h.settle < time.Second {
		return nil, configErrorf("SettleTime", "%s is under one second, too short for a payment platform to finish a call (a number in JSON is nanoseconds: write \"60s\")", h.settle)
	}
	if h.store < 10*time.Millisecond {
		return nil, configErrorf("StoreTimeout", "%s is too short for any store (a number in JSON is nanoseconds: write \"2s\")", h.store)
	}
	if h.minLeft < 0 || (h.timeout > 0 && h.minLeft >= h.timeout) {
		return nil, configErrorf("MinGatewayTime", "%s must be at least 0 and less than Timeout (%s)", h.minLeft, h.timeout)
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
	if err := h.route(cfg, known); err != nil {
		return nil, err
	}
	return h, nil
}

// route builds the router: one route per action at its path below the Base
// Path (and the same with a trailing slash), each with the middleware stack.
func (h *Handler) route(cfg Config, known map[string]bool) error {
	base, err := basePath(cfg.BasePath)
	if err != nil {
		return err
	}
	// Checked alone first, so that a bad placeholder in the Base Path is
	// blamed on it rather than on the first action's path.
	if _, err := buildRoute(base, "/", known, "BasePath"); err != nil {
		return err
	}
	for action := range cfg.Paths {
		if !action.Valid() {
			return configErrorf("Paths["+string(action)+"]", "is not a ChargeDesk action; the actions are %v", Actions())
		}
	}
	stack := cfg.Middleware
	if stack == nil {
		stack = cfg.DefaultMiddleware()
	}
	h.mux = chi.NewRouter()
	notFound, notAllowed := h.refuse(base)
	h.mux.NotFound(h.endpoint("", stack, notFound))
	h.mux.MethodNotAllowed(h.endpoint("", stack, notAllowed))
	h.routes = map[Action]*route{}
	seen := map[string]Action{}
	for _, def := range actionTable {
		setting := "Paths[" + string(def.action) + "]"
		p, ok := cfg.Paths[def.action]
		if !ok {
			p = def.action.DefaultPath()
		}
		rt, err := buildRoute(base, p, known, setting)
		if err != nil {
			return err
		}
		if other, dup := seen[rt.pattern]; dup {
			return configErrorf(setting, "is the same path as Paths[%s]", other)
		}
		seen[rt.pattern] = def.action
		h.routes[def.action] = rt
		h.hasFields = h.hasFields || len(rt.params) > 0
		serve := h.endpoint(def.action, stack, h.serveAction(def))
		h.mux.Post(rt.pattern, serve)
		if !strings.HasSuffix(rt.pattern, "/") {
			h.mux.Post(rt.pattern+"/", serve) // a trailing slash is tolerated
		}
	}
	return nil
}

// ServeHTTP routes a webhook to its action.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Without the route context of a parent chi router, so that the
	// handler matches the full path whether or not a parent routed part of
	// it; and with the webhook's own logger.
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, nil)
	l := h.logger.With().Logger()
	h.mux.ServeHTTP(w, r.WithContext(l.WithContext(ctx)))
}

// terms are the lease terms of an action's locks: its deadline and the
// settle time.
func (h *Handler) terms() LeaseTerms {
	return LeaseTerms{Hold: max(h.timeout, 0) + h.settle, Settle: h.settle}
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
