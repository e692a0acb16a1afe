package chargedesk

import (
	"fmt"
	"time"
)

// Response is a Gateway's successful answer: the objects ChargeDesk should
// update at once, so the agent sees the platform's own state. Every field is
// optional; a nil *Response, or one with no objects, answers 200 {}, and
// ChargeDesk then updates the objects itself (a refunded charge shows as
// refunded, and so on).
type Response struct {
	Charge       *ChargeUpdate       `json:"charge,omitempty"`
	Subscription *SubscriptionUpdate `json:"subscription,omitempty"`
	Customer     *CustomerUpdate     `json:"customer,omitempty"`
	Product      *ProductUpdate      `json:"product,omitempty"`
}

// PaymentResponse is a Gateway's answer to a payment request: RedirectURL,
// required, is the absolute http or https URL of the page where the customer
// pays; the embedded Response may update objects as well.
type PaymentResponse struct {
	RedirectURL string `json:"redirect_url"`
	Response
}

// ChargeStatus is a charge's status, as ChargeDesk's API spells it.
type ChargeStatus string

// The charge statuses of ChargeDesk's API.
const (
	ChargeStatusPending             ChargeStatus = "pending"
	ChargeStatusPaid                ChargeStatus = "paid"
	ChargeStatusPartiallyRefunded   ChargeStatus = "partially refunded"
	ChargeStatusRefunded            ChargeStatus = "refunded"
	ChargeStatusFailed              ChargeStatus = "failed"
	ChargeStatusAuthorized          ChargeStatus = "authorized"
	ChargeStatusVoid                ChargeStatus = "void"
	ChargeStatusInvoiced            ChargeStatus = "invoiced"
	ChargeStatusInvoiceCanceled     ChargeStatus = "invoice canceled"
	ChargeStatusUnpaid              ChargeStatus = "unpaid"
	ChargeStatusPastDue             ChargeStatus = "past due"
	ChargeStatusSubscriptionPending ChargeStatus = "subscription pending"
	ChargeStatusDisputed            ChargeStatus = "disputed"
	ChargeStatusTrial               ChargeStatus = "trial"
	ChargeStatusCredit              ChargeStatus = "credit"
	ChargeStatusUncollectible       ChargeStatus = "uncollectible"
	ChargeStatusOpen                ChargeStatus = "open"
	ChargeStatusDraft               ChargeStatus = "draft"
	ChargeStatusUnclaimed           ChargeStatus = "unclaimed"
)

// Valid reports whether s is one of ChargeDesk's charge statuses.
func (s ChargeStatus) Valid() bool {
	switch s {
	case ChargeStatusPending, ChargeStatusPaid, ChargeStatusPartiallyRefunded, ChargeStatusRefunded,
		ChargeStatusFailed, ChargeStatusAuthorized, ChargeStatusVoid, ChargeStatusInvoiced,
		ChargeStatusInvoiceCanceled, ChargeStatusUnpaid, ChargeStatusPastDue,
		ChargeStatusSubscriptionPending, ChargeStatusDisputed, ChargeStatusTrial, ChargeStatusCredit,
		ChargeStatusUncollectible, ChargeStatusOpen, ChargeStatusDraft, ChargeStatusUnclaimed:
		return true
	}
	return false
}

// SubscriptionStatus is a subscription's status, as ChargeDesk's API spells
// it. (The custom-integration page's example answer writes "cancelled"; the
// API's enum, which ChargeDesk validates against, is "canceled".)
type SubscriptionStatus string

// The subscription statuses of ChargeDesk's API.
const (
	SubscriptionStatusRequested     SubscriptionStatus = "requested"
	SubscriptionStatusPending       SubscriptionStatus = "pending"
	SubscriptionStatusNew           SubscriptionStatus = "new"
	SubscriptionStatusTrialing      SubscriptionStatus = "trialing"
	SubscriptionStatusActive        SubscriptionStatus = "active"
	SubscriptionStatusPastDue       SubscriptionStatus = "past_due"
	SubscriptionStatusCanceled      SubscriptionStatus = "canceled"
	SubscriptionStatusUnpaid        SubscriptionStatus = "unpaid"
	SubscriptionStatusSuspended     SubscriptionStatus = "suspended"
	SubscriptionStatusPendingCancel SubscriptionStatus = "pending_cancel"
)

// Valid reports whether s is one of ChargeDesk's subscription statuses.
func (s SubscriptionStatus) Valid() bool {
	switch s {
	case SubscriptionStatusRequested, SubscriptionStatusPending, SubscriptionStatusNew,
		SubscriptionStatusTrialing, SubscriptionStatusActive, SubscriptionStatusPastDue,
		SubscriptionStatusCanceled, SubscriptionStatusUnpaid, SubscriptionStatusSuspended,
		SubscriptionStatusPendingCancel:
		return true
	}
	return false
}

// Ref points to a related record by id, as ChargeDesk's API nests them
// ("customer": {"id": ...}).
type Ref struct {
	ID string `json:"id"`
}

// ChargeUpdate holds the fields of ChargeDesk's ChargeInput to update on the
// webhook's charge. Only fields that are set are sent: a string when not
// empty, a pointer when not nil, so a zero that matters (AmountRefunded 0)
// is sent by pointing at it.
//
// Once the Gateway returned success the action counts as done: an update
// object ChargeDesk cannot use (an unknown status, a negative amount,
// AmountRefunded above the answer's own Amount, an amount finer than the
// currency, a malformed URL) is dropped from the answer and logged at error
// level, and the agent gets the rest. Amounts are never compared with
// ChargeDesk's payload, whose copy may be stale.
type ChargeUpdate struct {
	Status         ChargeStatus      `json:"status,omitempty"`
	Amount         *Amount           `json:"amount,omitempty"`
	AmountRefunded *Amount           `json:"amount_refunded,omitempty"`
	Currency       string            `json:"currency,omitempty"`
	TransactionID  string            `json:"transaction_id,omitempty"`
	Description    string            `json:"description,omitempty"`
	Last4Digits    string            `json:"last_4_digits,omitempty"`
	Customer       *Ref              `json:"customer,omitempty"`
	Product        *Ref              `json:"product,omitempty"`
	Subscription   *Ref              `json:"subscription,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	// PayLink is the URL where the customer pays, for a payment request.
	PayLink string `json:"pay_link,omitempty"`
}

// SubscriptionUpdate holds the fields of ChargeDesk's SubscriptionInput to
// update on the webhook's subscription, sent under the rules of
// [ChargeUpdate]. Times are sent in RFC 3339, as the API's date-time.
type SubscriptionUpdate struct {
	SubscriptionID       string             `json:"subscription_id,omitempty"`
	CustomerID           string             `json:"customer_id,omitempty"`
	Status               SubscriptionStatus `json:"status,omitempty"`
	Amount               *Amount            `json:"amount,omitempty"`
	Currency             string             `json:"currency,omitempty"`
	Interval             string             `json:"interval,omitempty"`
	IntervalCount        *int               `json:"interval_count,omitempty"`
	Quantity             *int               `json:"quantity,omitempty"`
	TrialStart           *time.Time         `json:"trial_start,omitempty"`
	TrialEnd             *time.Time         `json:"trial_end,omitempty"`
	BillingCyclesTotal   *int               `json:"billing_cycles_total,omitempty"`
	BillingCyclesCurrent *int               `json:"billing_cycles_current,omitempty"`
	// Items lists the subscription's plan (product) ids.
	Items    []string          `json:"items,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// CustomerUpdate holds the fields of ChargeDesk's CustomerInput, sent under
// the rules of [ChargeUpdate].
type CustomerUpdate struct {
	CustomerID      string            `json:"customer_id,omitempty"`
	Email           string            `json:"email,omitempty"`
	Name            string            `json:"name,omitempty"`
	Phone           string            `json:"phone,omitempty"`
	Username        string            `json:"username,omitempty"`
	Country         string            `json:"country,omitempty"`
	CustomerCompany string            `json:"customer_company,omitempty"`
	Website         string            `json:"website,omitempty"`
	Description     string            `json:"description,omitempty"`
	Delinquent      *bool             `json:"delinquent,omitempty"`
	CardOnFile      *bool             `json:"card_on_file,omitempty"`
	TaxNumber       string            `json:"tax_number,omitempty"`
	BillingAddress  *BillingAddress   `json:"billing_address,omitempty"`
	InvoiceDetails  string            `json:"invoice_details,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
}

// BillingAddress is a customer's billing address.
type BillingAddress struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ProductUpdate holds the fields of ChargeDesk's ProductInput, sent under
// the rules of [ChargeUpdate].
type ProductUpdate struct {
	ProductID          string  `json:"product_id,omitempty"`
	Name               string  `json:"name,omitempty"`
	Description        string  `json:"description,omitempty"`
	URL                string  `json:"url,omitempty"`
	Amount             *Amount `json:"amount,omitempty"`
	Currency           string  `json:"currency,omitempty"`
	Interval           string  `json:"interval,omitempty"`
	TrialPeriodDays    *int    `json:"trial_period_days,omitempty"`
	BillingCyclesTotal *int    `json:"billing_cycles_total,omitempty"`
	SetupAmount        *Amount `json:"setup_amount,omitempty"`
	Chargeable         *bool   `json:"chargeable,omitempty"`
}

// ChargeRefunded returns the update for a charge of amount of which
// totalRefunded has now been refunded, as the platform reports it: status
// "refunded" when all of it is refunded, "partially refunded" when some,
// "paid" when none, and amount_refunded set (0 included).
func ChargeRefunded(amount, totalRefunded Amount) *ChargeUpdate {
	status := ChargeStatusPartiallyRefunded
	switch {
	case totalRefunded.IsZero(): // first: a free charge with nothing refunded is paid
		status = ChargeStatusPaid
	case totalRefunded.Cmp(amount) >= 0:
		status = ChargeStatusRefunded
	}
	return &ChargeUpdate{Status: status, AmountRefunded: &totalRefunded}
}

// RefundAnswer returns the answer for a refund performed as requested: the
// charge's amount_refunded raised by the refund and its status to match.
// Use [ChargeRefunded] with the platform's own total when it reports one.
func RefundAnswer(req *RefundRequest) (*Response, error) {
	if req == nil || req.Charge == nil {
		return nil, fmt.Errorf("chargedesk: RefundAnswer: the request has no charge")
	}
	total, err := req.Charge.AmountRefunded.Add(req.RefundAmount)
	if err != nil {
		return nil, fmt.Errorf("chargedesk: RefundAnswer: %w", err)
	}
	return &Response{Charge: ChargeRefunded(req.Charge.Amount, total)}, nil
}

// ChargeStatusAnswer returns an answer that sets the charge's status only,
// such as ChargeStatusPaid after a capture or ChargeStatusVoid after a void.
func ChargeStatusAnswer(status ChargeStatus) *Response {
	return &Response{Charge: &ChargeUpdate{Status: status}}
}

// SubscriptionStatusAnswer returns an answer that sets the subscription's
// status only, such as SubscriptionStatusCanceled after a cancel.
func SubscriptionStatusAnswer(status SubscriptionStatus) *Response {
	return &Response{Subscription: &SubscriptionUpdate{Status: status}}
}
