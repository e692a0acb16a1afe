package chargedesk

import "context"

// Action names one kind of webhook ChargeDesk sends: one agent action. Its
// value is the action's default path without the slash.
type Action string

// The actions ChargeDesk's Custom Integration can send.
const (
	ActionRefund         Action = "refund"
	ActionCapture        Action = "capture"
	ActionVoid           Action = "void"
	ActionCancel         Action = "cancel"
	ActionReactivate     Action = "reactivate"
	ActionEditPlans      Action = "edit-plans"
	ActionRequestPayment Action = "payment-request"
)

// Actions returns every action, in the order of ChargeDesk's configure page.
func Actions() []Action {
	return []Action{
		ActionRefund, ActionCapture, ActionVoid, ActionCancel,
		ActionReactivate, ActionEditPlans, ActionRequestPayment,
	}
}

// DefaultPath is the path ChargeDesk's configure page suggests for the
// action, below the Base Path: "/refund", "/edit-plans", ...
func (a Action) DefaultPath() string { return "/" + string(a) }

// Valid reports whether a is one of the actions ChargeDesk sends.
func (a Action) Valid() bool {
	for _, x := range Actions() {
		if a == x {
			return true
		}
	}
	return false
}

// describe is the action as the agent would name it.
func (a Action) describe() string {
	switch a {
	case ActionRefund:
		return "Refunds"
	case ActionCapture:
		return "Captures"
	case ActionVoid:
		return "Voids"
	case ActionCancel:
		return "Cancellations"
	case ActionReactivate:
		return "Reactivations"
	case ActionEditPlans:
		return "Plan changes"
	case ActionRequestPayment:
		return "Payment requests"
	}
	return "These actions"
}

// CancelAction is how a cancel webhook asks to end a subscription.
type CancelAction string

// The cancel actions ChargeDesk sends.
const (
	// CancelDefault cancels the way the platform cancels by default.
	CancelDefault CancelAction = "cancel"
	// CancelImmediately ends the subscription now, possibly with a refund.
	CancelImmediately CancelAction = "cancel-immediately"
	// CancelAtPeriodEnd lets the subscription run to the end of the period
	// it is paid for, then ends it (ChargeDesk shows it as pending_cancel).
	CancelAtPeriodEnd CancelAction = "cancel-period-end"
	// CancelSuspend pauses the subscription; it can be reactivated.
	CancelSuspend CancelAction = "suspend"
)

// RefundMode is what a cancel webhook asks to refund of the subscription's
// last charge.
type RefundMode string

// The refund modes ChargeDesk sends with a cancel webhook.
const (
	// RefundNone refunds nothing; no charge is sent.
	RefundNone RefundMode = "none"
	// RefundPartial refunds the unused part of the period, pro rata.
	RefundPartial RefundMode = "partial"
	// RefundFull refunds the whole last charge.
	RefundFull RefundMode = "full"
)

func (a CancelAction) valid() bool {
	switch a {
	case CancelDefault, CancelImmediately, CancelAtPeriodEnd, CancelSuspend:
		return true
	}
	return false
}

func (m RefundMode) valid() bool {
	switch m {
	case RefundNone, RefundPartial, RefundFull:
		return true
	}
	return false
}

// Gateway performs agent actions on the merchant's payment platform. The
// handler calls one method per webhook, after it has authenticated,
// decoded and validated the request, so a method sees only well-formed
// input; it must still treat its platform's state as the truth, since
// ChargeDesk's copy of an object may be stale.
//
// A method answers with the objects ChargeDesk should update at once (nil
// for none), or an error: an [*AgentError] whose message the agent sees,
// [ErrNotSupported] for an action the platform cannot do, or any other error,
// which the agent sees as a generic failure while the handler logs it. The
// context carries the request's logger (zerolog.Ctx) and a deadline
// (Config.Timeout); it is not cancelled when ChargeDesk disconnects, so an
// action that has started can finish. Methods may be called concurrently,
// but never for the same charge or subscription at once (see [Locker]).
//
// Embed [UnimplementedGateway] to implement only some methods.
type Gateway interface {
	Refund(ctx context.Context, req *RefundRequest) (*Response, error)
	Capture(ctx context.Context, req *CaptureRequest) (*Response, error)
	Void(ctx context.Context, req *VoidRequest) (*Response, error)
	Cancel(ctx context.Context, req *CancelRequest) (*Response, error)
	Reactivate(ctx context.Context, req *ReactivateRequest) (*Response, error)
	EditPlans(ctx context.Context, req *EditPlansRequest) (*Response, error)
	// RequestPayment answers the URL of a page where the customer pays;
	// ChargeDesk requires it.
	RequestPayment(ctx context.Context, req *PaymentRequest) (*PaymentResponse, error)
}

// UnimplementedGateway answers every action with [ErrNotSupported], which
// the handler turns into a 501 telling the agent the action is not
// available. Embed it in a Gateway and implement only the actions enabled in
// ChargeDesk.
type UnimplementedGateway struct{}

// Refund answers ErrNotSupported.
func (UnimplementedGateway) Refund(context.Context, *RefundRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// Capture answers ErrNotSupported.
func (UnimplementedGateway) Capture(context.Context, *CaptureRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// Void answers ErrNotSupported.
func (UnimplementedGateway) Void(context.Context, *VoidRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// Cancel answers ErrNotSupported.
func (UnimplementedGateway) Cancel(context.Context, *CancelRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// Reactivate answers ErrNotSupported.
func (UnimplementedGateway) Reactivate(context.Context, *ReactivateRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// EditPlans answers ErrNotSupported.
func (UnimplementedGateway) EditPlans(context.Context, *EditPlansRequest) (*Response, error) {
	return nil, ErrNotSupported
}

// RequestPayment answers ErrNotSupported.
func (UnimplementedGateway) RequestPayment(context.Context, *PaymentRequest) (*PaymentResponse, error) {
	return nil, ErrNotSupported
}
