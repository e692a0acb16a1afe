package apitest

import "slices"

// ordered holds records newest first: by their indexed time, then by
// creation, later first. It keeps them in chunks of at most maxChunk, so an
// insert or a removal moves at most one chunk, and the record at a position
// is found by adding up the chunks' lengths: a list at any offset costs a
// few thousand additions, not a scan, and a write never re-sorts.
type ordered struct {
	chunks [][]*base
	n      int
}

const maxChunk = 512

// newer reports whether a comes before b in a list. A record's time must
// not change while it is in an ordered: the store takes it out first.
func newer(a, b *base) bool {
	if ta, tb := a.self.orderTime(), b.self.orderTime(); ta != tb {
		return ta > tb
	}
	return a.seq > b.seq
}

func (o *ordered) len() int { return o.n }

// chunkFor returns the chunk b belongs in: the first whose last record is
// not newer than b (the last chunk when b is older than all).
func (o *ordered) chunkFor(b *base) int {
	i, _ := slices.BinarySearchFunc(o.chunks, b, func(c []*base, b *base) int {
		if newer(c[len(c)-1], b) {
			return -1
		}
		return 1
	})
	return min(i, len(o.chunks)-1)
}

// posIn returns where b is, or goes, in chunk c.
func posIn(c []*base, b *base) int {
	i, _ := slices.BinarySearchFunc(c, b, func(x, b *base) int {
		switch {
		case x == b:
			return 0
		case newer(x, b):
			return -1
		}
		return 1
	})
	return i
}

// insert adds b.
func (o *ordered) insert(b *base) {
	o.n++
	if len(o.chunks) == 0 {
		o.chunks = append(o.chunks, []*base{b})
		return
	}
	ci := o.chunkFor(b)
	c := o.chunks[ci]
	pos := posIn(c, b)
	c = slices.Insert(c, pos, b)
	if len(c) > maxChunk {
		// Split in halves; but a record that goes first or last (the newest
		// created, or a list loaded in order) starts a chunk of its own, so
		// that chunks filled in order stay full.
		at := len(c) / 2
		switch pos {
		case 0:
			at = 1
		case len(c) - 1:
			at = len(c) - 1
		}
		left := append(make([]*base, 0, maxChunk), c[:at]...)
		right := append(make([]*base, 0, maxChunk), c[at:]...)
		o.chunks[ci] = left
		o.chunks = slices.Insert(o.chunks, ci+1, right)
		return
	}
	o.chunks[ci] = c
}

// remove takes b out; its time must be the one it was inserted with.
// It reports whether b was there.
func (o *ordered) remove(b *base) bool {
	if len(o.chunks) == 0 {
		return false
	}
	ci := o.chunkFor(b)
	c := o.chunks[ci]
	i := posIn(c, b)
	if i >= len(c) || c[i] != b {
		return false
	}
	c = slices.Delete(c, i, i+1)
	o.n--
	switch {
	case len(c) == 0:
		o.chunks = slices.Delete(o.chunks, ci, ci+1)
	case ci+1 < len(o.chunks) && len(c)+len(o.chunks[ci+1]) <= maxChunk/2:
		o.chunks[ci] = append(c, o.chunks[ci+1]...)
		o.chunks = slices.Delete(o.chunks, ci+1, ci+2)
	default:
		o.chunks[ci] = c
	}
	return true
}

// newerThan counts the records whose time is after t: a list bounded by
// [max] = t starts there.
func (o *ordered) newerThan(t unix) int {
	n := 0
	for _, c := range o.chunks {
		if c[len(c)-1].self.orderTime() > t {
			n += len(c)
			continue
		}
		i, _ := slices.BinarySearchFunc(c, t, func(x *base, t unix) int {
			if x.self.orderTime() > t {
				return -1
			}
			return 1
		})
		return n + i
	}
	return n
}

// each calls f with the records from position from on, in order, until f
// returns false.
func (o *ordered) each(from int, f func(*base) bool) {
	if from < 0 {
		from = 0
	}
	for _, c := range o.chunks {
		if from >= len(c) {
			from -= len(c)
			continue
		}
		for _, b := range c[from:] {
			if !f(b) {
				return
			}
		}
		from = 0
	}
}
