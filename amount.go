package chargedesk

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/chargedesk/chargedesk-go/internal/wire"
	"github.com/govalues/decimal"
)

// maxAmountLen bounds the text of one amount; longer text is refused before
// it is parsed.
const maxAmountLen = 64

// Amount is an exact decimal amount of money, such as a charge's amount or a
// refund_amount. It embeds a [decimal.Decimal] from github.com/govalues/decimal,
// so every decimal method (Cmp, Add, Sub, IsZero, String, ...) is at hand;
// arithmetic there is exact or fails with an error, never rounds silently.
//
// The zero value is 0. Amount decodes from a JSON number ("12.34") or a
// numeric string ("12.34", as ChargeDesk sends charge amounts); null and ""
// decode as 0. Anything else, or a number that needs more than 19 digits
// (which the decimal type would have to round), is refused with an error
// that quotes the offending text. It encodes as a JSON number with the
// scale it has ("34.00" stays 34.00).
type Amount struct {
	decimal.Decimal
}

// NewAmount returns d as an Amount.
func NewAmount(d decimal.Decimal) Amount { return Amount{d} }

// ParseAmount parses s ("12.34", "-5", "1.5e2") exactly. It refuses, rather
// than rounds, a value with more digits than the decimal type holds (19),
// and refuses NaN, Infinity, hexadecimal and anything with spaces.
func ParseAmount(s string) (Amount, error) {
	d, err := wire.ParseDecimal(s)
	if err != nil {
		return Amount{}, err
	}
	return Amount{d}, nil
}

// MustParseAmount is like [ParseAmount] but panics on bad input. It is meant
// for constants in tests and examples, never for data from a request.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic("chargedesk: MustParseAmount: " + err.Error())
	}
	return a
}

// UnmarshalJSON implements [json.Unmarshaler] with the tolerance described on
// [Amount].
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || string(b) == `""`:
		*a = Amount{}
		return nil
	case b[0] == '"':
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return typeError(b, "an amount", a)
		}
		return a.set(b, s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return a.set(b, phpFloatText(string(b)))
	default:
		return typeError(b, "an amount", a)
	}
}

func (a *Amount) set(raw []byte, s string) error {
	v, err := ParseAmount(s)
	if err != nil {
		reason := "is not a decimal amount"
		if de, ok := err.(*wire.DecimalError); ok {
			reason = de.Reason
		}
		return typeErrorMsg(raw, reason, a) // the reason alone: never the value sent
	}
	*a = v
	return nil
}

// phpFloatText reads a JSON number of 16 or 17 significant digits as the
// binary double it is the text of, and returns that double's shortest
// round-trip decimal. PHP's json_encode writes floats with
// serialize_precision digits, and php.ini files carried over from PHP 7.0
// set it to 17: the float 12.34 arrives as 12.339999999999999 and 0.1 as
// 0.10000000000000001. Numbers with fewer digits are decimal text already,
// and a string is never a float. The result then meets the currency's
// scale check like any amount, so float arithmetic that is no amount
// (34.00 - 33.99 = 0.00999999999999801) is still refused.
func phpFloatText(s string) string {
	if n := wire.SignificantDigits(s); n != 16 && n != 17 {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// IsPHPFloat reports whether raw, a JSON value, is a number that
// [Amount]'s decoding reads as a PHP float (see the package doc).
func IsPHPFloat(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return false
	}
	return phpFloatText(string(raw)) != string(raw)
}

// MarshalJSON implements [json.Marshaler]: the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) {
	return a.Decimal.AppendText(make([]byte, 0, 24))
}

// MinorUnits returns the amount in the currency's smallest unit (cents for
// USD, yen for JPY, fils for KWD), as most payment platform APIs take it. It
// fails if currency is not an ISO 4217 code, if the amount has more fraction
// digits than the currency allows (12.345 USD), or if the result does not fit
// in an int64. It never rounds.
func (a Amount) MinorUnits(currency string) (int64, error) {
	scale, ok := currencyScale(currency)
	if !ok {
		return 0, fmt.Errorf("%q is not an ISO 4217 currency code", currency)
	}
	if err := checkScale(a, scale, currency); err != nil {
		return 0, err
	}
	whole, frac, ok := a.Decimal.Int64(int(scale))
	if !ok {
		return 0, fmt.Errorf("amount %s %s is too large", a, currency)
	}
	units := whole
	for range scale {
		if units > math.MaxInt64/10 || units < math.MinInt64/10 {
			return 0, fmt.Errorf("amount %s %s is too large", a, currency)
		}
		units *= 10
	}
	// whole and frac share a sign, so only one direction can overflow.
	if (frac > 0 && units > math.MaxInt64-frac) || (frac < 0 && units < math.MinInt64-frac) {
		return 0, fmt.Errorf("amount %s %s is too large", a, currency)
	}
	return units + frac, nil
}

// checkScale refuses an amount with more significant fraction digits than
// scale: 12.340 is fine for USD, 12.345 is not.
func checkScale(a Amount, scale int32, currency string) error {
	if a.Decimal.Trim(0).Scale() > int(scale) {
		return fmt.Errorf("%s has more decimal places than %s allows (%d)", a, currency, scale)
	}
	return nil
}
