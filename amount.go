package chargedesk

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"

	"github.com/chargedesk/chargedesk-go/internal/wire"
	"github.com/govalues/decimal"
)

// Amount is an exact decimal amount of money, such as a charge's amount or a
// refund_amount. Its decimal (github.com/govalues/decimal) is its own:
// only operations that are right for money are offered, and none rounds
// without saying so. Compare with [Amount.Cmp] and [Amount.Equal] (by
// value: 12.3 equals 12.30), add and subtract like amounts exactly with
// [Amount.Add] and [Amount.Sub], divide with the rounding rule you name with
// [Amount.Prorate], go to and from a platform's integer minor units with
// [Amount.MinorUnits] and [AmountFromMinorUnits], and write one at its
// currency's scale with [Amount.Format]. [Amount.Decimal] hands the decimal
// out for the rare need beyond these.
//
// Amounts are bounded: their magnitude is below [MaxAmount], far above any
// real charge and low enough that sums and differences of two amounts stay
// exact in the decimal's 19 digits. ParseAmount and decoding refuse a larger
// one.
//
// The zero value is 0. Amount decodes from a JSON number ("12.34") or a
// numeric string ("12.34", as ChargeDesk sends charge amounts); null and ""
// decode as 0; a number of 16 or 17 significant digits and more than 4
// decimal places is read as the PHP float it is (see phpFloatText). Anything
// else, an amount at or above MaxAmount, or one that needs more than 19
// digits, is refused with an error that names the problem, never the value.
// It encodes as a JSON number with the scale it has ("34.00" stays 34.00);
// an answer's amounts are written at their currency's scale. As a database
// value it is its decimal text (sql.Scanner and driver.Valuer), never a
// float.
type Amount struct {
	d decimal.Decimal
}

// AmountFromDecimal returns d as an Amount, or an error when its magnitude
// is not below MaxAmount.
func AmountFromDecimal(d decimal.Decimal) (Amount, error) {
	return bounded(d, nil, "amount")
}

// Decimal returns the amount's decimal, for a computation the Amount
// methods do not offer. Its Mul and Quo round once a result needs more
// than 19 digits: do not use them on money without deciding how.
func (a Amount) Decimal() decimal.Decimal { return a.d }

// String writes the amount with the scale it has ("34.00", "5").
func (a Amount) String() string { return a.d.String() }

// Cmp compares a and b by value: -1, 0 or +1.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// Equal reports whether a and b are the same value (12.3 and 12.30 are).
func (a Amount) Equal(b Amount) bool { return a.d.Cmp(b.d) == 0 }

// Sign returns -1, 0 or +1 as the amount is negative, zero or positive.
func (a Amount) Sign() int { return a.d.Sign() }

// IsZero reports whether the amount is 0.
func (a Amount) IsZero() bool { return a.d.IsZero() }

// Format writes the amount with exactly its currency's decimal places
// when it has no more significant ones (34 and 34.000 USD as "34.00", 5.00
// JPY as "5"), as ChargeDesk writes amounts; an amount finer than its
// currency, or in an unknown currency, as it is.
func (a Amount) Format(currency string) string { return a.atScale(currency).String() }

// canonical is the amount without trailing zeros: the same text for every
// spelling of one value, for identities.
func (a Amount) canonical() string { return a.d.Trim(0).String() }

// MarshalText implements [encoding.TextMarshaler]: the decimal's text, as a
// form parameter carries it ("34.00").
func (a Amount) MarshalText() ([]byte, error) { return a.d.AppendText(nil) }

// UnmarshalText implements [encoding.TextUnmarshaler] with ParseAmount's
// rules: exact, bounded, never rounded.
func (a *Amount) UnmarshalText(text []byte) error { return a.scanText(string(text)) }

// Scan implements [sql.Scanner]: a decimal's text, from a numeric or text
// column, or an integer; never a float, which could not hold it exactly.
func (a *Amount) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return a.scanText(v)
	case []byte:
		return a.scanText(string(v))
	case int64:
		d, err := decimal.New(v, 0)
		if err == nil {
			*a, err = AmountFromDecimal(d)
		}
		return err
	case nil:
		*a = Amount{}
		return nil
	}
	return fmt.Errorf("chargedesk: an Amount is scanned from a decimal's text, not a %T", src)
}

func (a *Amount) scanText(s string) error {
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Value implements [driver.Valuer]: the decimal's text, which a numeric
// column stores exactly.
func (a Amount) Value() (driver.Value, error) { return a.d.String(), nil }

// ParseAmount parses s ("12.34", "-5", "1.5e2") exactly. It refuses, rather
// than rounds, a value with more digits than the decimal type holds (19),
// and refuses NaN, Infinity, hexadecimal and anything with spaces.
func ParseAmount(s string) (Amount, error) {
	d, err := wire.ParseDecimal(s)
	if err != nil {
		return Amount{}, err
	}
	a := Amount{d: d}
	if !a.inBounds() {
		return Amount{}, &wire.DecimalError{Text: s, Reason: "is not below the largest amount accepted, " + maxAmountText}
	}
	return a, nil
}

// MaxAmount bounds an amount's magnitude, which must be below it: 10^14
// (one hundred trillion). Below it, with at most 4 decimal places (the most
// any ISO 4217 currency has), the sum or difference of two amounts fits the
// decimal's 19 digits, so it is exact.
const MaxAmount = 100_000_000_000_000

const maxAmountText = "100000000000000"

var maxAmount = decimal.MustNew(MaxAmount, 0)

func (a Amount) inBounds() bool { return a.d.Abs().Cmp(maxAmount) < 0 }

// Add returns a + b, exactly, or an error when the sum reaches MaxAmount.
func (a Amount) Add(b Amount) (Amount, error) {
	d, err := a.d.Add(b.d)
	return bounded(d, err, "sum")
}

// Sub returns a - b, exactly, or an error when the difference reaches
// MaxAmount.
func (a Amount) Sub(b Amount) (Amount, error) {
	d, err := a.d.Sub(b.d)
	return bounded(d, err, "difference")
}

func bounded(d decimal.Decimal, err error, what string) (Amount, error) {
	if err != nil {
		return Amount{}, fmt.Errorf("chargedesk: the %s of two amounts cannot be computed exactly: %w", what, err)
	}
	if a := (Amount{d: d}); a.inBounds() {
		return a, nil
	}
	return Amount{}, fmt.Errorf("chargedesk: the %s of two amounts is not below MaxAmount", what)
}

// AmountFromMinorUnits returns units of the currency's smallest unit as an
// Amount at the currency's scale (1234 USD cents is 12.34; 5 JPY is 5): the
// inverse of [Amount.MinorUnits]. It fails for a code that is not ISO 4217
// or a result not below MaxAmount.
func AmountFromMinorUnits(units int64, currency string) (Amount, error) {
	scale, ok := currencyScale(currency)
	if !ok {
		return Amount{}, fmt.Errorf("chargedesk: %q is not an ISO 4217 currency code", currency)
	}
	d, err := decimal.New(units, int(scale))
	return bounded(d, err, "amount in minor units")
}

// Rounding says how [Amount.Prorate] rounds to the currency's minor unit.
type Rounding int

const (
	// RoundDown rounds toward zero: a customer is never refunded a fraction
	// of a cent more than the share.
	RoundDown Rounding = iota
	// RoundHalfUp rounds to the nearest minor unit, halves away from zero.
	RoundHalfUp
	// RoundHalfEven rounds to the nearest minor unit, halves to even
	// (banker's rounding).
	RoundHalfEven
	// RoundUp rounds away from zero.
	RoundUp
)

// Prorate returns a × num ÷ den, rounded to the currency's minor unit by
// rounding, such as the unused part of a period (num seconds of den). The
// product and quotient are computed exactly in integers of the minor unit,
// then rounded once. It fails when den is not positive, num is negative or
// above den, the currency is unknown, or a is finer than the currency.
func (a Amount) Prorate(num, den int64, currency string, rounding Rounding) (Amount, error) {
	if den <= 0 || num < 0 || num > den {
		return Amount{}, fmt.Errorf("chargedesk: Prorate needs 0 <= num <= den and den > 0, not %d/%d", num, den)
	}
	units, err := a.MinorUnits(currency)
	if err != nil {
		return Amount{}, err
	}
	q, r := new(big.Int), new(big.Int)
	q.QuoRem(new(big.Int).Mul(big.NewInt(units), big.NewInt(num)), big.NewInt(den), r)
	if r.Sign() != 0 {
		twice := new(big.Int).Abs(new(big.Int).Lsh(r, 1))
		half := twice.Cmp(big.NewInt(den)) // the remainder against half of den
		away := false
		switch rounding {
		case RoundUp:
			away = true
		case RoundHalfUp:
			away = half >= 0
		case RoundHalfEven:
			away = half > 0 || (half == 0 && q.Bit(0) == 1)
		}
		if away {
			q.Add(q, big.NewInt(int64(r.Sign())))
		}
	}
	return AmountFromMinorUnits(q.Int64(), currency) // |q| <= |units|: it fits
}

// atScale returns a written with exactly the currency's number of decimal
// places (12.34000 USD as 12.34, 5.00 JPY as 5), when it has no more
// significant ones than that; otherwise a unchanged.
func (a Amount) atScale(currency string) Amount {
	scale, ok := currencyScale(currency)
	if !ok || a.d.Trim(0).Scale() > int(scale) {
		return a
	}
	return Amount{d: a.d.Trim(int(scale)).Pad(int(scale))}
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
			return amountError("is not an amount")
		}
		return a.set(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return a.set(phpFloatText(string(b)))
	default:
		return amountError("is not an amount")
	}
}

func (a *Amount) set(s string) error {
	v, err := ParseAmount(s)
	if err != nil {
		reason := "is not a decimal amount"
		if de, ok := err.(*wire.DecimalError); ok {
			reason = de.Reason
		}
		return amountError(reason) // the reason alone: never the value sent
	}
	*a = v
	return nil
}

// amountError is Amount's refusal of a JSON value, as encoding/json words
// one: the reason, never the value.
func amountError(reason string) error {
	return &json.UnmarshalTypeError{Value: reason, Type: reflect.TypeFor[Amount]()}
}

// phpFloatText reads a JSON number of 16 or 17 significant digits and more
// decimal places than any currency has (4) as the binary double it is the
// text of, and returns that double's shortest
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
	if wire.ImpliedScale(s) <= maxCurrencyScale {
		// As many decimals as a currency can have: an exact amount (a
		// float's long text has more), such as 1100000000000.0201.
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

// maxCurrencyScale is the most decimal places an ISO 4217 currency has.
const maxCurrencyScale = 4

// MarshalJSON implements [json.Marshaler]: the amount as a JSON number, or,
// for the rare amount whose number would be read back as a PHP float (16
// or 17 significant digits, more than 4 decimal places), as a JSON string,
// so that it reads back exactly.
func (a Amount) MarshalJSON() ([]byte, error) {
	if text := a.d.String(); phpFloatText(text) != text {
		return strconv.AppendQuote(nil, text), nil
	}
	return a.d.AppendText(make([]byte, 0, 24))
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
	whole, frac, ok := a.d.Int64(int(scale))
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
	if a.d.Trim(0).Scale() > int(scale) {
		return fmt.Errorf("%s has more decimal places than %s allows (%d)", a, currency, scale)
	}
	return nil
}
