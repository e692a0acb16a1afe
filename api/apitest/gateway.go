package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

// Agent performs an agent action as ChargeDesk does for a Custom
// Integration: it gets the action's webhook payload, built from the stored
// records with every documented field, and returns what the integration
// answered. Set it in Options; without one, a gateway operation applies
// ChargeDesk's default change at once.
type Agent func(ctx context.Context, action chargedesk.Action, payload []byte) AgentAnswer

// AgentAnswer is an integration's answer, as ChargeDesk reads it.
type AgentAnswer struct {
	// Error, when not empty, is the message the agent reads: the action
	// failed and the records are left as they were.
	Error string
	// Status is the HTTP status the integration answered; 0 when none came.
	Status int
	// Updates are the answer's update objects ("charge", "subscription",
	// "customer", "product"), fields by the API's names. When there are
	// none, ChargeDesk's own default change applies.
	Updates map[string]map[string]any
	// RedirectURL is a payment request's pay page.
	RedirectURL string
}

// act is an agent action on its way: its webhook payload, the records it
// is about, and ChargeDesk's default change.
type act struct {
	action  chargedesk.Action
	payload map[string]any
	charge  *record // the charge acted on, or nil
	sub     *record // the subscription acted on, or nil
	reason  string
	// apply is ChargeDesk's default change, run with s.mu held; it
	// returns the log message.
	apply func() (string, error)
	// undo, when set, runs (s.mu held) when the integration refuses.
	undo func()
}

// gatewayChargeOp is refund, capture or void of a charge.
func (s *Server) gatewayChargeOp(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	rec := s.stores["charges"].find(chi.URLParam(r, "id"))
	if rec == nil {
		s.mu.Unlock()
		notFound(w, "charge")
		return
	}
	a, err := s.chargeAct(chi.URLParam(r, "op"), rec, in)
	s.mu.Unlock()
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.perform(r.Context(), w, a)
}

func (s *Server) chargeAct(op string, rec *record, in map[string]any) (*act, error) {
	a := &act{charge: rec, reason: text(in, "log_reason")}
	switch op {
	case "refund":
		amount, err := s.refundAmount(rec, in)
		if err != nil {
			return nil, err
		}
		a.action = chargedesk.ActionRefund
		a.payload = map[string]any{"refund_amount": json.Number(amount.String()), "action_reason": a.reason, "charge": s.chargeObject(rec)}
		a.apply = func() (string, error) { return s.refund(rec, amount) }
	case "capture":
		if rec.str("status") != "authorized" {
			return nil, badParam("", "charge_not_authorized", "Only an authorized charge can be captured")
		}
		if v, ok := in["amount"]; ok {
			a0, err := readField(field{"amount", kAmount}, v)
			if err != nil {
				return nil, err
			}
			if amount, ok := a0.(chargedesk.Amount); ok && amount.IsZero() {
				return s.chargeAct("void", rec, nil) // capturing 0 voids
			} else if ok && (amount.Sign() < 0 || amount.Cmp(rec.amount("amount")) > 0) {
				return nil, badParam("amount", "amount_invalid", "The capture must be at most the authorized amount")
			}
		}
		a.action = chargedesk.ActionCapture
		a.payload = map[string]any{"charge": s.chargeObject(rec)}
		a.apply = func() (string, error) { rec.f["status"] = "paid"; return "Captured", nil }
	case "void":
		a.action = chargedesk.ActionVoid
		a.payload = map[string]any{"charge": s.chargeObject(rec)}
		a.apply = func() (string, error) { rec.f["status"] = "void"; return "Voided", nil }
	}
	return a, nil
}

// refundAmount is the amount param, or all that remains; it must be more
// than 0, at most what remains and fit the currency.
func (s *Server) refundAmount(rec *record, in map[string]any) (chargedesk.Amount, error) {
	currency := rec.str("currency")
	remaining, err := rec.amount("amount").Sub(rec.amount("amount_refunded"))
	if err != nil {
		return chargedesk.Amount{}, badParam("amount", "parameter_invalid", "the charge's amounts cannot be subtracted exactly")
	}
	amount := remaining
	if v, ok := in["amount"]; ok {
		a, err := readField(field{"amount", kAmount}, v)
		if err != nil {
			return chargedesk.Amount{}, err
		}
		if a != nil {
			amount = a.(chargedesk.Amount)
		}
	}
	if amount.Sign() <= 0 || amount.Cmp(remaining) > 0 {
		return chargedesk.Amount{}, badParam("amount", "amount_invalid", "The refund must be more than 0 and at most %s %s",
			formatAmount(remaining, currency), currency)
	}
	if _, err := amount.MinorUnits(currency); err != nil {
		return chargedesk.Amount{}, badParam("amount", "amount_invalid", "The refund has more decimal places than %s allows", currency)
	}
	return amount, nil
}

// refund is ChargeDesk's default change for a refund of amount.
func (s *Server) refund(rec *record, amount chargedesk.Amount) (string, error) {
	total, refunded := rec.amount("amount"), rec.amount("amount_refunded")
	sum, err := refunded.Add(amount)
	if err != nil || sum.Cmp(total) > 0 {
		return "", badParam("amount", "amount_invalid", "The refund is more than remains on the charge")
	}
	rec.f["amount_refunded"] = sum
	rec.f["status"] = "partially refunded"
	if sum.Cmp(total) == 0 {
		rec.f["status"] = "refunded"
	}
	currency := rec.str("currency")
	return "Refunded " + formatAmount(amount, currency) + " " + currency, nil
}

// gatewaySubscriptionOp is cancel, plans or reactivate. Reactivate is not
// in the spec; ChargeDesk's agents have it, and so does this server.
func (s *Server) gatewaySubscriptionOp(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	rec := s.stores["subscriptions"].find(chi.URLParam(r, "id"))
	if rec == nil {
		s.mu.Unlock()
		notFound(w, "subscription")
		return
	}
	a, err := s.subscriptionAct(chi.URLParam(r, "op"), rec, in)
	s.mu.Unlock()
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.perform(r.Context(), w, a)
}

func (s *Server) subscriptionAct(op string, rec *record, in map[string]any) (*act, error) {
	a := &act{sub: rec, reason: text(in, "log_reason")}
	obj := s.subscriptionObject(rec)
	switch op {
	case "cancel":
		return s.cancelAct(a, rec, obj, in)
	case "reactivate":
		a.action = chargedesk.ActionReactivate
		a.payload = map[string]any{"subscription": obj}
		a.apply = func() (string, error) { rec.f["status"] = "active"; return "Reactivated", nil }
	case "plans":
		plans, _ := in["plans"].([]any)
		if len(plans) == 0 {
			return nil, badParam("plans", "parameter_missing", "Missing required parameter plans")
		}
		var sent []any
		var items []string
		for i, p := range plans {
			m, _ := p.(map[string]any)
			id, _ := scalarText(m["id"])
			if id == "" {
				return nil, badParam(fmt.Sprintf("plans[%d][id]", i), "parameter_missing", "Every plan needs an id")
			}
			q, _ := scalarText(m["quantity"])
			if q == "" {
				q = "1"
			}
			sent = append(sent, map[string]any{"product_id": id, "quantity": json.Number(q)})
			items = append(items, id)
		}
		a.action = chargedesk.ActionEditPlans
		a.payload = map[string]any{"plans": sent, "subscription": obj}
		a.apply = func() (string, error) {
			rec.f["items"] = items
			return "Plans changed to " + strings.Join(items, ", "), nil
		}
	}
	return a, nil
}

// cancelAct cancels (cancel, cancel-immediately, cancel-period-end) or
// suspends, refunding the subscription's latest charge when asked.
func (s *Server) cancelAct(a *act, rec *record, obj map[string]any, in map[string]any) (*act, error) {
	mode := text(in, "action")
	status := map[string]string{"": "canceled", "cancel": "canceled", "cancel-immediately": "canceled",
		"cancel-period-end": "pending_cancel", "suspend": "suspended"}[mode]
	if status == "" {
		return nil, badParam("action", "parameter_invalid", "action must be cancel, cancel-immediately, cancel-period-end or suspend")
	}
	if mode == "" {
		mode = "cancel"
	}
	refund := text(in, "refund")
	switch refund {
	case "", "none":
		refund = "none"
	case "partial", "full":
		if mode != "cancel-immediately" {
			return nil, badParam("refund", "parameter_invalid", "a refund comes only with cancel-immediately")
		}
	default:
		return nil, badParam("refund", "parameter_invalid", "refund must be none, partial or full")
	}
	a.action = chargedesk.ActionCancel
	a.payload = map[string]any{"action": mode, "action_reason": a.reason, "subscription": obj}
	if mode == "cancel-immediately" {
		a.payload["refund"] = refund
	}
	if refund != "none" {
		a.charge = s.latestCharge(rec.id)
		if a.charge == nil {
			return nil, badParam("refund", "no_charge", "The subscription has no charge to refund")
		}
		a.payload["charge"] = s.chargeObject(a.charge)
	}
	charge := a.charge
	a.apply = func() (string, error) {
		rec.f["status"] = status
		msg := "Subscription " + strings.ReplaceAll(status, "_", " ")
		if refund == "full" {
			remaining, err := charge.amount("amount").Sub(charge.amount("amount_refunded"))
			if err == nil && remaining.Sign() > 0 {
				if m, err := s.refund(charge, remaining); err == nil {
					msg += "; " + m
				}
			}
		}
		return msg, nil
	}
	return a, nil
}

// latestCharge is the newest charge of a subscription.
func (s *Server) latestCharge(subID string) *record {
	for _, c := range s.stores["charges"].newest() {
		if c.str("subscription") == subID {
			return c
		}
	}
	return nil
}

// gatewayCharge creates a live charge (using=card), a payment request
// (using=invoice: the payment request webhook is sent, and its pay link
// kept) and, with product[interval], a subscription.
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
	rec, _, err := s.upsert("charges", charge)
	if err != nil {
		s.mu.Unlock()
		writeParamError(w, err)
		return
	}
	rec.f["status"] = "paid"
	if interval, _ := scalarText(product["interval"]); interval != "" {
		sub := map[string]any{"subscription_id": "sub-" + rec.id, "customer_id": rec.str("customer"),
			"status": "active", "amount": in["amount"], "currency": in["currency"], "interval": interval}
		if _, _, err := s.upsert("subscriptions", sub); err != nil {
			s.stores["charges"].remove(rec)
			s.mu.Unlock()
			writeParamError(w, err)
			return
		}
		rec.f["subscription"] = "sub-" + rec.id
	}
	if using == "card" {
		rec.log(s.opts.Now(), "charge", "Charged through the gateway", "")
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, s.render("charges", rec))
		return
	}
	rec.f["status"] = "invoiced"
	a := &act{action: chargedesk.ActionRequestPayment, charge: rec, payload: map[string]any{"charge": s.chargeObject(rec)}}
	a.apply = func() (string, error) {
		if _, ok := rec.f["pay_link"]; !ok {
			rec.f["pay_link"] = "https://pay.chargedesk.invalid/" + rec.id
		}
		return "Payment requested", nil
	}
	a.undo = func() { s.stores["charges"].remove(rec) } // nothing reached the customer
	s.mu.Unlock()
	s.perform(r.Context(), w, a)
}

// perform sends the action to the Agent, if any, and applies the answer's
// updates or, when it has none, ChargeDesk's default change; a refusal
// becomes an API error with the integration's message. Either way the
// action is logged on its records.
func (s *Server) perform(ctx context.Context, w http.ResponseWriter, a *act) {
	answer := AgentAnswer{}
	if s.opts.Agent != nil {
		body, err := json.Marshal(a.payload)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "api_error", "", "", "the webhook payload does not encode")
			return
		}
		answer = s.opts.Agent(ctx, a.action, body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	logOn := func(msg string) {
		for _, rec := range []*record{a.charge, a.sub} {
			if rec != nil {
				rec.log(now, string(a.action), msg, a.reason)
			}
		}
	}
	if answer.Error != "" {
		if a.undo != nil {
			a.undo()
		}
		logOn("Failed: " + answer.Error)
		status := http.StatusBadRequest
		if answer.Status == 0 || answer.Status >= 500 {
			status = http.StatusBadGateway
		}
		writeError(w, status, "gateway_error", "integration_refused", "", answer.Error)
		return
	}
	var msg string
	if len(answer.Updates) > 0 {
		msg = s.applyUpdates(a, answer.Updates)
	} else {
		var err error
		if msg, err = a.apply(); err != nil {
			logOn("Failed: " + err.Error())
			writeParamError(w, err)
			return
		}
	}
	if answer.RedirectURL != "" && a.charge != nil {
		a.charge.f["pay_link"] = answer.RedirectURL
	}
	logOn(msg)
	for _, st := range s.stores {
		st.sorted = nil
	}
	if a.sub != nil {
		writeJSON(w, http.StatusOK, s.render("subscriptions", a.sub))
		return
	}
	writeJSON(w, http.StatusOK, s.render("charges", a.charge))
}

// applyUpdates applies an answer's update objects to the records they are
// about, by the API's field names. A field the API does not have, or a
// value it would refuse, is skipped and named in the log message.
func (s *Server) applyUpdates(a *act, updates map[string]map[string]any) string {
	targets := map[string]*record{"charge": a.charge, "subscription": a.sub}
	if a.charge != nil {
		targets["customer"] = s.stores["customers"].find(a.charge.str("customer"))
		targets["product"] = s.stores["products"].find(a.charge.str("product"))
	} else if a.sub != nil {
		targets["customer"] = s.stores["customers"].find(a.sub.str("customer_id"))
	}
	stores := map[string]string{"charge": "charges", "subscription": "subscriptions", "customer": "customers", "product": "products"}
	var changed, skipped []string
	for _, object := range []string{"charge", "subscription", "customer", "product"} {
		fields, ok := updates[object]
		rec := targets[object]
		if !ok {
			continue
		}
		if rec == nil {
			skipped = append(skipped, object+" (no such record)")
			continue
		}
		st := s.stores[stores[object]]
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if k == "pay_link" && object == "charge" {
				if link, ok := fields[k].(string); ok {
					rec.f["pay_link"] = link
					changed = append(changed, "charge.pay_link")
				}
				continue
			}
			if err := st.apply(rec, map[string]any{k: fields[k]}); err != nil {
				skipped = append(skipped, object+"."+k)
				continue
			}
			changed = append(changed, object+"."+k)
		}
	}
	msg := "Updated " + strings.Join(changed, ", ")
	if len(changed) == 0 {
		msg = "Nothing to update"
	}
	if len(skipped) > 0 {
		msg += "; skipped " + strings.Join(skipped, ", ")
	}
	return msg
}
