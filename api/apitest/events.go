package apitest

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
)

// The Server makes ChargeDesk's event notifications (docs/events.md) for
// the changes it sees through its API, and delivers them to the webhooks
// registered through it (deliver.go). An event is made only when an active
// webhook wants it, so a Server without webhooks does no more work than
// before. What makes which event:
//
//   - a charge created (POST /charges, a gateway charge or payment
//     request): charge_new; a payment request also charge_request;
//   - a charge changed (an update, an upsert with duplicate=update, an
//     agent action, a customer's delete_all=2): charge_updated, and no
//     event when nothing changed;
//   - with either, the change's meaning: amount_refunded rising is
//     charge_refunded; the status becoming paid is charge_request_paid
//     from invoiced (a payment request), charge_pending_paid from pending,
//     else charge_paid; becoming failed charge_failed, disputed
//     charge_disputed;
//   - a charge deleted (DELETE /charges/{id}, a customer's delete_all=1):
//     charge_deleted, with the charge as it was;
//   - a customer created: customer_new; changed: customer_updated.
//
// ChargeDesk's page names no subscription or product events, and its list
// is cut off after customer_updated (docs/events.md), so the local
// ChargeDesk sends none for them, nor customer_deleted, nor
// charge_request_reminder (it sends no reminders).

// eventRecord is one event made: its envelope as delivered, byte for byte,
// to every webhook that wants it.
type eventRecord struct {
	id       string
	created  int64
	name     events.Name
	class    events.Class
	objectID string
	body     []byte
}

// envelope is an event notification as ChargeDesk's page shows it, its
// keys in the page's order.
type envelope struct {
	EventID string         `json:"event_id"`
	Created int64          `json:"created"`
	Class   events.Class   `json:"class"`
	Event   events.Name    `json:"event"`
	Data    map[string]any `json:"data"`
}

// listening reports whether an active webhook is registered: whether a
// change may make an event at all. The caller holds s.mu.
func (s *Server) listening() bool {
	for _, h := range s.webhooks {
		if h.Disabled == 0 {
			return true
		}
	}
	return false
}

// snapshot is a copy of r as it is before a change, for changeEvents to
// compare with; nil when no webhook listens (nothing will compare it).
// The caller holds s.mu.
func (s *Server) snapshot(r record) record {
	if r == nil || !s.listening() {
		return nil
	}
	return r.clone()
}

// changed records the events of a change to the record r of resource
// name: before is its snapshot, nil when r was just created. A change
// that changed nothing makes no event. The caller holds s.mu.
func (s *Server) changed(name string, before, r record, created bool) {
	if !s.listening() || (before == nil && !created) {
		return
	}
	switch r := r.(type) {
	case *charge:
		s.emitAll(chargeEvents(before, r, created, false), events.ClassCharge, r.id, func() any { return s.chargeObject(r) })
	case *customer:
		name := events.CustomerNew
		if !created {
			if same(s.stores["customers"].res, before, r) {
				return
			}
			name = events.CustomerUpdated
		}
		s.emitAll([]events.Name{name}, events.ClassCustomer, r.id, func() any { return s.docObject(r) })
	}
}

// requested records the events of a payment request made: charge_new and
// charge_request. The caller holds s.mu.
func (s *Server) requested(c *charge) {
	if s.listening() {
		s.emitAll(chargeEvents(nil, c, true, true), events.ClassCharge, c.id, func() any { return s.chargeObject(c) })
	}
}

// deletedCharge records charge_deleted, with the charge as it is; call it
// before removing the charge. The caller holds s.mu.
func (s *Server) deletedCharge(c *charge) {
	if s.listening() {
		s.emitAll([]events.Name{events.ChargeDeleted}, events.ClassCharge, c.id, func() any { return s.chargeObject(c) })
	}
}

// chargeEvents are the events of a change to a charge, in the order they
// are sent: what happened to the record, then what the change means.
func chargeEvents(before record, after *charge, created, request bool) []events.Name {
	var out []events.Name
	oldStatus, refundedBefore := "", chargedesk.Amount{}
	switch {
	case created:
		out = append(out, events.ChargeNew)
		if request {
			out = append(out, events.ChargeRequest)
		}
	default:
		b := before.(*charge)
		if same(resources["charges"], b, after) {
			return nil
		}
		out = append(out, events.ChargeUpdated)
		oldStatus, refundedBefore = b.Status, b.AmountRefunded
	}
	if after.AmountRefunded.Cmp(refundedBefore) > 0 {
		out = append(out, events.ChargeRefunded)
	}
	if after.Status != oldStatus {
		switch after.Status {
		case "paid":
			switch oldStatus {
			case "invoiced":
				out = append(out, events.ChargeRequestPaid)
			case "pending":
				out = append(out, events.ChargePendingPaid)
			default:
				out = append(out, events.ChargePaid)
			}
		case "failed":
			out = append(out, events.ChargeFailed)
		case "disputed":
			out = append(out, events.ChargeDisputed)
		}
	}
	return out
}

// same reports whether two records of a resource have the same fields.
func same(res *resource, a, b record) bool {
	for _, f := range res.fields {
		if !reflect.DeepEqual(value(a, f), value(b, f)) {
			return false
		}
	}
	return true
}

// emitAll makes each event of names about one object, rendered once by
// object, for the webhooks that want it. The caller holds s.mu.
func (s *Server) emitAll(names []events.Name, class events.Class, objectID string, object func() any) {
	var obj any
	for _, name := range names {
		var to []*webhook
		for _, h := range s.webhooks {
			if h.wants(name) {
				to = append(to, h)
			}
		}
		if len(to) == 0 {
			continue
		}
		if obj == nil {
			obj = object()
		}
		s.eventSeq++
		e := &eventRecord{id: fmt.Sprintf("event-%06d", s.eventSeq), created: s.opts.Now().Unix(),
			name: name, class: class, objectID: objectID}
		body, err := json.Marshal(envelope{EventID: e.id, Created: e.created, Class: class, Event: name,
			Data: map[string]any{string(class): obj}})
		if err != nil {
			continue // the objects are the Server's own structs: they encode
		}
		e.body = body
		for _, h := range to {
			s.queue(e, h.ID)
		}
	}
}
