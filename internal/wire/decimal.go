package wire

import (
	"fmt"
	"math"
	"strconv"

	"github.com/govalues/decimal"
)

// MaxAmountLen bounds the text of one decimal; longer text is refused before
// it is parsed.
const MaxAmountLen = 64

// DecimalError is why a text is not an exact decimal amount. Its Error
// quotes the text (for a caller parsing its own data); Reason alone never
// does, for messages about data someone else sent.
type DecimalError struct {
	Text   string
	Reason string // "is not a decimal amount", ...
}

func (e *DecimalError) Error() string {
	if len(e.Text) > 24 {
		return fmt.Sprintf("%q... %s", e.Text[:20], e.Reason)
	}
	return fmt.Sprintf("%q %s", e.Text, e.Reason)
}

// ParseDecimal parses s ("12.34", "-5", "1.5e2") exactly. It refuses, rather
// than rounds, a value with more digits than the decimal type holds (19),
// and refuses NaN, Infinity, hexadecimal and anything with spaces, with a
// *DecimalError.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > MaxAmountLen {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is too long for an amount"}
	}
	if !IsDecimalLiteral(s) {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is not a decimal amount"}
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "is out of range for an amount"}
	}
	if SignificantDigits(s) > decimal.MaxPrec || ImpliedScale(s) > decimal.MaxScale {
		// govalues would round this; money is never rounded silently.
		return decimal.Decimal{}, &DecimalError{Text: s, Reason: "has more digits than an amount can hold exactly"}
	}
	return d, nil
}

// ParseWhole parses an integer that may be written with a zero fraction
// ("2", "2.0", "2e0"), as PHP sometimes writes whole numbers.
func ParseWhole(s string) (int, bool) {
	if v, err := strconv.ParseInt(s, 10, 0); err == nil {
		return int(v), true
	}
	d, err := ParseDecimal(s)
	if err != nil || !d.IsInt() {
		return 0, false
	}
	whole, _, ok := d.Int64(0)
	if !ok || whole > math.MaxInt || whole < math.MinInt {
		return 0, false
	}
	return int(whole), true
}

// IsDecimalLiteral reports whether s is [sign] digits [. digits] [e [sign] digits]
// with at least one digit in the significand.
func IsDecimalLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// splitLiteral returns the digits of a decimal literal without sign, point,
// exponent, leading zeros or trailing fraction zeros, and the exponent.
func splitLiteral(s string) (intPart, fracPart string, exp int) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if i := indexAny(s, 'e', 'E'); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	intPart, fracPart = s, ""
	if i := indexAny(s, '.', '.'); i >= 0 {
		intPart, fracPart = s[:i], s[i+1:]
	}
	for intPart != "" && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for fracPart != "" && fracPart[len(fracPart)-1] == '0' {
		fracPart = fracPart[:len(fracPart)-1]
	}
	return intPart, fracPart, exp
}

// SignificantDigits counts the digits that carry value in a decimal literal.
func SignificantDigits(s string) int {
	i, f, _ := splitLiteral(s)
	digits := i + f
	for digits != "" && digits[0] == '0' {
		digits = digits[1:]
	}
	return len(digits)
}

// ImpliedScale is the number of fraction digits the literal's value needs.
func ImpliedScale(s string) int {
	_, f, exp := splitLiteral(s)
	return len(f) - exp
}

func indexAny(s string, a, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == a || s[i] == b {
			return i
		}
	}
	return -1
}
