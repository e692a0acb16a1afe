package apitest

import (
	"fmt"
	"strings"
)

// Shape is the form of the records a Server answers with. Both carry the
// same data; a client of ChargeDesk's API should read either (see
// docs/api-compat.md).
type Shape string

const (
	// ShapeDocumented, the default (and the zero Shape), answers as
	// ChargeDesk's documentation shows: the record objects its webhooks
	// carry (charge_id, customer_id, customer_email, amounts as text such as
	// "34.00", amount_formatted, company, times as unix seconds, booleans as
	// 0 and 1, an empty metadata as []), bare from the record endpoints,
	// wrapped under the class name from the gateway operations
	// ({"charge": {...}}), and lists as {"data": [...]}.
	ShapeDocumented Shape = "documented"
	// ShapeSeed answers as the seed OpenAPI specification (a third party's)
	// describes: id and object, a charge's customer, product and
	// subscription nested as {id, ...}, amounts as JSON numbers, times in
	// RFC 3339, true and false, every answer bare, and lists as {"object":
	// "list", "data", "total_count", "count", "offset"}.
	ShapeSeed Shape = "seed"
)

// Shapes lists every Shape, the default first: run a test against each
// (see EachShape).
func Shapes() []Shape { return []Shape{ShapeDocumented, ShapeSeed} }

// ParseShape reads a Shape from its name ("documented" or "seed", in any
// case; "" is the default). Any other name is an error that lists the
// valid ones.
func ParseShape(name string) (Shape, error) {
	switch Shape(strings.ToLower(strings.TrimSpace(name))) {
	case "", ShapeDocumented:
		return ShapeDocumented, nil
	case ShapeSeed:
		return ShapeSeed, nil
	}
	return "", fmt.Errorf("apitest: unknown answer shape %q (documented or seed)", name)
}

func (s Shape) seed() bool { return s == ShapeSeed }
