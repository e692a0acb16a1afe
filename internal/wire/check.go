package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxDepth is how deeply a webhook body may nest objects and arrays.
// ChargeDesk's payloads nest three levels; the bound keeps hostile input
// from costing stack or time.
const MaxDepth = 32

// The errors Check wraps: the messages are the agent's.
var (
	ErrEmptyBody = errors.New("the webhook body is empty; ChargeDesk sends a JSON object")
	ErrNotObject = errors.New("the webhook body must be a JSON object")
	ErrBadJSON   = errors.New("the webhook body is not valid")
)

// Check reports whether body is exactly one JSON object, in valid UTF-8,
// nested at most MaxDepth levels, with no key repeated within an object,
// and no key of the schema's spelled in another case where the schema has
// it.
// encoding/json silently keeps the last of two equal keys (and matches keys
// without regard to case); a body that says "refund_amount" twice is
// ambiguous, so it is refused rather than guessed at.
func Check(body []byte, schema *Schema) error { return check(body, schema, nil, nil) }

// check is Check, decoding the members of the top level into top when it
// is set (see CheckDecode).
func check(body []byte, schema *Schema, top *binding, collect func(record, key string, raw []byte)) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmptyBody
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", ErrBadJSON)
	}
	c := checker{data: body, schema: schema, collect: collect}
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] != '{' {
		return ErrNotObject
	}
	if err := c.object(1, scopeTop, top); err != nil {
		return err
	}
	c.space()
	if c.pos != len(c.data) {
		return fmt.Errorf("%w: unexpected data after the JSON object at byte %d", ErrBadJSON, c.pos)
	}
	return c.err
}

type checker struct {
	data   []byte
	pos    int
	schema *Schema
	// err is the first error a member's decoding returned; it is reported
	// once the whole body is known to be well-formed, as encoding/json
	// reports a type error only after checking the syntax.
	err error
	// collect, when set, receives every member of the top level and of the
	// records, as written.
	collect func(record, key string, raw []byte)
}

func (c *checker) space() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *checker) syntax(what string) error {
	if c.pos >= len(c.data) {
		return fmt.Errorf("%w: the body ends in the middle of %s", ErrBadJSON, what)
	}
	return fmt.Errorf("%w: unexpected %q at byte %d, in %s", ErrBadJSON, c.data[c.pos], c.pos, what)
}

func (c *checker) value(depth int, sc scope) error {
	c.space()
	if c.pos >= len(c.data) {
		return c.syntax("a value")
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		return c.object(depth+1, sc, nil)
	case b == '[':
		return c.array(depth+1, sc)
	case b == '"':
		_, _, err := c.str()
		return err
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	default:
		return c.syntax("a value")
	}
}

func (c *checker) literal(word string) error {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(word)) {
		return c.syntax("a value")
	}
	c.pos += len(word)
	return nil
}

// object scans an object; with b set, its members are decoded into b's
// struct as they are scanned.
func (c *checker) object(depth int, sc scope, b *binding) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: the body nests deeper than %d levels", ErrBadJSON, MaxDepth)
	}
	c.pos++ // {
	var seen keySet
	defer seen.release()
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == '}' {
		c.pos++
		return nil
	}
	for {
		name, info, err := c.key(&seen, sc)
		if err != nil {
			return err
		}
		c.space()
		if c.pos >= len(c.data) || c.data[c.pos] != ':' {
			return c.syntax("an object")
		}
		c.pos++
		if b == nil {
			err = c.value(depth, info.child(sc))
		} else {
			err = c.member(depth, info.child(sc), b, name, info)
		}
		if err != nil {
			return err
		}
		c.space()
		if c.pos >= len(c.data) {
			return c.syntax("an object")
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case '}':
			c.pos++
			return nil
		default:
			return c.syntax("an object")
		}
	}
}

// key reads an object's key, unescaped, and refuses one seen before in the
// object or, where the schema checks keys, a variant of a known one. Where
// the schema checks keys, a known key, spelled exactly, is told apart from
// the others by its bit in seen: no hashing.
func (c *checker) key(seen *keySet, sc scope) ([]byte, keyInfo, error) {
	c.space()
	if c.pos >= len(c.data) || c.data[c.pos] != '"' {
		return nil, keyInfo{}, c.syntax("an object key")
	}
	key, escaped, err := c.str()
	if err != nil {
		return nil, keyInfo{}, err
	}
	if escaped {
		var s string
		if json.Unmarshal(key, &s) != nil {
			return nil, keyInfo{}, c.syntax("an object key")
		}
		key = []byte(`"` + s + `"`)
	}
	name := key[1 : len(key)-1]
	twice := func() ([]byte, keyInfo, error) {
		return nil, keyInfo{}, fmt.Errorf("%w: the key %s appears twice in one object", ErrBadJSON, KeyName(string(name)))
	}
	if sc.checked() {
		if info, ok := c.schema.keys[string(name)]; ok {
			if !seen.mark(info.bit) {
				return twice()
			}
			return name, info, nil
		}
		if known, variant := c.schema.variant(name); variant {
			if !seen.mark(c.schema.keys[known].bit) {
				return twice() // as encoding/json folds keys, the same one
			}
			return nil, keyInfo{}, fmt.Errorf("%w: the key %s is %q spelled in another case or form; ChargeDesk's keys are matched exactly",
				ErrBadJSON, KeyName(string(name)), known)
		}
	}
	if !seen.add(name) {
		return twice()
	}
	return name, keyInfo{}, nil
}

func (c *checker) array(depth int, sc scope) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: the body nests deeper than %d levels", ErrBadJSON, MaxDepth)
	}
	c.pos++ // [
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		return nil
	}
	for {
		if err := c.value(depth, sc.element()); err != nil {
			return err
		}
		c.space()
		if c.pos >= len(c.data) {
			return c.syntax("an array")
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			return nil
		default:
			return c.syntax("an array")
		}
	}
}

// str scans a string and returns it with its quotes, and whether it holds an
// escape sequence.
func (c *checker) str() (s []byte, escaped bool, err error) {
	start := c.pos
	c.pos++ // "
	for c.pos < len(c.data) {
		switch b := c.data[c.pos]; {
		case b == '"':
			c.pos++
			return c.data[start:c.pos], escaped, nil
		case b == '\\':
			escaped = true
			c.pos++
			if c.pos >= len(c.data) {
				return nil, false, c.syntax("a string")
			}
			switch c.data[c.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				c.pos++
			case 'u':
				if c.pos+5 > len(c.data) || !isHex4(c.data[c.pos+1:c.pos+5]) {
					return nil, false, c.syntax("a string escape")
				}
				c.pos += 5
			default:
				return nil, false, c.syntax("a string escape")
			}
		case b < 0x20:
			return nil, false, c.syntax("a string")
		default:
			c.pos++
		}
	}
	return nil, false, c.syntax("a string")
}

func isHex4(b []byte) bool {
	for _, x := range b {
		if !('0' <= x && x <= '9' || 'a' <= x && x <= 'f' || 'A' <= x && x <= 'F') {
			return false
		}
	}
	return true
}

func (c *checker) number() error {
	start := c.pos
	if c.data[c.pos] == '-' {
		c.pos++
	}
	digits := func() int {
		n := 0
		for c.pos < len(c.data) && c.data[c.pos] >= '0' && c.data[c.pos] <= '9' {
			c.pos++
			n++
		}
		return n
	}
	if c.pos < len(c.data) && c.data[c.pos] == '0' {
		c.pos++
	} else if digits() == 0 {
		return c.syntax("a number")
	}
	if c.pos < len(c.data) && c.data[c.pos] == '.' {
		c.pos++
		if digits() == 0 {
			return c.syntax("a number")
		}
	}
	if c.pos < len(c.data) && (c.data[c.pos] == 'e' || c.data[c.pos] == 'E') {
		c.pos++
		if c.pos < len(c.data) && (c.data[c.pos] == '+' || c.data[c.pos] == '-') {
			c.pos++
		}
		if digits() == 0 {
			return c.syntax("a number")
		}
	}
	if c.pos-start > MaxNumberLen {
		return fmt.Errorf("%w: a number at byte %d is %d characters long", ErrBadJSON, start, c.pos-start)
	}
	return nil
}

// MaxNumberLen bounds a JSON number literal; no field ChargeDesk sends needs
// more, and a longer one can only be an attempt to cost time.
const MaxNumberLen = 64

// keySet remembers an object's keys, compared without regard to case as
// encoding/json folds it when it matches struct fields. Small objects are
// scanned linearly; larger ones (a charge has about 55 keys) are indexed in
// an open-addressing table of folded-key hashes, with bytes.EqualFold
// deciding on a hash match, so a hostile object with many keys costs linear
// time. Tables are pooled: a request allocates none in the steady state.
type keySet struct {
	// known holds the schema's keys seen, by their bits (see keyInfo);
	// the rest go to small, then table.
	known [keyBits / 64]uint64
	small [8][]byte
	n     int
	table *keyTable
}

// mark records the known key of bit, and reports whether it was not yet
// seen.
func (s *keySet) mark(bit uint8) bool {
	w, m := bit/64, uint64(1)<<(bit%64)
	if s.known[w]&m != 0 {
		return false
	}
	s.known[w] |= m
	return true
}

// keyTable is a hash set of keys: slots hold an index into keys plus one
// (0 is empty), and hashes the hash of that key.
type keyTable struct {
	slots  []int32
	hashes []uint64
	keys   [][]byte
}

var keyTables = sync.Pool{New: func() any { return &keyTable{} }}

func (s *keySet) add(key []byte) bool {
	if s.table == nil && s.n < len(s.small) {
		for _, k := range s.small[:s.n] {
			if bytes.EqualFold(k, key) {
				return false
			}
		}
		s.small[s.n] = key
		s.n++
		return true
	}
	if s.table == nil {
		s.table = keyTables.Get().(*keyTable)
		s.table.reset(64)
		for _, k := range s.small[:s.n] {
			s.table.add(foldHash(k), k)
		}
	}
	return s.table.add(foldHash(key), key)
}

// release returns the table, if any, to the pool.
func (s *keySet) release() {
	if s.table != nil {
		clear(s.table.keys) // drop references into the body
		s.table.keys = s.table.keys[:0]
		keyTables.Put(s.table)
		s.table = nil
	}
}

// reset empties the table, keeping the capacity a pooled table has grown
// to, so a request with objects as large as earlier ones allocates nothing.
func (t *keyTable) reset(size int) {
	size = max(size, cap(t.slots))
	if cap(t.slots) < size {
		t.slots = make([]int32, size)
		t.hashes = make([]uint64, size)
	}
	t.slots = t.slots[:size]
	t.hashes = t.hashes[:size]
	clear(t.slots)
	t.keys = t.keys[:0]
}

// add inserts key unless an equal one is there; it reports whether it did.
func (t *keyTable) add(h uint64, key []byte) bool {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		slot := t.slots[i]
		if slot == 0 {
			t.keys = append(t.keys, key)
			t.slots[i] = int32(len(t.keys))
			t.hashes[i] = h
			return true
		}
		if t.hashes[i] == h && bytes.EqualFold(t.keys[slot-1], key) {
			return false
		}
	}
}

// grow doubles the table, moving each slot by its stored hash.
func (t *keyTable) grow() {
	oldSlots, oldHashes := t.slots, t.hashes
	size := max(2*len(oldSlots), 64)
	t.slots = make([]int32, size)
	t.hashes = make([]uint64, size)
	mask := uint64(size - 1)
	for j, slot := range oldSlots {
		if slot == 0 {
			continue
		}
		i := oldHashes[j] & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = slot
		t.hashes[i] = oldHashes[j]
	}
}

// keySeed seeds the key hash; it is chosen once per process, so a sender
// cannot pick keys that collide.
var keySeed = maphash.MakeSeed()

// foldHash hashes key as spelled by one member of its case-folding class,
// the smallest rune of each rune's orbit, so every key bytes.EqualFold (and
// so encoding/json) treats as equal hashes alike. bytes.ToLower would not
// do: "ſ" (U+017F) and the Kelvin sign fold to "s" and "k" but are their own
// lower case. ASCII letters, whose smallest orbit member is the upper case,
// take a fast path.
func foldHash(key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(keySeed)
	var buf [64]byte
	n := 0
	for i := 0; i < len(key); {
		if n > len(buf)-utf8.UTFMax {
			h.Write(buf[:n])
			n = 0
		}
		c := key[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			buf[n] = c
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(key[i:])
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		n += utf8.EncodeRune(buf[n:], least)
		i += size
	}
	h.Write(buf[:n])
	return h.Sum64()
}

// Schema is what Check knows of where a webhook's own keys lie: its top
// level, the records under some of its keys, and the records listed under
// others. There a key must be spelled exactly; elsewhere (metadata, unknown
// fields) keys are free.
type Schema struct {
	overlays   map[reflect.Type]func(any) any // records decoded in place (Overlay)
	fieldCache sync.Map                       // reflect.Type -> *fieldTable
	keys       map[string]keyInfo             // every key, as spelled
	known      map[string]string              // the folded form of each key -> its spelling
}

// keyInfo is what the schema knows of a key.
type keyInfo struct {
	known  bool  // the schema has the key, as spelled
	bit    uint8 // its mark in an object's keySet: keys that fold alike share one
	record bool  // at the top level, its value is a record
	list   bool  // at the top level, its value lists records
}

// keyBits bounds how many keys, folded, a schema may have.
const keyBits = 256

// NewSchema returns the schema whose keys are keys, with a record under each
// top-level key of records, and a list of records (or PHP's object keyed
// "0", "1", ...) under each of lists. It panics when keys fold to more than
// keyBits keys.
func NewSchema(keys, records, lists []string) *Schema {
	s := &Schema{overlays: map[reflect.Type]func(any) any{}, keys: map[string]keyInfo{}, known: map[string]string{}}
	bits := map[string]uint8{}
	for _, k := range keys {
		folded := foldKey(k)
		bit, ok := bits[folded]
		if !ok {
			if len(bits) == keyBits {
				panic(fmt.Sprintf("wire: a schema holds at most %d keys", keyBits))
			}
			bit = uint8(len(bits))
			bits[folded] = bit
		}
		s.keys[k] = keyInfo{known: true, bit: bit}
		s.known[folded] = k
	}
	for _, k := range records {
		info := s.keys[k]
		info.record = true
		s.keys[k] = info
	}
	for _, k := range lists {
		info := s.keys[k]
		info.list = true
		s.keys[k] = info
	}
	return s
}

// scope is where in a webhook's schema an object or array lies.
type scope uint8

const (
	scopeFree   scope = iota
	scopeTop          // the body
	scopeRecord       // a record: a charge, a subscription
	scopeList         // a list of records
	scopeEntry        // one record of a list
)

func (sc scope) checked() bool { return sc == scopeTop || sc == scopeRecord || sc == scopeEntry }

// child is the scope of the value under the key of info in an object of
// scope sc.
func (info keyInfo) child(sc scope) scope {
	switch {
	case sc == scopeTop && info.record:
		return scopeRecord
	case sc == scopeTop && info.list:
		return scopeList
	case sc == scopeList:
		return scopeEntry
	}
	return scopeFree
}

// element is the scope of an array's elements.
func (sc scope) element() scope {
	if sc == scopeList {
		return scopeEntry
	}
	return scopeFree
}

// variant reports whether key is a known key in another case or Unicode
// folding (CHARGE, Charge_ID, the long s in cuſtomer_id), which
// encoding/json would match but a placeholder lookup would not.
func (s *Schema) variant(key []byte) (known string, variant bool) {
	if _, exact := s.keys[string(key)]; exact {
		return "", false // the common case: no allocation
	}
	known, ok := s.known[foldKey(string(key))]
	return known, ok && known != string(key)
}

// foldKey maps every rune to the smallest of its simple case-folding orbit,
// so that two strings fold to the same key exactly when strings.EqualFold
// holds between them.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// free is the schema of a value with no keys of its own to check.
var free = NewSchema(nil, nil, nil)

// eachMember calls f with the key (nil in an array) and the raw value of
// each member of the object or array raw, in order, and reports whether raw
// was one it could read whole and f accepted every member. It checks
// nested values as Check does, so a caller falls back on encoding/json when
// it reports false.
func eachMember(raw []byte, f func(key, value []byte) bool) bool {
	c := checker{data: raw, schema: free}
	end := byte('}')
	if raw[0] == '[' {
		end = ']'
	}
	c.pos = 1
	c.space()
	if c.pos < len(raw) && raw[c.pos] == end {
		c.pos++
		c.space()
		return c.pos == len(raw)
	}
	for {
		c.space()
		var key []byte
		if end == '}' {
			if c.pos >= len(raw) || raw[c.pos] != '"' {
				return false
			}
			k, escaped, err := c.str()
			if err != nil {
				return false
			}
			key = k[1 : len(k)-1]
			if escaped || !utf8.Valid(key) {
				s, ok := Unquote(k)
				if !ok {
					return false
				}
				key = []byte(s)
			}
			c.space()
			if c.pos >= len(raw) || raw[c.pos] != ':' {
				return false
			}
			c.pos++
		}
		c.space()
		start := c.pos
		if c.value(1, scopeFree) != nil || !f(key, raw[start:c.pos]) {
			return false
		}
		c.space()
		if c.pos >= len(raw) {
			return false
		}
		switch raw[c.pos] {
		case ',':
			c.pos++
		case end:
			c.pos++
			c.space()
			return c.pos == len(raw)
		default:
			return false
		}
	}
}
