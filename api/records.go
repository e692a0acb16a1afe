package api

import (
	"encoding/json"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// Charge is a charge record as ChargeDesk's API returns it.
type Charge struct {
	// ID is ChargeDesk's identifier of the charge, used in its paths.
	ID             string                  `json:"id"`
	Object         string                  `json:"object"`
	Status         chargedesk.ChargeStatus `json:"status"`
	Amount         chargedesk.Amount       `json:"amount"`
	Currency       string                  `json:"currency"`
	AmountRefunded chargedesk.Amount       `json:"amount_refunded"`
	Description    string                  `json:"description"`
	// TransactionID is the payment platform's id, the charge's unique id
	// for duplicate=update.
	TransactionID string            `json:"transaction_id"`
	Last4Digits   string            `json:"last_4_digits"`
	Customer      CustomerRef       `json:"customer"`
	Product       ProductRef        `json:"product"`
	Subscription  Ref               `json:"subscription"`
	Lines         []LineItem        `json:"lines"`
	Metadata      map[string]string `json:"metadata"`
	// Occurred is when the charge happened, in UTC; zero when unknown.
	Occurred time.Time `json:"occurred"`
	// PayLink is a payment request's pay page.
	PayLink string `json:"pay_link"`
}

// LineItem is a line of a charge.
type LineItem struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Amount      chargedesk.Amount `json:"amount"`
	Quantity    int               `json:"quantity"`
	Currency    string            `json:"currency"`
}

// Ref names a related record by its id: customer[id], product[id],
// subscription[id]. It is the receiver's Ref.
type Ref = chargedesk.Ref

// CustomerRef is the customer a charge belongs to.
type CustomerRef struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// ProductRef is the product a charge is for.
type ProductRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Customer is a customer record.
type Customer struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	CustomerID      string            `json:"customer_id"`
	Email           string            `json:"email"`
	Name            string            `json:"name"`
	Phone           string            `json:"phone"`
	Username        string            `json:"username"`
	CustomerCompany string            `json:"customer_company"`
	Website         string            `json:"website"`
	Description     string            `json:"description"`
	Country         string            `json:"country"`
	Delinquent      bool              `json:"delinquent"`
	CardOnFile      bool              `json:"card_on_file"`
	TaxNumber       string            `json:"tax_number"`
	BillingAddress  Address           `json:"billing_address"`
	InvoiceDetails  string            `json:"invoice_details"`
	Metadata        map[string]string `json:"metadata"`
}

// Address is a customer's billing address: the receiver's own type, as the
// API and a webhook answer share ChargeDesk's fields.
type Address = chargedesk.BillingAddress

// Subscription is a subscription record.
type Subscription struct {
	ID                   string                        `json:"id"`
	Object               string                        `json:"object"`
	SubscriptionID       string                        `json:"subscription_id"`
	CustomerID           string                        `json:"customer_id"`
	Status               chargedesk.SubscriptionStatus `json:"status"`
	Amount               chargedesk.Amount             `json:"amount"`
	Currency             string                        `json:"currency"`
	Interval             string                        `json:"interval"`
	IntervalCount        int                           `json:"interval_count"`
	Quantity             int                           `json:"quantity"`
	TrialStart           time.Time                     `json:"trial_start"`
	TrialEnd             time.Time                     `json:"trial_end"`
	BillingCyclesTotal   int                           `json:"billing_cycles_total"`
	BillingCyclesCurrent int                           `json:"billing_cycles_current"`
	// Items are the subscription's items as sent; the spec leaves their
	// fields open.
	Items    []json.RawMessage `json:"items"`
	Metadata map[string]string `json:"metadata"`
}

// Product is a product record.
type Product struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	ProductID          string            `json:"product_id"`
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	URL                string            `json:"url"`
	Amount             chargedesk.Amount `json:"amount"`
	Currency           string            `json:"currency"`
	Interval           string            `json:"interval"`
	TrialPeriodDays    int               `json:"trial_period_days"`
	BillingCyclesTotal int               `json:"billing_cycles_total"`
	SetupAmount        chargedesk.Amount `json:"setup_amount"`
	Chargeable         bool              `json:"chargeable"`
}

// Webhook is a webhook configuration.
type Webhook struct {
	ID      string    `json:"id"`
	Object  string    `json:"object"`
	URL     string    `json:"url"`
	Events  []string  `json:"events"`
	Active  bool      `json:"active"`
	Created time.Time `json:"created"`
}

// page is a list envelope: {object: "list", data, total_count, count, offset}.
type page[T any] struct {
	Object     string `json:"object"`
	Data       []T    `json:"data"`
	TotalCount int    `json:"total_count"`
	Count      int    `json:"count"`
	Offset     int    `json:"offset"`
}
