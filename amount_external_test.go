package chargedesk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/govalues/decimal"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAmountArithmeticIsExactOrRefused(t *testing.T) {
	a := chargedesk.MustParseAmount("99999999999999.99")
	_, err := a.Add(chargedesk.MustParseAmount("0.01"))
	assert.Error(t, err, "a sum that reaches MaxAmount is refused, never rounded")
	diff, err := chargedesk.MustParseAmount("0.49").Sub(a)
	require.NoError(t, err)
	assert.Equal(t, "-99999999999999.50", diff.String())
	_, err = chargedesk.MustParseAmount("-99999999999999.99").Sub(chargedesk.MustParseAmount("1"))
	assert.Error(t, err)

	for _, bad := range []string{"9999999999999999999", "100000000000000", "1e14"} {
		_, err := chargedesk.ParseAmount(bad)
		assert.Error(t, err, bad)
	}
}

func TestAmountFromMinorUnitsIsTheInverse(t *testing.T) {
	for _, c := range []struct {
		units    int64
		currency string
		text     string
	}{{1234, "USD", "12.34"}, {5, "JPY", "5"}, {1234, "KWD", "1.234"}, {-1, "EUR", "-0.01"}, {0, "USD", "0.00"}} {
		a, err := chargedesk.AmountFromMinorUnits(c.units, c.currency)
		require.NoError(t, err)
		assert.Equal(t, c.text, a.String())
		back, err := a.MinorUnits(c.currency)
		require.NoError(t, err)
		assert.Equal(t, c.units, back)
	}
	_, err := chargedesk.AmountFromMinorUnits(1, "XYZ")
	assert.Error(t, err)
	_, err = chargedesk.AmountFromMinorUnits(1<<62, "JPY")
	assert.Error(t, err, "past MaxAmount")
}

// Proration divides with the rounding rule named, never silently: 10.00
// over three is 3.33 rounded down, 3.34 rounded up.
func TestProrate(t *testing.T) {
	ten := chargedesk.MustParseAmount("10.00")
	cases := []struct {
		amount   chargedesk.Amount
		num, den int64
		rounding chargedesk.Rounding
		want     string
	}{
		{ten, 1, 3, chargedesk.RoundDown, "3.33"},
		{ten, 1, 3, chargedesk.RoundUp, "3.34"},
		{ten, 1, 3, chargedesk.RoundHalfUp, "3.33"},
		{ten, 2, 3, chargedesk.RoundHalfUp, "6.67"},
		{ten, 2, 3, chargedesk.RoundDown, "6.66"},
		{chargedesk.MustParseAmount("0.05"), 1, 2, chargedesk.RoundHalfUp, "0.03"},
		{chargedesk.MustParseAmount("0.05"), 1, 2, chargedesk.RoundHalfEven, "0.02"},
		{chargedesk.MustParseAmount("0.07"), 1, 2, chargedesk.RoundHalfEven, "0.04"},
		{chargedesk.MustParseAmount("-0.05"), 1, 2, chargedesk.RoundHalfUp, "-0.03"},
		{ten, 0, 3, chargedesk.RoundUp, "0.00"},
		{ten, 3, 3, chargedesk.RoundDown, "10.00"},
		{chargedesk.MustParseAmount("99999999999999.99"), 1728300, 2592300, chargedesk.RoundDown, "66670524244879.05"},
	}
	for _, c := range cases {
		got, err := c.amount.Prorate(c.num, c.den, "USD", c.rounding)
		require.NoError(t, err)
		assert.Equal(t, c.want, got.String(), "%s × %d/%d", c.amount, c.num, c.den)
	}
	for _, bad := range [][2]int64{{1, 0}, {-1, 3}, {4, 3}} {
		_, err := ten.Prorate(bad[0], bad[1], "USD", chargedesk.RoundDown)
		assert.Error(t, err)
	}
	_, err := chargedesk.MustParseAmount("1.005").Prorate(1, 2, "USD", chargedesk.RoundDown)
	assert.Error(t, err, "an amount finer than its currency")
}

// The report: a charge of 9999999999999999999 is refused at the
// door, so no sum of refunds on it can be rounded.
func TestAmountsAboveTheBoundAreRefused(t *testing.T) {
	gw := &fakeGateway{}
	h := newHandler(t, gw, nil)
	for _, path := range [][]string{{"charge", "amount"}, {"refund_amount"}} {
		body := setPath(t, readRequest(t, chargedesk.ActionRefund), path, "9999999999999999999")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", body))
		assert.Equal(t, http.StatusBadRequest, rec.Code, "body: %s", rec.Body)
		assert.Contains(t, errorMessage(t, rec), "largest amount")
	}
	assert.Empty(t, gw.Calls())
}

// Amounts in answers are written at the currency's scale.
func TestAnswerAmountsAtTheCurrencyScale(t *testing.T) {
	long, err := chargedesk.AmountFromDecimal(decimal.MustParse("12.34000000000000000"))
	require.NoError(t, err)
	for _, c := range []struct {
		currency string
		amount   chargedesk.Amount
		want     string
	}{{"USD", long, `{"charge": {"amount_refunded": 12.34}}`}, {"JPY", chargedesk.MustParseAmount("5.00"), `{"charge": {"amount_refunded": 5}}`}} {
		gw := &fakeGateway{Answer: func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) {
			return &chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: &c.amount}}, nil
		}}
		h := newHandler(t, gw, nil)
		body := setPath(t, readRequest(t, chargedesk.ActionRefund), []string{"charge", "currency"}, c.currency)
		body = setPath(t, body, []string{"refund_amount"}, "5")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", body))
		require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
		assert.Equal(t, compact(t, c.want), compact(t, rec.Body.String()), "written, not just equal in value")
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\n' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// phpFloat writes f as PHP's json_encode does with serialize_precision =
// 17 (the %.17G of php.ini files carried over from PHP 7.0).
func phpFloat(f float64) string { return strconv.FormatFloat(f, 'g', 17, 64) }

// Every amount of a currency's scale, written by PHP as a 17-digit float,
// decodes to itself and fits the currency.
func TestPHPFloatsDecodeToTheirAmount(t *testing.T) {
	for _, c := range []struct {
		currency string
		scale    int
		count    int // amounts 1..count minor units
	}{{"USD", 2, 10000}, {"JPY", 0, 10000}, {"KWD", 3, 10000}} {
		long := 0
		for units := 1; units <= c.count; units++ {
			want := chargedesk.MustParseAmount(fmt.Sprintf("%d", units))
			if c.scale > 0 {
				want = chargedesk.MustParseAmount(fmt.Sprintf("%d.%0*d", units/pow10(c.scale), c.scale, units%pow10(c.scale)))
			}
			f, err := strconv.ParseFloat(want.String(), 64)
			require.NoError(t, err)
			text := phpFloat(f)
			if len(text) > 12 {
				long++
			}
			var got chargedesk.Amount
			require.NoError(t, json.Unmarshal([]byte(text), &got), "%s", text)
			require.Zero(t, got.Cmp(want), "%s read as %s, not %s", text, got, want)
			_, err = got.MinorUnits(c.currency)
			require.NoError(t, err, "%s %s", text, c.currency)
		}
		if c.scale > 0 {
			assert.Positive(t, long, "%s: the vectors include long floats", c.currency)
		}
	}
	// A string is never a float: its digits are the amount sent.
	var a chargedesk.Amount
	require.NoError(t, json.Unmarshal([]byte(`"12.339999999999999"`), &a))
	assert.Equal(t, "12.339999999999999", a.String())
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// 12.34 sent by PHP as 12.339999999999999 refunds 12.34, and the log says
// it was read as a float; float arithmetic that is no amount is refused.
func TestPHPFloatRefund(t *testing.T) {
	logs := &chargedesk.LogBuffer{}
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		l := zerolog.New(logs)
		cfg.Logger = &l
	})
	body := setPath(t, readRequest(t, chargedesk.ActionRefund), []string{"refund_amount"}, json.RawMessage(`12.339999999999999`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhook("/chargedesk/refund", body))
	require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
	require.Len(t, gw.Calls(), 1)
	assert.Equal(t, "12.34", gw.Calls()[0].Req.(*chargedesk.RefundRequest).RefundAmount.String())
	_, lines := logs.Lines(t)
	require.NotEmpty(t, lines)
	assert.Equal(t, true, lines[len(lines)-1]["refund_amount_php_float"])

	body = setPath(t, readRequest(t, chargedesk.ActionRefund), []string{"refund_amount"}, json.RawMessage(`0.00999999999999801`))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, webhook("/chargedesk/refund", body))
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "body: %s", rec.Body)
}
