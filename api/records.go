package api

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// Charge is a charge record as ChargeDesk's API answers it, in either of
// the two shapes an answer may have (see docs/api-compat.md):
//
//   - ChargeDesk's documented shape, the charge object its webhooks carry
//     (charge_id, customer_id, customer_email, amount "34.00",
//     amount_formatted, company, ...): the embedded [chargedesk.Charge],
//     the receiver's own type.
//   - The seed specification's shape (id, object, a nested customer {id,
//     email, name}, product, subscription, lines, numbers): the fields
//     declared here.
//
// Either decodes bare or wrapped under its class name ({"charge": {...}}),
// in a list too, with the receiver's tolerance (numbers as strings, 0/1
// booleans, [] for an empty object, unix seconds or RFC 3339 times). After
// decoding, each id is in both of its places, whichever shape came:
//
//   - ID and ChargeID are ChargeDesk's own id of the charge (the seed's id,
//     the docs' charge_id): the id its paths take.
//   - TransactionID is the payment platform's id of the charge, its unique
//     id for duplicate=update.
//   - Customer.ID and CustomerID, Product.ID and ProductID, Subscription.ID
//     and SubscriptionID are the related records' ids, which are the
//     platform's own: ChargeDesk keeps a customer's, subscription's or
//     product's platform id as its id. Customer.Email and CustomerEmail,
//     Customer.Name and CustomerName are likewise filled from each other.
//
// When an answer carries both places and they differ, each keeps what came.
// It encodes with every field of both shapes.
type Charge struct {
	chargedesk.Charge
	// ID is ChargeDesk's id of the charge, as the seed's shape names it;
	// the same as ChargeID.
	ID string `json:"id"`
	// Customer is the charge's customer, as the seed's shape nests it.
	Customer CustomerRef `json:"customer"`
	// Product is the charge's product, as the seed's shape nests it.
	Product ProductRef `json:"product"`
	// Subscription is the charge's subscription, as the seed's shape nests
	// it.
	Subscription Ref `json:"subscription"`
	// Lines are the charge's line items in the seed's shape; ChargeDesk's
	// documented charge has none (read them with ChargesService.Items).
	Lines []LineItem `json:"lines"`
	// PayLink is a payment request's pay page.
	PayLink string `json:"pay_link"`
}

// chargeShape is Charge without its methods, for wire.Decode and
// json.Marshal.
type chargeShape Charge

// chargeSeedFields are the fields Charge adds to the receiver's Charge.
type chargeSeedFields struct {
	ID           string      `json:"id"`
	Customer     CustomerRef `json:"customer"`
	Product      ProductRef  `json:"product"`
	Subscription Ref         `json:"subscription"`
	Lines        []LineItem  `json:"lines"`
	PayLink      string      `json:"pay_link"`
}

// UnmarshalJSON decodes either shape, bare or wrapped under "charge", as
// described on [Charge]. A value of the wrong type names its field, never
// the value.
func (c *Charge) UnmarshalJSON(raw []byte) error {
	*c = Charge{}
	if err := wire.Decode(unwrap(raw, "charge"), (*chargeShape)(c)); err != nil {
		return err
	}
	c.fill()
	return nil
}

// fill puts each id in both of its places, as described on [Charge].
func (c *Charge) fill() {
	both(&c.ID, &c.ChargeID)
	both(&c.Customer.ID, &c.CustomerID)
	both(&c.Customer.Email, &c.CustomerEmail)
	both(&c.Customer.Name, &c.CustomerName)
	both(&c.Product.ID, &c.ProductID)
	both(&c.Subscription.ID, &c.SubscriptionID)
	fillAll(c.Lines)
}

// MarshalJSON writes the charge with every field of both shapes: the
// receiver's charge object (amounts as numbers, times as unix seconds) and
// the seed's id, customer, product, subscription, lines and pay_link.
func (c Charge) MarshalJSON() ([]byte, error) {
	return joinObjects(c.Charge, chargeSeedFields{ID: c.ID, Customer: c.Customer, Product: c.Product,
		Subscription: c.Subscription, Lines: c.Lines, PayLink: c.PayLink})
}

// LineItem is a line of a charge: the seed's lines ({id, description,
// amount, quantity, currency}) or a row of ChargeDesk's documented charge
// items ({item_id, ord, description, amount, amount_formatted, quantity,
// percent, currency}). ID and ItemID are filled from each other.
type LineItem struct {
	ID              string            `json:"id"`
	ItemID          string            `json:"item_id"`
	Ord             int               `json:"ord"`
	Description     string            `json:"description"`
	Amount          chargedesk.Amount `json:"amount"`
	AmountFormatted string            `json:"amount_formatted"`
	Quantity        int               `json:"quantity"`
	Percent         string            `json:"percent"`
	Currency        string            `json:"currency"`
}

type lineItemShape LineItem

// UnmarshalJSON decodes a line in either shape.
func (l *LineItem) UnmarshalJSON(raw []byte) error {
	*l = LineItem{}
	if err := wire.Decode(raw, (*lineItemShape)(l)); err != nil {
		return err
	}
	l.fill()
	return nil
}

func (l *LineItem) fill() { both(&l.ID, &l.ItemID) }

// Ref names a related record by its id: customer[id], product[id],
// subscription[id]. It is the receiver's Ref.
type Ref = chargedesk.Ref

// CustomerRef is the customer a charge belongs to, as the seed's shape
// nests it. ID is the customer's id, which is the platform's customer_id.
type CustomerRef struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// ProductRef is the product a charge is for, as the seed's shape nests it.
// ID is the product's id, which is the platform's product_id.
type ProductRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Customer is a customer record, in the seed's shape (id, object, boolean
// delinquent and card_on_file, billing_address as an object) or in the
// shape ChargeDesk answers (customer_id, first_seen, 0/1 text for the
// booleans, and, as ChargeDesk's live answers have been seen to carry it,
// billing_address as one text), bare or wrapped under "customer".
// ChargeDesk keeps the platform's customer_id as the customer's id: ID and
// CustomerID are the same id, each filled from the other.
type Customer struct {
	ID              string            `json:"id"`
	CustomerID      string            `json:"customer_id"`
	Object          string            `json:"object"`
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
	BillingAddress  CustomerAddress   `json:"billing_address"`
	InvoiceDetails  string            `json:"invoice_details"`
	Metadata        map[string]string `json:"metadata"`
	// FirstSeen is when ChargeDesk first saw the customer; zero when the
	// answer does not say (the seed's shape).
	FirstSeen time.Time `json:"first_seen"`
	// Company is ChargeDesk's company the record belongs to (not the
	// customer's own company, which is CustomerCompany).
	Company   string `json:"company"`
	ManageURL string `json:"manage_url"`
}

type customerShape Customer

// UnmarshalJSON decodes either shape, bare or wrapped under "customer".
func (c *Customer) UnmarshalJSON(raw []byte) error {
	*c = Customer{}
	if err := wire.Decode(unwrap(raw, "customer"), (*customerShape)(c)); err != nil {
		return err
	}
	c.fill()
	return nil
}

func (c *Customer) fill() { both(&c.ID, &c.CustomerID) }

// Address is a customer's billing address: the receiver's own type, as the
// API and a webhook answer share ChargeDesk's fields.
type Address = chargedesk.BillingAddress

// CustomerAddress is a customer record's billing address: an object of
// lines (the seed's shape, and what CustomerParams sends), or one text,
// kept in Text with the other fields empty. null, "" and [] are no address.
type CustomerAddress struct {
	Address
	Text string `json:"-"`
}

// UnmarshalJSON reads an address object or an address text.
func (a *CustomerAddress) UnmarshalJSON(raw []byte) error {
	*a = CustomerAddress{}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		a.Text = wire.RawText(raw)
		return nil
	}
	return wire.Decode(raw, &a.Address)
}

// MarshalJSON writes the text when the address is one, else the object.
func (a CustomerAddress) MarshalJSON() ([]byte, error) {
	if a.Text != "" {
		return json.Marshal(a.Text)
	}
	return json.Marshal(a.Address)
}

// Subscription is a subscription record: ChargeDesk's documented
// subscription object (the embedded [chargedesk.Subscription], the
// receiver's own type: subscription_id, "34.00", unix times, ...) or the
// seed's shape (id, object, items as objects, RFC 3339 times, numbers),
// bare or wrapped under "subscription". ChargeDesk keeps the platform's
// subscription_id as the subscription's id: ID and SubscriptionID are the
// same id, each filled from the other; CustomerID is the platform's
// customer_id. It encodes with every field of both shapes.
type Subscription struct {
	chargedesk.Subscription
	// ID is the subscription's id as the seed's shape names it; the same as
	// SubscriptionID.
	ID string `json:"id"`
	// Items are the subscription's items, one JSON value each as sent (the
	// seed leaves their fields open); the receiver's raw Items holds the
	// same list whole.
	Items []json.RawMessage `json:"items"`
}

type subscriptionShape Subscription

type subscriptionSeedFields struct {
	ID string `json:"id"`
}

// UnmarshalJSON decodes either shape, bare or wrapped under
// "subscription".
func (s *Subscription) UnmarshalJSON(raw []byte) error {
	*s = Subscription{}
	if err := wire.Decode(unwrap(raw, "subscription"), (*subscriptionShape)(s)); err != nil {
		return err
	}
	s.fill()
	return nil
}

func (s *Subscription) fill() { both(&s.ID, &s.SubscriptionID) }

// MarshalJSON writes the subscription with every field of both shapes.
func (s Subscription) MarshalJSON() ([]byte, error) {
	inner := s.Subscription
	if s.Items != nil { // written once, from the outer Items
		items, err := json.Marshal(s.Items)
		if err != nil {
			return nil, err
		}
		inner.Items = items
	}
	return joinObjects(inner, subscriptionSeedFields{ID: s.ID})
}

// Product is a product record, in the seed's shape (id, object, numbers,
// a boolean chargeable) or in the shape ChargeDesk answers (product_id,
// first_seen, numbers and booleans as text), bare or wrapped under
// "product". ChargeDesk keeps the platform's product_id as the product's
// id: ID and ProductID are the same id, each filled from the other.
type Product struct {
	ID                 string            `json:"id"`
	ProductID          string            `json:"product_id"`
	Object             string            `json:"object"`
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	URL                string            `json:"url"`
	Amount             chargedesk.Amount `json:"amount"`
	Currency           string            `json:"currency"`
	Interval           string            `json:"interval"`
	IntervalCount      int               `json:"interval_count"`
	TrialPeriodDays    int               `json:"trial_period_days"`
	BillingCyclesTotal int               `json:"billing_cycles_total"`
	SetupAmount        chargedesk.Amount `json:"setup_amount"`
	Chargeable         bool              `json:"chargeable"`
	Status             string            `json:"status"`
	// FirstSeen is when ChargeDesk first saw the product; zero when the
	// answer does not say (the seed's shape).
	FirstSeen        time.Time `json:"first_seen"`
	Company          string    `json:"company"`
	AmountFormatted  string    `json:"amount_formatted"`
	ReadableInterval string    `json:"readable_interval"`
}

type productShape Product

// UnmarshalJSON decodes either shape, bare or wrapped under "product".
func (p *Product) UnmarshalJSON(raw []byte) error {
	*p = Product{}
	if err := wire.Decode(unwrap(raw, "product"), (*productShape)(p)); err != nil {
		return err
	}
	p.fill()
	return nil
}

func (p *Product) fill() { both(&p.ID, &p.ProductID) }

// Webhook is a webhook configuration: the seed's object (id, url, events,
// active, created) or ChargeDesk's documented answer to a create
// (webhook_id), bare or wrapped under "webhook". ID and WebhookID are
// filled from each other.
type Webhook struct {
	ID        string        `json:"id"`
	WebhookID string        `json:"webhook_id"`
	Object    string        `json:"object"`
	URL       string        `json:"url"`
	Events    []events.Name `json:"events"`
	Active    bool          `json:"active"`
	Created   time.Time     `json:"created"`
}

type webhookShape Webhook

// UnmarshalJSON decodes either shape, bare or wrapped under "webhook".
func (w *Webhook) UnmarshalJSON(raw []byte) error {
	*w = Webhook{}
	if err := wire.Decode(unwrap(raw, "webhook"), (*webhookShape)(w)); err != nil {
		return err
	}
	w.fill()
	return nil
}

func (w *Webhook) fill() { both(&w.ID, &w.WebhookID) }

// page is a list envelope: ChargeDesk's {data: [...]}, which the seed
// extends with object, total_count, count and offset.
type page[T any] struct {
	Object     string `json:"object"`
	Data       []T    `json:"data"`
	TotalCount int    `json:"total_count"`
	Count      int    `json:"count"`
	Offset     int    `json:"offset"`
}

// itemsPage is a charge's items: the seed's {data: [...]} or ChargeDesk's
// documented {items: [...], taxes: [...]}.
type itemsPage struct {
	Data  []LineItem `json:"data"`
	Items []LineItem `json:"items"`
}

// unwrap returns the member of the JSON object raw named class when it is
// an object: an answer wrapped under its class name ({"charge": {...}}), as
// ChargeDesk's gateway operations answer. No record has a member named
// after its own class, so a bare record is returned as it is; so is
// anything that is not an object, for the decoder to refuse in its words.
func unwrap(raw []byte, class string) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return raw
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return raw
	}
	inner := bytes.TrimSpace(members[class])
	if len(inner) > 0 && inner[0] == '{' {
		return inner
	}
	return raw
}

// filler is a record whose ids are filled from each other once decoded:
// wire.Decode reads a record nested in another member by member, without
// its UnmarshalJSON, so whatever decodes a list of them fills them after.
type filler interface{ fill() }

// fillAll fills every record of list that is a filler.
func fillAll[T any](list []T) {
	for i := range list {
		if f, ok := any(&list[i]).(filler); ok {
			f.fill()
		}
	}
}

// both fills whichever of a and b is empty from the other.
func both(a, b *string) {
	switch {
	case *a == "":
		*a = *b
	case *b == "":
		*b = *a
	}
}

// joinObjects encodes a and b, two structs that encode as JSON objects with
// no key in common, as one object.
func joinObjects(a, b any) ([]byte, error) {
	first, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	second, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	first = bytes.TrimSpace(first)
	second = bytes.TrimSpace(second)
	if len(first) < 2 || len(second) < 2 {
		return first, nil
	}
	if len(first) == 2 {
		return second, nil
	}
	if len(second) == 2 {
		return first, nil
	}
	out := make([]byte, 0, len(first)+len(second))
	out = append(out, first[:len(first)-1]...)
	out = append(out, ',')
	return append(out, second[1:]...), nil
}
