package apitest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	amount, err := readField(field{"amount", kAmount}, in["amount"])
	if err != nil || amount == nil {
		writeParamError(w, badParam("amount", "parameter_missing", "Missing required parameter amount"))
		return
	}
	currency := text(in, "currency")
	if _, ok := chargedesk.CurrencyMinorUnits(currency); !ok {
		writeParamError(w, badParam("currency", "parameter_invalid", "currency must be a 3-letter ISO code"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	custID := ""
	if c, ok := in["customer"].(map[string]any); ok {
		custID, _ = scalarText(c["id"])
	}
	a := amount.(chargedesk.Amount)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "", "object": "charge", "status": "pending", "amount": formatAmount(a, currency),
		"currency": currency, "added_tax": formatAmount(chargedesk.Amount{}, currency),
		"amount_refunded": formatAmount(chargedesk.Amount{}, currency), "customer": s.ref("customer", custID),
		"metadata": []any{}, "lines": []any{}, "occurred": s.opts.Now().Unix(),
	})
}

func (s *Server) deleteCharge(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores["charges"]
	rec := st.find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "charge")
		return
	}
	st.remove(rec)
	writeJSON(w, http.StatusOK, map[string]any{"id": rec.id, "object": "charge", "deleted": true})
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	mode := text(in, "delete_all")
	if mode != "" && mode != "0" && mode != "1" && mode != "2" {
		writeParamError(w, badParam("delete_all", "parameter_invalid", "delete_all must be 0, 1 or 2"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores["customers"]
	rec := st.find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "customer")
		return
	}
	st.remove(rec)
	charges := s.stores["charges"]
	for _, c := range charges.newest() {
		if c.str("customer") != rec.id {
			continue
		}
		switch mode {
		case "1":
			charges.remove(c)
		case "2":
			c.f["customer"] = "anonymized"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": rec.id, "object": "customer", "deleted": true})
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.stores["charges"].find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "charge")
		return
	}
	lines, _ := rec.f["lines"].([]string)
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": lineItems(rec.id, lines, rec.str("currency"))})
}

func (s *Server) email(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.stores["charges"].find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "charge")
		return
	}
	rec.log(s.opts.Now(), "email", "Receipt emailed", "")
	writeJSON(w, http.StatusOK, s.render("charges", rec))
}

func (s *Server) grouped(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := []any{}
	for _, c := range s.stores["customers"].newest() {
		var charges, subs []any
		for _, ch := range s.stores["charges"].newest() {
			if ch.str("customer") == c.id {
				charges = append(charges, s.render("charges", ch))
			}
		}
		for _, sub := range s.stores["subscriptions"].newest() {
			if sub.str("customer_id") == c.id {
				subs = append(subs, s.render("subscriptions", sub))
			}
		}
		groups = append(groups, map[string]any{
			"customer": s.render("customers", c), "charges": orAny(charges), "subscriptions": orAny(subs),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": groups})
}

func orAny(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := make([]any, 0, len(s.webhooks))
	for _, h := range s.webhooks {
		data = append(data, h)
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	in, ok := input(w, r)
	if !ok {
		return
	}
	url := text(in, "url")
	if url == "" {
		writeParamError(w, badParam("url", "parameter_missing", "Missing required parameter url"))
		return
	}
	events, err := readField(field{"events", kList}, orList(in["events"]))
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	h := map[string]any{"id": fmt.Sprintf("wh-%06d", s.seq), "object": "webhook", "url": url,
		"events": events, "active": 1, "created": s.opts.Now().Unix()}
	s.webhooks = append(s.webhooks, h)
	writeJSON(w, http.StatusOK, h)
}

func orList(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := chi.URLParam(r, "id")
	for i, h := range s.webhooks {
		if h["id"] == id {
			s.webhooks = append(s.webhooks[:i], s.webhooks[i+1:]...)
			writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "webhook", "deleted": true})
			return
		}
	}
	notFound(w, "webhook")
}

func (r *record) log(at time.Time, action, message, detail string) {
	entry := map[string]any{"time": at.Unix(), "action": action, "message": message}
	if detail != "" {
		entry["detail"] = detail
	}
	r.logs = append(r.logs, entry)
}
