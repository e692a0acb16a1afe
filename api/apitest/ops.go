package apitest

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

func (s *Server) create(name string) handler {
	return func(w http.ResponseWriter, r *http.Request, in map[string]any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.stores[name]
		var before record // what duplicate=update changes
		if existing := st.withUnique(text(in, st.res.unique)); existing != nil {
			before = existing.clone()
		}
		rec, created, err := s.upsert(name, in)
		if err != nil {
			writeParamError(w, err)
			return
		}
		if !created {
			s.apiUpdated(name, before, rec)
		}
		s.changed(name, before, rec, created)
		writeJSON(w, http.StatusOK, s.render(name, rec))
	}
}

func (s *Server) get(name string) handler {
	return func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.stores[name].find(chi.URLParam(r, "id"))
		if rec == nil {
			notFound(w, resources[name].object)
			return
		}
		writeJSON(w, http.StatusOK, s.render(name, rec))
	}
}

func (s *Server) updateOp(name string) handler {
	return func(w http.ResponseWriter, r *http.Request, in map[string]any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.stores[name]
		rec := st.find(chi.URLParam(r, "id"))
		if rec == nil {
			notFound(w, st.res.object)
			return
		}
		// The seed's updateCharge takes ChargeInput, duplicate included; an
		// update has nothing to duplicate, so only its one value is taken.
		if d := text(in, "duplicate"); d != "" && d != "update" {
			writeParamError(w, badParam("duplicate", "parameter_invalid", "duplicate may only be update"))
			return
		}
		delete(in, "duplicate")
		before := rec.clone()
		if err := s.update(st, rec, in); err != nil {
			writeParamError(w, err)
			return
		}
		s.apiUpdated(name, before, rec)
		s.changed(name, before, rec, false)
		writeJSON(w, http.StatusOK, s.render(name, rec))
	}
}

func notFound(w http.ResponseWriter, object string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "", "No such "+object)
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request, in map[string]any) {
	amount, err := readField(field{name: "amount", kind: kAmount}, in["amount"])
	if err != nil || textOf(in["amount"]) == "" {
		writeParamError(w, badParam("amount", "parameter_missing", "Missing required parameter amount"))
		return
	}
	currency := strings.ToUpper(text(in, "currency"))
	if _, ok := chargedesk.CurrencyMinorUnits(currency); !ok {
		writeParamError(w, badParam("currency", "parameter_invalid", "currency must be a 3-letter ISO code"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	custID := ""
	if c, ok := in["customer"].(map[string]any); ok {
		custID = textOf(c["id"])
	}
	// A charge that is not stored: the preview of its tax.
	c := &charge{base: base{created: unix(s.opts.Now().Unix())}, Amount: amount.(chargedesk.Amount),
		Currency: currency, Status: "pending", Customer: ref(custID), Occurred: unix(s.opts.Now().Unix())}
	c.self = c
	writeJSON(w, http.StatusOK, s.render("charges", c))
}

func (s *Server) deleteCharge(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores["charges"]
	rec := st.find(chi.URLParam(r, "id"))
	if rec == nil {
		notFound(w, "charge")
		return
	}
	s.deletedCharge(rec.(*charge))
	st.remove(rec)
	writeJSON(w, http.StatusOK, s.deleted("charges", rec))
}

// deleted is the answer to a delete: the id and deleted: true.
func (s *Server) deleted(name string, r record) map[string]any {
	object := resources[name].object
	if s.opts.Shape.seed() {
		return map[string]any{"id": r.meta().id, "object": object, "deleted": true}
	}
	return map[string]any{object + "_id": r.meta().id, "object": object, "deleted": 1}
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, in map[string]any) {
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
	if l := charges.list(indexKey("customer", rec.meta().id)); l != nil && mode != "" && mode != "0" {
		var theirs []*charge
		l.each(0, func(b *base) bool { theirs = append(theirs, b.self.(*charge)); return true })
		for _, c := range theirs {
			if mode == "1" {
				s.deletedCharge(c)
				charges.remove(c)
			} else {
				before := s.snapshot(c)
				charges.modify(c, func() { c.Customer = "anonymized" })
				s.changed("charges", before, c, false)
			}
		}
	}
	writeJSON(w, http.StatusOK, s.deleted("customers", rec))
}

func (s *Server) items(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _ := s.stores["charges"].find(chi.URLParam(r, "id")).(*charge)
	if c == nil {
		notFound(w, "charge")
		return
	}
	if s.opts.Shape.seed() {
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": lineItems(c.id, c.Lines.list(), c.Currency, true)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": itemRows(c.id, c.Lines.list(), c.Currency), "taxes": []any{}})
}

func (s *Server) email(w http.ResponseWriter, r *http.Request, in map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _ := s.stores["charges"].find(chi.URLParam(r, "id")).(*charge)
	if c == nil {
		notFound(w, "charge")
		return
	}
	detail := ""
	if text(in, "email") != "" {
		detail = "to another address" // never the address: it is customer data
	}
	c.log(s.opts.Now(), "email", "Receipt emailed", detail)
	writeJSON(w, http.StatusOK, s.render("charges", c))
}

// grouped is the customers' billing history (/customers/grouped, and
// /customers/history as ChargeDesk's PHP client calls it): a page of
// customers, newest first, each with its newest 100 charges and 100
// subscriptions (neither the seed nor the docs show the answer's shape).
// query narrows it to customers whose id, email, name or username holds
// the text; count and offset page through it as through a list.
func (s *Server) grouped(w http.ResponseWriter, r *http.Request, in map[string]any) {
	q, err := s.listQuery("customers", in)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page, _ := s.run("customers", q)
	groups := make([]any, 0, len(page))
	for _, c := range page {
		id := c.meta().id
		groups = append(groups, map[string]any{
			"customer":      s.render("customers", c),
			"charges":       s.renderList("charges", indexKey("customer", id)),
			"subscriptions": s.renderList("subscriptions", indexKey("customer", id)),
		})
	}
	if s.opts.Shape.seed() {
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": groups})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": groups})
}

// renderList renders the first 100 records of an index key's list.
func (s *Server) renderList(name, key string) []any {
	out := []any{}
	if l := s.stores[name].list(key); l != nil {
		l.each(0, func(b *base) bool {
			out = append(out, s.render(name, b.self))
			return len(out) < 100
		})
	}
	return out
}
