package chargedesk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/chargedesk/chargedesk-go"
	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
)

// shop is a Gateway that performs refunds and payment requests; every other
// action answers 501.
type shop struct {
	chargedesk.UnimplementedGateway
}

func (shop) Refund(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	// The platform knows the charge by its own id, the transaction_id
	// (charge_id is ChargeDesk's).
	if req.Charge.Metadata["disputed"] == "yes" {
		return nil, chargedesk.AgentErrorf("Charge %s is disputed; refund it from the dispute.", req.Charge.TransactionID)
	}
	// Refund req.RefundAmount of req.Charge on the payment platform here.
	return chargedesk.RefundAnswer(req)
}

func (shop) RequestPayment(ctx context.Context, req *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
	// Create an invoice for req.Charge.Amount on the payment platform here,
	// passing chargedesk.IdempotencyKey(ctx) so that a repeat finds the
	// same one. Its id becomes the charge's transaction_id in ChargeDesk.
	invoice := "inv_" + chargedesk.IdempotencyKey(ctx)[11:23]
	return &chargedesk.PaymentResponse{
		RedirectURL: "https://pay.example.com/invoices/" + invoice,
		Response:    chargedesk.Response{Charge: &chargedesk.ChargeUpdate{TransactionID: invoice}},
	}, nil
}

func ExampleNewHandler() {
	logger := zerolog.Nop()
	webhooks, err := chargedesk.NewHandler(shop{}, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers: []chargedesk.Header{
			{Name: "Authorization", Values: []string{"Bearer 8f0c2b7e4d1a9f3c6e5b"}},
		},
		Logger: &logger,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := chi.NewRouter()
	r.Mount("/chargedesk", webhooks)

	// ChargeDesk's refund webhook, shortened.
	body := `{"refund_amount": 12.34, "charge": {"charge_id": "ch_1", "amount": "34.00", "amount_refunded": "0.00", "currency": "USD"}}`
	req := httptest.NewRequest(http.MethodPost, "/chargedesk/refund", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer 8f0c2b7e4d1a9f3c6e5b")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// 200 {"charge":{"status":"partially refunded","amount_refunded":12.34}}
}

func ExampleRefundAnswer() {
	req := &chargedesk.RefundRequest{
		RefundAmount: chargedesk.MustParseAmount("4.00"),
		Charge: &chargedesk.Charge{
			ChargeID:       "ch_1",
			Amount:         chargedesk.MustParseAmount("34.00"),
			AmountRefunded: chargedesk.MustParseAmount("30.00"),
			Currency:       "USD",
		},
	}
	answer, err := chargedesk.RefundAnswer(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(answer)
	fmt.Println(string(b))
	// Output:
	// {"charge":{"status":"refunded","amount_refunded":34.00}}
}

func ExampleAmount_MinorUnits() {
	cents, err := chargedesk.MustParseAmount("12.34").MinorUnits("USD")
	fmt.Println(cents, err)
	yen, err := chargedesk.MustParseAmount("500").MinorUnits("JPY")
	fmt.Println(yen, err)
	_, err = chargedesk.MustParseAmount("12.345").MinorUnits("USD")
	fmt.Println(err)
	// Output:
	// 1234 <nil>
	// 500 <nil>
	// 12.345 has more decimal places than USD allows (2)
}

func ExampleAgentErrorf() {
	logger := zerolog.Nop()
	webhooks, err := chargedesk.NewHandler(shop{}, chargedesk.Config{
		Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer 8f0c2b7e4d1a9f3c6e5b"}}},
		Logger:  &logger,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// shop.Refund refuses a disputed charge with AgentErrorf: the agent
	// sees the message, with status 422.
	body := `{"refund_amount": 5, "charge": {"charge_id": "ch_2", "transaction_id": "tx_2", "amount": "34.00", "currency": "USD", "metadata": {"disputed": "yes"}}}`
	req := httptest.NewRequest(http.MethodPost, "/refund", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer 8f0c2b7e4d1a9f3c6e5b")
	rec := httptest.NewRecorder()
	webhooks.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// 422 {"error":"Charge tx_2 is disputed; refund it from the dispute."}
}
