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

// chargeObject is a stored charge as a webhook's "charge" object, with
// every field of ChargeDesk's documented examples: ChargeDesk's documented
// answers carry the same object.
func (s *Server) chargeObject(r *charge) map[string]any {
	currency := r.Currency
	amount, refunded := formatAmount(r.Amount, currency), formatAmount(r.AmountRefunded, currency)
	custID := string(r.Customer)
	cust, _ := s.stores["customers"].find(custID).(*customer)
	field := func(get func(*customer) string) any {
		if cust == nil {
			return nil
		}
		if v := get(cust); v != "" {
			return v
		}
		return nil
	}
	status := r.Status
	occurred := time.Unix(int64(r.Occurred), 0)
	if r.Occurred == 0 {
		occurred = time.Time{}
	}
	symbol := symbols[currency]
	id := r.id
	return map[string]any{
		"amount": amount, "amount_refunded": refunded, "currency": currency,
		"payment_method": "Credit", "payment_method_brand": "Visa", "gateway_id": "",
		"charge_id": id, "customer_id": custID, "product_id": string(r.Product),
		"subscription_id": string(r.Subscription), "transaction_id": r.TransactionID,
		"customer_name":     field(func(c *customer) string { return c.Name }),
		"customer_email":    field(func(c *customer) string { return c.Email }),
		"customer_username": field(func(c *customer) string { return c.Username }),
		"customer_country":  field(func(c *customer) string { return c.Country }),
		"customer_phone":    field(func(c *customer) string { return c.Phone }),
		"description":       r.Description, "last_4_digits": r.Last4Digits,
		"occurred": int64(r.Occurred), "object": "charge",
		"amount_with_commas":        withCommas(amount),
		"amount_refunded_formatted": symbol + refunded + " " + currency,
		"amount_symbol":             symbol, "amount_formatted": symbol + amount + " " + currency,
		"is_paid": isPaid(status), "status": status, "status_text": status,
		"support_email":        "company-" + company + "+" + id + "@chargedesk.invalid",
		"support_url":          "https://chargedesk.invalid/company-" + company + "/" + id,
		"manage_url":           manageURL("charges", id),
		"invoice_url":          "https://chargedesk.invalid/company-" + company + "/" + id + "/invoice",
		"invoice_download_url": "https://chargedesk.invalid/company-" + company + "/" + id + "/invoice/download",
		"methods_supported":    []string{"edit", "remind", "email"}, "methods_active": []string{"email"},
		"occurred_relative": relative(occurred, s.opts.Now()), "occurred_formatted": relative(occurred, s.opts.Now()),
		"payment_method_describe": "Visa credit card", "added_tax": formatAmount(chargedesk.Amount{}, currency),
		"invoice_company": nil, "company": "company-" + company, "metadata": phpObject(r.Metadata), "logs": logs(r.logs),
		"gateway_url": "", "sent_invoice": "", "sent_invoice_reminder": "", "refunded_at_formatted": "",
		"product_desc": s.productName(string(r.Product)), "name_email": "receipt", "email_last_sent": 0,
		"name_send_email": "Send Receipt",
	}
}

// subscriptionObject is a stored subscription as a webhook's
// "subscription" object. Its current period runs from its creation by its
// interval, as far as the clock has gone.
func (s *Server) subscriptionObject(r *subscription) map[string]any {
	currency := r.Currency
	amount := formatAmount(r.Amount, currency)
	interval := r.Interval
	if interval == "" {
		interval = "month"
	}
	start, end := period(time.Unix(int64(r.created), 0).UTC(), s.opts.Now(), interval, max(int(r.IntervalCount), 1))
	product := ""
	if len(r.Items) > 0 {
		product, _, _ = strings.Cut(r.Items[0], " ")
	}
	charges := 0
	if l := s.stores["charges"].list(indexKey("subscription", r.id)); l != nil {
		charges = l.len()
	}
	quantity := r.Quantity
	formatted := symbols[currency] + amount + " " + currency
	if quantity > 1 {
		formatted = strconv.FormatInt(quantity, 10) + "x " + formatted
	}
	status := r.Status
	canceled := int64(0)
	if status == "canceled" {
		canceled = s.opts.Now().Unix()
	}
	return map[string]any{
		"subscription_id": r.id, "customer_id": r.CustomerID, "product_id": product,
		"amount": amount, "currency": currency, "gateway_id": "", "interval": interval,
		"interval_count": max(r.IntervalCount, 1), "charges": charges, "quantity": max(quantity, 1),
		"current_period_start": start.Unix(), "current_period_end": end.Unix(),
		"trial_start": int64(r.TrialStart), "trial_end": int64(r.TrialEnd), "ended_at": canceled, "canceled_at": canceled,
		"has_items": phpBool(len(r.Items) > 0), "billing_cycles_total": r.BillingCyclesTotal,
		"billing_cycles_current": max(r.BillingCyclesCurrent, 1), "trial_period_days": 0, "setup_amount": 0,
		"object": "subscription", "amount_formatted": formatted, "amount_symbol": symbols[currency],
		"status": status, "status_text": strings.ToUpper(status[:min(1, len(status))]) + strings.ReplaceAll(status[min(1, len(status)):], "_", " "),
		"first_seen": int64(r.created), "methods_supported": []string{"edit"}, "methods_active": []string{"edit"},
		"readable_interval": readable(interval), "product_desc": s.productName(product), "company": "company-" + company,
		"logs": logs(r.logs), "items": orEmpty(r.Items), "metadata": phpObject(r.Metadata),
		"manage_url":  manageURL("subscriptions", r.id),
		"gateway_url": "",
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
