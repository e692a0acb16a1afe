package chargedesk

import (
	"reflect"
	"strings"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// maxDepth is how deeply a webhook body may nest objects and arrays.
const maxDepth = wire.MaxDepth

// webhookSchema is where ChargeDesk's keys lie in a webhook, read off the
// envelope: its keys, a record under each key that holds an object (charge,
// subscription), and a list of records under each that holds a list
// (plans), with the keys of those records.
var webhookSchema = func() *wire.Schema {
	var keys, records, lists []string
	for _, v := range []any{envelope{}, chargeWire{}, subscriptionWire{}, planWire{}} {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			keys = append(keys, name)
			if t != reflect.TypeFor[envelope]() {
				continue
			}
			switch f.Type.Kind() {
			case reflect.Pointer:
				records = append(records, name)
			case reflect.Slice:
				lists = append(lists, name)
			}
		}
	}
	s := wire.NewSchema(keys, records, lists)
	wire.Overlay(s, func(c *Charge) any { return c.wire() })
	wire.Overlay(s, func(s *Subscription) any { return s.wire() })
	return s
}()
