package events

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/safe"
)

// Defaults for the Config fields left zero.
const (
	// DefaultRemember outlasts ChargeDesk's retries (3 days) by a day.
	DefaultRemember     = 96 * time.Hour
	DefaultTimeout      = 25 * time.Second // ChargeDesk waits 30 s
	DefaultMaxBodyBytes = 1 << 20
	// MinSecretLength is the shortest secret NewReceiver accepts.
	MinSecretLength = 16
)

// ErrDisable is what a function returns to have ChargeDesk disable the
// webhook: the delivery is answered 410, and ChargeDesk sends nothing more
// to it until it is enabled again.
var ErrDisable = errors.New("events: disable this webhook")

// Config configures a Receiver.
type Config struct {
	// Secrets are the secrets a delivery's URL must carry, as its last
	// path segment (https://example.com/chargedesk-events/<secret>) or as
	// its "secret" query parameter, compared in constant time. Each must
	// have MinSecretLength characters or more; list two to rotate one
	// without losing a delivery (see docs/events.md).
	Secrets []string
	// AllowUnauthenticated lets NewReceiver accept no secret: anyone who
	// can reach the URL can then post events. Use it only behind another
	// authentication layer.
	AllowUnauthenticated bool
	// Logger receives one line per delivery. Nil means JSON lines on
	// stderr.
	Logger *zerolog.Logger
	// DuplicateStore remembers the events handled, by event_id, so that a
	// retried delivery is acknowledged without calling the function again.
	// Nil means a new chargedesk.MemoryDuplicateStore, which serves one
	// process; share the action webhooks' PostgreSQL or Redis one between
	// instances.
	DuplicateStore chargedesk.DuplicateStore
	// Remember is how long an event is remembered. Default DefaultRemember.
	Remember time.Duration
	// Locker hands the events of one object to the functions one at a
	// time. Nil means a new chargedesk.MemoryLocker.
	Locker chargedesk.Locker
	// Timeout bounds a function's call, from the delivery's arrival.
	// Default DefaultTimeout, under the 30 s ChargeDesk waits.
	Timeout time.Duration
	// StoreTimeout bounds each call to the Locker's leases and to the
	// DuplicateStore. Default chargedesk.DefaultStoreTimeout.
	StoreTimeout time.Duration
	// MaxBodyBytes bounds a delivery's body. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Receiver is an http.Handler that receives ChargeDesk's event
// notifications and calls the function registered for each event. Make it
// with NewReceiver and register its functions before it serves.
type Receiver struct {
	secrets  [][]byte
	open     bool
	log      zerolog.Logger
	dupes    chargedesk.DuplicateStore
	remember time.Duration
	locker   chargedesk.Locker
	timeout  time.Duration
	store    time.Duration
	maxBody  int64
	handlers map[Name]func(context.Context, *Event) error

	unknown sync.Map // event names logged as unknown
}

// NewReceiver returns a Receiver, or an error naming the bad setting: no
// secret (without AllowUnauthenticated), or one that is too short.
func NewReceiver(cfg Config) (*Receiver, error) {
	r := &Receiver{
		open:     cfg.AllowUnauthenticated,
		dupes:    cfg.DuplicateStore,
		remember: cmp.Or(cfg.Remember, DefaultRemember),
		locker:   cfg.Locker,
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		store:    cmp.Or(cfg.StoreTimeout, chargedesk.DefaultStoreTimeout),
		maxBody:  cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		handlers: map[Name]func(context.Context, *Event) error{},
	}
	for i, s := range cfg.Secrets {
		if len(s) < MinSecretLength {
			return nil, fmt.Errorf("events: config Secrets[%d]: has %d characters; a secret needs %d or more", i, len(s), MinSecretLength)
		}
		r.secrets = append(r.secrets, []byte(s))
	}
	if len(r.secrets) == 0 && !r.open {
		return nil, fmt.Errorf("events: config Secrets: no secret authenticates the deliveries: set one of %d characters or more, or AllowUnauthenticated", MinSecretLength)
	}
	if cfg.Logger != nil {
		r.log = *cfg.Logger
	} else {
		r.log = zerolog.New(os.Stderr).With().Timestamp().Logger()
	}
	if r.dupes == nil {
		r.dupes = chargedesk.NewMemoryDuplicateStore()
	}
	if r.locker == nil {
		r.locker = chargedesk.NewMemoryLocker()
	}
	return r, nil
}

// register records fn for name, whose class must be class when the name
// is known.
func (r *Receiver) register(name Name, class Class, fn func(context.Context, *Event) error) {
	if name.Known() && name.Class() != class {
		panic(fmt.Sprintf("events: %s is a %s event, not a %s one", name, name.Class(), class))
	}
	r.handlers[name] = fn
}

// OnCharge calls fn with the charge of each name event, a charge event
// (charge_paid, charge_refunded, ...). It panics if name is a documented
// event of another class. It is not safe to call while the Receiver
// serves.
func (r *Receiver) OnCharge(name Name, fn func(ctx context.Context, e *Event, charge *chargedesk.Charge) error) {
	r.register(name, ClassCharge, func(ctx context.Context, e *Event) error { return fn(ctx, e, e.Data.Charge) })
}

// OnCustomer calls fn with the customer of each name event, a customer
// event (customer_new, customer_updated), as OnCharge does.
func (r *Receiver) OnCustomer(name Name, fn func(ctx context.Context, e *Event, customer *chargedesk.Customer) error) {
	r.register(name, ClassCustomer, func(ctx context.Context, e *Event) error { return fn(ctx, e, e.Data.Customer) })
}

// OnSubscription calls fn with the subscription of each name event, as
// OnCharge does.
func (r *Receiver) OnSubscription(name Name, fn func(ctx context.Context, e *Event, sub *chargedesk.Subscription) error) {
	r.register(name, ClassSubscription, func(ctx context.Context, e *Event) error { return fn(ctx, e, e.Data.Subscription) })
}

// OnProduct calls fn with the product of each name event, as OnCharge
// does.
func (r *Receiver) OnProduct(name Name, fn func(ctx context.Context, e *Event, product *chargedesk.Product) error) {
	r.register(name, ClassProduct, func(ctx context.Context, e *Event) error { return fn(ctx, e, e.Data.Product) })
}

// delivery is one request's outcome, for its answer and its log line.
type delivery struct {
	status    int
	message   string // the answer's error; "" on success
	outcome   string
	event     *Event
	err       error // the detail, for the log
	duplicate bool
}

// The answers' messages: the same wording as the action webhooks'.
const (
	msgUnauthorized = "The webhook was refused: its URL does not carry the integration's secret."
	msgMethod       = "ChargeDesk events must be sent with POST."
	msgFailed       = "The event could not be handled; ChargeDesk will send it again."
	msgBusy         = "Another event about this object is being handled, or the store could not be reached; ChargeDesk will send it again."
)

// ServeHTTP receives one delivery.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	d := r.serve(req)
	r.answer(w, d)
	r.logLine(req, d, time.Since(start))
}

func (r *Receiver) serve(req *http.Request) (d delivery) {
	if req.Method != http.MethodPost {
		return delivery{status: http.StatusMethodNotAllowed, message: msgMethod, outcome: "not_found"}
	}
	if !r.authenticated(req) {
		return delivery{status: http.StatusUnauthorized, message: msgUnauthorized, outcome: "unauthorized"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, r.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return delivery{status: http.StatusRequestEntityTooLarge, outcome: "invalid",
				message: fmt.Sprintf("The webhook body is larger than the %d bytes this integration accepts.", r.maxBody)}
		}
		return delivery{status: http.StatusBadRequest, message: "The webhook body could not be read.", outcome: "invalid", err: err}
	}
	e, err := Decode(body)
	if err != nil {
		return delivery{status: http.StatusBadRequest, message: sentence(err.Error()), outcome: "invalid"}
	}
	fn, registered := r.handlers[e.Name]
	if !registered {
		if !e.Name.Known() {
			if _, logged := r.unknown.LoadOrStore(e.Name, true); !logged {
				r.log.Warn().Str("event", safeName(e.Name)).
					Msg("an event this receiver does not know: acknowledged, and not logged again")
			}
			return delivery{status: http.StatusOK, outcome: "unknown", event: e}
		}
		return delivery{status: http.StatusOK, outcome: "ignored", event: e}
	}
	return r.handle(e, fn)
}

// handle calls fn for e, once: under the lock of e's object, unless e was
// handled already.
func (r *Receiver) handle(e *Event, fn func(context.Context, *Event) error) delivery {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	key := "event-object:" + string(e.Class) + ":" + cmp.Or(e.objectID(), "event:"+e.ID)
	lease, err := r.locker.Lock(ctx, key, chargedesk.LeaseTerms{Hold: r.timeout + r.store, Settle: r.store})
	if err != nil {
		return delivery{status: http.StatusServiceUnavailable, message: msgBusy, outcome: "busy", event: e, err: err}
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), r.store)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			r.log.Error().Str("error", err.Error()).Msg("an event's lock could not be released; it ends on its own")
		}
	}()
	dupKey := "chargedesk-event:" + e.ID
	sctx, scancel := context.WithTimeout(ctx, r.store)
	seen, err := r.dupes.Seen(sctx, dupKey)
	scancel()
	switch {
	case err != nil:
		return delivery{status: http.StatusServiceUnavailable, message: msgBusy, outcome: "busy", event: e, err: err}
	case seen:
		return delivery{status: http.StatusOK, outcome: "duplicate", event: e, duplicate: true}
	}
	if err := call(ctx, fn, e); err != nil {
		if errors.Is(err, ErrDisable) {
			return delivery{status: http.StatusGone, message: "This webhook is disabled by the integration.", outcome: "disabled", event: e}
		}
		return delivery{status: http.StatusInternalServerError, message: msgFailed, outcome: "error", event: e, err: err}
	}
	rctx, rcancel := context.WithTimeout(context.Background(), r.store)
	defer rcancel()
	if err := r.dupes.Remember(rctx, dupKey, r.remember); err != nil {
		// Handled; a retry would be handled again.
		return delivery{status: http.StatusOK, outcome: "success", event: e,
			err: fmt.Errorf("the event was handled but could not be remembered: a retry of it would be handled again: %w", err)}
	}
	return delivery{status: http.StatusOK, outcome: "success", event: e}
}

// call runs fn, turning a panic into an error.
func call(ctx context.Context, fn func(context.Context, *Event) error, e *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the function panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx, e)
}

// authenticated reports whether the URL carries a secret: its last path
// segment or its secret query parameter.
func (r *Receiver) authenticated(req *http.Request) bool {
	if r.open {
		return true
	}
	path := strings.TrimSuffix(req.URL.Path, "/")
	last := []byte(path[strings.LastIndexByte(path, '/')+1:])
	query := []byte(req.URL.Query().Get("secret"))
	ok := 0
	for _, s := range r.secrets {
		ok |= subtle.ConstantTimeCompare(last, s) | subtle.ConstantTimeCompare(query, s)
	}
	return ok == 1
}

// answer writes the delivery's answer: {} on success, {"error": message}
// otherwise.
func (r *Receiver) answer(w http.ResponseWriter, d delivery) {
	body := []byte("{}")
	if d.message != "" {
		body, _ = json.Marshal(map[string]string{"error": d.message})
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(d.status)
	_, _ = w.Write(body)
}

// logLine writes the delivery's one log line: the event, its id, its
// object's id and the outcome; never the object's other fields.
func (r *Receiver) logLine(req *http.Request, d delivery, took time.Duration) {
	ev := r.log.Info()
	switch {
	case d.status >= 500, d.err != nil:
		ev = r.log.Error()
	case d.status >= 400:
		ev = r.log.Warn()
	}
	if e := d.event; e != nil {
		ev = ev.Str("event", safeName(e.Name)).Str("event_id", e.ID).Str("class", safeName(Name(e.Class)))
		if id := e.objectID(); id != "" {
			ev = ev.Str(string(e.Class)+"_id", id)
		}
	}
	if d.err != nil {
		ev = ev.Str("error", safe.Error(d.err))
	}
	ev.Str("outcome", d.outcome).Str("path", redactPath(req.URL.Path)).Int("status", d.status).
		Dur("duration", took).Msg("chargedesk event")
}

// safeName is an event's name or class for the log, when it looks like one
// (lower case, digits and _, at most 64): anything else may be data.
func safeName(n Name) string {
	if len(n) == 0 || len(n) > 64 {
		return "(not shown)"
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "(not shown)"
		}
	}
	return string(n)
}

// redactPath is a request's path for the log, without its last segment,
// which may be the secret.
func redactPath(p string) string {
	if i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/'); i >= 0 {
		return p[:i+1] + "[redacted]"
	}
	return "[redacted]"
}

// sentence makes a message read as a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
