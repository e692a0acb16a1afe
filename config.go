package chargedesk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/middleware"
)

// Defaults for the Config fields left zero.
const (
	DefaultMaxBodyBytes    int64 = 1 << 20 // 1 MiB
	DefaultTimeout               = 25 * time.Second
	DefaultDuplicateWindow       = 60 * time.Second
	DefaultSettleTime            = 60 * time.Second
	DefaultStoreTimeout          = 2 * time.Second
)

// Config mirrors the Custom Integration's configure page in ChargeDesk, plus
// the receiver's operational settings. Enter the same Base Path, Headers and
// paths on both sides. It is plain data, so it can be loaded from a file.
type Config struct {
	// BasePath is the Base Path entered in ChargeDesk: a path
	// ("/chargedesk") or a full URL ("https://pay.example.com/chargedesk"),
	// of which only the path is matched. It may hold {field} placeholders,
	// matched against the payload like header placeholders. Default "/".
	// Mount the handler so that it sees the full request path (chi's Mount
	// or Route, or a ServeMux pattern, not http.StripPrefix).
	BasePath string `json:"base_path"`

	// Headers are the headers entered in ChargeDesk, checked on every
	// webhook before the gateway is called. At least one must authenticate:
	// hold, in every accepted value, MinSecretLength or more fixed
	// characters (a shared secret), unless AllowUnauthenticated is set.
	Headers []Header `json:"headers"`

	// AllowUnauthenticated lets NewHandler accept a Config without an
	// authenticating header. Anyone who can reach the URL can then refund
	// and cancel: use it only behind another authentication layer.
	AllowUnauthenticated bool `json:"allow_unauthenticated"`

	// Paths maps an action to its path below BasePath, as entered in
	// ChargeDesk; a missing action gets its default ("/refund",
	// "/edit-plans", see Action.DefaultPath). Paths may hold placeholders.
	Paths map[Action]string `json:"paths"`

	// Logger receives the handler's logs. Nil means JSON lines on stderr
	// with timestamps; use zerolog.Nop() to silence it. Header values, secrets
	// and bodies are never logged.
	Logger *zerolog.Logger `json:"-"`

	// MaxBodyBytes bounds a webhook's body; a larger one is refused with 413
	// before it is decoded. Default DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64 `json:"max_body_bytes"`

	// Timeout is the deadline for a webhook's Gateway call, counted from
	// when the webhook arrives (waiting for another action on the same
	// object counts too). Past it the agent is told the outcome is unknown
	// (504), and a late outcome is logged at error level so an operator can
	// reconcile; ServeHTTP returns when the Gateway call does. Default
	// DefaultTimeout (25s); negative means none; between 0 and one second
	// NewHandler refuses it. In JSON, "25s".
	Timeout time.Duration `json:"timeout"`

	// SettleTime is how long an object stays held after an action on it
	// whose outcome is unknown: the Gateway had not returned by the
	// deadline, or returned a context error, or panicked, or one of its
	// locks was lost. The platform may still be performing that action, so
	// for SettleTime after the Gateway returns (or after its process last
	// renewed its lease, if it died) every other action on the object is
	// refused at once with 409 and told when to try again. A late outcome
	// that arrives first ends the hold. It is also how long a lock outlives
	// a holder that stopped renewing it. Default DefaultSettleTime (60s):
	// longer than a payment platform takes to finish a call whose caller
	// has given up (Stripe's API, for one, answers well within its
	// client's 80 s timeout; most answer within 30 s). In JSON, "60s".
	SettleTime time.Duration `json:"settle_time"`

	// MinGatewayTime is the least time that must remain before the
	// deadline for the Gateway to be called: an action that waited for
	// another on the same object, or for a slow store, and has less left
	// is refused with 503 and nothing is done, rather than started without
	// the time to finish. Default a fifth of Timeout (5s); it must be less
	// than Timeout. In JSON, "5s".
	MinGatewayTime time.Duration `json:"min_gateway_time"`

	// StoreTimeout bounds each call to the Locker's leases and to the
	// DuplicateStore (take, renew, release, settle, look up, record), so a
	// store that stops answering is an error, not a hang. Default
	// DefaultStoreTimeout (2s). In JSON, "2s".
	StoreTimeout time.Duration `json:"store_timeout"`

	// OnLateOutcome, when set, is called with every late outcome: a Gateway
	// call that returned after its agent was told the outcome is unknown
	// (504). It runs on the webhook's goroutine once the outcome is logged
	// and the objects' locks are released or settling, must be safe for
	// concurrent use, and should not block for long (hand the work to a
	// queue: the sync module pushes a late success's objects to
	// ChargeDesk).
	OnLateOutcome func(LateOutcome) `json:"-"`

	// DuplicateWindow is how long after an action succeeds an identical
	// one is refused with 409 rather than performed again. Default
	// DefaultDuplicateWindow (60s); negative turns the guard off; between 0
	// and one second NewHandler refuses it. In JSON, "60s".
	DuplicateWindow time.Duration `json:"duplicate_window"`

	// Middleware wraps every webhook. Nil means DefaultMiddleware; to
	// extend it, append to Config.DefaultMiddleware(). An empty, non-nil
	// list means none.
	Middleware []func(http.Handler) http.Handler `json:"-"`

	// Locker serializes actions on one object. Nil means a new
	// MemoryLocker, which serves one process.
	Locker Locker `json:"-"`

	// DuplicateStore backs the duplicate guard. Nil means a new
	// MemoryDuplicateStore, which serves one process.
	DuplicateStore DuplicateStore `json:"-"`

	// Observe, when set, is called once per webhook after it is answered,
	// with its action, outcome, status and duration: enough to feed
	// Prometheus or OpenTelemetry. It must be safe for concurrent use and
	// return quickly.
	Observe func(Event) `json:"-"`
}

// UnmarshalJSON implements [json.Unmarshaler]: the durations take Go
// duration strings ("25s", "1m30s") as well as numbers, which are
// nanoseconds as encoding/json reads a time.Duration (NewHandler refuses
// one under a second, so "timeout": 25 is an error, not 25 ns).
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var w struct {
		*plain
		Timeout         *jsonDuration `json:"timeout"`
		DuplicateWindow *jsonDuration `json:"duplicate_window"`
		SettleTime      *jsonDuration `json:"settle_time"`
		MinGatewayTime  *jsonDuration `json:"min_gateway_time"`
		StoreTimeout    *jsonDuration `json:"store_timeout"`
	}
	w.plain = (*plain)(c)
	w.Timeout = (*jsonDuration)(&c.Timeout)
	w.DuplicateWindow = (*jsonDuration)(&c.DuplicateWindow)
	w.SettleTime = (*jsonDuration)(&c.SettleTime)
	w.MinGatewayTime = (*jsonDuration)(&c.MinGatewayTime)
	w.StoreTimeout = (*jsonDuration)(&c.StoreTimeout)
	return json.Unmarshal(b, &w)
}

// MarshalJSON implements [json.Marshaler], writing durations as Go duration
// strings, which UnmarshalJSON reads back.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		Timeout         string `json:"timeout"`
		DuplicateWindow string `json:"duplicate_window"`
		SettleTime      string `json:"settle_time"`
		MinGatewayTime  string `json:"min_gateway_time"`
		StoreTimeout    string `json:"store_timeout"`
	}{plain(c), c.Timeout.String(), c.DuplicateWindow.String(), c.SettleTime.String(), c.MinGatewayTime.String(),
		c.StoreTimeout.String()})
}

// jsonDuration is a time.Duration read from a duration string or a number.
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("chargedesk: config: %q is not a duration such as \"25s\"", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("chargedesk: config: a duration is a string such as \"25s\"")
	}
	*d = jsonDuration(n)
	return nil
}

// logger returns the configured logger or the default.
func (c *Config) logger() zerolog.Logger {
	if c.Logger != nil {
		return *c.Logger
	}
	return zerolog.New(os.Stderr).With().Timestamp().Logger()
}

// DefaultMiddleware returns the stack used when Config.Middleware is nil:
// a request id (middleware.RequestID), which joins the log line. The log
// line, panic recovery and the body limit are the handler's own, whatever
// the stack.
func (c *Config) DefaultMiddleware() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{middleware.RequestID}
}
