package apitest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go"
)

// record is one stored record: its id, when it was made, and its fields as
// read by readField.
type record struct {
	id      string
	seq     int64
	created time.Time
	f       map[string]any
	logs    []map[string]any
}

type store struct {
	res      *resource
	byID     map[string]*record
	byUnique map[string]*record
	sorted   []*record // newest first; nil when it must be rebuilt
}

func newStore(res *resource) *store {
	return &store{res: res, byID: map[string]*record{}, byUnique: map[string]*record{}}
}

// find looks a record up by its id, else by its unique id.
func (st *store) find(id string) *record {
	if r := st.byID[id]; r != nil {
		return r
	}
	return st.byUnique[id]
}

func (st *store) newest() []*record {
	if st.sorted == nil {
		st.sorted = make([]*record, 0, len(st.byID))
		for _, r := range st.byID {
			st.sorted = append(st.sorted, r)
		}
		slices.SortFunc(st.sorted, func(a, b *record) int {
			if c := b.when().Compare(a.when()); c != 0 {
				return c
			}
			return cmp.Compare(b.seq, a.seq)
		})
	}
	return st.sorted
}

// when is the time a list orders by: a charge's occurred, else creation.
func (r *record) when() time.Time {
	if t, ok := r.f["occurred"].(time.Time); ok && !t.IsZero() {
		return t
	}
	return r.created
}

func (r *record) str(name string) string {
	s, _ := r.f[name].(string)
	return s
}

func (r *record) amount(name string) chargedesk.Amount {
	a, _ := r.f[name].(chargedesk.Amount)
	return a
}

// apply reads in's fields into r, refusing unknown parameters.
func (st *store) apply(r *record, in map[string]any) error {
	for key, v := range in {
		f, ok := st.field(key)
		if !ok {
			return badParam(key, "parameter_unknown", "Unknown parameter %s for a %s", key, st.res.object)
		}
		val, err := readField(f, v)
		if err != nil {
			return err
		}
		if vals, ok := st.res.enums[key]; ok && val != "" && !slices.Contains(vals, val.(string)) {
			return badParam(key, "parameter_invalid", "%s must be one of: %s", key, strings.Join(vals, ", "))
		}
		if val == nil {
			delete(r.f, key)
			continue
		}
		r.f[key] = val
	}
	if c := r.str("currency"); c != "" {
		if _, ok := chargedesk.CurrencyMinorUnits(c); !ok {
			return badParam("currency", "parameter_invalid", "currency must be a 3-letter ISO code")
		}
		r.f["currency"] = strings.ToUpper(c)
		for _, name := range []string{"amount", "amount_refunded", "setup_amount"} {
			if a, ok := r.f[name].(chargedesk.Amount); ok {
				if _, err := a.MinorUnits(c); err != nil {
					return badParam(name, "parameter_invalid", "%s has more decimal places than %s allows", name, c)
				}
			}
		}
	}
	return nil
}

func (st *store) field(name string) (field, bool) {
	for _, f := range st.res.fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// upsert creates a record from in, or with duplicate=update updates the one
// with the same unique id. It reports whether it created one.
func (s *Server) upsert(name string, in map[string]any) (*record, bool, error) {
	st := s.stores[name]
	duplicate := text(in, "duplicate")
	delete(in, "duplicate")
	if duplicate != "" && duplicate != "update" {
		return nil, false, badParam("duplicate", "parameter_invalid", "duplicate may only be update")
	}
	unique := text(in, st.res.unique)
	if existing := st.byUnique[unique]; unique != "" && existing != nil {
		if duplicate != "update" {
			return nil, false, badParam(st.res.unique, "duplicate",
				"A %s with this %s already exists; set duplicate=update to update it", st.res.object, st.res.unique)
		}
		next := existing.clone()
		if err := st.apply(next, in); err != nil {
			return nil, false, err
		}
		existing.f = next.f
		st.sorted = nil
		return existing, false, nil
	}
	for _, req := range st.res.required {
		if v, ok := in[req]; !ok || v == nil || v == "" {
			param := req
			if req == "customer" {
				param = "customer[id]"
			}
			return nil, false, badParam(param, "parameter_missing", "Missing required parameter %s", param)
		}
	}
	s.seq++
	r := &record{seq: s.seq, created: s.opts.Now().UTC().Truncate(time.Second), f: map[string]any{}}
	if err := st.apply(r, in); err != nil {
		return nil, false, err
	}
	r.id = unique
	if name == "charges" || r.id == "" {
		r.id = fmt.Sprintf("%s-%06d", st.res.object, s.seq)
		if name == "charges" {
			r.id = fmt.Sprintf("ch-%06d", s.seq)
		}
	}
	if name == "charges" {
		if _, ok := r.f["occurred"]; !ok {
			r.f["occurred"] = r.created
		}
		if _, ok := r.f["status"]; !ok {
			r.f["status"] = "paid"
		}
	}
	st.put(r)
	return r, true, nil
}

func (st *store) put(r *record) {
	st.byID[r.id] = r
	if u := r.str(st.res.unique); u != "" {
		st.byUnique[u] = r
	}
	st.sorted = nil
}

func (st *store) remove(r *record) {
	delete(st.byID, r.id)
	if u := r.str(st.res.unique); u != "" && st.byUnique[u] == r {
		delete(st.byUnique, u)
	}
	st.sorted = nil
}

func (r *record) clone() *record {
	c := *r
	c.f = make(map[string]any, len(r.f))
	for k, v := range r.f {
		c.f[k] = v
	}
	return &c
}

func (s *Server) create(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := input(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		rec, _, err := s.upsert(name, in)
		if err != nil {
			writeParamError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s.render(name, rec))
	}
}

func (s *Server) get(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) update(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := input(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.stores[name]
		rec := st.find(chi.URLParam(r, "id"))
		if rec == nil {
			notFound(w, st.res.object)
			return
		}
		if u := text(in, st.res.unique); u != "" && u != rec.str(st.res.unique) && st.byUnique[u] != nil {
			writeParamError(w, badParam(st.res.unique, "duplicate", "Another %s has this %s", st.res.object, st.res.unique))
			return
		}
		next := rec.clone()
		if err := st.apply(next, in); err != nil {
			writeParamError(w, err)
			return
		}
		st.remove(rec)
		rec.f = next.f
		st.put(rec)
		writeJSON(w, http.StatusOK, s.render(name, rec))
	}
}

func notFound(w http.ResponseWriter, object string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "", "No such "+object)
}

func (s *Server) list(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := input(w, r)
		if !ok {
			return
		}
		count, offset, err := listBounds(in)
		if err != nil {
			writeParamError(w, err)
			return
		}
		match, err := s.filter(name, in)
		if err != nil {
			writeParamError(w, err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.stores[name]
		candidates := st.newest
		if tx := text(in, "transaction_id"); name == "charges" && tx != "" {
			// The unique id is indexed, as ChargeDesk's would be: an
			// importer looks each charge up by it.
			candidates = func() []*record {
				if r := st.byUnique[tx]; r != nil {
					return []*record{r}
				}
				return nil
			}
		}
		var all []*record
		for _, rec := range candidates() {
			if match(rec) {
				all = append(all, rec)
			}
		}
		data := []any{}
		for i := offset; i < len(all) && len(data) < count; i++ {
			data = append(data, s.render(name, all[i]))
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"object": "list", "data": data, "total_count": len(all), "count": len(data), "offset": offset,
		})
	}
}

// filter builds the list filter of the spec's query parameters.
func (s *Server) filter(name string, in map[string]any) (func(*record) bool, error) {
	var tests []func(*record) bool
	eq := func(field, want string) {
		if want != "" {
			tests = append(tests, func(r *record) bool { return r.str(field) == want })
		}
	}
	allowed := map[string]bool{"count": true, "offset": true}
	switch name {
	case "charges":
		for _, k := range []string{"status", "query", "customer", "last_4_digits", "transaction_id", "occurred"} {
			allowed[k] = true
		}
		eq("status", text(in, "status"))
		eq("last_4_digits", text(in, "last_4_digits"))
		eq("transaction_id", text(in, "transaction_id"))
		if cust, ok := in["customer"].(map[string]any); ok {
			for _, k := range []string{"id", "email", "name", "username"} {
				want, _ := scalarText(cust[k])
				if want == "" {
					continue
				}
				tests = append(tests, func(r *record) bool { return s.customerField(r.str("customer"), k) == want })
			}
		}
		if occ, ok := in["occurred"].(map[string]any); ok {
			for _, bound := range []string{"min", "max"} {
				v, present := occ[bound]
				if !present {
					continue
				}
				t, err := readField(field{"occurred[" + bound + "]", kTime}, v)
				if err != nil {
					return nil, err
				}
				limit := t.(time.Time)
				if bound == "min" {
					tests = append(tests, func(r *record) bool { return !r.when().Before(limit) })
				} else {
					tests = append(tests, func(r *record) bool { return !r.when().After(limit) })
				}
			}
		}
		if q := strings.ToLower(text(in, "query")); q != "" {
			tests = append(tests, func(r *record) bool {
				hay := strings.ToLower(strings.Join([]string{r.id, r.str("transaction_id"), r.str("description"),
					r.str("customer"), s.customerField(r.str("customer"), "email"), s.customerField(r.str("customer"), "name")}, " "))
				return strings.Contains(hay, q)
			})
		}
	case "customers":
		allowed["query"] = true
		if q := strings.ToLower(text(in, "query")); q != "" {
			tests = append(tests, func(r *record) bool {
				return strings.Contains(strings.ToLower(r.id+" "+r.str("email")+" "+r.str("name")+" "+r.str("username")), q)
			})
		}
	case "subscriptions":
		allowed["status"], allowed["customer"] = true, true
		eq("status", text(in, "status"))
		if cust, ok := in["customer"].(map[string]any); ok {
			id, _ := scalarText(cust["id"])
			eq("customer_id", id)
		}
	}
	for k := range in {
		if !allowed[k] {
			return nil, badParam(k, "parameter_unknown", "Unknown filter %s", k)
		}
	}
	return func(r *record) bool {
		for _, t := range tests {
			if !t(r) {
				return false
			}
		}
		return true
	}, nil
}

// customerField is a field of the customer with this id ("id" is the id).
func (s *Server) customerField(id, name string) string {
	if name == "id" || id == "" {
		return id
	}
	if c := s.stores["customers"].find(id); c != nil {
		return c.str(name)
	}
	return ""
}
