package events

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// Event is one event notification, as ChargeDesk sends it:
//
//	{"event_id": "...", "created": 1732181492, "class": "charge", "event": "charge_paid",
//	 "data": {"charge": {...}}}
//
// It decodes with the action webhooks' rules (see the chargedesk package
// doc): amounts are exact, times unix seconds or RFC 3339, PHP's shapes
// accepted, a malformed body refused.
type Event struct {
	// ID is ChargeDesk's id of the event; a retried delivery repeats it.
	ID string `json:"event_id" wire:"id"`
	// Created is when the event happened, in UTC.
	Created time.Time `json:"created"`
	// Class is the class of the object the event is about.
	Class Class `json:"class"`
	// Name is the event's name.
	Name Name `json:"event"`
	// Data holds the object, under its class.
	Data Data `json:"data"`
	// Raw is the body as received: fields ChargeDesk adds later are there.
	Raw []byte `json:"-"`
}

// Data is an event's object, under its class: the one for the event's
// Class is set.
type Data struct {
	Charge       *chargedesk.Charge       `json:"charge"`
	Customer     *chargedesk.Customer     `json:"customer"`
	Subscription *chargedesk.Subscription `json:"subscription"`
	Product      *chargedesk.Product      `json:"product"`
}

// objectID is the id of the event's object ("" when the event's class is
// not one it knows, or the object is missing): ChargeDesk's charge_id for
// a charge, the platform's id for the others.
func (e *Event) objectID() string {
	switch e.Class {
	case ClassCharge:
		if e.Data.Charge != nil {
			return e.Data.Charge.ChargeID
		}
	case ClassCustomer:
		if e.Data.Customer != nil {
			return e.Data.Customer.CustomerID
		}
	case ClassSubscription:
		if e.Data.Subscription != nil {
			return e.Data.Subscription.SubscriptionID
		}
	case ClassProduct:
		if e.Data.Product != nil {
			return e.Data.Product.ProductID
		}
	}
	return ""
}

// known reports whether the event's class is one whose object Data holds.
func (c Class) known() bool {
	switch c {
	case ClassCharge, ClassCustomer, ClassSubscription, ClassProduct:
		return true
	}
	return false
}

// errMalformed wraps what is wrong with an event's body; the message is
// the answer's.
var errMalformed = errors.New("the event is not valid")

// Decode reads an event notification's body. It is what the Receiver
// does; call it to read an event you received some other way.
func Decode(body []byte) (*Event, error) {
	e := new(Event)
	if err := wire.Decode(body, e); err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%w: %s", errMalformed, fe.Error())
		}
		return nil, fmt.Errorf("%w: %s", errMalformed, strings.TrimPrefix(err.Error(), wire.ErrBadJSON.Error()+": "))
	}
	switch {
	case e.ID == "":
		return nil, fmt.Errorf("%w: event_id is required", errMalformed)
	case e.Name == "":
		return nil, fmt.Errorf("%w: event is required", errMalformed)
	case e.Class == "":
		return nil, fmt.Errorf("%w: class is required", errMalformed)
	case e.Class.known() && e.objectID() == "":
		return nil, fmt.Errorf("%w: data.%s, with its id, is required for a %s event", errMalformed, e.Class, e.Class)
	}
	e.Raw = body
	return e, nil
}
