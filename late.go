package chargedesk

import (
	"encoding/json"
	"slices"

	"github.com/chargedesk/chargedesk-go/internal/safe"
	"github.com/rs/zerolog"
)

// A late outcome: what a Gateway call produced after its agent was told
// the outcome is unknown (504), handed to Config.OnLateOutcome and logged
// to reconcile.

// LateOutcome is the outcome of a Gateway call that returned after its
// agent was told the outcome is unknown (504): see Config.OnLateOutcome.
type LateOutcome struct {
	// Action is the webhook's action.
	Action Action
	// Request is the Gateway's request (*RefundRequest, *CancelRequest, ...).
	Request any
	// Charge and Subscription are the objects the action acted on, as
	// ChargeDesk sent them; nil when it has none.
	Charge       *Charge
	Subscription *Subscription
	// Answer is the Gateway's answer (*Response or *PaymentResponse, its
	// unusable parts dropped) when Err is nil.
	Answer any
	// Err is the Gateway's error, nil on success. A context error means
	// the outcome is still unknown.
	Err error
	// IdempotencyKey and FencingToken are those the Gateway was given.
	IdempotencyKey string
	FencingToken   int64
}

func (c *gatewayCall) lateOutcome() LateOutcome {
	charge, sub := c.req.objects()
	return LateOutcome{Action: c.def.action, Request: c.req, Charge: charge, Subscription: sub,
		Answer: c.out.answer, Err: c.out.err, IdempotencyKey: c.idemKey, FencingToken: c.locks.fence()}
}

// logLate reports an outcome that arrived after the agent was told it was
// unknown: late_outcome is what the agent would have been told (success,
// refused, error, ...), with the gateway's answer or error.
func logLate(log *zerolog.Logger, action Action, out outcome) {
	ev := log.Error().Bool("late", true)
	if out.err != nil {
		_, message, oc := errorAnswer(action, out.err)
		ev = ev.Str("late_outcome", string(oc)).Str("late_agent_error", message).Str("late_error", safe.Error(out.err))
		if p, ok := out.err.(*gatewayPanic); ok {
			ev = ev.Str("stack", string(p.stack))
		}
	} else {
		ev = ev.Str("late_outcome", string(OutcomeSuccess)).Interface("late_answer", answerShape(out.answer))
	}
	ev.Msg("gateway finished after the agent was told the outcome is unknown; reconcile this action")
}

// answerShape is what a late answer changed, for the log: statuses,
// amounts and counts, and the names of the other fields it set, never their
// values, which may be a customer's details (an email, a name, a link).
func answerShape(answer any) map[string]any {
	var r *Response
	shape := map[string]any{}
	switch a := answer.(type) {
	case *Response:
		r = a
	case *PaymentResponse:
		if a == nil {
			return shape
		}
		r = &a.Response
		shape["redirect_url"] = a.RedirectURL != ""
	}
	if r == nil {
		return shape
	}
	if r.Charge != nil {
		shape["charge"] = r.Charge.shape()
	}
	if r.Subscription != nil {
		shape["subscription"] = r.Subscription.shape()
	}
	if r.Customer != nil {
		shape["customer"] = setFields(r.Customer)
	}
	if r.Product != nil {
		shape["product"] = setFields(r.Product)
	}
	return shape
}

// setFields names the fields of an update object that are set.
func setFields(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
