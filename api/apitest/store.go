package apitest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// store holds the records of one resource with the indexes its lists and
// lookups use: by id, by unique id, and newest first, whole and by each of
// the record's index keys (status, customer, subscription). Every write
// keeps the indexes in step; nothing is ever re-sorted. The Server's mutex
// guards it.
type store struct {
	res  *resource
	byID map[string]*base
	// byUnique holds the records whose unique id is not their id (every
	// charge); a customer, subscription or product is its unique id.
	byUnique map[string]*base
	all      ordered
	lists    map[string]*ordered // by index key
	keys     []string            // scratch for index keys
	interned map[string]string   // currencies, statuses and intervals
}

func newStore(res *resource) *store {
	return &store{res: res, byID: map[string]*base{}, byUnique: map[string]*base{},
		lists: map[string]*ordered{}, interned: map[string]string{}}
}

func (st *store) len() int { return len(st.byID) }

// find looks a record up by its id, else by its unique id.
func (st *store) find(id string) record {
	if b := st.byID[id]; b != nil {
		return b.self
	}
	if b := st.byUnique[id]; b != nil {
		return b.self
	}
	return nil
}

// withUnique returns the record whose unique id is u, if any.
func (st *store) withUnique(u string) record {
	if u == "" {
		return nil
	}
	if b := st.byUnique[u]; b != nil {
		return b.self
	}
	if b := st.byID[u]; b != nil && b.self.unique() == u {
		return b.self
	}
	return nil
}

// holds reports whether r is stored (and not deleted or replaced by a
// Load since it was found).
func (st *store) holds(r record) bool { return r != nil && st.byID[r.meta().id] == r.meta() }

// put stores a new record and indexes it.
func (st *store) put(r record) {
	b := r.meta()
	st.byID[b.id] = b
	if u := r.unique(); u != "" && u != b.id {
		st.byUnique[u] = b
	}
	st.index(r)
}

// remove deletes a record.
func (st *store) remove(r record) {
	st.unindex(r)
	b := r.meta()
	delete(st.byID, b.id)
	if u := r.unique(); u != "" && st.byUnique[u] == b {
		delete(st.byUnique, u)
	}
}

// modify changes r with change, keeping the indexes in step.
func (st *store) modify(r record, change func()) {
	oldUnique := r.unique()
	st.unindex(r)
	change()
	if u := r.unique(); u != oldUnique {
		if st.byUnique[oldUnique] == r.meta() {
			delete(st.byUnique, oldUnique)
		}
		if u != "" && u != r.meta().id {
			st.byUnique[u] = r.meta()
		}
	}
	st.index(r)
}

func (st *store) index(r record) {
	b := r.meta()
	st.all.insert(b)
	st.keys = r.indexKeys(st.keys[:0])
	for _, k := range st.keys {
		l := st.lists[k]
		if l == nil {
			l = &ordered{}
			st.lists[k] = l
		}
		l.insert(b)
	}
}

func (st *store) unindex(r record) {
	b := r.meta()
	st.all.remove(b)
	st.keys = r.indexKeys(st.keys[:0])
	for _, k := range st.keys {
		if l := st.lists[k]; l != nil {
			l.remove(b)
			if l.len() == 0 {
				delete(st.lists, k)
			}
		}
	}
}

// list returns the list of an index key ("" for every record); nil when
// no record has the key.
func (st *store) list(key string) *ordered {
	if key == "" {
		return &st.all
	}
	return st.lists[key]
}

// newest calls f with every record, newest first, until f returns false.
func (st *store) newest(f func(record) bool) {
	st.all.each(0, func(b *base) bool { return f(b.self) })
}

// intern returns the store's copy of s, a value from a short list
// (currencies, statuses, intervals), so that a million records share it.
func (st *store) intern(s string) string {
	if v, ok := st.interned[s]; ok {
		return v
	}
	if len(st.interned) < 1000 {
		st.interned[s] = s
	}
	return s
}

// apply reads in's fields into r, refusing unknown parameters and values
// the field does not take.
func (st *store) apply(r record, in map[string]any) error {
	if err := checkParams(in, st.res.accepted); err != nil {
		return err
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first bad one, whatever the map's order
	for _, key := range keys {
		f, _ := st.res.field(key)
		val, err := readField(f, in[key])
		if err != nil {
			return err
		}
		if s, ok := val.(string); ok && s != "" {
			if vals, ok := st.res.enums[key]; ok {
				i := slices.Index(vals, s)
				if i < 0 {
					return badParam(key, "parameter_invalid", "%s must be one of: %s", key, strings.Join(vals, ", "))
				}
				val = vals[i]
			}
		}
		setValue(r, f, val)
	}
	return st.checkMoney(r)
}

// checkMoney makes the record's currency upper case and checks that its
// amounts fit it.
func (st *store) checkMoney(r record) error {
	f, ok := st.res.field("currency")
	if !ok {
		return nil
	}
	c, _ := value(r, f).(string)
	if c == "" {
		return nil
	}
	if _, ok := chargedesk.CurrencyMinorUnits(c); !ok {
		return badParam("currency", "parameter_invalid", "currency must be a 3-letter ISO code")
	}
	setValue(r, f, st.intern(strings.ToUpper(c)))
	for _, af := range st.res.fields {
		if af.kind != kAmount {
			continue
		}
		if a := value(r, af).(chargedesk.Amount); !a.IsZero() {
			if _, err := a.MinorUnits(c); err != nil {
				return badParam(af.name, "parameter_invalid", "%s has more decimal places than %s allows", af.name, c)
			}
		}
	}
	return nil
}

// upsert creates a record from in, or with duplicate=update updates the one
// with the same unique id. It reports whether it created one.
func (s *Server) upsert(name string, in map[string]any) (record, bool, error) {
	st := s.stores[name]
	duplicate := text(in, "duplicate")
	delete(in, "duplicate")
	if duplicate != "" && duplicate != "update" {
		return nil, false, badParam("duplicate", "parameter_invalid", "duplicate may only be update")
	}
	unique := text(in, st.res.unique)
	if existing := st.withUnique(unique); existing != nil {
		if duplicate != "update" {
			return nil, false, badParam(st.res.unique, "duplicate",
				"A %s with this %s already exists; set duplicate=update to update it", st.res.object, st.res.unique)
		}
		if err := s.update(st, existing, in); err != nil {
			return nil, false, err
		}
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
	r := st.res.make()
	if err := st.apply(r, in); err != nil {
		return nil, false, err
	}
	s.shareIDs(r)
	s.seq++
	b := r.meta()
	b.seq, b.created = s.seq, unix(s.opts.Now().Unix())
	b.id = r.unique()
	if name == "charges" || b.id == "" {
		b.id = fmt.Sprintf("%s-%06d", st.res.object, s.seq)
		if name == "charges" {
			b.id = fmt.Sprintf("ch-%06d", s.seq)
		}
	}
	if c, ok := r.(*charge); ok {
		if c.Occurred == 0 {
			c.Occurred = b.created
		}
		if c.Status == "" {
			c.Status = "paid"
		}
	}
	st.put(r)
	return r, true, nil
}

// update applies in to r, which stays as it was when in is refused.
func (s *Server) update(st *store, r record, in map[string]any) error {
	if u := text(in, st.res.unique); u != "" && u != r.unique() && st.withUnique(u) != nil {
		return badParam(st.res.unique, "duplicate", "Another %s has this %s", st.res.object, st.res.unique)
	}
	next := r.clone()
	if err := st.apply(next, in); err != nil {
		return err
	}
	s.shareIDs(next)
	st.modify(r, func() { r.assign(next) })
	return nil
}

// shareIDs points a record's references to other records at those
// records' own id strings, so that a million charges of a few customers do
// not hold a million copies of their ids.
func (s *Server) shareIDs(r record) {
	share := func(name, id string) string {
		if b := s.stores[name].byID[id]; b != nil {
			return b.id
		}
		return id
	}
	switch r := r.(type) {
	case *charge:
		r.Customer = ref(share("customers", string(r.Customer)))
		r.Product = ref(share("products", string(r.Product)))
		r.Subscription = ref(share("subscriptions", string(r.Subscription)))
	case *subscription:
		r.CustomerID = share("customers", r.CustomerID)
	}
}

// text is a parameter as trimmed text ("" when absent or not a scalar).
func text(in map[string]any, key string) string {
	s, _ := scalarText(in[key])
	return strings.TrimSpace(s)
}

func newStores() map[string]*store {
	out := make(map[string]*store, len(resources))
	for name, res := range resources {
		out[name] = newStore(res)
	}
	return out
}
