package chargedesk

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCurrencyMinorUnits(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		want   int
		wantOK bool
	}{
		{name: "USD", code: "USD", want: 2, wantOK: true},
		{name: "lower-case usd", code: "usd", want: 2, wantOK: true},
		{name: "mixed-case uSd", code: "uSd", want: 2, wantOK: true},
		{name: "JPY", code: "JPY", want: 0, wantOK: true},
		{name: "KWD", code: "KWD", want: 3, wantOK: true},
		{name: "CLF", code: "CLF", want: 4, wantOK: true},
		{name: "EUR", code: "EUR", want: 2, wantOK: true},
		{name: "XCG", code: "XCG", want: 2, wantOK: true},
		{name: "XOF", code: "XOF", want: 0, wantOK: true},
		{name: "too short", code: "US", wantOK: false},
		{name: "too long", code: "USDD", wantOK: false},
		{name: "empty", code: "", wantOK: false},
		{name: "gold has no minor unit", code: "XAU", wantOK: false},
		{name: "withdrawn HRK", code: "HRK", wantOK: false},
		{name: "withdrawn ANG", code: "ANG", wantOK: false},
		{name: "non-ASCII letter", code: "ÜSD", wantOK: false},
		{name: "digit", code: "US1", wantOK: false},
		{name: "space", code: "US ", wantOK: false},
		{name: "unknown", code: "ABC", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CurrencyMinorUnits(tt.code)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)

			scale, ok := currencyScale(tt.code)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, int32(tt.want), scale)
		})
	}
}

func TestISO4217MinorUnitsTable(t *testing.T) {
	require.NotEmpty(t, iso4217MinorUnits)
	for code, scale := range iso4217MinorUnits {
		require.Len(t, code, 3, "code %q", code)
		for i := range len(code) {
			assert.True(t, 'A' <= code[i] && code[i] <= 'Z',
				"code %q must be upper-case ASCII letters", code)
		}
		assert.Contains(t, []int32{0, 2, 3, 4}, scale, "scale of %s", code)

		got, ok := currencyScale(code)
		assert.True(t, ok, "currencyScale(%q)", code)
		assert.Equal(t, scale, got, "currencyScale(%q)", code)
	}
}

func TestCurrencyScaleDoesNotAllocate(t *testing.T) {
	codes := []string{"USD", "jpy", "Kwd", "XAU", "US", "ÜSD"}
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range codes {
			currencyScale(c)
		}
	})
	assert.Zero(t, allocs)
}

func BenchmarkCurrencyScale(b *testing.B) {
	codes := []string{"USD", "jpy", "Kwd", "XAU", "US"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		currencyScale(codes[i%len(codes)])
	}
}
