// Package chargedesktest plays ChargeDesk's side of a Custom Integration,
// for tests and for the chargedesk-sim command: it builds the webhook
// ChargeDesk would send for an agent action, sends it, and reads the answer
// the way the agent would see it.
//
// A test of a receiver reads:
//
//	body, err := chargedesktest.Build(chargedesk.ActionRefund,
//		chargedesktest.Set("refund_amount", "5.00"))
//	in := chargedesktest.Integration{
//		BasePath: "http://example.test/chargedesk",
//		Header:   http.Header{"Authorization": {"Bearer " + secret}},
//	}
//	req, err := in.NewRequest(ctx, chargedesk.ActionRefund, body)
//	out := chargedesktest.Serve(handler, req) // or Send(client, req) over HTTP
//	// out.OK, out.ErrorMessage, out.Field("charge.status"), out.Problems
//
// # Payloads
//
// [Payload] returns the example payload of ChargeDesk's documentation for an
// action, byte for byte. [Build] and [Apply] change fields of a payload with
// [Set], [SetString] and [Unset] overrides, which name a field by its path
// (charge.amount, plans.0.quantity). Numbers stay exact: a payload is never
// decoded into float64, so refund_amount 5.00 is sent as 5.00.
//
// # Placeholders
//
// The Base Path, the action paths and header values may hold {field}
// placeholders, filled from the payload as ChargeDesk fills them: a field is
// looked up at the top level first (refund_amount, action_reason, action,
// refund), then in the action's main object (the subscription for cancel,
// reactivate and edit plans; the charge for the others), then in the other
// object. A string is used as is, a number as sent, true as "1", false and
// null as "". A placeholder naming a field the payload lacks is left as it
// is, which the chargedesk receiver accepts.
//
// # Outcomes
//
// An [Outcome] is what the agent sees: success and the fields ChargeDesk
// updates, or the error message. Its Problems list what ChargeDesk could
// not use in the answer: a body that is not JSON, a 2xx answer that carries
// an error key, a payment request answered without a redirect_url, a
// failure without a message.
package chargedesktest
