package wire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Unquote reads a string literal exactly as encoding/json does.
func TestUnquote(t *testing.T) {
	for _, lit := range []string{
		`""`, `"plain"`, `"https:\/\/chargedesk.com\/manage"`, `"a\"b\\c\/d\be\ff\ng\rh\ti"`,
		`"caf\u00e9 \u65e5\u672c"`, `"\uD83D\uDE00 smile"`, `"lone \uD83D high"`, `"lone \uDE00 low"`,
		`"K\u00fcnde m\u00f6chte R\u00fcckerstattung"`, `"Kunde möchte \/ Rückerstattung"`,
		`"bad \x escape"`, `"short \u12"`, `"\u00zz"`, `"ends \\"`, "\"bad \x85 byte\"",
	} {
		var want string
		wantErr := json.Unmarshal([]byte(lit), &want)
		got, ok := Unquote([]byte(lit))
		if wantErr != nil {
			assert.False(t, ok, lit)
			continue
		}
		assert.True(t, ok, lit)
		assert.Equal(t, want, got, lit)
	}
}

func FuzzUnquote(f *testing.F) {
	f.Add(`"https:\/\/x\/y \u00e9 \uD83D\uDE00"`)
	f.Fuzz(func(t *testing.T, lit string) {
		if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' || !json.Valid([]byte(lit)) {
			return
		}
		var want string
		if json.Unmarshal([]byte(lit), &want) != nil {
			return
		}
		got, ok := Unquote([]byte(lit))
		assert.True(t, ok)
		assert.Equal(t, want, got)
	})
}

// The one-pass readings of a list and a map agree with encoding/json's.
func FuzzListAndMap(f *testing.F) {
	for _, s := range []string{`["edit","email"]`, `{"0":"a","x":"b"}`, `[]`, `{}`, `{"a":{"b":[1,2]},"c":null,"d":true,"e":1.50}`,
		`["a\/b", 1, true, null]`, `{"k\u00e9":"v","k":"w","k":"x"}`, `[{"a":1,"a":2}]`, "{\"\x9a\":\"\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := []byte(s)
		if !json.Valid(raw) || (raw[0] != '[' && raw[0] != '{') {
			return
		}
		var fast, slow Strings
		errFast, errSlow := fast.UnmarshalJSON(raw), slow.unmarshalSlow(raw)
		assert.Equal(t, errSlow == nil, errFast == nil, "list %s: %v / %v", s, errFast, errSlow)
		if errSlow == nil {
			assert.Equal(t, slow, fast, s)
		}
		var fm, sm Map
		errFast, errSlow = fm.UnmarshalJSON(raw), sm.unmarshalSlow(raw)
		assert.Equal(t, errSlow == nil, errFast == nil, "map %s: %v / %v", s, errFast, errSlow)
		if errSlow == nil {
			assert.Equal(t, sm, fm, s)
		}
	})
}
