// Package apitest is an in-memory, stateful ChargeDesk REST API for tests:
// the client's, an importer's, and the local ChargeDesk simulator's. It
// serves the operations of ChargeDesk's API specification under /v1 as
// ChargeDesk does: HTTP Basic auth with the key, form bodies in PHP's
// bracket notation or JSON, duplicate=update upserts, lists newest first
// with count and offset limits, an unknown parameter refused with a 400
// naming it, and errors as {"error": {"message", "type", "code",
// "incorrect_parameter"}}. It answers in ChargeDesk's documented shape (the
// webhooks' record objects: amounts as strings, times as unix seconds,
// booleans as 0 and 1, an empty metadata as [], gateway answers wrapped
// under the class name) or, with [ShapeSeed], in the seed specification's
// (see [Shape] and docs/api-compat.md). It also serves the paths
// ChargeDesk's own PHP client calls that the seed lacks
// (/customers/history, /charges/{id}/refund, /subscriptions/{id}/cancel).
//
// Records are typed and indexed: a list at any offset, with or without a
// status, customer or time filter, answers in about a millisecond, a write
// never re-sorts, and a million records take about 414 MiB of heap (see
// docs/performance.md).
//
// Gateway operations are agent actions. With an [Agent] (the simulator's
// sends the Custom Integration's webhook), the integration's answer
// decides: its update objects are applied, or its error becomes the API's.
// Without one, or when the answer has no updates, ChargeDesk's default
// change applies: a refund adds to amount_refunded, a capture marks the
// charge paid, a void voids it, a cancel cancels the subscription, and so
// on. Actions on one record are applied one at a time, in order; every
// action is logged on its records.
//
// The changes it sees through its API make ChargeDesk's event
// notifications (events.go says which), delivered to the webhooks
// registered through it with ChargeDesk's rules: retried hourly for 3 days
// on the Options.Now clock, a 410 disabling the webhook (see deliver.go,
// [Server.Deliveries], [Server.Resend] and docs/events.md). Call
// [Server.Close] to stop the deliveries.
package apitest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

// Options configure a Server. Only Key is required.
type Options struct {
	// Key is the secret API key requests must carry.
	Key string
	// Now is the clock records are stamped with (default time.Now).
	Now func() time.Time
	// RateLimit answers 429 with Retry-After to requests above this many a
	// second (0: no limit).
	RateLimit int
	// FailRate answers this fraction of requests (0 to 1) with 503.
	FailRate float64
	// Latency delays every answer.
	Latency time.Duration
	// Rand is the random source of FailRate (default math/rand/v2).
	Rand func() float64
	// Agent, when set, performs the agent actions gateway operations ask
	// for, as a Custom Integration does (see Agent).
	Agent Agent
	// Shape is the form of the answers (default ShapeDocumented: as
	// ChargeDesk documents them; ShapeSeed: as the seed specification
	// does). New refuses an unknown one by answering every request with a
	// 500 that names it.
	Shape Shape
	// EventClient posts the event notifications to the webhooks
	// registered through the API (default: a new http.Client). Whatever
	// it is set to, it follows no redirect (ChargeDesk counts a 3xx as a
	// failure) and each attempt ends after EventTimeout.
	EventClient *http.Client
	// MaxDeliveries bounds the delivery log, and so the deliveries
	// waiting to be made (default DefaultMaxDeliveries): the oldest that
	// are over are dropped as it fills, and a new one is dropped (and
	// counted by DroppedDeliveries) when all it holds are pending.
	MaxDeliveries int
	// DeliveryConcurrency bounds the attempts under way at once (default
	// DefaultDeliveryConcurrency); a webhook gets one at a time, in the
	// order its events were made.
	DeliveryConcurrency int
	// OnDelivery, when set, is called after each delivery attempt with the
	// delivery as it then stands, outside the Server's locks: for a log
	// line, or a test waiting for an attempt. Calls may come at the same
	// time from several attempts; Close waits for those under way, so it
	// should return quickly.
	OnDelivery func(Delivery)
}

// Server is the in-memory API; it is an http.Handler and safe for
// concurrent use.
type Server struct {
	opts   Options
	router chi.Router

	mu       sync.Mutex
	stores   map[string]*store
	webhooks []*webhook
	seq      int64
	window   int64 // the rate limit's current second
	inWindow int

	// The event notifications (events.go, deliver.go).
	eventSeq    int64
	deliverySeq int64
	deliveries  []*delivery // the delivery log, oldest first
	dropped     int
	dispatch    dispatcher

	locks recordLocks // one agent action at a time per record
}

// ClockFrom returns a clock that reads start when it is made and runs on at
// the wall clock's pace: a Server on another date than today's, for tests
// and demonstrations.
func ClockFrom(start time.Time) func() time.Time {
	wall := time.Now()
	return func() time.Time { return start.Add(time.Since(wall)) }
}

// New returns an empty Server.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	s := &Server{opts: opts, stores: newStores()}
	s.router = s.routes()
	return s
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Route("/v1", func(r chi.Router) {
		r.Use(s.faults, s.authenticate)
		if _, err := ParseShape(string(s.opts.Shape)); err != nil {
			r.HandleFunc("/*", func(w http.ResponseWriter, _ *http.Request) {
				writeError(w, http.StatusInternalServerError, "api_error", "bad_shape", "", err.Error())
			})
			return
		}
		for _, op := range operations {
			r.Method(op.Method, op.Path, s.serve(op.Params, op.serve(s)))
		}
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "", "Unrecognized request URL")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "", "This URL does not take "+r.Method)
	})
	return r
}

// serve reads a request's parameters, refuses those the operation does
// not take, and calls h.
func (s *Server) serve(params []string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "", "The request body is too large")
			return
		}
		in, err := decodeInput(body, r.URL.RawQuery)
		if err == nil {
			err = checkParams(in, params)
		}
		if err != nil {
			writeParamError(w, err)
			return
		}
		h(w, r, in)
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.opts.Latency; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if s.opts.RateLimit > 0 && !s.allow() {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "rate_limit_error", "rate_limited", "",
				fmt.Sprintf("Too many requests: at most %d a second", s.opts.RateLimit))
			return
		}
		if s.opts.FailRate > 0 && s.opts.Rand() < s.opts.FailRate {
			writeError(w, http.StatusServiceUnavailable, "api_error", "unavailable", "", "ChargeDesk is briefly unavailable (injected fault)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) allow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.opts.Now().Unix()
	if sec != s.window {
		s.window, s.inWindow = sec, 0
	}
	s.inWindow++
	return s.inWindow <= s.opts.RateLimit
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	want := []byte("Basic " + base64.StdEncoding.EncodeToString([]byte(s.opts.Key+":")))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		user, _, ok := r.BasicAuth()
		if s.opts.Key == "" || !ok || user == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="ChargeDesk API"`)
			writeError(w, http.StatusUnauthorized, "authentication_error", "invalid_api_key", "",
				"Invalid API key provided. Use your secret key as the HTTP Basic user name.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxBody bounds a request body.
const maxBody = 1 << 20

func writeParamError(w http.ResponseWriter, err error) {
	if pe, ok := err.(*paramError); ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", pe.code, pe.param, pe.message)
		return
	}
	writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", err.Error())
}

func writeError(w http.ResponseWriter, status int, typ, code, param, message string) {
	detail := map[string]string{"message": message, "type": typ}
	if code != "" {
		detail["code"] = code
	}
	if param != "" {
		detail["incorrect_parameter"] = param
	}
	writeJSON(w, status, map[string]any{"error": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"message":"internal error","type":"api_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// Seed stores a record as a create with duplicate=update would, from the
// same parameters (JSON values: strings, numbers as strings, objects for
// customer[id] and metadata). It is for filling the server in tests
// without going through HTTP.
func (s *Server) Seed(name string, params map[string]any) (id string, err error) {
	if _, ok := resources[name]; !ok {
		return "", fmt.Errorf("apitest: no resource %q", name)
	}
	in := make(map[string]any, len(params)+1)
	for k, v := range params {
		in[k] = v
	}
	in["duplicate"] = "update"
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, _, err := s.upsert(name, in)
	if err != nil {
		return "", err
	}
	return rec.meta().id, nil
}

// Record returns a stored record, found by its id or its unique id, with
// every field of both shapes (the documented shape's values, and the
// seed's id and a charge's nested customer, product, subscription and
// lines), whatever the Server's Shape.
func (s *Server) Record(name, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stores[name]
	if !ok {
		return nil, false
	}
	rec := st.find(id)
	if rec == nil {
		return nil, false
	}
	return s.merged(rec), true
}

// Len returns how many records of a resource the server holds.
func (s *Server) Len(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stores[name]; ok {
		return st.len()
	}
	return 0
}

// Records returns every record of a resource as Record does, newest
// first. It holds them all at once: for a big server, page through the
// API instead.
func (s *Server) Records(name string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stores[name]
	if !ok {
		return nil
	}
	out := make([]map[string]any, 0, st.len())
	st.newest(func(r record) bool {
		out = append(out, s.merged(r))
		return true
	})
	return out
}
