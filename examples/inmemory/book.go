package main

import (
	"context"
	"sync"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// book is where the platform keeps its records: this process's memory
// (memoryBook), or a database (sqlBook: an SQLite file, or PostgreSQL,
// which several instances share). A real integration has its own: its
// payment platform's API and its own database.
type book interface {
	// update runs f on the records, all of it or none of it: what f puts
	// is kept, and the objects it marks changed are pushed to ChargeDesk,
	// only if f returns nil. Updates of one object never overlap.
	update(ctx context.Context, f func(records) error) error
	// view runs f to read the records; f must not put or mark.
	view(ctx context.Context, f func(records) error) error
	// close releases what the book holds.
	close()
}

// records are the book's records within one update or view, which has
// its own deadline (not the webhook's: once the platform has acted,
// recording it must not be cut short because ChargeDesk stopped waiting).
// A getter
// returns nil and no error for a record the book does not have; what it
// returns is a copy, kept only once put back.
type records interface {
	charge(transactionID string) (*charge, error)
	putCharge(c *charge) error
	// adoptCharge keeps c unless the book already has a charge with its
	// id, and returns the book's charge: two instances that see a new
	// charge at once keep one.
	adoptCharge(c *charge) (*charge, error)
	subscription(id string) (*subscription, error)
	putSubscription(s *subscription) error
	adoptSubscription(s *subscription) (*subscription, error)
	link(id string) (*payLink, error)
	putLink(p *payLink) error
	// changed marks an object changed, for the sync to push to ChargeDesk
	// once the update is kept; a book that does not sync ignores it.
	changed(kind syncer.Kind, id string) error
}

// memoryBook keeps the records in this process's memory, without sync.
// It forgets an object after retention without an action on it, and the
// oldest ones once it holds more than limit, so its memory stays flat
// under any stream of new ids; a webhook about a forgotten object adopts
// ChargeDesk's copy again, as on first sight.
type memoryBook struct {
	// mu is held through an update: updates are one at a time. An update
	// that fails keeps what it put before failing: the ledger puts only
	// once every check has passed.
	mu      sync.Mutex
	now     func() time.Time
	charges map[string]chargeRow
	subs    map[string]subscription
	links   map[string]payLink

	// retention and limit bound what is kept; touches are the actions in
	// order, oldest first, from head on.
	retention time.Duration
	limit     int
	touches   []touch
	head      int
}

// touch is an action on an object at a time, for forgetting.
type touch struct {
	kind byte // 'c' charge, 's' subscription, 'l' pay link
	id   string
	at   time.Time
}

// The memory book's defaults: enough for an agent's follow-up actions,
// few enough that memory stays flat at any rate of new ids (about 50 MB
// at the limit).
const (
	defaultRetention = 10 * time.Minute
	defaultLimit     = 100_000
)

func newMemoryBook(now func() time.Time) *memoryBook {
	return &memoryBook{now: now, charges: map[string]chargeRow{}, subs: map[string]subscription{},
		links: map[string]payLink{}, retention: defaultRetention, limit: defaultLimit}
}

func (b *memoryBook) update(_ context.Context, f func(records) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expire()
	return f(memoryRecords{b: b})
}

func (b *memoryBook) view(_ context.Context, f func(records) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return f(memoryRecords{b: b})
}

func (b *memoryBook) close() {}

// kept is how many objects the book holds.
func (b *memoryBook) kept() int { return len(b.charges) + len(b.subs) + len(b.links) }

// expire forgets the objects idle for longer than the retention, then the
// least recently used while the book holds more than its limit: O(1)
// amortized. Call with b.mu held.
func (b *memoryBook) expire() {
	now := b.now()
	for b.head < len(b.touches) {
		t := b.touches[b.head]
		if now.Sub(t.at) <= b.retention && b.kept() <= b.limit {
			break
		}
		b.touches[b.head] = touch{}
		b.head++
		// An object touched again since is kept: its later touch is
		// further on.
		switch t.kind {
		case 'c':
			if r, ok := b.charges[t.id]; ok && !r.seen.After(t.at) {
				delete(b.charges, t.id)
			}
		case 's':
			if s, ok := b.subs[t.id]; ok && !s.seen.After(t.at) {
				delete(b.subs, t.id)
			}
		case 'l':
			if p, ok := b.links[t.id]; ok && !p.seen.After(t.at) {
				delete(b.links, t.id)
			}
		}
	}
	if b.head > len(b.touches)/2 {
		b.touches = append(b.touches[:0], b.touches[b.head:]...)
		b.head = 0
	}
}

// memoryRecords are a memoryBook's records. Each put is an action on its
// object, which keeps it for another retention.
type memoryRecords struct{ b *memoryBook }

func (r memoryRecords) charge(id string) (*charge, error) {
	row, ok := r.b.charges[id]
	if !ok {
		return nil, nil
	}
	return row.charge()
}

func (r memoryRecords) putCharge(c *charge) error {
	if old, ok := r.b.charges[c.id]; ok {
		c.id = old.id // one copy of the id, shared with the touches
	}
	c.seen = r.b.now()
	r.b.charges[c.id] = c.row()
	r.b.touches = append(r.b.touches, touch{'c', c.id, c.seen})
	return nil
}

// adoptCharge returns the book's charge, or c, which is kept once put:
// updates are one at a time, so no other can adopt it meanwhile.
func (r memoryRecords) adoptCharge(c *charge) (*charge, error) {
	if _, ok := r.b.charges[c.id]; ok {
		return r.charge(c.id)
	}
	return c, nil
}

func (r memoryRecords) adoptSubscription(s *subscription) (*subscription, error) {
	if _, ok := r.b.subs[s.id]; ok {
		return r.subscription(s.id)
	}
	return s, nil
}

func (r memoryRecords) subscription(id string) (*subscription, error) {
	s, ok := r.b.subs[id]
	if !ok {
		return nil, nil
	}
	s.plans = append([]chargedesk.Plan(nil), s.plans...)
	return &s, nil
}

func (r memoryRecords) putSubscription(s *subscription) error {
	if old, ok := r.b.subs[s.id]; ok {
		s.id = old.id
	}
	s.seen = r.b.now()
	r.b.subs[s.id] = *s
	r.b.touches = append(r.b.touches, touch{'s', s.id, s.seen})
	return nil
}

func (r memoryRecords) link(id string) (*payLink, error) {
	p, ok := r.b.links[id]
	if !ok {
		return nil, nil
	}
	return &p, nil
}

func (r memoryRecords) putLink(p *payLink) error {
	if old, ok := r.b.links[p.id]; ok {
		p.id = old.id
	}
	p.seen = r.b.now()
	r.b.links[p.id] = *p
	r.b.touches = append(r.b.touches, touch{'l', p.id, p.seen})
	return nil
}

func (memoryRecords) changed(syncer.Kind, string) error { return nil }
