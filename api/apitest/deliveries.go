package apitest

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go/events"
)

// The delivery log as its readers see it: Deliveries, DroppedDeliveries
// and Resend (deliver.go makes the deliveries).

// DeliveryState is where a delivery stands.
type DeliveryState string

// The states of a delivery.
const (
	// DeliveryPending is to be attempted, now or at its next attempt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered was answered with a 2xx.
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed was given up: it failed for RetryFor.
	DeliveryFailed DeliveryState = "failed"
	// DeliveryDisabled was not delivered because its webhook is disabled:
	// it answered this delivery, or another, with 410.
	DeliveryDisabled DeliveryState = "disabled"
	// DeliveryCanceled was not delivered because its webhook was deleted.
	DeliveryCanceled DeliveryState = "canceled"
)

// Sentinel errors of Resend.
var (
	// ErrNoEvent is the answer for an event the delivery log does not hold
	// (never made, or dropped from the log as it filled).
	ErrNoEvent = errors.New("apitest: no such event in the delivery log")
	// ErrNotResendable is the answer for an event whose webhooks are all
	// deleted or disabled.
	ErrNotResendable = errors.New("apitest: the event's webhooks are deleted or disabled")
)

// Delivery is one event's delivery to one webhook, as the delivery log
// shows it.
type Delivery struct {
	// EventID, Event and Class are the event's; ObjectID is its object's
	// id (the charge's charge_id, the customer's customer_id).
	EventID  string
	Event    events.Name
	Class    events.Class
	ObjectID string
	// WebhookID is the webhook's id; Endpoint its URL with its query and
	// last path segment, where a secret would be, hidden.
	WebhookID string
	Endpoint  string
	// State is where the delivery stands.
	State DeliveryState
	// Attempts counts the attempts made, resends included.
	Attempts int
	// Status is the last answer's HTTP status; 0 when no answer came or
	// no attempt was made.
	Status int
	// Error says why the last attempt got no answer ("no answer within
	// 30s"); "" when one came.
	Error string
	// Created is when the event was made; LastAttempt when the last
	// attempt started (zero before the first); NextAttempt when the next
	// is due (zero unless pending).
	Created, LastAttempt, NextAttempt time.Time
}

// Resend delivers an event again, now, to the webhook webhookID, or to
// every webhook it was delivered to when webhookID is "", whatever came
// of it before: a new schedule of retries begins (once the attempt under
// way, if any, ends). It returns the webhooks it is resent to. It fails
// with ErrNoEvent when the log does not hold the event (or not for that
// webhook), and with ErrNotResendable when each of its webhooks is
// deleted or disabled.
func (s *Server) Resend(eventID, webhookID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var to []string
	found := false
	now := s.opts.Now()
	for _, d := range s.deliveries {
		if d.event.id != eventID || (webhookID != "" && d.webhook != webhookID) {
			continue
		}
		found = true
		h := s.webhookByID(d.webhook)
		if h == nil || h.Disabled != 0 {
			continue
		}
		if d.inFlight {
			d.again = true
		} else {
			d.state, d.first, d.round = DeliveryPending, now, 0
		}
		to = append(to, d.webhook)
	}
	switch {
	case !found:
		return nil, ErrNoEvent
	case len(to) == 0:
		return nil, ErrNotResendable
	}
	s.startDispatcher()
	return to, nil
}

// Deliveries returns the delivery log, newest first: the last
// Options.MaxDeliveries deliveries (those over are dropped first as it
// fills).
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, 0, len(s.deliveries))
	for i := len(s.deliveries) - 1; i >= 0; i-- {
		out = append(out, s.report(s.deliveries[i]))
	}
	return out
}

// report is d as Deliveries shows it. The caller holds s.mu.
func (s *Server) report(d *delivery) Delivery {
	e := d.event
	out := Delivery{EventID: e.id, Event: e.name, Class: e.class, ObjectID: e.objectID,
		WebhookID: d.webhook, Endpoint: s.endpoint(d.webhook), State: d.state, Attempts: d.attempts,
		Status: d.status, Error: d.err, Created: time.Unix(e.created, 0).UTC(), LastAttempt: utc(d.last)}
	if d.state == DeliveryPending {
		out.NextAttempt = d.next().UTC()
	}
	return out
}

// DroppedDeliveries counts the deliveries not made because the log was
// full of pending ones.
func (s *Server) DroppedDeliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// endpoint is a webhook's URL as the log shows it: without its query and
// user, its last path segment hidden ("" when the webhook is deleted).
func (s *Server) endpoint(webhookID string) string {
	h := s.webhookByID(webhookID)
	if h == nil {
		return ""
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		return "(not shown)"
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 && i < len(path)-1 {
		path = path[:i+1] + "…"
	}
	out := u.Scheme + "://" + u.Host + path
	if u.RawQuery != "" {
		out += "?…"
	}
	return out
}
