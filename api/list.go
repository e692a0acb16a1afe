package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"maps"
	"net/http"
	"time"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

const (
	// MaxCount is the largest page ChargeDesk serves.
	MaxCount = 500
	// MaxOffset is the largest offset ChargeDesk accepts.
	MaxOffset = 50000
	// DefaultPageSize is the page size a list asks for when its Count is 0.
	DefaultPageSize = 100
)

// ErrNoProgress is yielded by a list whose server makes no progress: it
// answers the same page for the next offset, or charges outside the time
// window the list narrowed to. Paging on would loop or repeat records.
var ErrNoProgress = errors.New("chargedesk api: the list makes no progress")

// fetchPage gets one page of path with the query params, which hold the
// page's count and offset, and a digest of its data that tells the same
// page answered twice.
func fetchPage[T any](ctx context.Context, b *backend, path string, params any, seed maphash.Seed) (page[T], uint64, error) {
	var raw rawAnswer
	var pg page[T]
	c := call{method: http.MethodGet, path: path, params: params, safe: true}
	if err := b.do(ctx, c, &raw); err != nil {
		return pg, 0, err
	}
	if err := wire.Decode(raw, &pg); err != nil {
		return pg, 0, fmt.Errorf("chargedesk api: %s %s: the answer does not decode: %w", c.method, c.path, err)
	}
	fillAll(pg.Data)
	var data struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(raw, &data) // it decoded above
	return pg, maphash.Bytes(seed, data.Data), nil
}

// rawAnswer keeps an answer's body as it came.
type rawAnswer []byte

func (r *rawAnswer) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// progress tells a list that makes no progress: a full page whose data is
// the previous page's.
type progress struct {
	seed maphash.Seed
	last uint64
	has  bool
}

func (p *progress) check(digest uint64, n, offset int) error {
	if p.has && n > 0 && digest == p.last {
		return fmt.Errorf("%w: the page at offset %d is the previous page again", ErrNoProgress, offset)
	}
	p.last, p.has = digest, n > 0
	return nil
}

// list pages through path with count and offset, newest first, and yields
// ErrOffsetLimit rather than ask past offset 50,000. lp points into params
// (the whole query) so that list can move the page.
func list[T any](ctx context.Context, b *backend, path string, lp *ListParams, params any) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err := lp.validate(); err != nil {
			yield(nil, err)
			return
		}
		if lp.Count == 0 {
			lp.Count = DefaultPageSize
		}
		guard := progress{seed: maphash.MakeSeed()}
		for {
			pg, digest, err := fetchPage[T](ctx, b, path, params, guard.seed)
			if err == nil {
				err = guard.check(digest, len(pg.Data), lp.Offset)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range pg.Data {
				if !yield(&pg.Data[i], nil) {
					return
				}
			}
			if len(pg.Data) < lp.Count {
				return
			}
			if lp.Offset += len(pg.Data); lp.Offset > MaxOffset {
				yield(nil, ErrOffsetLimit)
				return
			}
		}
	}
}

// listCharges pages through charges, newest first. Past the offset limit it
// starts again at offset 0 with occurred[max] set to the oldest time it has
// yielded: the charges at exactly that time come again (the bound is
// inclusive) and those already yielded are skipped, so nothing is yielded
// twice and nothing is missed. More than 50,000 charges in one second
// cannot be told apart by time and end the list with an error.
func listCharges(ctx context.Context, b *backend, p ChargeListParams) iter.Seq2[*Charge, error] {
	return func(yield func(*Charge, error) bool) {
		if err := p.ListParams.validate(); err != nil {
			yield(nil, err)
			return
		}
		if p.Count == 0 {
			p.Count = DefaultPageSize
		}
		window := TimeRange{}
		if p.Occurred != nil {
			window = *p.Occurred
		}
		p.Occurred = &window
		var (
			oldest   time.Time
			atOldest = map[string]bool{} // ids yielded at oldest
			skip     map[string]bool     // ids to skip at the window's max
			guard    = progress{seed: maphash.MakeSeed()}
		)
		for {
			pg, digest, err := fetchPage[Charge](ctx, b, "/charges", &p, guard.seed)
			if err == nil {
				err = guard.check(digest, len(pg.Data), p.Offset)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range pg.Data {
				c := &pg.Data[i]
				if skip != nil && c.Occurred.After(*window.Max) {
					yield(nil, fmt.Errorf("%w: a charge came from after occurred[max] %s, the window the list narrowed to",
						ErrNoProgress, window.Max.Format(time.RFC3339)))
					return
				}
				if skip != nil && c.Occurred.Equal(*window.Max) && skip[chargeKey(c)] {
					continue
				}
				switch {
				case len(atOldest) == 0 || c.Occurred.Before(oldest):
					oldest = c.Occurred
					clear(atOldest)
					atOldest[chargeKey(c)] = true
				case c.Occurred.Equal(oldest):
					atOldest[chargeKey(c)] = true
				}
				if !yield(c, nil) {
					return
				}
			}
			if len(pg.Data) < p.Count {
				return
			}
			if p.Offset += len(pg.Data); p.Offset <= MaxOffset {
				continue
			}
			if window.Max != nil && window.Max.Equal(oldest) {
				yield(nil, fmt.Errorf("%w: more than %d charges occurred at %s", ErrOffsetLimit, MaxOffset, oldest.Format(time.RFC3339)))
				return
			}
			bound := oldest
			window.Max = &bound
			skip = maps.Clone(atOldest)
			p.Offset = 0
		}
	}
}

// chargeKey identifies a charge within one second of a list.
func chargeKey(c *Charge) string { return c.ID + "\x00" + c.TransactionID }
