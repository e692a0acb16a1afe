package apitest

import (
	"net/http"
	"strconv"
	"strings"
)

// listQuery is a list request, read and checked.
type listQuery struct {
	count, offset int
	// key is the index key whose list the query walks ("" for all).
	key string
	// unique, when set, is the only record to consider (transaction_id).
	unique string
	// newest and oldest bound the records' time, both included; 0 is none.
	newest, oldest unix
	// match tests what the index does not (nil: everything matches).
	match func(record) bool
}

// listParams are the parameters each list takes, in the notation of
// checkParams: the spec's filters, and the documented time filters.
var listParams = map[string][]string{
	"charges": {"count", "offset", "status", "query", "customer[id]", "customer[email]", "customer[name]",
		"customer[username]", "last_4_digits", "transaction_id", "occurred[min]", "occurred[max]"},
	"customers":     {"count", "offset", "query", "first_seen[min]", "first_seen[max]"},
	"subscriptions": {"count", "offset", "status", "customer[id]", "created[min]", "created[max]"},
	"products":      {"count", "offset", "created[min]", "created[max]"},
}

func (s *Server) list(name string) handler {
	return func(w http.ResponseWriter, r *http.Request, in map[string]any) {
		q, err := s.listQuery(name, in)
		if err != nil {
			writeParamError(w, err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		page, total := s.run(name, q)
		data := make([]any, len(page))
		for i, rec := range page {
			data[i] = s.render(name, rec)
		}
		if !s.opts.Shape.seed() {
			writeJSON(w, http.StatusOK, map[string]any{"data": data})
			return
		}
		if total < 0 {
			total = s.count(name, q)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"object": "list", "data": data, "total_count": total, "count": len(data), "offset": q.offset,
		})
	}
}

// listQuery reads a list's parameters: count and offset, and filters as
// an index key, a time window and a test for the rest.
func (s *Server) listQuery(name string, in map[string]any) (listQuery, error) {
	if err := checkParams(in, listParams[name]); err != nil {
		return listQuery{}, err
	}
	q := listQuery{count: 20}
	var err error
	if q.count, q.offset, err = listBounds(in); err != nil {
		return q, err
	}
	res := resources[name]
	if window, ok := in[res.dateFilter].(map[string]any); ok {
		for _, bound := range []string{"min", "max"} {
			v, present := window[bound]
			if !present {
				continue
			}
			f := field{name: res.dateFilter + "[" + bound + "]", kind: kTime}
			t, err := readField(f, v)
			if err != nil {
				return q, err
			}
			if bound == "min" {
				q.oldest = t.(unix)
			} else {
				q.newest = t.(unix)
			}
		}
	}
	var tests []func(record) bool
	customerFilter, _ := in["customer"].(map[string]any)
	customerID := textOf(customerFilter["id"])
	status := text(in, "status")
	switch name {
	case "charges":
		tx := text(in, "transaction_id")
		// The index walked covers its filter; the others are tested.
		switch {
		case tx != "":
			q.unique, tx = tx, ""
		case customerID != "":
			q.key, customerID = indexKey("customer", customerID), ""
		case status != "":
			q.key, status = indexKey("status", status), ""
		}
		tests = append(tests, s.chargeTests(in, status, customerID, tx, customerFilter)...)
	case "customers":
		if query := strings.ToLower(text(in, "query")); query != "" {
			tests = append(tests, func(r record) bool {
				c := r.(*customer)
				return strings.Contains(strings.ToLower(c.id+" "+c.Email+" "+c.Name+" "+c.Username), query)
			})
		}
	case "subscriptions":
		switch {
		case customerID != "":
			q.key = indexKey("customer", customerID)
			if status != "" {
				tests = append(tests, func(r record) bool { return r.(*subscription).Status == status })
			}
		case status != "":
			q.key = indexKey("status", status)
		}
	}
	if len(tests) > 0 {
		q.match = func(r record) bool {
			for _, t := range tests {
				if !t(r) {
					return false
				}
			}
			return true
		}
	}
	return q, nil
}

// chargeTests are the charge filters the index walked does not cover: an
// empty status, customerID or tx is no test.
func (s *Server) chargeTests(in map[string]any, status, customerID, tx string, customerFilter map[string]any) []func(record) bool {
	var tests []func(record) bool
	eq := func(want string, get func(*charge) string) {
		if want != "" {
			tests = append(tests, func(r record) bool { return get(r.(*charge)) == want })
		}
	}
	eq(status, func(c *charge) string { return c.Status })
	eq(customerID, func(c *charge) string { return string(c.Customer) })
	eq(text(in, "last_4_digits"), func(c *charge) string { return c.Last4Digits })
	eq(tx, func(c *charge) string { return c.TransactionID })
	for _, k := range []string{"email", "name", "username"} {
		eq(textOf(customerFilter[k]), func(c *charge) string { return s.customerField(string(c.Customer), k) })
	}
	if query := strings.ToLower(text(in, "query")); query != "" {
		tests = append(tests, func(r record) bool {
			c := r.(*charge)
			cust := string(c.Customer)
			hay := strings.ToLower(strings.Join([]string{c.id, c.TransactionID, c.Description, cust,
				s.customerField(cust, "email"), s.customerField(cust, "name")}, " "))
			return strings.Contains(hay, query)
		})
	}
	return tests
}

// run returns the page q asks for and the number of records matching it
// when that is known without a scan (-1 otherwise). A query on an index
// with no other test costs a few thousand additions at any offset; other
// tests walk the index's window until the page is full.
func (s *Server) run(name string, q listQuery) ([]record, int) {
	st := s.stores[name]
	var page []record
	if q.unique != "" {
		r := st.withUnique(q.unique)
		if r != nil && q.inWindow(r.meta()) && (q.match == nil || q.match(r)) && q.offset == 0 {
			page = append(page, r)
		}
		n := 0
		if r != nil && q.inWindow(r.meta()) && (q.match == nil || q.match(r)) {
			n = 1
		}
		return page, n
	}
	l := st.list(q.key)
	if l == nil {
		return nil, 0
	}
	start, end := q.window(l)
	if q.match == nil {
		l.each(start+q.offset, func(b *base) bool {
			if start+q.offset+len(page) >= end || len(page) == q.count {
				return false
			}
			page = append(page, b.self)
			return true
		})
		return page, end - start
	}
	skip := q.offset
	pos := start
	l.each(start, func(b *base) bool {
		if pos >= end || len(page) == q.count {
			return false
		}
		pos++
		if !q.match(b.self) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		page = append(page, b.self)
		return true
	})
	return page, -1
}

// count counts every record q matches, for the seed's total_count.
func (s *Server) count(name string, q listQuery) int {
	l := s.stores[name].list(q.key)
	if l == nil {
		return 0
	}
	start, end := q.window(l)
	n, pos := 0, start
	l.each(start, func(b *base) bool {
		if pos >= end {
			return false
		}
		pos++
		if q.match == nil || q.match(b.self) {
			n++
		}
		return true
	})
	return n
}

// window is the positions in l of the records within q's time bounds.
func (q listQuery) window(l *ordered) (start, end int) {
	start, end = 0, l.len()
	if q.newest != 0 {
		start = l.newerThan(q.newest)
	}
	if q.oldest != 0 {
		end = l.newerThan(q.oldest - 1)
	}
	return start, max(start, end)
}

func (q listQuery) inWindow(b *base) bool {
	t := b.self.orderTime()
	return (q.newest == 0 || t <= q.newest) && (q.oldest == 0 || t >= q.oldest)
}

// listBounds reads count (1-500, default 20) and offset (0-50,000).
func listBounds(in map[string]any) (count, offset int, err error) {
	count, offset = 20, 0
	if v, ok := in["count"]; ok {
		s, _ := scalarText(v)
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > 500 {
			return 0, 0, badParam("count", "parameter_invalid", "count must be between 1 and 500")
		}
		count = n
	}
	if v, ok := in["offset"]; ok {
		s, _ := scalarText(v)
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 0 {
			return 0, 0, badParam("offset", "parameter_invalid", "offset must be a whole number from 0")
		}
		if n > 50000 {
			return 0, 0, badParam("offset", "offset_too_large", "offset may not exceed 50000; narrow the list with filters")
		}
		offset = n
	}
	return count, offset, nil
}

func textOf(v any) string {
	s, _ := scalarText(v)
	return strings.TrimSpace(s)
}

// customerField is a field of the customer with this id ("id" is the id).
func (s *Server) customerField(id, name string) string {
	if name == "id" || id == "" {
		return id
	}
	c, _ := s.stores["customers"].find(id).(*customer)
	if c == nil {
		return ""
	}
	switch name {
	case "email":
		return c.Email
	case "name":
		return c.Name
	case "username":
		return c.Username
	}
	return ""
}
