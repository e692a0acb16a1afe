package chargedesk

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Outcome classifies how a webhook ended, for metrics and logs.
type Outcome string

// The outcomes a webhook can have.
const (
	// OutcomeSuccess: the gateway performed the action (2xx).
	OutcomeSuccess Outcome = "success"
	// OutcomeRefused: the gateway refused with an *AgentError.
	OutcomeRefused Outcome = "refused"
	// OutcomeNotSupported: the gateway does not support the action (501).
	OutcomeNotSupported Outcome = "not_supported"
	// OutcomeUnauthorized: a header or the Base Path did not match (401).
	OutcomeUnauthorized Outcome = "unauthorized"
	// OutcomeInvalid: the request was malformed, too large or failed
	// validation (400, 413, 422); the gateway was not called.
	OutcomeInvalid Outcome = "invalid"
	// OutcomeNotFound: no action at that path or method (404, 405).
	OutcomeNotFound Outcome = "not_found"
	// OutcomeDuplicate: an identical action had just succeeded (409).
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeBusy: the object's lock or the duplicate store could not be had
	// in time (503); the gateway was not called.
	OutcomeBusy Outcome = "busy"
	// OutcomeHeld: an earlier action on the same object has an unknown
	// outcome, so the object is held for the settle time (409); the
	// gateway was not called.
	OutcomeHeld Outcome = "held"
	// OutcomeTimeout: the gateway did not answer within the deadline (504);
	// the action's outcome is unknown.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeBadAnswer: the gateway answered something ChargeDesk cannot
	// use (500).
	OutcomeBadAnswer Outcome = "bad_answer"
	// OutcomeError: the gateway failed or panicked (500).
	OutcomeError Outcome = "error"
)

// Event describes one webhook once it is answered; Config.Observe receives
// it, exactly once per webhook, whatever answered it (the handler, or a
// middleware of Config.Middleware). Action is the action routed to by the path,
// "" when the path and method matched none. Status is the HTTP status sent;
// a webhook aborted with http.ErrAbortHandler before anything was sent is
// reported as 500 with OutcomeError. Duration runs from the webhook's
// routing to its answer, middleware and lock waits included.
type Event struct {
	Action   Action
	Outcome  Outcome
	Status   int
	Duration time.Duration
}

// outcomeForStatus classifies an answer the handler did not classify itself:
// one a middleware of Config.Middleware gave.
func outcomeForStatus(status int) Outcome {
	switch {
	case status < 300:
		return OutcomeSuccess
	case status == http.StatusUnauthorized:
		return OutcomeUnauthorized
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return OutcomeNotFound
	case status < 500:
		return OutcomeInvalid
	case status == http.StatusGatewayTimeout:
		return OutcomeTimeout
	default:
		return OutcomeError
	}
}

// exchange is the one wrapper of a webhook's ResponseWriter, put in place
// by the route's endpoint: it records the answer's status and size, and
// carries the webhook's logger and outcome between the action's handler and
// the endpoint, through whatever middleware lies between them (which must
// let it be reached through Unwrap, as http.ResponseController requires).
type exchange struct {
	http.ResponseWriter
	start     time.Time
	req       *http.Request // as routed: its method and path are on the line
	action    Action
	log       *zerolog.Logger // the webhook's logger: its fields make the log line
	status    int
	bytes     int
	outcome   Outcome // set by respond; "" for an answer a middleware gave
	concluded bool    // the line is written and the Event reported
	returned  bool    // the handler returned: no panic, no runtime.Goexit
}

// exchangeOf finds the exchange w wraps, nil when a middleware hid it.
func exchangeOf(w http.ResponseWriter) *exchange {
	for {
		switch v := w.(type) {
		case *exchange:
			return v
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return nil
		}
	}
}

// requestLog is the webhook's logger; a disabled one when a middleware hid
// the exchange.
func requestLog(w http.ResponseWriter) *zerolog.Logger {
	if x := exchangeOf(w); x != nil {
		return x.log
	}
	l := zerolog.Nop()
	return &l
}

func (x *exchange) WriteHeader(code int) {
	if x.status == 0 && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		x.status = code // an informational 1xx is not the answer
	}
	x.ResponseWriter.WriteHeader(code)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	n, err := x.ResponseWriter.Write(b)
	x.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }
