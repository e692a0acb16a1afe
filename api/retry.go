package api

import (
	"errors"
	"math"
	"net/http"
	"time"
)

// RetryPolicy bounds the retries of reads and upserts. Its zero value is
// the default: 4 attempts, backoff from 500 ms doubling to at most 20 s,
// all within 60 s.
type RetryPolicy struct {
	// MaxAttempts is the most attempts per call, the first included
	// (default 4); 1 turns retries off.
	MaxAttempts int
	// BaseDelay is the wait before the second attempt (default 500 ms); it
	// doubles with each attempt.
	BaseDelay time.Duration
	// MaxDelay caps one wait computed by backoff (default 20 s).
	MaxDelay time.Duration
	// MaxElapsed bounds the time from the first attempt to the start of the
	// last (default 60 s). A Retry-After that would pass it ends the
	// retries, and the call returns the 429 or 503 with its RetryAfter.
	MaxElapsed time.Duration
}

// NoRetries is a RetryPolicy that never retries.
var NoRetries = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 20 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 60 * time.Second
	}
	return p
}

// next decides whether the attempt that failed with err is retried, and
// after how long. safe marks a read or an upsert; reached, whether the
// request may have reached ChargeDesk. An operation that is not safe is
// retried only when it surely did not reach ChargeDesk.
func (p RetryPolicy) next(attempt int, err error, safe, reached bool, jitter func() float64) (time.Duration, bool) {
	if attempt >= p.MaxAttempts {
		return 0, false
	}
	var apiErr *Error
	isAPI := errors.As(err, &apiErr)
	var te *transportError
	switch {
	case isAPI:
		if !safe || !retryableStatus(apiErr.StatusCode) {
			return 0, false
		}
		if apiErr.RetryAfter > 0 {
			return apiErr.RetryAfter, true
		}
	case errors.As(err, &te):
		if reached && !safe {
			return 0, false
		}
	default:
		return 0, false
	}
	// Exponential backoff with "equal jitter": half the delay for sure, the
	// other half at random, so that clients that failed together spread out.
	d := float64(p.BaseDelay) * math.Pow(2, float64(attempt-1))
	d = math.Min(d, float64(p.MaxDelay))
	return time.Duration(d/2 + d/2*jitter()), true
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
