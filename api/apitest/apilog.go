package apitest

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// apiLogAction is the log entry's action of an update made through the
// API, beside the agent actions' (refund, cancel, ...): the console shows
// the entries of both, each with its time, so that a user sees, say, the
// platform's sync bring in a refund the agent was told had timed out.
const apiLogAction = "api"

// apiUpdated logs on r an update made through the API (duplicate=update
// or an update by id) that changed it: which fields, from what to what.
// before is r as it was; an update that changed nothing is not logged.
// The caller holds s.mu.
func (s *Server) apiUpdated(name string, before, r record) {
	if before == nil {
		return
	}
	var changes []string
	for _, f := range resources[name].fields {
		a, b := value(before, f), value(r, f)
		if !reflect.DeepEqual(a, b) {
			changes = append(changes, fmt.Sprintf("%s %s → %s", f.name, shown(a), shown(b)))
		}
	}
	if len(changes) > 0 {
		r.meta().log(s.opts.Now(), apiLogAction, "Updated through the API: "+strings.Join(changes, "; "), "")
	}
}

// shown is a field's value as the log shows it.
func shown(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "(none)"
		}
		return v
	case ref:
		if v == "" {
			return "(none)"
		}
		return string(v)
	case chargedesk.Amount:
		return v.String()
	case unix:
		if v == 0 {
			return "(none)"
		}
		return time.Unix(int64(v), 0).UTC().Format(time.RFC3339)
	case pairs, address, texts:
		return "(changed)"
	}
	return fmt.Sprint(v)
}
