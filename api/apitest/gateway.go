package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

// Agent performs an agent action as ChargeDesk does for a Custom
// Integration: it gets the action's webhook payload, built from the stored
// records with every documented field, and returns what the integration
// answered. Set it in Options; without one, a gateway operation applies
// ChargeDesk's default change at once.
//
// Actions on one record reach the Agent one at a time, in the order they
// took the record: each payload shows what the one before it left.
// Actions on other records may run at the same time.
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
	charge  *charge       // the charge acted on, or nil
	sub     *subscription // the subscription acted on, or nil
	reason  string
	// apply is ChargeDesk's default change, run with s.mu held; it
	// returns the log message.
	apply func() (string, error)
	// undo, when set, runs (s.mu held) when the integration refuses.
	undo func()
}

// errBusy is the answer to an action whose request ended while it waited
// for another action on the same record.
func writeBusy(w http.ResponseWriter, object string) {
	writeError(w, http.StatusServiceUnavailable, "api_error", "record_busy", "",
		"The request ended while another action on this "+object+" was in progress")
}

// gatewayChargeOp is refund, capture or void of a charge.
func (s *Server) gatewayChargeOp(op string) handler {
	return func(w http.ResponseWriter, r *http.Request, in map[string]any) {
		s.mu.Lock()
		c, _ := s.stores["charges"].find(chi.URLParam(r, "id")).(*charge)
		s.mu.Unlock()
		if c == nil {
			notFound(w, "charge")
			return
		}
		unlock, err := s.locks.lock(r.Context(), &c.base)
		if err != nil {
			writeBusy(w, "charge")
			return
		}
		defer unlock()
		s.mu.Lock()
		if !s.stores["charges"].holds(c) {
			s.mu.Unlock()
			notFound(w, "charge")
			return
		}
		a, err := s.chargeAct(op, c, in)
		s.mu.Unlock()
		if err != nil {
			writeParamError(w, err)
			return
		}
		s.perform(r.Context(), w, a)
	}
}

func (s *Server) chargeAct(op string, c *charge, in map[string]any) (*act, error) {
	a := &act{charge: c, reason: text(in, "log_reason")}
	st := s.stores["charges"]
	switch op {
	case "refund":
		amount, err := refundAmount(c, in)
		if err != nil {
			return nil, err
		}
		a.action = chargedesk.ActionRefund
		a.payload = map[string]any{"refund_amount": json.Number(amount.String()), "action_reason": a.reason, "charge": s.chargeObject(c)}
		a.apply = func() (string, error) { return s.refund(c, amount) }
	case "capture":
		if c.Status != "authorized" {
			return nil, badParam("", "charge_not_authorized", "Only an authorized charge can be captured")
		}
		if v, ok := in["amount"]; ok {
			a0, err := readField(field{name: "amount", kind: kAmount}, v)
			if err != nil {
				return nil, err
			}
			if amount := a0.(chargedesk.Amount); amount.IsZero() && textOf(v) != "" {
				return s.chargeAct("void", c, nil) // capturing 0 voids
			} else if amount.Sign() < 0 || amount.Cmp(c.Amount) > 0 {
				return nil, badParam("amount", "amount_invalid", "The capture must be at most the authorized amount")
			}
		}
		a.action = chargedesk.ActionCapture
		a.payload = map[string]any{"charge": s.chargeObject(c)}
		a.apply = func() (string, error) { st.modify(c, func() { c.Status = "paid" }); return "Captured", nil }
	case "void":
		a.action = chargedesk.ActionVoid
		a.payload = map[string]any{"charge": s.chargeObject(c)}
		a.apply = func() (string, error) { st.modify(c, func() { c.Status = "void" }); return "Voided", nil }
	}
	return a, nil
}

// refundAmount is the amount param, or all that remains; it must be more
// than 0, at most what remains and fit the currency.
func refundAmount(c *charge, in map[string]any) (chargedesk.Amount, error) {
	currency := c.Currency
	remaining, err := c.Amount.Sub(c.AmountRefunded)
	if err != nil {
		return chargedesk.Amount{}, badParam("amount", "parameter_invalid", "the charge's amounts cannot be subtracted exactly")
	}
	amount := remaining
	if v, ok := in["amount"]; ok && textOf(v) != "" {
		a, err := readField(field{name: "amount", kind: kAmount}, v)
		if err != nil {
			return chargedesk.Amount{}, err
		}
		amount = a.(chargedesk.Amount)
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
func (s *Server) refund(c *charge, amount chargedesk.Amount) (string, error) {
	sum, err := c.AmountRefunded.Add(amount)
	if err != nil || sum.Cmp(c.Amount) > 0 {
		return "", badParam("amount", "amount_invalid", "The refund is more than remains on the charge")
	}
	s.stores["charges"].modify(c, func() {
		c.AmountRefunded = sum
		c.Status = "partially refunded"
		if sum.Cmp(c.Amount) == 0 {
			c.Status = "refunded"
		}
	})
	return "Refunded " + formatAmount(amount, c.Currency) + " " + c.Currency, nil
}

// gatewaySubscriptionOp is cancel, plans or reactivate. Reactivate is not
// in the spec; ChargeDesk's agents have it, and so does this server.
func (s *Server) gatewaySubscriptionOp(op string) handler {
	return func(w http.ResponseWriter, r *http.Request, in map[string]any) {
		s.mu.Lock()
		sub, _ := s.stores["subscriptions"].find(chi.URLParam(r, "id")).(*subscription)
		s.mu.Unlock()
		if sub == nil {
			notFound(w, "subscription")
			return
		}
		unlock, err := s.locks.lock(r.Context(), &sub.base)
		if err != nil {
			writeBusy(w, "subscription")
			return
		}
		defer unlock()
		s.mu.Lock()
		if !s.stores["subscriptions"].holds(sub) {
			s.mu.Unlock()
			notFound(w, "subscription")
			return
		}
		a, err := s.subscriptionAct(op, sub, in)
		s.mu.Unlock()
		if err != nil {
			writeParamError(w, err)
			return
		}
		// A cancel that refunds also holds the charge, taken after the
		// subscription (every action takes them in that order); the action
		// is built again once it is held, from the state the charge's last
		// action left.
		var held *charge
		for a.charge != nil && a.charge != held {
			unlockCharge, err := s.locks.lock(r.Context(), &a.charge.base)
			if err != nil {
				writeBusy(w, "charge")
				return
			}
			defer unlockCharge()
			held = a.charge
			s.mu.Lock()
			a, err = s.subscriptionAct(op, sub, in)
			s.mu.Unlock()
			if err != nil {
				writeParamError(w, err)
				return
			}
		}
		s.perform(r.Context(), w, a)
	}
}

func (s *Server) subscriptionAct(op string, sub *subscription, in map[string]any) (*act, error) {
	a := &act{sub: sub, reason: text(in, "log_reason")}
	obj := s.subscriptionObject(sub)
	st := s.stores["subscriptions"]
	switch op {
	case "cancel":
		return s.cancelAct(a, sub, obj, in)
	case "reactivate":
		a.action = chargedesk.ActionReactivate
		a.payload = map[string]any{"subscription": obj}
		a.apply = func() (string, error) { st.modify(sub, func() { sub.Status = "active" }); return "Reactivated", nil }
	case "plans":
		plans, _ := in["plans"].([]any)
		if len(plans) == 0 {
			return nil, badParam("plans", "parameter_missing", "Missing required parameter plans")
		}
		var sent []any
		var items []string
		for i, p := range plans {
			m, _ := p.(map[string]any)
			id := textOf(m["id"])
			if id == "" {
				return nil, badParam(fmt.Sprintf("plans[%d][id]", i), "parameter_missing", "Every plan needs an id")
			}
			q := textOf(m["quantity"])
			if q == "" {
				q = "1"
			}
			sent = append(sent, map[string]any{"product_id": id, "quantity": json.Number(q)})
			items = append(items, id)
		}
		a.action = chargedesk.ActionEditPlans
		a.payload = map[string]any{"plans": sent, "subscription": obj}
		a.apply = func() (string, error) {
			st.modify(sub, func() { sub.Items = textsOf(items) })
			return "Plans changed to " + strings.Join(items, ", "), nil
		}
	}
	return a, nil
}

// cancelAct cancels (cancel, cancel-immediately, cancel-period-end) or
// suspends, refunding the subscription's latest charge when asked.
func (s *Server) cancelAct(a *act, sub *subscription, obj *subscriptionObject, in map[string]any) (*act, error) {
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
		a.charge = s.latestCharge(sub.id)
		if a.charge == nil {
			return nil, badParam("refund", "no_charge", "The subscription has no charge to refund")
		}
		a.payload["charge"] = s.chargeObject(a.charge)
	}
	c := a.charge
	a.apply = func() (string, error) {
		s.stores["subscriptions"].modify(sub, func() { sub.Status = status })
		msg := "Subscription " + strings.ReplaceAll(status, "_", " ")
		if refund == "full" {
			remaining, err := c.Amount.Sub(c.AmountRefunded)
			if err == nil && remaining.Sign() > 0 {
				if m, err := s.refund(c, remaining); err == nil {
					msg += "; " + m
				}
			}
		}
		return msg, nil
	}
	return a, nil
}

// latestCharge is the newest charge of a subscription.
func (s *Server) latestCharge(subID string) *charge {
	l := s.stores["charges"].list(indexKey("subscription", subID))
	if l == nil {
		return nil
	}
	var latest *charge
	l.each(0, func(b *base) bool { latest = b.self.(*charge); return false })
	return latest
}

// gatewayCharge creates a live charge (using=card), a payment request
// (using=invoice: the payment request webhook is sent, and its pay link
// kept) and, with product[interval], a subscription, its trial ending
// product[trial_period_days] from now. contact and link_only are taken and
// change nothing: no email leaves the local ChargeDesk.
func (s *Server) gatewayCharge(w http.ResponseWriter, r *http.Request, in map[string]any) {
	using := text(in, "using")
	if using != "card" && using != "invoice" {
		writeParamError(w, badParam("using", "parameter_invalid", "using must be card or invoice"))
		return
	}
	product, _ := in["product"].(map[string]any)
	fields := map[string]any{}
	for _, k := range []string{"customer", "amount", "currency", "description", "lines", "metadata"} {
		if v, ok := in[k]; ok {
			fields[k] = v
		}
	}
	s.mu.Lock()
	rec, _, err := s.upsert("charges", fields)
	if err != nil {
		s.mu.Unlock()
		writeParamError(w, err)
		return
	}
	c := rec.(*charge)
	charges := s.stores["charges"]
	charges.modify(c, func() { c.Status = "paid" })
	if interval := textOf(product["interval"]); interval != "" {
		sub := map[string]any{"subscription_id": "sub-" + c.id, "customer_id": string(c.Customer),
			"status": "active", "amount": in["amount"], "currency": in["currency"], "interval": interval}
		for _, k := range []string{"interval_count", "billing_cycles_total"} {
			if v, ok := product[k]; ok {
				sub[k] = v
			}
		}
		if v := textOf(product["trial_period_days"]); v != "" {
			days, err := strconv.Atoi(v)
			if err != nil || days < 0 || days > 3650 {
				charges.remove(c)
				s.mu.Unlock()
				writeParamError(w, badParam("product[trial_period_days]", "parameter_invalid", "product[trial_period_days] must be a whole number of days from 0 to 3650"))
				return
			}
			sub["trial_end"] = strconv.FormatInt(s.opts.Now().Unix()+int64(days)*86400, 10)
		}
		if _, _, err := s.upsert("subscriptions", sub); err != nil {
			charges.remove(c)
			s.mu.Unlock()
			writeParamError(w, err)
			return
		}
		charges.modify(c, func() { c.Subscription = ref("sub-" + c.id) })
	}
	if using == "card" {
		c.log(s.opts.Now(), "charge", "Charged through the gateway", "")
		s.changed("charges", nil, c, true)
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, s.wrap("charges", c))
		return
	}
	charges.modify(c, func() { c.Status = "invoiced" })
	// The new charge is no one else's yet: its lock is free.
	unlock, _ := s.locks.tryLock(&c.base)
	defer unlock()
	a := &act{action: chargedesk.ActionRequestPayment, charge: c, payload: map[string]any{"charge": s.chargeObject(c)}}
	a.apply = func() (string, error) {
		if c.payLink() == "" {
			c.setPayLink("https://pay.chargedesk.invalid/" + c.id)
		}
		return "Payment requested", nil
	}
	a.undo = func() { charges.remove(c) } // nothing reached the customer
	s.mu.Unlock()
	s.perform(r.Context(), w, a)
}
