package chargedesk

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/govalues/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAmountAccepts(t *testing.T) {
	tests := []struct {
		in        string
		want      string // String() of the result
		wantScale int
	}{
		{"12.34", "12.34", 2},
		{"-5", "-5", 0},
		{"1.5e2", "150", 0},
		{"1.5E2", "150", 0},
		{"1e+2", "100", 0},
		{"125e-2", "1.25", 2},
		{"0.00", "0.00", 2},
		{"0", "0", 0},
		{"34.00", "34.00", 2},
		{"12.340", "12.340", 3},
		{"-0.01", "-0.01", 2},
		{"99999999999999.9999", "99999999999999.9999", 4},
		{"0.1234567890123456789", "0.1234567890123456789", 19},
		{"1e13", "10000000000000", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseAmount(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, a.String())
			assert.Equal(t, tt.wantScale, a.Decimal().Scale())
		})
	}
}

func TestParseAmountRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"letters", "abc"},
		{"NaN", "NaN"},
		{"nan", "nan"},
		{"Infinity", "Infinity"},
		{"-Infinity", "-Infinity"},
		{"Inf", "Inf"},
		{"hexadecimal", "0x10"},
		{"leading space", " 1"},
		{"trailing space", "1 "},
		{"tab", "\t1"},
		{"thousands separator", "1,000.00"},
		{"decimal comma", "12,34"},
		{"underscore", "1_000"},
		{"currency symbol", "$12.34"},
		{"currency code", "12.34 USD"},
		{"sign only", "-"},
		{"point only", "."},
		{"two points", "1.2.3"},
		{"exponent without digits", "1e"},
		{"exponent only", "e5"},
		{"Arabic-Indic digits", "١٢"},
		{"25 significant digits", "1234567890123456789012345"},
		{"25 digits with a point", "123456789012.3456789012345"},
		{"20 digits, would round", "12345678901234567891"},
		{"20 fraction digits, would round", "0.12345678901234567891"},
		{"one too many digits after 1.", "1.0000000000000000001"},
		{"too small to hold", "1e-20"},
		{"far too small", "1e-400"},
		{"too large", "1e19"},
		{"at the bound", "100000000000000"},
		{"negative at the bound", "-100000000000000.00"},
		{"19 nines", "9999999999999999999"},
		{"1e18", "1e18"},
		{"far too large", "1e400"},
		{"longer than 64 characters", "0." + strings.Repeat("0", 70)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAmount(tt.in)
			require.Error(t, err)
			assert.Equal(t, Amount{}, a)
		})
	}
}

func TestParseAmountNeverRounds(t *testing.T) {
	// Every accepted literal keeps its exact value: the text of the result,
	// read back, is the same number.
	for _, in := range []string{"12.34", "0.1", "0.3", "1.005", "99999999999999.9999", "0.0000000000000000001"} {
		a, err := ParseAmount(in)
		require.NoError(t, err, in)
		exact, err := decimal.Parse(in)
		require.NoError(t, err)
		assert.Equal(t, 0, a.Decimal().Cmp(exact), in)
		assert.Equal(t, in, a.String(), in)
	}
}

func TestMustParseAmount(t *testing.T) {
	assert.Equal(t, "1.50", MustParseAmount("1.50").String())
	assert.Panics(t, func() { MustParseAmount("1,50") })
}

func TestAmountMarshalJSONKeepsScale(t *testing.T) {
	tests := []struct{ in, want string }{
		{"34.00", "34.00"},
		{"12.340", "12.340"},
		{"0.00", "0.00"},
		{"-5", "-5"},
		{"1.5e2", "150"},
		{"0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			out, err := json.Marshal(MustParseAmount(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out))

			var back Amount
			require.NoError(t, json.Unmarshal(out, &back))
			assert.Equal(t, MustParseAmount(tt.in), back)
		})
	}
	t.Run("zero value", func(t *testing.T) {
		out, err := json.Marshal(Amount{})
		require.NoError(t, err)
		assert.Equal(t, "0", string(out))
	})
	t.Run("inside a struct", func(t *testing.T) {
		twoTwenty := MustParseAmount("2.20")
		out, err := json.Marshal(struct {
			A Amount  `json:"a"`
			P *Amount `json:"p"`
		}{A: MustParseAmount("1.10"), P: &twoTwenty})
		require.NoError(t, err)
		assert.JSONEq(t, `{"a":1.10,"p":2.20}`, string(out))
		assert.Contains(t, string(out), `1.10`)
	})
}

func TestAmountUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`12.34`, "12.34"},
		{`"12.34"`, "12.34"},
		{`"34.00"`, "34.00"},
		{`34`, "34"},
		{`null`, "0"},
		{`""`, "0"},
		{`"1\u002e5"`, "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a := MustParseAmount("99")
			require.NoError(t, json.Unmarshal([]byte(tt.in), &a))
			assert.Equal(t, tt.want, a.String())
		})
	}
	for _, in := range []string{`true`, `{}`, `[]`, `"abc"`, `"NaN"`, `" 1"`, `"0x10"`, `"1,000.00"`} {
		t.Run("refuses "+in, func(t *testing.T) {
			var a Amount
			err := json.Unmarshal([]byte(in), &a)
			var te *json.UnmarshalTypeError
			assert.ErrorAs(t, err, &te)
		})
	}
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             int64
	}{
		{"12.34", "USD", 1234},
		{"12.340", "USD", 1234},
		{"12.3", "USD", 1230},
		{"12", "USD", 1200},
		{"0.00", "USD", 0},
		{"0.01", "USD", 1},
		{"12.34", "usd", 1234},
		{"1000", "JPY", 1000},
		{"1000.00", "JPY", 1000},
		{"1e3", "JPY", 1000},
		{"1.234", "KWD", 1234},
		{"1.2", "KWD", 1200},
		{"1.2345", "CLF", 12345},
		{"1.5e2", "USD", 15000},
		{"-12.34", "USD", -1234},
		{"-1000", "JPY", -1000},
		{"-0.001", "KWD", -1},
		{"99999999999999.99", "USD", 9999999999999999},
		{"-99999999999999.99", "USD", -9999999999999999},
		{"99999999999999", "JPY", 99999999999999},
		{"99999999999999.9999", "CLF", 999999999999999999},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.currency, func(t *testing.T) {
			got, err := MustParseAmount(tt.amount).MinorUnits(tt.currency)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMinorUnitsRefuses(t *testing.T) {
	tests := []struct {
		name, amount, currency, want string
	}{
		{"12.345 USD", "12.345", "USD", "more decimal places than USD allows (2)"},
		{"0.001 USD", "0.001", "USD", "USD"},
		{"1.5 JPY", "1.5", "JPY", "more decimal places than JPY allows (0)"},
		{"1.2345 KWD", "1.2345", "KWD", "KWD allows (3)"},
		{"-12.345 USD", "-12.345", "USD", "USD"},
		{"unknown currency", "1", "XYZ", `"XYZ" is not an ISO 4217 currency code`},
		{"empty currency", "1", "", "ISO 4217"},
		{"two letters", "1", "US", "ISO 4217"},
		{"overflow by one cent", "92233720368547758.08", "USD", "too large"},
		{"negative overflow by one cent", "-92233720368547758.09", "USD", "too large"},
		{"overflow JPY", "9999999999999999999", "JPY", "too large"},
		{"overflow in the multiplication", "999999999999999999", "KWD", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An Amount past MaxAmount cannot be made; its minor units are
			// refused all the same.
			got, err := Amount{d: decimal.MustParse(tt.amount)}.MinorUnits(tt.currency)
			require.Error(t, err)
			assert.Zero(t, got)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestAmountArithmeticIsExact(t *testing.T) {
	// 0.1 + 0.2 is exactly 0.3: no float64 anywhere.
	sum, err := MustParseAmount("0.1").Add(MustParseAmount("0.2"))
	require.NoError(t, err)
	assert.Equal(t, 0, sum.Cmp(MustParseAmount("0.3")))

	remaining, err := MustParseAmount("34.00").Sub(MustParseAmount("21.66"))
	require.NoError(t, err)
	assert.Equal(t, "12.34", remaining.String())
}

// TestNoFloatInPayloads walks every request type, down to the decimal
// library's own fields, and fails on a float: money is never a float64.
func TestNoFloatInPayloads(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
			t.Errorf("%s is a %s", path, typ)
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Key(), path+"{key}")
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	for _, v := range []any{
		RefundRequest{}, CaptureRequest{}, VoidRequest{}, CancelRequest{},
		ReactivateRequest{}, EditPlansRequest{}, PaymentRequest{}, envelope{}, Amount{},
	} {
		walk(reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}
	assert.True(t, seen[reflect.TypeFor[decimal.Decimal]()], "the walk reached the decimal type")
}
