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
// every field of ChargeDesk's documented examples.
func (s *Server) chargeObject(r *record) map[string]any {
	currency := r.str("currency")
	amount, refunded := formatAmount(r.amount("amount"), currency), formatAmount(r.amount("amount_refunded"), currency)
	custID := r.str("customer")
	cust := s.stores["customers"].find(custID)
	field := func(name string) any {
		if cust == nil {
			return nil
		}
		if v := cust.str(name); v != "" {
			return v
		}
		return nil
	}
	status := r.str("status")
	occurred, _ := r.f["occurred"].(time.Time)
	// PHP sends an empty metadata array as [].
	metadata := any([]any{})
	if m, _ := r.f["metadata"].(map[string]string); len(m) > 0 {
		metadata = m
	}
	symbol := symbols[currency]
	return map[string]any{
		"amount": amount, "amount_refunded": refunded, "currency": currency,
		"payment_method": "Credit", "payment_method_brand": "Visa", "gateway_id": "",
		"charge_id": r.id, "customer_id": custID, "product_id": r.str("product"),
		"subscription_id": r.str("subscription"), "transaction_id": r.str("transaction_id"),
		"customer_name": field("name"), "customer_email": field("email"), "customer_username": field("username"),
		"customer_country": field("country"), "customer_phone": field("phone"),
		"description": r.str("description"), "last_4_digits": r.str("last_4_digits"),
		"occurred": unix(occurred), "object": "charge",
		"amount_with_commas":        withCommas(amount),
		"amount_refunded_formatted": symbol + refunded + " " + currency,
		"amount_symbol":             symbol, "amount_formatted": symbol + amount + " " + currency,
		"is_paid": isPaid(status), "status": status, "status_text": status,
		"support_email":        "company-" + company + "+" + r.id + "@chargedesk.invalid",
		"support_url":          "https://chargedesk.invalid/company-" + company + "/" + r.id,
		"manage_url":           "https://chargedesk.invalid/manage/company-" + company + "/charges/" + r.id,
		"invoice_url":          "https://chargedesk.invalid/company-" + company + "/" + r.id + "/invoice",
		"invoice_download_url": "https://chargedesk.invalid/company-" + company + "/" + r.id + "/invoice/download",
		"methods_supported":    []string{"edit", "remind", "email"}, "methods_active": []string{"email"},
		"occurred_relative": relative(occurred, s.opts.Now()), "occurred_formatted": relative(occurred, s.opts.Now()),
		"payment_method_describe": "Visa credit card", "added_tax": formatAmount(chargedesk.Amount{}, currency),
		"invoice_company": nil, "company": "company-" + company, "metadata": metadata, "logs": orLogs(r.logs),
		"gateway_url": "", "sent_invoice": "", "sent_invoice_reminder": "", "refunded_at_formatted": "",
		"product_desc": s.productName(r.str("product")), "name_email": "receipt", "email_last_sent": 0,
		"name_send_email": "Send Receipt",
	}
}

// subscriptionObject is a stored subscription as a webhook's
// "subscription" object. Its current period runs from its creation by its
// interval, as far as the clock has gone.
func (s *Server) subscriptionObject(r *record) map[string]any {
	currency := r.str("currency")
	amount := formatAmount(r.amount("amount"), currency)
	quantity, _ := r.f["quantity"].(int64)
	interval := r.str("interval")
	if interval == "" {
		interval = "month"
	}
	count, _ := r.f["interval_count"].(int64)
	start, end := period(r.created, s.opts.Now(), interval, max(int(count), 1))
	items, _ := r.f["items"].([]string)
	product := ""
	if len(items) > 0 {
		product, _, _ = strings.Cut(items[0], " ")
	}
	charges := 0
	for _, c := range s.stores["charges"].byID {
		if c.str("subscription") == r.id {
			charges++
		}
	}
	trialStart, _ := r.f["trial_start"].(time.Time)
	trialEnd, _ := r.f["trial_end"].(time.Time)
	cycles, _ := r.f["billing_cycles_total"].(int64)
	current, _ := r.f["billing_cycles_current"].(int64)
	formatted := symbols[currency] + amount + " " + currency
	if quantity > 1 {
		formatted = strconv.FormatInt(quantity, 10) + "x " + formatted
	}
	status := r.str("status")
	canceled := int64(0)
	if status == "canceled" {
		canceled = s.opts.Now().Unix()
	}
	metadata := any([]any{})
	if m, _ := r.f["metadata"].(map[string]string); len(m) > 0 {
		metadata = m
	}
	return map[string]any{
		"subscription_id": r.id, "customer_id": r.str("customer_id"), "product_id": product,
		"amount": amount, "currency": currency, "gateway_id": "", "interval": interval,
		"interval_count": max(count, 1), "charges": charges, "quantity": max(quantity, 1),
		"current_period_start": start.Unix(), "current_period_end": end.Unix(),
		"trial_start": unix(trialStart), "trial_end": unix(trialEnd), "ended_at": canceled, "canceled_at": canceled,
		"has_items": map[bool]int{true: 1, false: 0}[len(items) > 0], "billing_cycles_total": cycles,
		"billing_cycles_current": max(current, 1), "trial_period_days": 0, "setup_amount": 0,
		"object": "subscription", "amount_formatted": formatted, "amount_symbol": symbols[currency],
		"status": status, "status_text": strings.ToUpper(status[:min(1, len(status))]) + strings.ReplaceAll(status[min(1, len(status)):], "_", " "),
		"first_seen": r.created.Unix(), "methods_supported": []string{"edit"}, "methods_active": []string{"edit"},
		"readable_interval": readable(interval), "product_desc": s.productName(product), "company": "company-" + company,
		"logs": orLogs(r.logs), "items": orEmpty(items), "metadata": metadata,
		"manage_url":  "https://chargedesk.invalid/manage/company-" + company + "/subscriptions/" + r.id,
		"gateway_url": "",
	}
}

func (s *Server) productName(id string) string {
	if p := s.stores["products"].find(id); p != nil {
		return p.str("name")
	}
	return ""
}

func orLogs(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
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
