package chargedesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

var (
	// ErrNotSupported is what a Gateway method answers for an action the
	// platform cannot perform; the agent is told the action is not available
	// (status 501). [UnimplementedGateway] answers it for every action.
	ErrNotSupported = errors.New("chargedesk: action not supported by this gateway")

	// ErrBadAnswer wraps what is wrong with a Gateway's answer. Only a
	// payment request without a usable redirect URL fails the action for it
	// (status 500; the detail is logged): any other answer of a Gateway that
	// succeeded is a success, its unusable parts dropped and logged.
	ErrBadAnswer = errors.New("chargedesk: the gateway's answer is invalid")

	errEmptyBody = wire.ErrEmptyBody
	errNotObject = wire.ErrNotObject
	errBadJSON   = wire.ErrBadJSON
)

// AgentError is an error whose Message the ChargeDesk agent sees, such as
// "Refund amount was greater than amount remaining on charge." A Gateway
// returns it (directly or wrapped) to refuse an action for a reason the agent
// can act on. Status is the HTTP status sent, 422 when 0 or outside 400-599;
// Err, when set, is the underlying cause: it is logged, never shown.
type AgentError struct {
	Message string
	Status  int
	Err     error
}

// AgentErrorf returns an *AgentError with status 422 and the formatted
// message. Arguments are formatted with fmt.Sprintf; %w is not honoured, so
// an internal error cannot leak into the message by accident: set Err for
// that.
func AgentErrorf(format string, args ...any) *AgentError {
	return &AgentError{Message: fmt.Sprintf(format, args...)}
}

// Error returns the message, followed by the cause when there is one.
func (e *AgentError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *AgentError) Unwrap() error { return e.Err }

func (e *AgentError) status() int {
	if e.Status < 400 || e.Status > 599 {
		return http.StatusUnprocessableEntity
	}
	return e.Status
}

// ConfigError is what [NewHandler] returns for a bad Config: Setting names
// the field ("Headers[1].Values[0]", "BasePath", "Paths[refund]") and Problem
// says what is wrong with it. It never contains a header's value.
type ConfigError struct {
	Setting string
	Problem string
}

// Error returns "chargedesk: config <Setting>: <Problem>".
func (e *ConfigError) Error() string {
	return "chargedesk: config " + e.Setting + ": " + e.Problem
}

func configErrorf(setting, format string, args ...any) *ConfigError {
	return &ConfigError{Setting: setting, Problem: fmt.Sprintf(format, args...)}
}

// requestError is a refusal the handler makes itself, before or after the
// gateway: its kind, the message for the agent, and the detail for the log.
type requestError struct {
	kind    refusal
	message string
	err     error // detail for the log; may be nil
}

// refusal is the kind of a refusal the handler makes; errorAnswer gives
// each its status and outcome.
type refusal uint8

const (
	refusedAuth      refusal = iota + 1 // a header or the Base Path did not match
	refusedPath                         // no action at the path
	refusedMethod                       // not a POST
	refusedMalformed                    // the body could not be read or decoded
	refusedTooLarge                     // the body is over the limit
	refusedInvalid                      // the request failed validation
	refusedDuplicate                    // an identical action just succeeded
	refusedBusy                         // the locks or the stores could not be had
	refusedHeld                         // an object is held for an unknown outcome
)

func (e *requestError) Error() string {
	if e.err != nil {
		return e.message + ": " + e.err.Error()
	}
	return e.message
}

func (e *requestError) Unwrap() error { return e.err }

// Messages the agent sees for failures the gateway did not word itself.
const (
	msgUnauthorized = "The webhook was refused: its authentication headers do not match the integration's settings."
	msgNotFound     = "No ChargeDesk action is configured at this path; check the paths on the Custom Integration's configure page."
	msgMethod       = "ChargeDesk actions must be sent with POST."
	msgInternal     = "The payment platform integration failed while processing this action; its outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgTimeout      = "The payment platform did not answer in time, so the outcome is unknown. Check the charge or subscription on the platform before retrying."
	msgBadAnswer    = "The payment platform integration answered in a form ChargeDesk cannot use; the action may have been performed. Check the charge or subscription on the platform before retrying."
	msgBusy         = "Another action on this charge or subscription is still being processed; try again in a moment."
	msgStoreDown    = "The integration could not reach its lock or duplicate store, so nothing was done; try again in a moment."
)

// errorAnswer maps an error to the HTTP status, the agent's message and the
// outcome. It is the one place where errors become statuses.
func errorAnswer(action Action, err error) (int, string, Outcome) {
	var re *requestError
	var ae *AgentError
	switch {
	case errors.As(err, &re):
		status, outcome := re.kind.answer()
		return status, re.message, outcome
	case errors.As(err, &ae):
		return ae.status(), ae.Message, OutcomeRefused
	case errors.Is(err, ErrNotSupported):
		return http.StatusNotImplemented,
			action.describe() + " are not supported by this payment platform integration.", OutcomeNotSupported
	case errors.Is(err, ErrBadAnswer):
		return http.StatusInternalServerError, msgBadAnswer, OutcomeBadAnswer
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, msgTimeout, OutcomeTimeout
	default:
		return http.StatusInternalServerError, msgInternal, OutcomeError
	}
}

func (k refusal) answer() (int, Outcome) {
	if a, ok := refusalAnswers[k]; ok {
		return a.status, a.outcome
	}
	return http.StatusInternalServerError, OutcomeError
}

// refusalAnswers is each refusal's status and outcome.
var refusalAnswers = map[refusal]struct {
	status  int
	outcome Outcome
}{
	refusedAuth:      {http.StatusUnauthorized, OutcomeUnauthorized},
	refusedPath:      {http.StatusNotFound, OutcomeNotFound},
	refusedMethod:    {http.StatusMethodNotAllowed, OutcomeNotFound},
	refusedMalformed: {http.StatusBadRequest, OutcomeInvalid},
	refusedTooLarge:  {http.StatusRequestEntityTooLarge, OutcomeInvalid},
	refusedInvalid:   {http.StatusUnprocessableEntity, OutcomeInvalid},
	refusedDuplicate: {http.StatusConflict, OutcomeDuplicate},
	refusedBusy:      {http.StatusServiceUnavailable, OutcomeBusy},
	refusedHeld:      {http.StatusConflict, OutcomeHeld},
}

// heldMessage tells the agent that an earlier action on the object has an
// unknown outcome, and when to try again.
func heldMessage(subject subject, held *HeldError) string {
	wait := max(held.Wait.Round(time.Second), time.Second)
	return fmt.Sprintf("The result of the previous action on this %s is not known yet: the payment platform may still be processing it. "+
		"Check the %s on the payment platform, and if the action is still needed, try again in %s.", subject, subject, wait)
}
