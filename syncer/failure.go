package syncer

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/api"
)

// rateLimitPause is how long every push waits after a 429 without
// Retry-After.
const rateLimitPause = 10 * time.Second

// PushError is a push ChargeDesk refused for a reason a retry cannot fix
// (a 4xx other than 401, 403, 408, 409 and 429), or that the api package
// refused to send (an *api.ValidationError). Its push is kept as failed:
// fix the cause, then retry it. It names the object and what was refused,
// never ChargeDesk's message, which may quote the customer's data.
type PushError struct {
	Object Kind
	ID     string
	// Status is ChargeDesk's HTTP status; 0 when the params were refused
	// before sending.
	Status int
	// Parameter is the parameter ChargeDesk (or the api package) named, if
	// any; Code is ChargeDesk's error code.
	Parameter, Code string
	// Reason is the api package's reason for refusing params before
	// sending ("is required").
	Reason string
}

func (e *PushError) Error() string {
	msg := fmt.Sprintf("syncer: ChargeDesk refused the %s %s", e.Object, e.ID)
	if e.Status == 0 {
		msg = fmt.Sprintf("syncer: the %s %s cannot be sent", e.Object, e.ID)
	} else {
		msg += fmt.Sprintf(": %d", e.Status)
	}
	if e.Parameter != "" {
		msg += " (parameter " + e.Parameter
		if e.Reason != "" {
			msg += " " + e.Reason
		}
		msg += ")"
	}
	if e.Code != "" {
		msg += " (code " + e.Code + ")"
	}
	return msg
}

// verdict is what a failed push leads to.
type verdict int

const (
	// retry with backoff, counting an attempt.
	retry verdict = iota
	// pauseAll holds every push of the process for a while; the job is
	// snoozed, which counts no attempt.
	pauseAll
	// keep the push as failed (cancelled).
	keep
)

// classify decides what a push's error leads to: the verdict, the pause
// for pauseAll, and whether the outcome is unknown (ChargeDesk may still
// apply the request), so the object's lease settles.
func classify(err error) (v verdict, pause time.Duration, unknown bool) {
	var ve *api.ValidationError
	if errors.As(err, &ve) {
		return keep, 0, false
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return retry, 0, false // no connection was made: nothing was sent
		}
		return retry, 0, true // no answer: a connection lost, or a deadline
	}
	switch s := ae.StatusCode; {
	case s == http.StatusTooManyRequests:
		if ae.RetryAfter > 0 {
			return pauseAll, ae.RetryAfter, false
		}
		return pauseAll, rateLimitPause, false
	case s == http.StatusServiceUnavailable && ae.RetryAfter > 0:
		return pauseAll, ae.RetryAfter, false
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return pauseAll, 0, false // AuthPause
	case s == http.StatusBadGateway || s == http.StatusGatewayTimeout:
		return retry, 0, true // a proxy gave up; ChargeDesk may still apply it
	case s == http.StatusRequestTimeout || s == http.StatusConflict || s >= 500 || s < 400:
		return retry, 0, false
	}
	return keep, 0, false
}

// failed turns a push's error into what Work returns, logs it, and reports
// whether the object's lease must settle.
func (s *Syncer[TTx]) failed(obj pushArgs, err error, log *zerolog.Logger) (settle bool, _ error) {
	v, pause, unknown := classify(err)
	var ae *api.Error
	isAPI := errors.As(err, &ae)
	status := 0
	if isAPI {
		status = ae.StatusCode
	}
	switch v {
	case pauseAll:
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			pause = s.cfg.AuthPause
			log.Error().Int("status", status).Dur("pause", pause).
				Msg("sync: ChargeDesk refused the API key; every push waits, then tries again (check CHARGEDESK_API_KEY)")
		} else {
			log.Warn().Int("status", status).Dur("pause", pause).Msg("sync: ChargeDesk asked to wait; every push waits")
		}
		s.pause.pauseUntil(s.now().Add(pause))
		return false, river.JobSnooze(pause)
	case keep:
		pe := &PushError{Object: obj.Object, ID: obj.ID}
		var ve *api.ValidationError
		if errors.As(err, &ve) {
			pe.Parameter, pe.Reason = ve.Field, ve.Reason
		} else {
			pe.Status, pe.Parameter, pe.Code = ae.StatusCode, ae.IncorrectParameter, ae.Code
		}
		log.Error().Int("status", pe.Status).Str("parameter", pe.Parameter).Str("code", pe.Code).
			Msg("sync: ChargeDesk refused the object; kept as failed: fix the cause, then retry it (chargedesk-sync failed, retry)")
		return false, river.JobCancel(pe)
	}
	ev := log.Warn().Bool("unknown_outcome", unknown)
	if isAPI {
		ev = ev.Int("status", status)
		err = fmt.Errorf("syncer: pushing the %s %s: ChargeDesk answered %d (%s %s)", obj.Object, obj.ID, status, ae.Method, ae.Path)
	} else {
		ev = ev.Str("error", err.Error())
		err = fmt.Errorf("syncer: pushing the %s %s: %w", obj.Object, obj.ID, err)
	}
	ev.Msg("sync: the push failed; retrying with backoff")
	return unknown, err
}
