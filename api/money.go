package api

import "github.com/chargedesk/chargedesk-go"

// Money returns the amount s ("34.00") for a params field, for amounts
// written in code: Amount: api.Money("34.00"). It panics when s is not an
// exact decimal amount, as chargedesk.MustParseAmount does; parse amounts
// that come from data with chargedesk.ParseAmount, and pass a pointer to
// the result.
func Money(s string) *chargedesk.Amount {
	a := chargedesk.MustParseAmount(s)
	return &a
}
