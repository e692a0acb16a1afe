package apitest

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// render writes a record as the Server's Shape answers it.
func (s *Server) render(name string, r record) any {
	if s.opts.Shape.seed() {
		return s.seedObject(name, r)
	}
	return s.docObject(r)
}

// wrap is a gateway operation's answer: the record under its class name
// in ChargeDesk's documented shape, bare in the seed's.
func (s *Server) wrap(name string, r record) any {
	out := s.render(name, r)
	if s.opts.Shape.seed() {
		return out
	}
	return map[string]any{resources[name].object: out}
}

// customerObject is a customer in ChargeDesk's shape. Its documentation
// shows no example; these are the fields its live answers have been seen to
// carry (customer_id, first_seen, 0/1 as text), with the input's
// billing_address as an object.
type customerObject struct {
	CustomerID      string           `json:"customer_id"`
	FirstSeen       int64            `json:"first_seen"`
	Name            string           `json:"name"`
	Email           string           `json:"email"`
	Phone           string           `json:"phone"`
	Username        string           `json:"username"`
	Company         string           `json:"company"`
	CustomerCompany string           `json:"customer_company"`
	Website         string           `json:"website"`
	Description     string           `json:"description"`
	Country         string           `json:"country"`
	Delinquent      string           `json:"delinquent"`
	CardOnFile      string           `json:"card_on_file"`
	TaxNumber       string           `json:"tax_number"`
	BillingAddress  any              `json:"billing_address"`
	InvoiceDetails  string           `json:"invoice_details"`
	Metadata        any              `json:"metadata"`
	Logs            []map[string]any `json:"logs"`
	Charges         int              `json:"charges"`
	Object          string           `json:"object"`
	ManageURL       string           `json:"manage_url"`
}

// productObject is a product in ChargeDesk's shape, likewise from what its
// live answers have been seen to carry (numbers and booleans as text).
type productObject struct {
	ProductID          string           `json:"product_id"`
	Name               string           `json:"name"`
	Description        string           `json:"description"`
	URL                string           `json:"url"`
	Amount             string           `json:"amount"`
	Currency           string           `json:"currency"`
	Interval           string           `json:"interval"`
	Chargeable         string           `json:"chargeable"`
	SetupAmount        string           `json:"setup_amount"`
	TrialPeriodDays    string           `json:"trial_period_days"`
	BillingCyclesTotal string           `json:"billing_cycles_total"`
	FirstSeen          int64            `json:"first_seen"`
	Status             string           `json:"status"`
	Company            string           `json:"company"`
	AmountSymbol       string           `json:"amount_symbol"`
	AmountFormatted    string           `json:"amount_formatted"`
	ReadableInterval   string           `json:"readable_interval"`
	Logs               []map[string]any `json:"logs"`
	Object             string           `json:"object"`
}

// docObject is a record in ChargeDesk's documented shape. A charge and a
// subscription are the objects its webhooks carry, with every field of the
// documented examples; a payment request's charge adds pay_link. A
// customer and a product, which the documentation shows no example of,
// follow the same habits.
func (s *Server) docObject(r record) any {
	switch r := r.(type) {
	case *charge:
		o := s.chargeObject(r)
		o.PayLink = r.payLink()
		return o
	case *subscription:
		return s.subscriptionObject(r)
	case *customer:
		charges := 0
		if l := s.stores["charges"].list(indexKey("customer", r.id)); l != nil {
			charges = l.len()
		}
		return &customerObject{
			CustomerID: r.id, FirstSeen: int64(r.created), Name: r.Name, Email: r.Email, Phone: r.Phone,
			Username: r.Username, Company: "company-" + company, CustomerCompany: r.CustomerCompany,
			Website: r.Website, Description: r.Description, Country: r.Country,
			Delinquent: strconv.Itoa(phpBool(r.Delinquent)), CardOnFile: strconv.Itoa(phpBool(r.CardOnFile)),
			TaxNumber: r.TaxNumber, BillingAddress: phpObject(pairs(r.BillingAddress)), InvoiceDetails: r.InvoiceDetails,
			Metadata: phpObject(r.Metadata), Logs: logs(r.entries()), Charges: charges, Object: "customer",
			ManageURL: manageURL("customers", r.id),
		}
	case *product:
		amount := formatAmount(r.Amount, r.Currency)
		return &productObject{
			ProductID: r.id, Name: r.Name, Description: r.Description, URL: r.URL, Amount: amount,
			Currency: r.Currency, Interval: r.Interval, Chargeable: strconv.Itoa(phpBool(r.Chargeable)),
			SetupAmount:        formatAmount(r.SetupAmount, r.Currency),
			TrialPeriodDays:    strconv.FormatInt(r.TrialPeriodDays, 10),
			BillingCyclesTotal: strconv.FormatInt(r.BillingCyclesTotal, 10),
			FirstSeen:          int64(r.created), Status: "active", Company: "company-" + company,
			AmountSymbol: symbols[r.Currency], AmountFormatted: formatted(amount, r.Currency),
			ReadableInterval: readable(r.Interval), Logs: logs(r.entries()), Object: "product",
		}
	}
	return nil
}

// seedObject is a record in the seed specification's shape: its fields
// only, id and object first, with JSON numbers, RFC 3339 times (null when
// unset), true and false, and objects for metadata and billing_address.
func (s *Server) seedObject(name string, r record) map[string]any {
	b := r.meta()
	out := map[string]any{"id": b.id, "object": resources[name].object}
	switch r := r.(type) {
	case *charge:
		out["status"], out["amount"], out["currency"] = r.Status, number(r.Amount, r.Currency), r.Currency
		out["amount_refunded"], out["description"] = number(r.AmountRefunded, r.Currency), r.Description
		out["transaction_id"], out["last_4_digits"] = r.TransactionID, r.Last4Digits
		s.refs(out, r)
		out["lines"], out["metadata"] = lineItems(b.id, r.Lines.list(), r.Currency, true), object(r.Metadata)
		out["occurred"] = dateTime(r.Occurred)
		if link := r.payLink(); link != "" {
			out["pay_link"] = link
		}
	case *customer:
		out["customer_id"], out["email"], out["name"], out["phone"] = r.CustomerID, r.Email, r.Name, r.Phone
		out["username"], out["customer_company"], out["website"] = r.Username, r.CustomerCompany, r.Website
		out["description"], out["country"], out["delinquent"] = r.Description, r.Country, r.Delinquent
		out["card_on_file"], out["tax_number"] = r.CardOnFile, r.TaxNumber
		out["billing_address"], out["invoice_details"] = object(pairs(r.BillingAddress)), r.InvoiceDetails
		out["metadata"] = object(r.Metadata)
	case *subscription:
		out["subscription_id"], out["customer_id"], out["status"] = r.SubscriptionID, r.CustomerID, r.Status
		out["amount"], out["currency"], out["interval"] = number(r.Amount, r.Currency), r.Currency, r.Interval
		out["interval_count"], out["quantity"] = r.IntervalCount, r.Quantity
		out["trial_start"], out["trial_end"] = dateTime(r.TrialStart), dateTime(r.TrialEnd)
		out["billing_cycles_total"], out["billing_cycles_current"] = r.BillingCyclesTotal, r.BillingCyclesCurrent
		items := []any{}
		for _, id := range r.Items.list() {
			items = append(items, map[string]any{"id": id})
		}
		out["items"], out["metadata"] = items, object(r.Metadata)
	case *product:
		out["product_id"], out["name"], out["description"], out["url"] = r.ProductID, r.Name, r.Description, r.URL
		out["amount"], out["currency"], out["interval"] = number(r.Amount, r.Currency), r.Currency, r.Interval
		out["trial_period_days"], out["billing_cycles_total"] = r.TrialPeriodDays, r.BillingCyclesTotal
		out["setup_amount"], out["chargeable"] = number(r.SetupAmount, r.Currency), r.Chargeable
	}
	return out
}

// merged is a record with every field of both shapes, the documented
// shape's values winning: what Record and Records return.
func (s *Server) merged(r record) map[string]any {
	out := objectMap(s.docObject(r))
	b := r.meta()
	out["id"] = b.id
	if c, ok := r.(*charge); ok {
		s.refs(out, c)
		out["lines"] = lineItems(b.id, c.Lines.list(), c.Currency, false)
	}
	return out
}

// objectMap is the struct v points to as a map by its JSON names, its
// values as they are (a nil pointer as nil), without the empty ones tagged
// omitempty.
func objectMap(v any) map[string]any {
	rv := reflect.ValueOf(v).Elem()
	t := rv.Type()
	out := make(map[string]any, t.NumField()+5)
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := rv.Field(i)
		if opts == "omitempty" && f.IsZero() {
			continue
		}
		switch {
		case f.Kind() == reflect.Pointer && f.IsNil():
			out[name] = nil
		case f.Kind() == reflect.Pointer:
			out[name] = f.Elem().Interface()
		default:
			out[name] = f.Interface()
		}
	}
	return out
}

// refs adds a charge's customer, product and subscription as the seed
// nests them.
func (s *Server) refs(out map[string]any, c *charge) {
	cust := map[string]any{"id": string(c.Customer), "email": "", "name": ""}
	if found, _ := s.stores["customers"].find(string(c.Customer)).(*customer); found != nil {
		cust["email"], cust["name"] = found.Email, found.Name
	}
	out["customer"] = cust
	out["product"] = map[string]any{"id": string(c.Product), "name": s.productName(string(c.Product))}
	out["subscription"] = map[string]any{"id": string(c.Subscription)}
}

// lineItems are a charge's lines as the seed's line items; number writes
// their amounts as JSON numbers.
func lineItems(chargeID string, lines []string, currency string, number bool) []any {
	out := make([]any, 0, len(lines))
	for i, l := range lines {
		var amount any = "0"
		if number {
			amount = json.Number("0")
		}
		out = append(out, map[string]any{
			"id": chargeID + "-line-" + strconv.Itoa(i+1), "description": l, "quantity": 1, "currency": currency,
			"amount": amount,
		})
	}
	return out
}

// itemRows are a charge's lines as ChargeDesk's documented charge items.
func itemRows(chargeID string, lines []string, currency string) []any {
	out := make([]any, 0, len(lines))
	zero := formatAmount(chargedesk.Amount{}, currency)
	for i, l := range lines {
		out = append(out, map[string]any{
			"item_id": chargeID + "-line-" + strconv.Itoa(i+1), "ord": strconv.Itoa(i + 1), "description": l,
			"quantity": "1", "amount": zero, "amount_formatted": formatted(zero, currency), "currency": currency,
		})
	}
	return out
}

// logs are a record's log entries as objects ([] when none).
func logs(l []logEntry) []map[string]any {
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		m := map[string]any{"time": e.Time, "action": e.Action, "message": e.Message}
		if e.Detail != "" {
			m["detail"] = e.Detail
		}
		out = append(out, m)
	}
	return out
}

// phpObject is a string map as PHP writes it: [] when empty.
func phpObject(p pairs) any {
	if len(p) == 0 {
		return []any{}
	}
	return p.toMap()
}

// object is a string map as the seed writes it: {} when empty.
func object(p pairs) map[string]string {
	if m := p.toMap(); m != nil {
		return m
	}
	return map[string]string{}
}

func phpBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// number is an amount as an exact JSON number at the currency's scale.
func number(a chargedesk.Amount, currency string) json.Number {
	return json.Number(formatAmount(a, currency))
}

// dateTime is a time in RFC 3339, or nil when unset.
func dateTime(t unix) any {
	if t == 0 {
		return nil
	}
	return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
}

// formatAmount writes an amount as a string at the currency's scale, as
// ChargeDesk does ("34.00").
func formatAmount(a chargedesk.Amount, currency string) string { return a.Format(currency) }

// formatted is an amount as ChargeDesk shows it: "$34.00 USD".
func formatted(amount, currency string) string {
	return symbols[currency] + amount + " " + currency
}

func manageURL(kind, id string) string {
	return "https://chargedesk.invalid/manage/company-" + company + "/" + kind + "/" + id
}
