package events

import "strings"

// Name is an event's name, ChargeDesk's "event" field: charge_paid,
// customer_updated, ...
type Name string

// The events ChargeDesk's webhooks page documents. Payment requests are
// charges: ChargeRequest is a payment request made, ChargeRequestPaid one
// paid, ChargeRequestReminder one left unpaid.
const (
	ChargeNew             Name = "charge_new"
	ChargeUpdated         Name = "charge_updated"
	ChargeDeleted         Name = "charge_deleted"
	ChargeRequest         Name = "charge_request"
	ChargePaid            Name = "charge_paid" // not payment requests: see ChargeRequestPaid
	ChargeRequestPaid     Name = "charge_request_paid"
	ChargePendingPaid     Name = "charge_pending_paid"
	ChargeRefunded        Name = "charge_refunded"
	ChargeFailed          Name = "charge_failed"
	ChargeDisputed        Name = "charge_disputed"
	ChargeRequestReminder Name = "charge_request_reminder"
	CustomerNew           Name = "customer_new"
	CustomerUpdated       Name = "customer_updated"
)

// Names returns every documented event, in the order of ChargeDesk's page.
func Names() []Name {
	return []Name{ChargeNew, ChargeUpdated, ChargeDeleted, ChargeRequest, ChargePaid, ChargeRequestPaid,
		ChargePendingPaid, ChargeRefunded, ChargeFailed, ChargeDisputed, ChargeRequestReminder,
		CustomerNew, CustomerUpdated}
}

// Known reports whether n is one of the documented events.
func (n Name) Known() bool {
	for _, k := range Names() {
		if n == k {
			return true
		}
	}
	return false
}

// Class is the class of the object an event is about, as ChargeDesk's
// "class" field names it; the event's data holds the object under it.
type Class string

// The classes of objects events carry. ChargeDesk documents charge and
// customer events; subscription and product objects are ChargeDesk's
// records too, and their events are received the same way once it sends
// them.
const (
	ClassCharge       Class = "charge"
	ClassCustomer     Class = "customer"
	ClassSubscription Class = "subscription"
	ClassProduct      Class = "product"
)

// Class is the class an event's name is of: the part before its first
// underscore (charge_paid is a charge event).
func (n Name) Class() Class {
	c, _, _ := strings.Cut(string(n), "_")
	return Class(c)
}
