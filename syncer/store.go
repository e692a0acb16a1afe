package syncer

import (
	"context"

	"github.com/riverqueue/river"
)

// changesTable records, per object, how many changes were marked since its
// last completed push. It is what makes a change made while a push of the
// object runs impossible to lose: River's unique jobs cannot exclude the
// running state, so a mark during a push is coalesced into the running job,
// which therefore checks, in the transaction that completes it, that the
// object's version is still the one it read before it fetched the state it
// sent; if not, it pushes again. A row exists from a job's start to its
// completion, so that its deletion and a concurrent mark's increment take
// the same row lock and are ordered.
const changesTable = "chargedesk_sync_changes"

// database is what the syncer needs of its store besides River's own
// tables: one implementation per store.
type database[TTx any] interface {
	// migrate brings River's tables and the changes table up to date.
	migrate(ctx context.Context) error
	// inTx runs f in a transaction of its own, committed when f returns
	// nil.
	inTx(ctx context.Context, f func(tx TTx) error) error
	// bump records, in tx, a change to the object.
	bump(ctx context.Context, tx TTx, kind Kind, id string) error
	// ensure creates the object's change row, at version 0, if it has none.
	ensure(ctx context.Context, kind Kind, id string) error
	// version reads the object's change count.
	version(ctx context.Context, kind Kind, id string) (int64, error)
	// finish deletes the object's change row if it is still at version v
	// and, in the same transaction, marks job completed. It reports false,
	// and changes nothing, when the object was marked again since v.
	finish(ctx context.Context, job *river.Job[pushArgs], kind Kind, id string, v int64) (bool, error)
	// close releases what the Syncer opened itself (nothing, when the
	// caller gave it its pool).
	close() error
}
