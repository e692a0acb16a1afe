// Package api is a client for ChargeDesk's REST API, the import half of a
// Custom Integration: ChargeDesk shows its agents, and sends webhooks for,
// only the charges, customers, subscriptions and products it holds, so a
// platform pushes them with this package and answers the webhooks with the
// root package's handler.
//
//	client := api.NewClient(os.Getenv("CHARGEDESK_API_KEY"))
//	charge, err := client.Charges.Upsert(ctx, &api.ChargeParams{
//		TransactionID: "ch_123", Amount: api.Money("34.00"),
//		Currency: "USD", Customer: &api.Ref{ID: "cus_1"},
//	})
//
// Every operation of ChargeDesk's API specification is a method of one of
// the Client's services (Charges, Customers, Subscriptions, Products,
// Webhooks, Gateway), taking a context first and a params struct. Requests
// are form-encoded exactly as PHP's http_build_query writes them
// (customer[id]=cus_1, metadata[plan]=pro, plans[0][id]=gold) and
// authenticated with HTTP Basic (the key as the user name, an empty
// password). In params structs, an empty string, a nil pointer, map or
// slice is not sent; every other scalar is a pointer, so that 0 and false
// are sent when set (new(false) on Go 1.26, or the address of a variable
// on Go 1.25). Amounts are exact
// ([chargedesk.Amount]); money is never a float.
//
// Records read both shapes an answer may have (see docs/api-compat.md):
// ChargeDesk's documented one, the webhooks' record objects (charge_id,
// customer_id, amounts as "34.00", unix seconds), and the seed
// specification's (id, a nested customer, numbers, RFC 3339), bare or
// wrapped under the class name ({"charge": {...}}, as gateway operations
// answer), with the receiver's tolerant rules: amounts as strings or
// numbers, booleans as 0/1, an empty metadata as []. [Charge] and
// [Subscription] are the receiver's own types plus the seed's fields.
// Each id is filled in both of its places whichever came: a charge's ID
// and ChargeID are ChargeDesk's id, its TransactionID the payment
// platform's; a customer's, subscription's or product's id is the
// platform's, which ChargeDesk keeps as its own. Times are sent as unix
// seconds.
//
// Every failure ChargeDesk reports is an [*Error], reachable with
// errors.As, carrying the status, message, type, code, incorrect parameter
// and Retry-After; errors.Is(err, ErrRateLimited) recognises rate limiting.
//
// Reads and upserts are retried on connection errors and on 429, 502, 503
// and 504, with exponential backoff and jitter, honouring Retry-After,
// within the [RetryPolicy]'s bounds. Nothing else is retried once it may
// have reached ChargeDesk: a create, update, delete, email, or any gateway
// operation (refund, capture, void, cancel, plans, charge) could otherwise
// act twice.
//
// Lists are iterators ([iter.Seq2]) that fetch pages as they are consumed.
// ChargeDesk refuses offsets past 50,000; a charge list goes on past that by
// narrowing its time window to the oldest charge seen, without duplicates or
// gaps at the boundary.
//
// [Importer] upserts a stream of records with bounded concurrency and rate,
// and the chargedesk command (cmd/chargedesk) imports a JSON Lines file.
package api
