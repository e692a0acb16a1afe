package apitest

import (
	"strconv"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// render writes a record as ChargeDesk's API returns it, PHP-style.
func (s *Server) render(name string, r *record) map[string]any {
	st := s.stores[name]
	out := map[string]any{"id": r.id, "object": st.res.object}
	currency := r.str("currency")
	for _, f := range st.res.fields {
		v, ok := r.f[f.name]
		switch f.kind {
		case kString:
			if !ok {
				v = ""
			}
			out[f.name] = v
		case kAmount:
			a, _ := v.(chargedesk.Amount)
			out[f.name] = formatAmount(a, currency)
		case kInt:
			if !ok {
				v = int64(0)
			}
			out[f.name] = v
		case kBool:
			b, _ := v.(bool)
			out[f.name] = map[bool]int{true: 1, false: 0}[b] // PHP writes 0 and 1
		case kTime:
			t, _ := v.(time.Time)
			out[f.name] = unix(t)
		case kMap, kAddress:
			m, _ := v.(map[string]string)
			if len(m) == 0 {
				out[f.name] = []any{} // PHP's empty array
			} else {
				out[f.name] = m
			}
		case kRef:
			id, _ := v.(string)
			out[f.name] = s.ref(f.name, id)
		case kList:
			l, _ := v.([]string)
			if name == "charges" {
				out[f.name] = lineItems(r.id, l, currency)
			} else {
				out[f.name] = orEmpty(l)
			}
		}
	}
	if name == "charges" {
		if link, ok := r.f["pay_link"].(string); ok {
			out["pay_link"] = link
		}
	}
	logs := r.logs
	if logs == nil {
		logs = []map[string]any{}
	}
	out["logs"] = logs
	return out
}

func (s *Server) ref(name, id string) map[string]any {
	switch name {
	case "customer":
		c := s.stores["customers"].find(id)
		out := map[string]any{"id": id, "email": "", "name": ""}
		if c != nil {
			out["email"], out["name"] = c.str("email"), c.str("name")
		}
		return out
	case "product":
		p := s.stores["products"].find(id)
		out := map[string]any{"id": id, "name": ""}
		if p != nil {
			out["name"] = p.str("name")
		}
		return out
	}
	return map[string]any{"id": id}
}

func lineItems(chargeID string, lines []string, currency string) []any {
	out := make([]any, 0, len(lines))
	for i, l := range lines {
		out = append(out, map[string]any{
			"id": chargeID + "-line-" + strconv.Itoa(i+1), "description": l, "quantity": 1, "currency": currency,
			"amount": "0",
		})
	}
	return out
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// formatAmount writes an amount as a string at the currency's scale, as
// ChargeDesk does ("34.00").
func formatAmount(a chargedesk.Amount, currency string) string { return a.Format(currency) }

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
