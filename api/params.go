package api

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
)

// ChargeParams are the fields of a charge to create, upsert or update
// (ChargeInput). Creating needs Amount, Currency and Customer; upserting
// also needs TransactionID, the payment platform's id of the charge, which
// the record is matched on (ChargeDesk's own id, charge_id, is the one its
// paths take).
type ChargeParams struct {
	TransactionID  string                  `json:"transaction_id"`
	Amount         *chargedesk.Amount      `json:"amount"`
	Currency       string                  `json:"currency"`
	Status         chargedesk.ChargeStatus `json:"status"`
	AmountRefunded *chargedesk.Amount      `json:"amount_refunded"`
	Last4Digits    string                  `json:"last_4_digits"`
	Description    string                  `json:"description"`
	Customer       *Ref                    `json:"customer"`
	Product        *Ref                    `json:"product"`
	Subscription   *Ref                    `json:"subscription"`
	Metadata       map[string]string       `json:"metadata"`
	// Occurred is when the charge happened (sent as unix seconds, as
	// ChargeDesk's charges carry it; nil leaves it to ChargeDesk, which
	// takes the time it records the charge). It is what lists order and
	// filter by. ChargeDesk documents it on the charge object; the seed's
	// ChargeInput lacks it.
	Occurred *time.Time `json:"occurred"`
	// Lines are the charge's line items, one text each (lines[]), as a
	// gateway payment request takes them.
	Lines []string `json:"lines"`
}

// CustomerParams are the fields of a customer (CustomerInput); CustomerID is
// required to create or upsert. It is the receiver's CustomerUpdate: a
// webhook answer updates a record with the API's own fields.
type CustomerParams = chargedesk.CustomerUpdate

// SubscriptionParams are the fields of a subscription (SubscriptionInput);
// SubscriptionID is required to create or upsert. It is the receiver's
// SubscriptionUpdate: a webhook answer updates a record with the API's own
// fields.
type SubscriptionParams = chargedesk.SubscriptionUpdate

// ProductParams are the fields of a product (ProductInput); ProductID is
// required to create or upsert. It is the receiver's ProductUpdate.
type ProductParams = chargedesk.ProductUpdate

// WebhookParams configure a webhook; URL is required, an http(s) URL.
// Events are the event notifications to send (the seed's events[]), by
// their typed names (events.ChargeRefunded, ...; package events receives
// them); All, ChargeDesk's documented alternative, asks for every one.
// ChargeDesk refuses a name it does not know, such as another vendor's
// dotted charge.refunded.
type WebhookParams struct {
	URL    string        `json:"url"`
	Events []events.Name `json:"events"`
	All    *bool         `json:"all"`
}

// ChargePreviewParams ask for a charge's preview with tax; Amount and
// Currency are required.
type ChargePreviewParams struct {
	Amount   *chargedesk.Amount `json:"amount"`
	Currency string             `json:"currency"`
	Customer *Ref               `json:"customer"`
}

// CustomerDeleteParams choose how a customer is deleted.
type CustomerDeleteParams struct {
	// DeleteAll is 0 (the record only, the default), 1 (with its charges)
	// or 2 (anonymize its charges).
	DeleteAll *int `json:"delete_all"`
}

// ListParams page through a list. Count is the page size (1-500, default
// 100); Offset is where the list starts (0-50,000).
type ListParams struct {
	Count  int `json:"count"`
	Offset int `json:"offset"`
}

// ChargeListParams filter a list of charges.
type ChargeListParams struct {
	ListParams
	Status        chargedesk.ChargeStatus `json:"status"`
	Query         string                  `json:"query"`
	Customer      *CustomerFilter         `json:"customer"`
	Last4Digits   string                  `json:"last_4_digits"`
	TransactionID string                  `json:"transaction_id"`
	// Occurred bounds the charges' time, both ends inclusive.
	Occurred *TimeRange `json:"occurred"`
}

// CustomerFilter selects charges by their customer.
type CustomerFilter struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// TimeRange bounds a list by time: occurred[min] and occurred[max] (or
// first_seen, created), sent as unix seconds. Both ends are taken as
// inclusive: ChargeDesk does not document it either way (see
// docs/api-compat.md).
type TimeRange struct {
	Min *time.Time `json:"min"`
	Max *time.Time `json:"max"`
}

// CustomerListParams filter a list of customers. FirstSeen bounds when
// ChargeDesk first saw them (first_seen[min], first_seen[max]), a filter
// ChargeDesk documents and the seed lacks.
type CustomerListParams struct {
	ListParams
	Query     string     `json:"query"`
	FirstSeen *TimeRange `json:"first_seen"`
}

// SubscriptionListParams filter a list of subscriptions. Created bounds
// when they were created (created[min], created[max]), a filter ChargeDesk
// documents and the seed lacks.
type SubscriptionListParams struct {
	ListParams
	Status   chargedesk.SubscriptionStatus `json:"status"`
	Customer *Ref                          `json:"customer"`
	Created  *TimeRange                    `json:"created"`
}

// ProductListParams page through products.
type ProductListParams struct {
	ListParams
}

// GatewayChargeParams create a live charge, subscription or payment
// request through the platform (gatewayCreateCharge). Using is "card" for a
// charge and "invoice" for a payment request.
type GatewayChargeParams struct {
	Using       string             `json:"using"`
	Customer    *Ref               `json:"customer"`
	Amount      *chargedesk.Amount `json:"amount"`
	Currency    string             `json:"currency"`
	Description string             `json:"description"`
	Product     *GatewayProduct    `json:"product"`
	// Contact is the email a payment request goes to.
	Contact string `json:"contact"`
	// LinkOnly returns the pay link without emailing it.
	LinkOnly *bool             `json:"link_only"`
	Lines    []string          `json:"lines"`
	Metadata map[string]string `json:"metadata"`
}

// GatewayProduct makes a gateway charge a subscription.
type GatewayProduct struct {
	Interval           string `json:"interval"`
	IntervalCount      *int   `json:"interval_count"`
	TrialPeriodDays    *int   `json:"trial_period_days"`
	BillingCyclesTotal *int   `json:"billing_cycles_total"`
}

// RefundParams refund a charge: Amount (nil refunds it in full) and the
// reason logged with it.
type RefundParams struct {
	Amount    *chargedesk.Amount `json:"amount"`
	LogReason string             `json:"log_reason"`
}

// CaptureParams capture an authorized charge; an Amount of 0 voids it.
type CaptureParams struct {
	Amount *chargedesk.Amount `json:"amount"`
}

// CancelParams cancel a subscription.
type CancelParams struct {
	LogReason string `json:"log_reason"`
}

// EditPlansParams replace a subscription's plans.
type EditPlansParams struct {
	Plans    []PlanParams `json:"plans"`
	TrialEnd *time.Time   `json:"trial_end"`
	Prorate  *bool        `json:"prorate"`
	Invoice  *bool        `json:"invoice"`
}

// PlanParams is one plan of EditPlansParams.
type PlanParams struct {
	ID       string `json:"id"`
	Quantity *int   `json:"quantity"`
}

// maxIDLen bounds a record id, as the receiver bounds the ids it accepts.
const maxIDLen = 255

// ValidationError is a params struct that cannot be sent as it is; it is
// returned before anything is sent.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return "chargedesk api: " + e.Field + " " + e.Reason
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func checkID(field, id string) error {
	switch {
	case id == "":
		return invalid(field, "is required")
	case len(id) > maxIDLen:
		return invalid(field, "is longer than %d bytes", maxIDLen)
	case !utf8.ValidString(id):
		return invalid(field, "is not valid UTF-8")
	}
	return nil
}

func checkMoney(field string, a *chargedesk.Amount, currency string, required bool) error {
	if a == nil {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if currency == "" {
		return nil
	}
	if _, err := a.MinorUnits(currency); err != nil {
		return invalid(field, "does not fit currency %s: %v", currency, err)
	}
	return nil
}

func checkCurrency(currency string, required bool) error {
	if currency == "" {
		if required {
			return invalid("currency", "is required")
		}
		return nil
	}
	if _, ok := chargedesk.CurrencyMinorUnits(currency); !ok {
		return invalid("currency", "is not an ISO 4217 code")
	}
	return nil
}

func checkInterval(interval string) error {
	switch interval {
	case "", "day", "week", "month", "year":
		return nil
	}
	return invalid("interval", "must be day, week, month or year")
}

// validate checks p before it is sent; create and upsert need more fields
// than an update.
func (p *ChargeParams) validate(op string) error {
	if p == nil {
		return errors.New("chargedesk api: no charge params")
	}
	if op == "upsert" {
		if err := checkID("transaction_id", p.TransactionID); err != nil {
			return err
		}
	}
	full := op != "update"
	if err := checkCurrency(p.Currency, full); err != nil {
		return err
	}
	if err := checkMoney("amount", p.Amount, p.Currency, full); err != nil {
		return err
	}
	if err := checkMoney("amount_refunded", p.AmountRefunded, p.Currency, false); err != nil {
		return err
	}
	if full && (p.Customer == nil || p.Customer.ID == "") {
		return invalid("customer[id]", "is required")
	}
	if p.Status != "" && !p.Status.Valid() {
		return invalid("status", "is not a charge status")
	}
	for _, l := range p.Lines {
		if l == "" {
			return invalid("lines[]", "holds an empty line")
		}
	}
	return nil
}

func validateCustomer(p *CustomerParams, op string) error {
	if p == nil {
		return errors.New("chargedesk api: no customer params")
	}
	if op != "update" {
		return checkID("customer_id", p.CustomerID)
	}
	return nil
}

func validateSubscription(p *SubscriptionParams, op string) error {
	if p == nil {
		return errors.New("chargedesk api: no subscription params")
	}
	if op != "update" {
		if err := checkID("subscription_id", p.SubscriptionID); err != nil {
			return err
		}
	}
	if err := checkCurrency(p.Currency, false); err != nil {
		return err
	}
	if err := checkMoney("amount", p.Amount, p.Currency, false); err != nil {
		return err
	}
	if p.Status != "" && !p.Status.Valid() {
		return invalid("status", "is not a subscription status")
	}
	return checkInterval(p.Interval)
}

func validateProduct(p *ProductParams, op string) error {
	if p == nil {
		return errors.New("chargedesk api: no product params")
	}
	if op != "update" {
		if err := checkID("product_id", p.ProductID); err != nil {
			return err
		}
	}
	if err := checkCurrency(p.Currency, false); err != nil {
		return err
	}
	if err := checkMoney("amount", p.Amount, p.Currency, false); err != nil {
		return err
	}
	if err := checkMoney("setup_amount", p.SetupAmount, p.Currency, false); err != nil {
		return err
	}
	return checkInterval(p.Interval)
}

func (p ListParams) validate() error {
	if p.Count < 0 || p.Count > MaxCount {
		return invalid("count", "must be between 1 and %d", MaxCount)
	}
	if p.Offset < 0 || p.Offset > MaxOffset {
		return invalid("offset", "must be between 0 and %d", MaxOffset)
	}
	return nil
}

// validate checks the params of a create, upsert or update before they are
// sent.
func validate(p any, op string) error {
	switch p := p.(type) {
	case *ChargeParams:
		return p.validate(op)
	case *CustomerParams:
		return validateCustomer(p, op)
	case *SubscriptionParams:
		return validateSubscription(p, op)
	case *ProductParams:
		return validateProduct(p, op)
	}
	return fmt.Errorf("chargedesk api: cannot send a %T", p)
}
