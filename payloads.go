package chargedesk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Charge is the charge object ChargeDesk sends with refund, capture, void,
// payment request and (when a refund is asked for) cancel webhooks. It has
// every field of ChargeDesk's documented examples; fields ChargeDesk adds
// later are kept in the request's Raw body.
//
// Decoding is tolerant (see the package doc): amounts are exact, unix
// timestamps become time.Time in UTC with 0 meaning unset (the zero Time),
// and null becomes the zero value. Encoding writes ChargeDesk's own format
// back (timestamps as unix seconds, amounts as numbers).
type Charge struct {
	ChargeID       string       `json:"charge_id"`
	TransactionID  string       `json:"transaction_id"`
	GatewayID      string       `json:"gateway_id"`
	CustomerID     string       `json:"customer_id"`
	ProductID      string       `json:"product_id"`
	SubscriptionID string       `json:"subscription_id"`
	Amount         Amount       `json:"amount"`
	AmountRefunded Amount       `json:"amount_refunded"`
	AddedTax       Amount       `json:"added_tax"`
	Currency       string       `json:"currency"`
	Status         ChargeStatus `json:"status"`
	StatusText     string       `json:"status_text"`
	IsPaid         bool         `json:"is_paid"`
	Description    string       `json:"description"`
	Occurred       time.Time    `json:"occurred"`
	EmailLastSent  time.Time    `json:"email_last_sent"`

	PaymentMethod         string `json:"payment_method"`
	PaymentMethodBrand    string `json:"payment_method_brand"`
	PaymentMethodDescribe string `json:"payment_method_describe"`
	Last4Digits           string `json:"last_4_digits"`

	CustomerName     string `json:"customer_name"`
	CustomerEmail    string `json:"customer_email"`
	CustomerUsername string `json:"customer_username"`
	CustomerCountry  string `json:"customer_country"`
	CustomerPhone    string `json:"customer_phone"`

	Object                  string `json:"object"`
	Company                 string `json:"company"`
	InvoiceCompany          string `json:"invoice_company"`
	AmountWithCommas        string `json:"amount_with_commas"`
	AmountFormatted         string `json:"amount_formatted"`
	AmountRefundedFormatted string `json:"amount_refunded_formatted"`
	AmountSymbol            string `json:"amount_symbol"`
	OccurredRelative        string `json:"occurred_relative"`
	OccurredFormatted       string `json:"occurred_formatted"`
	RefundedAtFormatted     string `json:"refunded_at_formatted"`
	ProductDesc             string `json:"product_desc"`
	SupportEmail            string `json:"support_email"`
	SupportURL              string `json:"support_url"`
	ManageURL               string `json:"manage_url"`
	InvoiceURL              string `json:"invoice_url"`
	InvoiceDownloadURL      string `json:"invoice_download_url"`
	GatewayURL              string `json:"gateway_url"`
	SentInvoice             string `json:"sent_invoice"`
	SentInvoiceReminder     string `json:"sent_invoice_reminder"`
	NameEmail               string `json:"name_email"`
	NameSendEmail           string `json:"name_send_email"`

	MethodsSupported []string          `json:"methods_supported"`
	MethodsActive    []string          `json:"methods_active"`
	Metadata         map[string]string `json:"metadata"`
	// Logs is the charge's log list exactly as sent; its entries are not
	// documented.
	Logs json.RawMessage `json:"logs"`
}

// chargeWire is Charge's overlay: each field points into the Charge and has
// a type that decodes and encodes ChargeDesk's format.
type chargeWire struct {
	ChargeID                *flexID          `json:"charge_id"`
	TransactionID           *flexID          `json:"transaction_id"`
	GatewayID               *flexString      `json:"gateway_id"`
	CustomerID              *flexID          `json:"customer_id"`
	ProductID               *flexID          `json:"product_id"`
	SubscriptionID          *flexID          `json:"subscription_id"`
	Amount                  *Amount          `json:"amount"`
	AmountRefunded          *Amount          `json:"amount_refunded"`
	AddedTax                *Amount          `json:"added_tax"`
	Currency                *flexString      `json:"currency"`
	Status                  *flexString      `json:"status"`
	StatusText              *flexString      `json:"status_text"`
	IsPaid                  *flexBool        `json:"is_paid"`
	Description             *flexString      `json:"description"`
	Occurred                *unixTime        `json:"occurred"`
	EmailLastSent           *unixTime        `json:"email_last_sent"`
	PaymentMethod           *flexString      `json:"payment_method"`
	PaymentMethodBrand      *flexString      `json:"payment_method_brand"`
	PaymentMethodDescribe   *flexString      `json:"payment_method_describe"`
	Last4Digits             *flexString      `json:"last_4_digits"`
	CustomerName            *flexString      `json:"customer_name"`
	CustomerEmail           *flexString      `json:"customer_email"`
	CustomerUsername        *flexString      `json:"customer_username"`
	CustomerCountry         *flexString      `json:"customer_country"`
	CustomerPhone           *flexString      `json:"customer_phone"`
	Object                  *flexString      `json:"object"`
	Company                 *flexString      `json:"company"`
	InvoiceCompany          *flexString      `json:"invoice_company"`
	AmountWithCommas        *flexString      `json:"amount_with_commas"`
	AmountFormatted         *flexString      `json:"amount_formatted"`
	AmountRefundedFormatted *flexString      `json:"amount_refunded_formatted"`
	AmountSymbol            *flexString      `json:"amount_symbol"`
	OccurredRelative        *flexString      `json:"occurred_relative"`
	OccurredFormatted       *flexString      `json:"occurred_formatted"`
	RefundedAtFormatted     *flexString      `json:"refunded_at_formatted"`
	ProductDesc             *flexString      `json:"product_desc"`
	SupportEmail            *flexString      `json:"support_email"`
	SupportURL              *flexString      `json:"support_url"`
	ManageURL               *flexString      `json:"manage_url"`
	InvoiceURL              *flexString      `json:"invoice_url"`
	InvoiceDownloadURL      *flexString      `json:"invoice_download_url"`
	GatewayURL              *flexString      `json:"gateway_url"`
	SentInvoice             *flexString      `json:"sent_invoice"`
	SentInvoiceReminder     *flexString      `json:"sent_invoice_reminder"`
	NameEmail               *flexString      `json:"name_email"`
	NameSendEmail           *flexString      `json:"name_send_email"`
	MethodsSupported        *flexStrings     `json:"methods_supported"`
	MethodsActive           *flexStrings     `json:"methods_active"`
	Metadata                *flexMap         `json:"metadata"`
	Logs                    *json.RawMessage `json:"logs"`
}

func (c *Charge) wire() *chargeWire {
	return &chargeWire{
		ChargeID: (*flexID)(&c.ChargeID), TransactionID: (*flexID)(&c.TransactionID),
		GatewayID: (*flexString)(&c.GatewayID), CustomerID: (*flexID)(&c.CustomerID),
		ProductID: (*flexID)(&c.ProductID), SubscriptionID: (*flexID)(&c.SubscriptionID),
		Amount: &c.Amount, AmountRefunded: &c.AmountRefunded, AddedTax: &c.AddedTax,
		Currency: (*flexString)(&c.Currency), Status: (*flexString)(&c.Status),
		StatusText: (*flexString)(&c.StatusText), IsPaid: (*flexBool)(&c.IsPaid),
		Description: (*flexString)(&c.Description), Occurred: (*unixTime)(&c.Occurred),
		EmailLastSent: (*unixTime)(&c.EmailLastSent), PaymentMethod: (*flexString)(&c.PaymentMethod),
		PaymentMethodBrand:    (*flexString)(&c.PaymentMethodBrand),
		PaymentMethodDescribe: (*flexString)(&c.PaymentMethodDescribe),
		Last4Digits:           (*flexString)(&c.Last4Digits), CustomerName: (*flexString)(&c.CustomerName),
		CustomerEmail: (*flexString)(&c.CustomerEmail), CustomerUsername: (*flexString)(&c.CustomerUsername),
		CustomerCountry: (*flexString)(&c.CustomerCountry), CustomerPhone: (*flexString)(&c.CustomerPhone),
		Object: (*flexString)(&c.Object), Company: (*flexString)(&c.Company),
		InvoiceCompany: (*flexString)(&c.InvoiceCompany), AmountWithCommas: (*flexString)(&c.AmountWithCommas),
		AmountFormatted:         (*flexString)(&c.AmountFormatted),
		AmountRefundedFormatted: (*flexString)(&c.AmountRefundedFormatted),
		AmountSymbol:            (*flexString)(&c.AmountSymbol), OccurredRelative: (*flexString)(&c.OccurredRelative),
		OccurredFormatted: (*flexString)(&c.OccurredFormatted), RefundedAtFormatted: (*flexString)(&c.RefundedAtFormatted),
		ProductDesc: (*flexString)(&c.ProductDesc), SupportEmail: (*flexString)(&c.SupportEmail),
		SupportURL: (*flexString)(&c.SupportURL), ManageURL: (*flexString)(&c.ManageURL),
		InvoiceURL: (*flexString)(&c.InvoiceURL), InvoiceDownloadURL: (*flexString)(&c.InvoiceDownloadURL),
		GatewayURL: (*flexString)(&c.GatewayURL), SentInvoice: (*flexString)(&c.SentInvoice),
		SentInvoiceReminder: (*flexString)(&c.SentInvoiceReminder), NameEmail: (*flexString)(&c.NameEmail),
		NameSendEmail: (*flexString)(&c.NameSendEmail), MethodsSupported: (*flexStrings)(&c.MethodsSupported),
		MethodsActive: (*flexStrings)(&c.MethodsActive), Metadata: (*flexMap)(&c.Metadata), Logs: &c.Logs,
	}
}

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (c *Charge) UnmarshalJSON(raw []byte) error {
	*c = Charge{}
	return decodeObject(raw, c.wire(), "a charge object")
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's webhook format.
func (c Charge) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// Subscription is the subscription object ChargeDesk sends with cancel,
// reactivate and edit plans webhooks, with every field of the documented
// examples. Decoding and encoding follow the rules on [Charge].
type Subscription struct {
	SubscriptionID       string             `json:"subscription_id"`
	GatewayID            string             `json:"gateway_id"`
	CustomerID           string             `json:"customer_id"`
	ProductID            string             `json:"product_id"`
	Amount               Amount             `json:"amount"`
	SetupAmount          Amount             `json:"setup_amount"`
	Currency             string             `json:"currency"`
	Status               SubscriptionStatus `json:"status"`
	StatusText           string             `json:"status_text"`
	Interval             string             `json:"interval"`
	IntervalCount        int                `json:"interval_count"`
	ReadableInterval     string             `json:"readable_interval"`
	Quantity             int                `json:"quantity"`
	Charges              int                `json:"charges"`
	HasItems             bool               `json:"has_items"`
	BillingCyclesTotal   int                `json:"billing_cycles_total"`
	BillingCyclesCurrent int                `json:"billing_cycles_current"`
	TrialPeriodDays      int                `json:"trial_period_days"`
	CurrentPeriodStart   time.Time          `json:"current_period_start"`
	CurrentPeriodEnd     time.Time          `json:"current_period_end"`
	TrialStart           time.Time          `json:"trial_start"`
	TrialEnd             time.Time          `json:"trial_end"`
	EndedAt              time.Time          `json:"ended_at"`
	CanceledAt           time.Time          `json:"canceled_at"`
	FirstSeen            time.Time          `json:"first_seen"`

	Object          string `json:"object"`
	Company         string `json:"company"`
	AmountFormatted string `json:"amount_formatted"`
	AmountSymbol    string `json:"amount_symbol"`
	ProductDesc     string `json:"product_desc"`
	ManageURL       string `json:"manage_url"`
	GatewayURL      string `json:"gateway_url"`

	MethodsSupported []string          `json:"methods_supported"`
	MethodsActive    []string          `json:"methods_active"`
	Metadata         map[string]string `json:"metadata"`
	// Items and Logs are kept exactly as sent; their entries are not
	// documented.
	Items json.RawMessage `json:"items"`
	Logs  json.RawMessage `json:"logs"`
}

type subscriptionWire struct {
	SubscriptionID       *flexID          `json:"subscription_id"`
	GatewayID            *flexString      `json:"gateway_id"`
	CustomerID           *flexID          `json:"customer_id"`
	ProductID            *flexID          `json:"product_id"`
	Amount               *Amount          `json:"amount"`
	SetupAmount          *Amount          `json:"setup_amount"`
	Currency             *flexString      `json:"currency"`
	Status               *flexString      `json:"status"`
	StatusText           *flexString      `json:"status_text"`
	Interval             *flexString      `json:"interval"`
	IntervalCount        *flexInt         `json:"interval_count"`
	ReadableInterval     *flexString      `json:"readable_interval"`
	Quantity             *flexInt         `json:"quantity"`
	Charges              *flexInt         `json:"charges"`
	HasItems             *flexBool        `json:"has_items"`
	BillingCyclesTotal   *flexInt         `json:"billing_cycles_total"`
	BillingCyclesCurrent *flexInt         `json:"billing_cycles_current"`
	TrialPeriodDays      *flexInt         `json:"trial_period_days"`
	CurrentPeriodStart   *unixTime        `json:"current_period_start"`
	CurrentPeriodEnd     *unixTime        `json:"current_period_end"`
	TrialStart           *unixTime        `json:"trial_start"`
	TrialEnd             *unixTime        `json:"trial_end"`
	EndedAt              *unixTime        `json:"ended_at"`
	CanceledAt           *unixTime        `json:"canceled_at"`
	FirstSeen            *unixTime        `json:"first_seen"`
	Object               *flexString      `json:"object"`
	Company              *flexString      `json:"company"`
	AmountFormatted      *flexString      `json:"amount_formatted"`
	AmountSymbol         *flexString      `json:"amount_symbol"`
	ProductDesc          *flexString      `json:"product_desc"`
	ManageURL            *flexString      `json:"manage_url"`
	GatewayURL           *flexString      `json:"gateway_url"`
	MethodsSupported     *flexStrings     `json:"methods_supported"`
	MethodsActive        *flexStrings     `json:"methods_active"`
	Metadata             *flexMap         `json:"metadata"`
	Items                *json.RawMessage `json:"items"`
	Logs                 *json.RawMessage `json:"logs"`
}

func (s *Subscription) wire() *subscriptionWire {
	return &subscriptionWire{
		SubscriptionID: (*flexID)(&s.SubscriptionID), GatewayID: (*flexString)(&s.GatewayID),
		CustomerID: (*flexID)(&s.CustomerID), ProductID: (*flexID)(&s.ProductID),
		Amount: &s.Amount, SetupAmount: &s.SetupAmount, Currency: (*flexString)(&s.Currency),
		Status: (*flexString)(&s.Status), StatusText: (*flexString)(&s.StatusText),
		Interval: (*flexString)(&s.Interval), IntervalCount: (*flexInt)(&s.IntervalCount),
		ReadableInterval: (*flexString)(&s.ReadableInterval), Quantity: (*flexInt)(&s.Quantity),
		Charges: (*flexInt)(&s.Charges), HasItems: (*flexBool)(&s.HasItems),
		BillingCyclesTotal:   (*flexInt)(&s.BillingCyclesTotal),
		BillingCyclesCurrent: (*flexInt)(&s.BillingCyclesCurrent),
		TrialPeriodDays:      (*flexInt)(&s.TrialPeriodDays),
		CurrentPeriodStart:   (*unixTime)(&s.CurrentPeriodStart), CurrentPeriodEnd: (*unixTime)(&s.CurrentPeriodEnd),
		TrialStart: (*unixTime)(&s.TrialStart), TrialEnd: (*unixTime)(&s.TrialEnd),
		EndedAt: (*unixTime)(&s.EndedAt), CanceledAt: (*unixTime)(&s.CanceledAt),
		FirstSeen: (*unixTime)(&s.FirstSeen), Object: (*flexString)(&s.Object),
		Company: (*flexString)(&s.Company), AmountFormatted: (*flexString)(&s.AmountFormatted),
		AmountSymbol: (*flexString)(&s.AmountSymbol), ProductDesc: (*flexString)(&s.ProductDesc),
		ManageURL: (*flexString)(&s.ManageURL), GatewayURL: (*flexString)(&s.GatewayURL),
		MethodsSupported: (*flexStrings)(&s.MethodsSupported), MethodsActive: (*flexStrings)(&s.MethodsActive),
		Metadata: (*flexMap)(&s.Metadata), Items: &s.Items, Logs: &s.Logs,
	}
}

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (s *Subscription) UnmarshalJSON(raw []byte) error {
	*s = Subscription{}
	return decodeObject(raw, s.wire(), "a subscription object")
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's webhook format.
func (s Subscription) MarshalJSON() ([]byte, error) { return json.Marshal(s.wire()) }

// Plan is one entry of an edit plans webhook: a product and how many of it.
type Plan struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

type planWire struct {
	ProductID *flexID  `json:"product_id"`
	Quantity  *flexInt `json:"quantity"`
}

// UnmarshalJSON implements [json.Unmarshaler]; the product id may arrive as
// a number and the quantity as a string.
func (p *Plan) UnmarshalJSON(raw []byte) error {
	*p = Plan{}
	return decodeObject(raw, &planWire{(*flexID)(&p.ProductID), (*flexInt)(&p.Quantity)}, "a plan object")
}

// Raw is the webhook as it arrived, for what the typed fields do not carry:
// fields ChargeDesk adds later stay in Body, and custom headers in Header.
// The handler fills it; a request decoded with json.Unmarshal has it empty.
type Raw struct {
	// Body is the request body exactly as received (for a form-encoded
	// webhook, the form as sent).
	Body []byte
	// Header is the request's header, secrets included: do not log it.
	Header http.Header
}

// RefundRequest is a refund webhook: refund RefundAmount of Charge.
type RefundRequest struct {
	Raw Raw `json:"-"`
	// RefundAmount is the amount to refund, in the charge's currency. The
	// handler has checked that it is more than 0, not more than what remains
	// on the charge, and has no more decimal places than the currency allows.
	RefundAmount Amount `json:"refund_amount"`
	// ActionReason is the agent's reason, "" when none was given.
	ActionReason string  `json:"action_reason"`
	Charge       *Charge `json:"charge"`

	phpFloat bool // RefundAmount was read as a PHP float, for the log
}

// CaptureRequest is a capture webhook: capture the authorized Charge.
type CaptureRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// VoidRequest is a void webhook: void the authorized Charge. ChargeDesk
// sends the same payload as for a capture, to the void path.
type VoidRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// CancelRequest is a cancel webhook: cancel or suspend Subscription, and
// refund Charge when Refund is not RefundNone.
type CancelRequest struct {
	Raw Raw `json:"-"`
	// Action is how to cancel; ChargeDesk always sends it.
	Action CancelAction `json:"action"`
	// Refund is what to refund of the subscription's last charge. ChargeDesk
	// sends it only with cancel-immediately; when it is absent it is
	// RefundNone.
	Refund       RefundMode    `json:"refund"`
	ActionReason string        `json:"action_reason"`
	Subscription *Subscription `json:"subscription"`
	// Charge is the charge to refund; present whenever Refund is not none.
	Charge *Charge `json:"charge,omitempty"`
}

// ReactivateRequest is a reactivate webhook: reactivate the suspended or
// pending-cancellation Subscription.
type ReactivateRequest struct {
	Raw          Raw           `json:"-"`
	Subscription *Subscription `json:"subscription"`
}

// EditPlansRequest is an edit plans webhook: replace the plans of
// Subscription with Plans.
type EditPlansRequest struct {
	Raw Raw `json:"-"`
	// Plans are the subscription's new plans: 1 to MaxPlans of them, each
	// with a product and a quantity of at least 1.
	Plans        []Plan        `json:"plans"`
	Subscription *Subscription `json:"subscription"`
}

// PaymentRequest is a payment request webhook: ask the customer to pay
// Charge, and answer the payment page's URL.
type PaymentRequest struct {
	Raw    Raw     `json:"-"`
	Charge *Charge `json:"charge"`
}

// envelope holds every top-level field any webhook carries. Each request
// type is filled from it, so one decoder serves every action and a new field
// in one action cannot break another. Its scalar fields are the top-level
// fields a placeholder may name.
type envelope struct {
	RefundAmount refundAmount  `json:"refund_amount"`
	ActionReason flexString    `json:"action_reason"`
	Action       flexString    `json:"action"`
	Refund       flexString    `json:"refund"`
	Plans        flexPlans     `json:"plans"`
	Charge       *Charge       `json:"charge"`
	Subscription *Subscription `json:"subscription"`
}

// request is what the handler asks of every action's request type; with
// the action's entry in actionTable, it is all the handler knows of the
// action.
type request interface {
	// fill sets the request from the decoded webhook.
	fill(e *envelope, raw Raw)
	// objects returns the charge and the subscription the action acts on,
	// nil when it has none: each is locked while the Gateway works.
	objects() (*Charge, *Subscription)
	// identity adds what makes two webhooks the same action, for the
	// duplicate guard: its objects' ids and whatever else it asks for.
	identity(id *identity)
	// check applies the action's rules: the objects it needs and their ids
	// and currencies, its own fields, then the money rules. The first
	// broken one is the agent's 422 message.
	check() error
	// logFields adds the action's own fields to the webhook's log line (the
	// objects' ids are added for every action). It runs before validation,
	// so a value is logged only once it is known to be one of its kind.
	logFields(c zerolog.Context) zerolog.Context
}

// UnmarshalJSON implements [json.Unmarshaler] with the package's tolerant
// decoding; unknown fields are ignored.
func (r *RefundRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *CaptureRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *VoidRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *CancelRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *ReactivateRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *EditPlansRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// UnmarshalJSON implements [json.Unmarshaler] like RefundRequest's.
func (r *PaymentRequest) UnmarshalJSON(raw []byte) error { return unmarshalRequest(raw, r) }

// unmarshalRequest is every request type's UnmarshalJSON: decode the
// envelope, then fill the request from it, with Raw left empty.
func unmarshalRequest(raw []byte, r request) error {
	env := new(envelope)
	if err := decodeObject(raw, env, "a webhook object"); err != nil {
		return err
	}
	r.fill(env, Raw{})
	return nil
}

func (r *RefundRequest) fill(e *envelope, raw Raw) {
	*r = RefundRequest{Raw: raw, RefundAmount: e.RefundAmount.Amount, ActionReason: string(e.ActionReason),
		Charge: e.Charge, phpFloat: e.RefundAmount.phpFloat}
}

func (r *CaptureRequest) fill(e *envelope, raw Raw) { *r = CaptureRequest{Raw: raw, Charge: e.Charge} }

func (r *VoidRequest) fill(e *envelope, raw Raw) { *r = VoidRequest{Raw: raw, Charge: e.Charge} }

func (r *CancelRequest) fill(e *envelope, raw Raw) {
	mode := RefundMode(e.Refund)
	if mode == "" {
		mode = RefundNone
	}
	*r = CancelRequest{Raw: raw, Action: CancelAction(e.Action), Refund: mode,
		ActionReason: string(e.ActionReason), Subscription: e.Subscription, Charge: e.Charge}
}

func (r *ReactivateRequest) fill(e *envelope, raw Raw) {
	*r = ReactivateRequest{Raw: raw, Subscription: e.Subscription}
}

func (r *EditPlansRequest) fill(e *envelope, raw Raw) {
	*r = EditPlansRequest{Raw: raw, Plans: e.Plans, Subscription: e.Subscription}
}

func (r *PaymentRequest) fill(e *envelope, raw Raw) { *r = PaymentRequest{Raw: raw, Charge: e.Charge} }

func (r *RefundRequest) objects() (*Charge, *Subscription)     { return r.Charge, nil }
func (r *CaptureRequest) objects() (*Charge, *Subscription)    { return r.Charge, nil }
func (r *VoidRequest) objects() (*Charge, *Subscription)       { return r.Charge, nil }
func (r *CancelRequest) objects() (*Charge, *Subscription)     { return r.Charge, r.Subscription }
func (r *ReactivateRequest) objects() (*Charge, *Subscription) { return nil, r.Subscription }
func (r *EditPlansRequest) objects() (*Charge, *Subscription)  { return nil, r.Subscription }
func (r *PaymentRequest) objects() (*Charge, *Subscription)    { return r.Charge, nil }

// Amounts are compared by value: 12.3 and 12.30 are the same refund.
func (r *RefundRequest) identity(id *identity) {
	id.charge(r.Charge)
	id.add("amount", r.RefundAmount.Trim(0).String(), "reason", r.ActionReason)
}

func (r *CaptureRequest) identity(id *identity) { id.charge(r.Charge) }

func (r *VoidRequest) identity(id *identity) { id.charge(r.Charge) }

func (r *CancelRequest) identity(id *identity) {
	id.subscription(r.Subscription)
	id.charge(r.Charge)
	id.add("cancel", string(r.Action), "refund", string(r.Refund), "reason", r.ActionReason)
}

func (r *ReactivateRequest) identity(id *identity) { id.subscription(r.Subscription) }

func (r *EditPlansRequest) identity(id *identity) {
	id.subscription(r.Subscription)
	for _, p := range r.Plans {
		id.add("plan", p.ProductID, "quantity", strconv.Itoa(p.Quantity))
	}
}

func (r *PaymentRequest) identity(id *identity) {
	id.charge(r.Charge)
	id.add("amount", r.Charge.Amount.Trim(0).String())
}

// msgRefundTooLarge is ChargeDesk's own wording for this refusal.
const msgRefundTooLarge = "Refund amount was greater than amount remaining on charge."

// check applies the rules of a refund: more than zero, no finer than the
// currency, and no more than what remains on the charge.
func (r *RefundRequest) check() error {
	if err := chargeRules(r.Charge); err != nil {
		return err
	}
	if !r.RefundAmount.IsPos() {
		return invalid("refund_amount must be more than 0, not %s.", r.RefundAmount)
	}
	scale, _ := currencyScale(r.Charge.Currency)
	if err := checkScale(r.RefundAmount, scale, r.Charge.Currency); err != nil {
		return invalid("refund_amount %s.", err)
	}
	remaining, err := r.Charge.Amount.Sub(r.Charge.AmountRefunded)
	if err != nil || r.RefundAmount.Cmp(remaining.Decimal) > 0 {
		return invalid(msgRefundTooLarge)
	}
	return nil
}

func (r *CaptureRequest) check() error { return chargeRules(r.Charge) }

func (r *VoidRequest) check() error { return chargeRules(r.Charge) }

func (r *CancelRequest) check() error {
	switch {
	case r.Action == "":
		return invalid("action is required.")
	case !r.Action.valid():
		return invalid("action must be one of cancel, cancel-immediately, cancel-period-end, suspend.")
	case !r.Refund.valid():
		return invalid("refund must be one of none, partial, full.")
	}
	if err := requireSubscription("subscription", r.Subscription); err != nil {
		return err
	}
	if r.Charge == nil && r.Refund != RefundNone {
		return invalid("charge is required when refund is not none.")
	}
	if r.Charge != nil {
		if err := requireCharge("charge", r.Charge); err != nil {
			return err
		}
	}
	if err := checkSubscription("subscription", r.Subscription); err != nil {
		return err
	}
	return checkCharge("charge", r.Charge)
}

func (r *ReactivateRequest) check() error { return subscriptionRules(r.Subscription) }

func (r *EditPlansRequest) check() error {
	if err := checkPlans(r.Plans); err != nil {
		return err
	}
	return subscriptionRules(r.Subscription)
}

func (r *PaymentRequest) check() error { return chargeRules(r.Charge) }

// chargeRules are the rules of an action on a charge and nothing else.
func chargeRules(c *Charge) error {
	if err := requireCharge("charge", c); err != nil {
		return err
	}
	return checkCharge("charge", c)
}

// subscriptionRules are the rules of an action on a subscription and
// nothing else.
func subscriptionRules(s *Subscription) error {
	if err := requireSubscription("subscription", s); err != nil {
		return err
	}
	return checkSubscription("subscription", s)
}

func (r *RefundRequest) logFields(c zerolog.Context) zerolog.Context {
	c = amountField(c, r.RefundAmount, r.Charge)
	if r.phpFloat {
		c = c.Bool("refund_amount_php_float", true)
	}
	return c
}

func (r *CaptureRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Charge == nil {
		return c
	}
	return amountField(c, r.Charge.Amount, r.Charge)
}

func (r *VoidRequest) logFields(c zerolog.Context) zerolog.Context { return c }

// The reason is free text, often with a customer's details in it: it is
// never logged.
func (r *CancelRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Action.valid() {
		c = c.Str("cancel_action", string(r.Action))
	}
	if r.Refund.valid() {
		c = c.Str("refund", string(r.Refund))
	}
	return c
}

func (r *ReactivateRequest) logFields(c zerolog.Context) zerolog.Context { return c }

func (r *EditPlansRequest) logFields(c zerolog.Context) zerolog.Context { return c }

func (r *PaymentRequest) logFields(c zerolog.Context) zerolog.Context {
	if r.Charge == nil {
		return c
	}
	return amountField(c, r.Charge.Amount, r.Charge)
}

// amountField logs an amount, with the charge's currency once it is known
// to be one.
func amountField(c zerolog.Context, a Amount, charge *Charge) zerolog.Context {
	c = c.Str("amount", a.String())
	if charge != nil && validCurrency(charge.Currency) {
		c = c.Str("currency", strings.ToUpper(charge.Currency))
	}
	return c
}
