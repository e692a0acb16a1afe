package chargedesk

import (
	"context"
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
// middleware such as BodyLimit). Action is the action routed to by the path,
// "" when the path and method matched none. Status is the HTTP status sent;
// a webhook aborted with http.ErrAbortHandler before anything was sent is
// reported as 500 with OutcomeError. Duration runs from ServeHTTP's start to
// the answer, middleware and lock waits included.
type Event struct {
	Action   Action
	Outcome  Outcome
	Status   int
	Duration time.Duration
}

// outcomeForStatus classifies an answer the handler did not classify itself
// (a panic recovered by middleware, a body refused by BodyLimit).
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

// requestState is what ServeHTTP learns about a webhook as it goes, shared
// through the context between its layers.
type requestState struct {
	action  Action
	outcome Outcome
	log     *zerolog.Logger // the request's logger, once an action runs
	rec     *statusRecorder // the answer's status, as ServeHTTP saw it
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	if st == nil {
		return &requestState{}
	}
	return st
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
