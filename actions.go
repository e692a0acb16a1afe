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
	actions := make([]Action, len(actionTable))
	for i, def := range actionTable {
		actions[i] = def.action
	}
	return actions
}

// DefaultPath is the path ChargeDesk's configure page suggests for the
// action, below the Base Path: "/refund", "/edit-plans", ...
func (a Action) DefaultPath() string { return "/" + string(a) }

// Valid reports whether a is one of the actions ChargeDesk sends.
func (a Action) Valid() bool { return definition(a) != nil }

// Description says what the action asks of the platform ("refund part or
// all of a paid charge (refund_amount)"), for tools and docs; "" for an
// unknown action.
func (a Action) Description() string {
	if def := definition(a); def != nil {
		return def.description
	}
	return ""
}

// actionTable is everything the handler knows of each action, in the order
// of ChargeDesk's configure page: the rest (what a webhook carries, the
// objects it locks, its identity for the duplicate guard, its validation
// and log fields) is known by its request type, in payloads.go.
var actionTable = []*actionDef{
	define(ActionRefund, "Refunds", "refund part or all of a paid charge (refund_amount)", subjectCharge, Gateway.Refund),
	define(ActionCapture, "Captures", "capture an authorized charge", subjectCharge, Gateway.Capture),
	define(ActionVoid, "Voids", "void an authorized charge", subjectCharge, Gateway.Void),
	define(ActionCancel, "Cancellations", "cancel (cancel, cancel-immediately, cancel-period-end) or suspend a subscription",
		subjectSubscription, Gateway.Cancel),
	define(ActionReactivate, "Reactivations", "reactivate a suspended or pending-cancellation subscription",
		subjectSubscription, Gateway.Reactivate),
	define(ActionEditPlans, "Plan changes", "replace a subscription's plans", subjectSubscription, Gateway.EditPlans),
	define(ActionRequestPayment, "Payment requests", "ask the customer to pay a charge; answers redirect_url",
		subjectCharge, Gateway.RequestPayment),
}

// actionDef is one action: its name, how the agent names it, the object it
// acts on, and how its request is made and handed to the Gateway.
type actionDef struct {
	action Action
	// plural names the action in messages to the agent: "Refunds are not
	// supported by this payment platform integration."
	plural string
	// description says what the action asks, for tools and docs.
	description string
	// subject is the object the action acts on, named in messages to the
	// agent; its fields come second, after the top level, when a
	// placeholder is filled.
	subject subject
	// newRequest returns an empty request of the action's type.
	newRequest func() request
	// call hands req, of the action's type, to its Gateway method.
	call func(ctx context.Context, g Gateway, req request) (any, error)
}

// subject is the kind of object an action acts on.
type subject string

const (
	subjectCharge       subject = "charge"
	subjectSubscription subject = "subscription"
)

// define makes the table entry of an action whose request type is R and
// whose Gateway method is method.
func define[R any, P interface {
	*R
	request
}, A any](action Action, plural, description string, subject subject, method func(Gateway, context.Context, P) (A, error)) *actionDef {
	return &actionDef{
		action:      action,
		plural:      plural,
		description: description,
		subject:     subject,
		newRequest:  func() request { return P(new(R)) },
		call: func(ctx context.Context, g Gateway, req request) (any, error) {
			answer, err := method(g, ctx, req.(P))
			if err != nil {
				return nil, err
			}
			return answer, nil
		},
	}
}

var actionDefs = func() map[Action]*actionDef {
	m := make(map[Action]*actionDef, len(actionTable))
	for _, def := range actionTable {
		m[def.action] = def
	}
	return m
}()

// definition returns a's table entry, nil for an unknown action.
func definition(a Action) *actionDef { return actionDefs[a] }

// describe is the action as the agent would name it.
func (a Action) describe() string {
	if def := definition(a); def != nil {
		return def.plural
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
// input: the objects its action needs, each with an id and (a charge's
// always, a subscription's when sent) an ISO 4217 currency, amounts no finer
// than the currency, and its own fields as documented on its request type.
// It must still treat its platform's state as the truth, since
// ChargeDesk's copy of an object may be stale.
//
// A method answers with the objects ChargeDesk should update at once (nil
// for none), or an error: an [*AgentError] whose message the agent sees,
// for an action the platform refused and did not perform; [ErrNotSupported]
// for an action the platform cannot do; or any other error, which the agent
// sees as a failure whose outcome is unknown while the handler logs it.
// After any outcome but a success, an *AgentError or ErrNotSupported, the
// objects stay held for Config.SettleTime: return an *AgentError whenever
// you know nothing was done. The context carries the request's logger
// (zerolog.Ctx), a deadline (Config.Timeout), [IdempotencyKey] and
// [FencingToken]; it is not cancelled when ChargeDesk disconnects, so an
// action that has started can finish. Methods may be called concurrently,
// but never for the same charge or subscription at once (see [Locker]).
//
// Ids are text, compared exactly: never convert one to a number ("012" and
// "12" are two charges, and so are two spellings a numeric parse would
// merge). Look the platform's charge up by Charge.TransactionID, the
// platform's own id; Charge.ChargeID is ChargeDesk's.
//
// Every implementation embeds [UnimplementedGateway] (the interface has an
// unexported method only it provides), as gRPC's generated servers do: when
// ChargeDesk adds an action, this interface gains a method, and a Gateway
// that does not implement it yet still builds and answers that action with
// ErrNotSupported.
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

	mustEmbedUnimplementedGateway()
}

// UnimplementedGateway answers every action with [ErrNotSupported], which
// the handler turns into a 501 telling the agent the action is not
// available. Every Gateway embeds it (by value) and implements the actions
// enabled in ChargeDesk.
type UnimplementedGateway struct{}

func (UnimplementedGateway) mustEmbedUnimplementedGateway() {}

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
