package chargedesk

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// Charge is the charge object ChargeDesk sends with refund, capture, void,
// payment request and (when a refund is asked for) cancel webhooks. It has
// every field of ChargeDesk's documented examples; fields ChargeDesk adds
// later are kept in the request's Raw body.
//
// Two ids name a charge: ChargeID is ChargeDesk's own, and TransactionID
// the payment platform's (the charge's unique id for the API's
// duplicate=update, "transaction_id for Charges" on ChargeDesk's page).
// Look the charge up on your platform by TransactionID; a payment request
// that is not on the platform yet has none, until your answer gives it one.
// Customers, subscriptions and products have one id each, the platform's
// (customer_id, subscription_id, product_id).
//
// Decoding is tolerant (see the package doc): amounts are exact, unix
// timestamps become time.Time in UTC with 0 meaning unset (the zero Time),
// and null becomes the zero value. Encoding writes ChargeDesk's own format
// back (timestamps as unix seconds, amounts as numbers).
type Charge struct {
	// ChargeID is ChargeDesk's id of the charge.
	ChargeID string `json:"charge_id" wire:"id"`
	// TransactionID is the payment platform's id of the charge.
	TransactionID  string       `json:"transaction_id" wire:"id"`
	GatewayID      string       `json:"gateway_id"`
	CustomerID     string       `json:"customer_id" wire:"id"`
	ProductID      string       `json:"product_id" wire:"id"`
	SubscriptionID string       `json:"subscription_id" wire:"id"`
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

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (c *Charge) UnmarshalJSON(raw []byte) error {
	*c = Charge{}
	return decodeRecord(raw, c)
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's webhook format.
func (c Charge) MarshalJSON() ([]byte, error) { return wire.Encode(c) }

// Subscription is the subscription object ChargeDesk sends with cancel,
// reactivate and edit plans webhooks, with every field of the documented
// examples. Decoding and encoding follow the rules on [Charge].
type Subscription struct {
	SubscriptionID       string             `json:"subscription_id" wire:"id"`
	GatewayID            string             `json:"gateway_id"`
	CustomerID           string             `json:"customer_id" wire:"id"`
	ProductID            string             `json:"product_id" wire:"id"`
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

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (s *Subscription) UnmarshalJSON(raw []byte) error {
	*s = Subscription{}
	return decodeRecord(raw, s)
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's webhook format.
func (s Subscription) MarshalJSON() ([]byte, error) { return wire.Encode(s) }

// Plan is one entry of an edit plans webhook: a product and how many of it.
type Plan struct {
	ProductID string `json:"product_id" wire:"id"`
	Quantity  int    `json:"quantity"`
}

// UnmarshalJSON implements [json.Unmarshaler]; the product id may arrive as
// a number and the quantity as a string.
func (p *Plan) UnmarshalJSON(raw []byte) error {
	*p = Plan{}
	return decodeRecord(raw, p)
}

// Customer is a customer object, as ChargeDesk sends it with customer
// events and its API returns it. Its id is the platform's own
// (customer_id), which ChargeDesk keeps as the customer's id. Fields
// ChargeDesk adds later are kept in the event's or answer's raw body.
// Decoding and encoding follow the rules on [Charge].
type Customer struct {
	CustomerID      string            `json:"customer_id" wire:"id"`
	Email           string            `json:"email"`
	Name            string            `json:"name"`
	Phone           string            `json:"phone"`
	Username        string            `json:"username"`
	Country         string            `json:"country"`
	CustomerCompany string            `json:"customer_company"`
	Website         string            `json:"website"`
	Description     string            `json:"description"`
	Delinquent      bool              `json:"delinquent"`
	CardOnFile      bool              `json:"card_on_file"`
	TaxNumber       string            `json:"tax_number"`
	BillingAddress  BillingAddress    `json:"billing_address"`
	InvoiceDetails  string            `json:"invoice_details"`
	Metadata        map[string]string `json:"metadata"`
	Object          string            `json:"object"`
	Company         string            `json:"company"`
}

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (c *Customer) UnmarshalJSON(raw []byte) error {
	*c = Customer{}
	return decodeRecord(raw, c)
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's format.
func (c Customer) MarshalJSON() ([]byte, error) { return wire.Encode(c) }

// Product is a product (a plan) object, as ChargeDesk's API returns it.
// Its id is the platform's own (product_id). Decoding and encoding follow
// the rules on [Charge].
type Product struct {
	ProductID          string `json:"product_id" wire:"id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	URL                string `json:"url"`
	Amount             Amount `json:"amount"`
	Currency           string `json:"currency"`
	Interval           string `json:"interval"`
	TrialPeriodDays    int    `json:"trial_period_days"`
	BillingCyclesTotal int    `json:"billing_cycles_total"`
	SetupAmount        Amount `json:"setup_amount"`
	Chargeable         bool   `json:"chargeable"`
	Object             string `json:"object"`
	Company            string `json:"company"`
}

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Charge].
func (p *Product) UnmarshalJSON(raw []byte) error {
	*p = Product{}
	return decodeRecord(raw, p)
}

// MarshalJSON implements [json.Marshaler] in ChargeDesk's format.
func (p Product) MarshalJSON() ([]byte, error) { return wire.Encode(p) }

// decodeRecord decodes a record for json.Unmarshal: null leaves it as the
// caller reset it, PHP's empty array is an empty record, anything else is
// decoded with the package's tolerant rules.
func decodeRecord(raw []byte, v any) error {
	switch trimmed := bytes.TrimSpace(raw); {
	case string(trimmed) == "null", string(trimmed) == "[]", string(trimmed) == "{}":
		return nil
	}
	return wire.Decode(raw, v)
}
