// Package chargedesk receives ChargeDesk's Custom Integration webhooks and
// turns each agent action (refund, capture, void, cancel, reactivate, edit
// plans, payment request) into a call on a [Gateway] that the merchant
// implements for their payment platform.
//
// [NewHandler] returns an [http.Handler] to mount under the Base Path
// entered in ChargeDesk. For every webhook it:
//
//  1. routes the path to its action (POST only; 404 and 405 otherwise);
//  2. checks the configured fixed headers, in constant time (401);
//  3. reads the body within a limit (413) and decodes it (400);
//  4. checks the headers and Base Path placeholders against the payload (401);
//  5. validates the request, including the money rules (422);
//  6. takes the locks of the objects it acts on and refuses an identical
//     action that just succeeded (409);
//  7. calls the Gateway under a deadline (504 when it passes);
//  8. checks the Gateway's answer (500 when ChargeDesk could not use it);
//  9. answers 200 with the update objects, or {"error": message}.
//
// Every answer is JSON. An error's message is shown to the agent as it is,
// so it never carries a secret or an internal detail; those go to the log.
//
// # Decoding
//
// ChargeDesk is a PHP application, and the decoder is liberal in what it
// accepts: numbers as strings and strings as numbers, booleans as 0/1,
// "0"/"1" or "true"/"false", an empty object sent as [], lists sent as
// objects keyed "0", "1", ..., any field as null (its zero value), and
// fields it does not know (ignored, but kept in the request's Raw body). It
// is strict about the rest: a body that is not exactly one JSON object in
// valid UTF-8, that repeats a key (in any letter case), or that nests more
// than 32 levels is refused with 400, as is a value of the wrong kind, with
// a message that names the field. A form-encoded body
// (application/x-www-form-urlencoded, PHP's bracket notation) is decoded
// to the same request.
//
// # Money
//
// Every amount is an [Amount], an exact decimal. Nothing is ever rounded: an
// amount with more decimal places than its currency's ISO 4217 minor unit
// (12.345 USD) is refused with 422, and so is a refund of more than remains
// on the charge.
//
// # Placeholders
//
// A header value, the Base Path and the action paths may hold {field}
// placeholders, which ChargeDesk fills from the payload. The receiver fills
// them from the payload it received, looking a field up at the top level
// first (refund_amount, action_reason, action, refund), then in the
// action's main object (the subscription for cancel, reactivate and edit
// plans; the charge for the others), then in the other object: for a cancel,
// {customer_id} is the subscription's customer. A field's text is as PHP
// writes it: a string as is, a number as sent, true as "1", false and null
// as "". A field the payload lacks renders empty; the placeholder spelled
// out ("{charge_id}", or %7Bcharge_id%7D in a path) never matches. Keys are
// matched exactly, in the payload as in placeholders: a known key in
// another case or Unicode folding (CHARGE, Charge_ID, cuſtomer_id) is
// refused with 400, so a placeholder is always bound to the field the
// Gateway receives. A placeholder naming no field ChargeDesk sends is
// refused by NewHandler.
//
// # Concurrency and safety
//
// Actions on the same charge or subscription run one at a time (see
// [Locker]), and after an action whose outcome is unknown (a timeout, an
// error, a panic) its objects stay held for Config.SettleTime, other
// actions on them refused at once with the time to wait; an identical
// action within Config.DuplicateWindow of one that succeeded answers 409
// (see [DuplicateStore]). The Gateway's context has a
// deadline (Config.Timeout) but is not cancelled when ChargeDesk
// disconnects. A panic in Gateway code becomes a 500 and is logged with its
// stack. [IdempotencyKey] gives each Gateway call a stable key for its
// action, to pass to the payment platform as its idempotency key: the fence
// that still holds when the duplicate guard's window has passed or another
// instance handles the repeat.
package chargedesk
