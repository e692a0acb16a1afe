package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/events"
)

// eventsPath is where the example receives ChargeDesk's event
// notifications: eventsPath + "/" + the secret is the URL to register.
const eventsPath = "/chargedesk-events"

// newEventsReceiver receives ChargeDesk's event notifications for the
// platform, behind secret, with the action webhooks' duplicate guard and
// locks (shared by every instance when CHARGEDESK_STORE is set). Each
// event is one log line (event, event_id, the object's id, the outcome;
// no customer data). A payment request a customer paid on ChargeDesk's own
// page is recorded on the platform; every other event is acknowledged.
func newEventsReceiver(l *ledger, secret string, cfg chargedesk.Config, log *zerolog.Logger) (*events.Receiver, error) {
	r, err := events.NewReceiver(events.Config{Secrets: []string{secret}, Logger: log,
		DuplicateStore: cfg.DuplicateStore, Locker: cfg.Locker})
	if err != nil {
		return nil, err
	}
	r.OnCharge(events.ChargeRequestPaid, func(ctx context.Context, _ *events.Event, c *chargedesk.Charge) error {
		return l.paidElsewhere(ctx, c.TransactionID)
	})
	return r, nil
}

// paidElsewhere records that the charge with transactionID was paid other
// than through this platform's pay page (on ChargeDesk's): it is paid
// unless it already was, and its pay link is closed. A charge the platform
// does not have is left to ChargeDesk.
func (l *ledger) paidElsewhere(ctx context.Context, transactionID string) error {
	if transactionID == "" {
		return nil
	}
	return l.book.update(ctx, func(r records) error {
		c, err := r.charge(transactionID)
		if c == nil || err != nil {
			return err
		}
		switch c.status {
		case chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded, chargedesk.ChargeStatusRefunded:
			return nil
		}
		c.status, c.payLink = chargedesk.ChargeStatusPaid, ""
		return keepCharge(r, c)
	})
}
