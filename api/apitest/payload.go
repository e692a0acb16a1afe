package apitest

import (
	"strconv"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// company is the ChargeDesk company the local records belong to.
const company = "local"

var symbols = map[string]string{"USD": "$", "AUD": "$", "CAD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

// chargeObject is ChargeDesk's charge object: what its webhooks carry and
// its documented answers show, with every field of the documented
// examples, in their order.
type chargeObject struct {
	Amount                  string           `json:"amount"`
	AmountRefunded          string           `json:"amount_refunded"`
	Currency                string           `json:"currency"`
	PaymentMethod           string           `json:"payment_method"`
	PaymentMethodBrand      string           `json:"payment_method_brand"`
	GatewayID               string           `json:"gateway_id"`
	ChargeID                string           `json:"charge_id"`
	CustomerID              string           `json:"customer_id"`
	ProductID               string           `json:"product_id"`
	SubscriptionID          string           `json:"subscription_id"`
	TransactionID           string           `json:"transaction_id"`
	CustomerName            *string          `json:"customer_name"`
	CustomerEmail           *string          `json:"customer_email"`
	CustomerUsername        *string          `json:"customer_username"`
	CustomerCountry         *string          `json:"customer_country"`
	Description             string           `json:"description"`
	Last4Digits             string           `json:"last_4_digits"`
	Occurred                int64            `json:"occurred"`
	Object                  string           `json:"object"`
	AmountWithCommas        string           `json:"amount_with_commas"`
	AmountRefundedFormatted string           `json:"amount_refunded_formatted"`
	AmountSymbol            string           `json:"amount_symbol"`
	AmountFormatted         string           `json:"amount_formatted"`
	IsPaid                  bool             `json:"is_paid"`
	Status                  string           `json:"status"`
	StatusText              string           `json:"status_text"`
	SupportEmail            string           `json:"support_email"`
	SupportURL              string           `json:"support_url"`
	ManageURL               string           `json:"manage_url"`
	InvoiceURL              string           `json:"invoice_url"`
	InvoiceDownloadURL      string           `json:"invoice_download_url"`
	CustomerPhone           *string          `json:"customer_phone"`
	MethodsSupported        []string         `json:"methods_supported"`
	MethodsActive           []string         `json:"methods_active"`
	OccurredRelative        string           `json:"occurred_relative"`
	OccurredFormatted       string           `json:"occurred_formatted"`
	PaymentMethodDescribe   string           `json:"payment_method_describe"`
	AddedTax                string           `json:"added_tax"`
	InvoiceCompany          *string          `json:"invoice_company"`
	Company                 string           `json:"company"`
	Metadata                any              `json:"metadata"`
	Logs                    []map[string]any `json:"logs"`
	GatewayURL              string           `json:"gateway_url"`
	SentInvoice             string           `json:"sent_invoice"`
	SentInvoiceReminder     string           `json:"sent_invoice_reminder"`
	RefundedAtFormatted     string           `json:"refunded_at_formatted"`
	ProductDesc             string           `json:"product_desc"`
	NameEmail               string           `json:"name_email"`
	EmailLastSent           int64            `json:"email_last_sent"`
	NameSendEmail           string           `json:"name_send_email"`
	// PayLink is a payment request's pay page, which the documented
	// examples do not show: the local ChargeDesk's answers add it when it
	// has one; webhooks never carry it.
	PayLink string `json:"pay_link,omitempty"`
}

var (
	chargeMethods       = []string{"edit", "remind", "email"}
	chargeMethodsActive = []string{"email"}
	subscriptionMethods = []string{"edit"}
)

// chargeObject is a stored charge as ChargeDesk's charge object. A
// customer's name, email, username, country and phone come from the
// customer record, null when there is none.
func (s *Server) chargeObject(r *charge) *chargeObject {
	currency := r.Currency
	amount, refunded := formatAmount(r.Amount, currency), formatAmount(r.AmountRefunded, currency)
	custID := string(r.Customer)
	cust, _ := s.stores["customers"].find(custID).(*customer)
	field := func(get func(*customer) string) *string {
		if cust == nil {
			return nil
		}
		if v := get(cust); v != "" {
			return &v
		}
		return nil
	}
	occurred := time.Time{}
	if r.Occurred != 0 {
		occurred = time.Unix(int64(r.Occurred), 0)
	}
	symbol := symbols[currency]
	id := r.id
	page := "https://chargedesk.invalid/company-" + company + "/" + id
	when := relative(occurred, s.opts.Now())
	return &chargeObject{
		Amount: amount, AmountRefunded: refunded, Currency: currency,
		PaymentMethod: "Credit", PaymentMethodBrand: "Visa",
		ChargeID: id, CustomerID: custID, ProductID: string(r.Product),
		SubscriptionID: string(r.Subscription), TransactionID: r.TransactionID,
		CustomerName:     field(func(c *customer) string { return c.Name }),
		CustomerEmail:    field(func(c *customer) string { return c.Email }),
		CustomerUsername: field(func(c *customer) string { return c.Username }),
		CustomerCountry:  field(func(c *customer) string { return c.Country }),
		CustomerPhone:    field(func(c *customer) string { return c.Phone }),
		Description:      r.Description, Last4Digits: r.Last4Digits,
		Occurred: int64(r.Occurred), Object: "charge",
		AmountWithCommas:        withCommas(amount),
		AmountRefundedFormatted: symbol + refunded + " " + currency,
		AmountSymbol:            symbol, AmountFormatted: symbol + amount + " " + currency,
		IsPaid: isPaid(r.Status), Status: r.Status, StatusText: r.Status,
		SupportEmail: "company-" + company + "+" + id + "@chargedesk.invalid",
		SupportURL:   page, ManageURL: manageURL("charges", id),
		InvoiceURL: page + "/invoice", InvoiceDownloadURL: page + "/invoice/download",
		MethodsSupported: chargeMethods, MethodsActive: chargeMethodsActive,
		OccurredRelative: when, OccurredFormatted: when,
		PaymentMethodDescribe: "Visa credit card", AddedTax: formatAmount(chargedesk.Amount{}, currency),
		Company: "company-" + company, Metadata: phpObject(r.Metadata), Logs: logs(r.entries()),
		ProductDesc: s.productName(string(r.Product)), NameEmail: "receipt",
		NameSendEmail: "Send Receipt",
	}
}

// subscriptionObject is ChargeDesk's subscription object, with every field
// of the documented examples, in their order.
type subscriptionObject struct {
	SubscriptionID       string           `json:"subscription_id"`
	CustomerID           string           `json:"customer_id"`
	ProductID            string           `json:"product_id"`
	Amount               string           `json:"amount"`
	Currency             string           `json:"currency"`
	GatewayID            string           `json:"gateway_id"`
	Interval             string           `json:"interval"`
	IntervalCount        int64            `json:"interval_count"`
	Charges              int              `json:"charges"`
	Quantity             int64            `json:"quantity"`
	CurrentPeriodStart   int64            `json:"current_period_start"`
	CurrentPeriodEnd     int64            `json:"current_period_end"`
	TrialStart           int64            `json:"trial_start"`
	TrialEnd             int64            `json:"trial_end"`
	EndedAt              int64            `json:"ended_at"`
	CanceledAt           int64            `json:"canceled_at"`
	HasItems             int              `json:"has_items"`
	BillingCyclesTotal   int64            `json:"billing_cycles_total"`
	BillingCyclesCurrent int64            `json:"billing_cycles_current"`
	TrialPeriodDays      int64            `json:"trial_period_days"`
	SetupAmount          int64            `json:"setup_amount"`
	Object               string           `json:"object"`
	AmountFormatted      string           `json:"amount_formatted"`
	AmountSymbol         string           `json:"amount_symbol"`
	Status               string           `json:"status"`
	StatusText           string           `json:"status_text"`
	FirstSeen            int64            `json:"first_seen"`
	MethodsSupported     []string         `json:"methods_supported"`
	MethodsActive        []string         `json:"methods_active"`
	ReadableInterval     string           `json:"readable_interval"`
	ProductDesc          string           `json:"product_desc"`
	Company              string           `json:"company"`
	Logs                 []map[string]any `json:"logs"`
	Items                []string         `json:"items"`
	Metadata             any              `json:"metadata"`
	ManageURL            string           `json:"manage_url"`
	GatewayURL           string           `json:"gateway_url"`
}

// subscriptionObject is a stored subscription as ChargeDesk's subscription
// object. Its current period runs from its creation by its interval, as far
// as the clock has gone.
func (s *Server) subscriptionObject(r *subscription) *subscriptionObject {
	currency := r.Currency
	amount := formatAmount(r.Amount, currency)
	interval := r.Interval
	if interval == "" {
		interval = "month"
	}
	start, end := period(time.Unix(int64(r.created), 0).UTC(), s.opts.Now(), interval, max(int(r.IntervalCount), 1))
	items := r.Items.list()
	product := ""
	if len(items) > 0 {
		product, _, _ = strings.Cut(items[0], " ")
	}
	charges := 0
	if l := s.stores["charges"].list(indexKey("subscription", r.id)); l != nil {
		charges = l.len()
	}
	formatted := symbols[currency] + amount + " " + currency
	if r.Quantity > 1 {
		formatted = strconv.FormatInt(r.Quantity, 10) + "x " + formatted
	}
	status := r.Status
	canceled := int64(0)
	if status == "canceled" {
		canceled = s.opts.Now().Unix()
	}
	return &subscriptionObject{
		SubscriptionID: r.id, CustomerID: r.CustomerID, ProductID: product,
		Amount: amount, Currency: currency, Interval: interval,
		IntervalCount: max(r.IntervalCount, 1), Charges: charges, Quantity: max(r.Quantity, 1),
		CurrentPeriodStart: start.Unix(), CurrentPeriodEnd: end.Unix(),
		TrialStart: int64(r.TrialStart), TrialEnd: int64(r.TrialEnd), EndedAt: canceled, CanceledAt: canceled,
		HasItems: phpBool(len(items) > 0), BillingCyclesTotal: r.BillingCyclesTotal,
		BillingCyclesCurrent: max(r.BillingCyclesCurrent, 1),
		Object:               "subscription", AmountFormatted: formatted, AmountSymbol: symbols[currency],
		Status: status, StatusText: strings.ToUpper(status[:min(1, len(status))]) + strings.ReplaceAll(status[min(1, len(status)):], "_", " "),
		FirstSeen: int64(r.created), MethodsSupported: subscriptionMethods, MethodsActive: subscriptionMethods,
		ReadableInterval: readable(interval), ProductDesc: s.productName(product), Company: "company-" + company,
		Logs: logs(r.entries()), Items: orEmpty(items), Metadata: phpObject(r.Metadata),
		ManageURL: manageURL("subscriptions", r.id),
	}
}

func (s *Server) productName(id string) string {
	if p, _ := s.stores["products"].find(id).(*product); p != nil {
		return p.Name
	}
	return ""
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func isPaid(status string) bool {
	switch status {
	case "paid", "partially refunded", "refunded":
		return true
	}
	return false
}

// period is the billing period holding now, for a subscription that
// started at start and renews every count intervals.
func period(start, now time.Time, interval string, count int) (time.Time, time.Time) {
	next := func(t time.Time) time.Time {
		switch interval {
		case "day":
			return t.AddDate(0, 0, count)
		case "week":
			return t.AddDate(0, 0, 7*count)
		case "year":
			return t.AddDate(count, 0, 0)
		}
		return t.AddDate(0, count, 0)
	}
	end := next(start)
	for i := 0; i < 10000 && !end.After(now); i++ {
		start, end = end, next(end)
	}
	return start, end
}

func readable(interval string) string {
	switch interval {
	case "day":
		return "Daily"
	case "week":
		return "Weekly"
	case "year":
		return "Yearly"
	}
	return "Monthly"
}

func relative(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if now.Sub(t) < time.Minute {
		return "moments ago"
	}
	return t.Format("Jan 2, 2006")
}

// withCommas writes 1234567.00 as 1,234,567.00.
func withCommas(amount string) string {
	sign := ""
	if strings.HasPrefix(amount, "-") {
		sign, amount = "-", amount[1:]
	}
	whole, frac, hasFrac := strings.Cut(amount, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}
