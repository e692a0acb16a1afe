// Package syncer keeps ChargeDesk's copy of a payment platform's records
// current. ChargeDesk's agents refund, cancel and promise things based on
// what it shows, so every change on the platform must reach it, in order,
// even when its API is down or rate-limits.
//
// The platform marks an object changed (a charge, customer, subscription
// or product, by the platform's id) inside the same database transaction
// that changes it:
//
//	tx, _ := pool.Begin(ctx)
//	// ... refund the charge in your tables ...
//	s.MarkTx(ctx, tx, syncer.Charge, "ch_123") // committed with the change, or not at all
//	tx.Commit(ctx)
//
// A worker (any number of processes may run one) then asks the platform for
// the object's state as it is now, through a [Source] the platform
// implements, and upserts it to ChargeDesk (duplicate=update). The queue is
// riverqueue/river, on PostgreSQL ([NewPostgres]) or on an embedded SQLite
// file ([NewSQLite]); [Open] picks one from a URL such as CHARGEDESK_STORE.
//
// What it guarantees, and the limits of each guarantee, are in
// docs/sync.md. In short:
//
//   - Nothing is lost: a push that fails for a reason that can pass (an
//     outage, a 5xx, a dropped connection, a killed worker) is tried again
//     until it succeeds; a 429 or a 503 with Retry-After pauses every push
//     of the process for that long.
//   - An older state never overwrites a newer one: one object is pushed by
//     one worker at a time (a unique job per object, and a per-object lock
//     held through an unknown outcome), each push sends the state as it is
//     when sent, and a change made while a push runs is pushed after it.
//   - A burst of changes to one object becomes a few requests.
//   - A push that can never succeed (ChargeDesk refuses a field, 4xx) is
//     kept, logged at error level with the object's kind and id, listed by
//     [Syncer.Failed] and the chargedesk-sync command, and pushed again by
//     [Syncer.Retry] once its cause is fixed.
//   - Requests are paced by a token bucket per process ([Config.Rate]).
//
// Log lines carry kinds, ids, statuses and parameter names; never a
// customer's details, ChargeDesk's error messages or the API key.
package syncer
