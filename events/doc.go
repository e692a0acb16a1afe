// Package events receives ChargeDesk's event notifications: the webhooks
// a company registers (in ChargeDesk under Setup > API, or with the API's
// /webhooks operations) to hear what happened in ChargeDesk, such as a
// charge paid, refunded or disputed, a payment request paid through
// ChargeDesk's own page, or a customer edited by an agent. They are not the
// Custom Integration's agent actions, which the root package receives.
//
// A [Receiver] is an http.Handler. Register a function per event for the
// events you care about, typed by the event's class (a charge event gets a
// *chargedesk.Charge), and mount it at the URL you register with
// ChargeDesk, which carries a secret:
//
//	r, err := events.NewReceiver(events.Config{Secrets: []string{os.Getenv("CHARGEDESK_EVENTS_SECRET")}})
//	r.OnCharge(events.ChargeDisputed, func(ctx context.Context, e *events.Event, c *chargedesk.Charge) error {
//		return openDisputeCase(ctx, c.TransactionID)
//	})
//	mux.Handle("/chargedesk-events/", r) // register https://example.com/chargedesk-events/<secret>
//
// ChargeDesk retries a delivery that is not answered with a 2xx within 30
// seconds, hourly for up to 3 days, and disables the webhook at once when
// it is answered 410. The Receiver therefore:
//
//   - decodes the event with the same tolerant, exact decoding as the
//     action webhooks (amounts are exact, never floats; PHP's shapes are
//     accepted), and refuses a malformed one as they do;
//   - hands each event to its function once: a repeated event_id (a retry)
//     is acknowledged without calling it again, through a
//     chargedesk.DuplicateStore that several instances may share, and the
//     events of one object are handed over one at a time (a
//     chargedesk.Locker);
//   - answers 500 when the function returns an error, so that ChargeDesk
//     retries, and 410 only when it returns ErrDisable;
//   - acknowledges an event it has no function for, and one whose name it
//     does not know (logged once per name), rather than make ChargeDesk
//     retry it for 3 days.
//
// ChargeDesk signs nothing: a delivery is authenticated only by the secret
// in its URL. docs/events.md says what an attacker who learns the URL can
// and cannot do, and how to rotate the secret.
package events
