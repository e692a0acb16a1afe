package chargedesk_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
			require.Zero(t, got.Cmp(want.Decimal), "%s read as %s, not %s", text, got, want)
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
