package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// perform sends the action to the Agent, if any, and applies the answer's
// updates or, when it has none, ChargeDesk's default change; a refusal
// becomes an API error with the integration's message. Either way the
// action is logged on its records. The caller holds the records' locks.
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
	// What the events of the change compare with (a payment request's
	// charge is new: it has none).
	var chargeBefore, cust, custBefore record
	if a.charge != nil && a.action != chargedesk.ActionRequestPayment {
		chargeBefore = s.snapshot(a.charge)
	}
	switch {
	case a.charge != nil:
		cust = s.stores["customers"].find(string(a.charge.Customer))
	case a.sub != nil:
		cust = s.stores["customers"].find(a.sub.CustomerID)
	}
	custBefore = s.snapshot(cust)
	logOn := func(msg string) {
		if a.charge != nil {
			a.charge.log(now, string(a.action), msg, a.reason)
		}
		if a.sub != nil {
			a.sub.log(now, string(a.action), msg, a.reason)
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
		a.charge.setPayLink(answer.RedirectURL)
	}
	logOn(msg)
	switch {
	case a.action == chargedesk.ActionRequestPayment:
		s.requested(a.charge)
	case a.charge != nil:
		s.changed("charges", chargeBefore, a.charge, false)
	}
	if cust != nil {
		s.changed("customers", custBefore, cust, false)
	}
	if a.sub != nil {
		writeJSON(w, http.StatusOK, s.wrap("subscriptions", a.sub))
		return
	}
	writeJSON(w, http.StatusOK, s.wrap("charges", a.charge))
}

// applyUpdates applies an answer's update objects to the records they are
// about, by the API's field names. A field the API does not have, or a
// value it would refuse, is skipped and named in the log message.
func (s *Server) applyUpdates(a *act, updates map[string]map[string]any) string {
	targets := map[string]record{}
	if a.charge != nil {
		targets["charge"] = a.charge
		targets["customer"] = s.stores["customers"].find(string(a.charge.Customer))
		targets["product"] = s.stores["products"].find(string(a.charge.Product))
	}
	if a.sub != nil {
		targets["subscription"] = a.sub
		if a.charge == nil {
			targets["customer"] = s.stores["customers"].find(a.sub.CustomerID)
		}
	}
	stores := map[string]string{"charge": "charges", "subscription": "subscriptions", "customer": "customers", "product": "products"}
	var changed, skipped []string
	for _, object := range []string{"charge", "subscription", "customer", "product"} {
		fields, ok := updates[object]
		if !ok {
			continue
		}
		rec := targets[object]
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
			if c, ok := rec.(*charge); ok && k == "pay_link" {
				if link, ok := fields[k].(string); ok {
					c.setPayLink(link)
					changed = append(changed, "charge.pay_link")
				}
				continue
			}
			if err := s.update(st, rec, map[string]any{k: fields[k]}); err != nil {
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
