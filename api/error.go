package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrRateLimited matches, with errors.Is, an [*Error] whose status is 429.
var ErrRateLimited = errors.New("chargedesk api: rate limited")

// ErrOffsetLimit is yielded by a list that would go past ChargeDesk's
// offset limit (50,000) and cannot narrow its window instead: only charges
// can be listed by time. Narrow the list with its filters.
var ErrOffsetLimit = errors.New("chargedesk api: the list goes past ChargeDesk's offset limit of 50,000")

// Error is a failure ChargeDesk reported: a status other than 2xx, or a 2xx
// answer whose body holds an "error". Read it with errors.As.
type Error struct {
	// StatusCode is the HTTP status ChargeDesk answered.
	StatusCode int
	// Method and Path are the request's, such as POST /charges.
	Method, Path string
	// Message is ChargeDesk's explanation, or the status text when the
	// answer carried none.
	Message string
	// Type and Code classify the error as the seed specification does;
	// either may be "" (ChargeDesk's PHP client reads neither, and
	// ChargeDesk documents no code: branch on StatusCode and
	// IncorrectParameter).
	Type, Code string
	// IncorrectParameter names the parameter ChargeDesk refused, if it
	// said (error.incorrect_parameter, as its PHP client reads it).
	IncorrectParameter string
	// RetryAfter is the wait ChargeDesk asked for with Retry-After, 0 when
	// it did not.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("chargedesk api: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.IncorrectParameter != "" {
		msg += " (parameter " + e.IncorrectParameter + ")"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is reports whether target is ErrRateLimited and e is a 429.
func (e *Error) Is(target error) bool {
	return target == ErrRateLimited && e.StatusCode == http.StatusTooManyRequests
}

// RateLimited reports whether e is ChargeDesk's rate limiting (429).
func (e *Error) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }
