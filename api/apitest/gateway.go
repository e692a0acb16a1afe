package apitest

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

// gatewayChargeOp is refund, capture or void of a charge, with ChargeDesk's
// default change.
func (s *Server) gatewayChargeOp(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores["charges"]
	rec := st.find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "charge")
		return
	}
	var err error
	switch op := chi.URLParam(r, "op"); op {
	case "refund":
		err = s.refund(rec, in)
	case "capture":
		err = s.capture(rec, in)
	case "void":
		rec.f["status"] = "void"
		rec.log(s.opts.Now(), "void", "Voided", "")
	}
	if err != nil {
		writeParamError(w, err)
		return
	}
	st.sorted = nil
	writeJSON(w, http.StatusOK, s.render("charges", rec))
}

func (s *Server) refund(rec *record, in map[string]any) error {
	currency := rec.str("currency")
	total, refunded := rec.amount("amount"), rec.amount("amount_refunded")
	remaining, err := total.Sub(refunded.Decimal)
	if err != nil {
		return badParam("amount", "parameter_invalid", "the charge's amounts cannot be subtracted exactly")
	}
	amount := remaining
	if v, ok := in["amount"]; ok {
		a, err := readField(field{"amount", kAmount}, v)
		if err != nil {
			return err
		}
		if a != nil {
			amount = a.(chargedesk.Amount).Decimal
		}
	}
	if amount.Sign() <= 0 || amount.Cmp(remaining) > 0 {
		return badParam("amount", "amount_invalid", "The refund must be more than 0 and at most %s %s",
			formatAmount(chargedesk.NewAmount(remaining), currency), currency)
	}
	if _, err := chargedesk.NewAmount(amount).MinorUnits(currency); err != nil {
		return badParam("amount", "amount_invalid", "The refund has more decimal places than %s allows", currency)
	}
	sum, err := refunded.Add(amount)
	if err != nil {
		return badParam("amount", "amount_invalid", "the refund cannot be added exactly")
	}
	rec.f["amount_refunded"] = chargedesk.NewAmount(sum)
	rec.f["status"] = "partially refunded"
	if sum.Cmp(total.Decimal) == 0 {
		rec.f["status"] = "refunded"
	}
	rec.log(s.opts.Now(), "refund", "Refunded "+formatAmount(chargedesk.NewAmount(amount), currency)+" "+currency, text(in, "log_reason"))
	return nil
}

func (s *Server) capture(rec *record, in map[string]any) error {
	if rec.str("status") != "authorized" {
		return badParam("", "charge_not_authorized", "Only an authorized charge can be captured")
	}
	if v, ok := in["amount"]; ok {
		a, err := readField(field{"amount", kAmount}, v)
		if err != nil {
			return err
		}
		if a != nil && a.(chargedesk.Amount).IsZero() {
			rec.f["status"] = "void"
			rec.log(s.opts.Now(), "capture", "Captured 0: voided", "")
			return nil
		}
		if a != nil {
			amount := a.(chargedesk.Amount)
			if amount.Sign() < 0 || amount.Cmp(rec.amount("amount").Decimal) > 0 {
				return badParam("amount", "amount_invalid", "The capture must be at most the authorized amount")
			}
			rec.f["amount"] = amount
		}
	}
	rec.f["status"] = "paid"
	rec.log(s.opts.Now(), "capture", "Captured", "")
	return nil
}

// gatewaySubscriptionOp is cancel, plans or reactivate, with ChargeDesk's
// default change. Reactivate is not in the spec; ChargeDesk's agents have it.
func (s *Server) gatewaySubscriptionOp(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores["subscriptions"]
	rec := st.find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "subscription")
		return
	}
	now := s.opts.Now()
	switch chi.URLParam(r, "op") {
	case "cancel":
		status := "canceled"
		switch text(in, "action") {
		case "", "cancel", "cancel-immediately":
		case "cancel-period-end":
			status = "pending_cancel"
		case "suspend":
			status = "suspended"
		default:
			writeParamError(w, badParam("action", "parameter_invalid", "action must be cancel, cancel-immediately, cancel-period-end or suspend"))
			return
		}
		rec.f["status"] = status
		rec.log(now, "cancel", "Subscription "+status, text(in, "log_reason"))
	case "reactivate":
		rec.f["status"] = "active"
		rec.log(now, "reactivate", "Subscription reactivated", "")
	case "plans":
		plans, _ := in["plans"].([]any)
		if len(plans) == 0 {
			writeParamError(w, badParam("plans", "parameter_missing", "Missing required parameter plans"))
			return
		}
		var items []string
		for i, p := range plans {
			m, _ := p.(map[string]any)
			id, _ := scalarText(m["id"])
			if id == "" {
				writeParamError(w, badParam(fmt.Sprintf("plans[%d][id]", i), "parameter_missing", "Every plan needs an id"))
				return
			}
			if q, _ := scalarText(m["quantity"]); q != "" && q != "1" {
				id += " x" + q
			}
			items = append(items, id)
		}
		rec.f["items"] = items
		rec.log(now, "plans", "Plans changed to "+strings.Join(items, ", "), "")
	}
	writeJSON(w, http.StatusOK, s.render("subscriptions", rec))
}

// gatewayCharge creates a live charge (using=card), a payment request
// (using=invoice, with a pay link) and, with product[interval], a
// subscription.
func (s *Server) gatewayCharge(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	using := text(in, "using")
	if using != "card" && using != "invoice" {
		writeParamError(w, badParam("using", "parameter_invalid", "using must be card or invoice"))
		return
	}
	product, _ := in["product"].(map[string]any)
	charge := map[string]any{}
	for _, k := range []string{"customer", "amount", "currency", "description", "lines", "metadata"} {
		if v, ok := in[k]; ok {
			charge[k] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, _, err := s.upsert("charges", charge)
	if err != nil {
		writeParamError(w, err)
		return
	}
	rec.f["status"] = "paid"
	if using == "invoice" {
		rec.f["status"] = "invoiced"
		rec.f["pay_link"] = "https://pay.chargedesk.invalid/" + rec.id
	}
	if interval, _ := scalarText(product["interval"]); interval != "" {
		sub := map[string]any{"subscription_id": "sub-" + rec.id, "customer_id": rec.str("customer"),
			"status": "active", "amount": in["amount"], "currency": in["currency"], "interval": interval}
		if _, _, err := s.upsert("subscriptions", sub); err != nil {
			writeParamError(w, err)
			return
		}
		rec.f["subscription"] = "sub-" + rec.id
	}
	rec.log(s.opts.Now(), "charge", "Created through the gateway ("+using+")", "")
	writeJSON(w, http.StatusOK, s.render("charges", rec))
}
