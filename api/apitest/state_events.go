package apitest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chargedesk/chargedesk-go/events"
)

// The delivery log in a saved state (Save and Load): its events, each
// with its envelope as delivered, and its deliveries, under keys a state
// without them (one saved before the log existed) simply lacks.

// stateEvent is an event of a saved state's delivery log, its envelope
// as delivered.
type stateEvent struct {
	ID       string          `json:"id"`
	Created  int64           `json:"created"`
	Event    string          `json:"event"`
	Class    string          `json:"class"`
	ObjectID string          `json:"object_id"`
	Body     json.RawMessage `json:"body"`
}

// stateDelivery is a delivery of a saved state's delivery log; times are
// unix seconds, 0 for none.
type stateDelivery struct {
	Seq      int64  `json:"seq"`
	EventID  string `json:"event_id"`
	Webhook  string `json:"webhook_id"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Status   int    `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
	First    int64  `json:"first"`
	Last     int64  `json:"last,omitempty"`
	Round    int    `json:"round"`
}

// deliveryLog is the delivery log of a saved state.
type deliveryLog struct {
	EventSeq   int64           `json:"event_seq"`
	Events     []stateEvent    `json:"events"`
	Deliveries []stateDelivery `json:"deliveries"`
}

// savedLog is the delivery log as Save writes it. The caller holds s.mu.
func (s *Server) savedLog() deliveryLog {
	log := deliveryLog{EventSeq: s.eventSeq, Events: []stateEvent{}, Deliveries: []stateDelivery{}}
	seen := map[*eventRecord]bool{}
	for _, d := range s.deliveries {
		e := d.event
		if !seen[e] {
			seen[e] = true
			log.Events = append(log.Events, stateEvent{ID: e.id, Created: e.created, Event: string(e.name),
				Class: string(e.class), ObjectID: e.objectID, Body: e.body})
		}
		sd := stateDelivery{Seq: d.seq, EventID: e.id, Webhook: d.webhook, State: string(d.state),
			Attempts: d.attempts, Status: d.status, Error: d.err, First: d.first.Unix(), Round: d.round}
		if !d.last.IsZero() {
			sd.Last = d.last.Unix()
		}
		log.Deliveries = append(log.Deliveries, sd)
	}
	return log
}

// loadLog reads a saved delivery log back, or says what is wrong with it.
func loadLog(log deliveryLog) ([]*delivery, int64, error) {
	byID := map[string]*eventRecord{}
	for _, e := range log.Events {
		if e.ID == "" || !json.Valid(e.Body) {
			return nil, 0, fmt.Errorf("apitest: the state's event %q has no id or no valid body", e.ID)
		}
		byID[e.ID] = &eventRecord{id: e.ID, created: e.Created, name: events.Name(e.Event),
			class: events.Class(e.Class), objectID: e.ObjectID, body: []byte(e.Body)}
	}
	var out []*delivery
	var seq int64
	for _, sd := range log.Deliveries {
		e := byID[sd.EventID]
		if e == nil {
			return nil, 0, fmt.Errorf("apitest: the state has a delivery of event %q, which it does not hold", sd.EventID)
		}
		switch state := DeliveryState(sd.State); state {
		case DeliveryPending, DeliveryDelivered, DeliveryFailed, DeliveryDisabled, DeliveryCanceled:
		default:
			return nil, 0, fmt.Errorf("apitest: the state has a delivery in state %q", sd.State)
		}
		d := &delivery{seq: sd.Seq, event: e, webhook: sd.Webhook, state: DeliveryState(sd.State),
			attempts: sd.Attempts, status: sd.Status, err: sd.Error, first: time.Unix(sd.First, 0), round: sd.Round}
		if sd.Last != 0 {
			d.last = time.Unix(sd.Last, 0)
		}
		out = append(out, d)
		seq = max(seq, sd.Seq)
	}
	return out, seq, nil
}
