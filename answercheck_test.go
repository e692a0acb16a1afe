package chargedesk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A payment request without a usable redirect_url fails: nothing reached
// the customer. Every other answer of a Gateway that returned success is a
// success; the parts ChargeDesk cannot use are dropped (and logged) and the
// agent gets the rest.
func TestHandlerBadAnswers(t *testing.T) {
	pays := func(resp *chargedesk.PaymentResponse) func(*fakeGateway) {
		return func(g *fakeGateway) {
			g.Pay = func(context.Context, *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
				return resp, nil
			}
		}
	}
	payment := readRequest(t, chargedesk.ActionRequestPayment)
	badAnswer := []string{"answered in a form ChargeDesk cannot use"}
	runCases(t, []errCase{
		{name: "payment request answered nil", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(nil), status: http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "payment request without redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{}), status: http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "relative redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "/pay/123"}),
			status:  http.StatusInternalServerError, contains: badAnswer, absent: []string{"/pay/123"}, called: 1},
		{name: "javascript redirect_url", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "javascript:alert(1)"}),
			status:  http.StatusInternalServerError, contains: badAnswer, called: 1},
		{name: "redirect_url without host", path: "/chargedesk/payment-request", body: payment,
			gateway: pays(&chargedesk.PaymentResponse{RedirectURL: "https:///pay"}),
			status:  http.StatusInternalServerError, contains: badAnswer, called: 1},
	})

	amount := func(s string) *chargedesk.Amount { a := chargedesk.MustParseAmount(s); return &a }
	sub := &chargedesk.SubscriptionUpdate{Status: chargedesk.SubscriptionStatusCanceled}
	cases := []struct {
		name    string
		action  chargedesk.Action
		answer  *chargedesk.Response
		pay     string // a payment request's redirect_url
		want    string // the answer ChargeDesk gets
		dropped string // the log line's detail, "" when nothing is dropped
	}{
		{"negative amount_refunded", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("-1.00")}}, "",
			`{}`, "charge.amount_refunded -1.00 is negative"},
		{"negative charge amount", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Amount: amount("-34.00")}}, "",
			`{}`, "charge.amount -34.00 is negative"},
		{"amount_refunded above the answer's own amount", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Amount: amount("10.00"), AmountRefunded: amount("12.00")}}, "",
			`{}`, "charge.amount_refunded 12.00 is more than the answer's charge.amount 10.00"},
		{"amount_refunded above ChargeDesk's stale amount is the platform's truth", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("34.01")}}, "",
			`{"charge": {"amount_refunded": 34.01}}`, ""},
		{"amount finer than the currency", chargedesk.ActionRefund,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{AmountRefunded: amount("12.345")}}, "",
			`{}`, "charge.amount_refunded: 12.345 has more decimal places than USD allows (2)"},
		{"unknown charge status, valid subscription kept", chargedesk.ActionCancel,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: "money back"}, Subscription: sub}, "",
			`{"subscription": {"status": "canceled"}}`, `charge.status "money back" is not a ChargeDesk charge status`},
		{"subscription status spelled as on the webhook page", chargedesk.ActionCancel,
			&chargedesk.Response{Subscription: &chargedesk.SubscriptionUpdate{Status: "cancelled"}}, "",
			`{}`, `subscription.status "cancelled" is not a ChargeDesk subscription status`},
		{"good redirect_url with a bad charge", chargedesk.ActionRequestPayment,
			&chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: "sent"}}, "https://pay.example.com/1",
			`{"redirect_url": "https://pay.example.com/1"}`, `charge.status "sent" is not a ChargeDesk charge status`},
		{"answer with every object empty", chargedesk.ActionRefund, &chargedesk.Response{}, "", `{}`, ""},
		{"refund of everything", chargedesk.ActionRefund, &chargedesk.Response{Charge: chargedesk.ChargeRefunded(
			chargedesk.MustParseAmount("34.00"), chargedesk.MustParseAmount("34.00"))}, "",
			`{"charge": {"status": "refunded", "amount_refunded": 34.00}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := &fakeGateway{}
			gw.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return c.answer, nil }
			gw.Pay = func(context.Context, *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
				return &chargedesk.PaymentResponse{RedirectURL: c.pay, Response: *c.answer}, nil
			}
			logs := &chargedesk.LogBuffer{}
			h := newHandler(t, gw, func(cfg *chargedesk.Config) {
				l := zerolog.New(logs)
				cfg.Logger = &l
			})
			body := readRequest(t, c.action)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/"+string(c.action), body))
			require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
			assert.JSONEq(t, c.want, rec.Body.String())

			_, lines := logs.Lines(t)
			var dropped []string
			for _, l := range lines {
				if l["level"] == "error" {
					dropped = append(dropped, l["error"].(string))
				}
			}
			if c.dropped == "" {
				assert.Empty(t, dropped)
			} else {
				require.Len(t, dropped, 1)
				assert.Contains(t, dropped[0], c.dropped)
			}

			// The action counts as done: the same webhook again is a duplicate.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/"+string(c.action), body))
			assert.Equal(t, http.StatusConflict, rec.Code, "body: %s", rec.Body)
			assert.Len(t, gw.Calls(), 1)
		})
	}
}

// The report: 20.00 of a 34.00 charge is refunded, then a refund
// of 5.00 arrives with ChargeDesk's stale copy (amount "15.00") three
// times. The platform refunds once, answers its own total (25.00, more
// than the stale amount), the agent gets success, and the repeats are
// duplicates: money moves once.
func TestSuccessIsNeverReportedAsFailure(t *testing.T) {
	var refunded []string
	total := chargedesk.MustParseAmount("20.00")
	gw := &fakeGateway{}
	gw.Answer = func(_ context.Context, _ chargedesk.Action, req any) (*chargedesk.Response, error) {
		r := req.(*chargedesk.RefundRequest)
		sum, err := total.Add(r.RefundAmount)
		if err != nil {
			return nil, err
		}
		total = sum
		refunded = append(refunded, total.String())
		return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(chargedesk.MustParseAmount("34.00"), total)}, nil
	}
	h := newHandler(t, gw, nil)
	stale := patched(t, chargedesk.ActionRefund, func(m map[string]any) {
		m["refund_amount"] = "5.00"
		m["charge"].(map[string]any)["amount"] = "15.00"
	})
	var statuses []int
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", stale))
		statuses = append(statuses, rec.Code)
		if rec.Code == http.StatusOK {
			assert.JSONEq(t, `{"charge": {"status": "partially refunded", "amount_refunded": 25.00}}`, rec.Body.String())
		}
	}
	assert.Equal(t, []int{200, 409, 409}, statuses)
	assert.Equal(t, []string{"25.00"}, refunded, "refunded once")
}
