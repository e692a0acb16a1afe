package apitest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at returns the base of a new charge that occurred at t, created seq-th.
func at(seq int64, t unix) *base {
	c := &charge{Occurred: t}
	c.self, c.seq = c, seq
	return &c.base
}

// model is what an ordered must hold: its records sorted newest first.
func model(bases map[*base]bool) []*base {
	out := make([]*base, 0, len(bases))
	for b := range bases {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *base) int {
		if newer(a, b) {
			return -1
		}
		return 1
	})
	return out
}

func contents(o *ordered) []*base {
	var out []*base
	o.each(0, func(b *base) bool { out = append(out, b); return true })
	return out
}

// Inserts and removals in random order, with many records sharing a
// second, keep the records in order; each position, time bound and walk
// from a position agrees with a sorted copy.
func TestOrderedAgreesWithASortedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o ordered
	in := map[*base]bool{}
	var all []*base
	for step := range 20_000 {
		if len(all) > 0 && rng.IntN(3) == 0 {
			b := all[rng.IntN(len(all))]
			assert.Equal(t, in[b], o.remove(b), "step %d", step)
			delete(in, b)
			continue
		}
		b := at(int64(step), unix(rng.IntN(500)))
		o.insert(b)
		in[b] = true
		all = append(all, b)
	}
	want := model(in)
	require.Equal(t, len(want), o.len())
	require.Equal(t, want, contents(&o))
	for _, c := range o.chunks {
		assert.NotEmpty(t, c)
		assert.LessOrEqual(t, len(c), maxChunk)
	}
	for _, from := range []int{0, 1, maxChunk - 1, maxChunk, len(want) / 2, len(want) - 1, len(want), len(want) + 5} {
		var got []*base
		o.each(from, func(b *base) bool { got = append(got, b); return len(got) < 3 })
		end := min(from+3, len(want))
		if from >= len(want) {
			assert.Empty(t, got, "from %d", from)
			continue
		}
		assert.Equal(t, want[from:end], got, "from %d", from)
	}
	for _, tm := range []unix{-1, 0, 1, 250, 499, 500} {
		n := 0
		for _, b := range want {
			if b.self.orderTime() > tm {
				n++
			}
		}
		assert.Equal(t, n, o.newerThan(tm), "newer than %d", tm)
	}
}

// Records inserted in order, newest or oldest each time, fill their chunks.
func TestOrderedChunksFilledInOrderStayFull(t *testing.T) {
	for name, when := range map[string]func(i int) unix{
		"newest each time": func(i int) unix { return unix(i) },
		"oldest each time": func(i int) unix { return unix(-i) },
	} {
		var o ordered
		for i := range 10 * maxChunk {
			o.insert(at(int64(i), when(i)))
		}
		assert.LessOrEqual(t, len(o.chunks), 11, name)
	}
}
