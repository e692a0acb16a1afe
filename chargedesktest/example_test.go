package chargedesktest_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// refunds refunds whatever it is asked to.
type refunds struct {
	chargedesk.UnimplementedGateway
}

func (refunds) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}

// A receiver's test sends a realistic refund through its handler and reads
// the answer as the agent would see it.
func Example() {
	const secret = "Bearer example-secret-0123456789"
	log := zerolog.Nop()
	h, err := chargedesk.NewHandler(refunds{}, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:   &log,
	})
	if err != nil {
		panic(err)
	}

	in := chargedesktest.Integration{
		BasePath: "/chargedesk",
		Header:   http.Header{"Authorization": {secret}},
	}
	for _, amount := range []string{"5.00", "50.00"} {
		body, err := chargedesktest.Build(chargedesk.ActionRefund, chargedesktest.Set("refund_amount", amount))
		if err != nil {
			panic(err)
		}
		req, err := in.NewRequest(context.Background(), chargedesk.ActionRefund, body)
		if err != nil {
			panic(err)
		}
		out := chargedesktest.Serve(h, req)
		fmt.Println(out.Status, out.OK)
		if !out.OK {
			fmt.Println("  agent sees:", out.ErrorMessage)
		}
		for _, c := range out.Changes() {
			fmt.Printf("  %s → %s\n", c.Field, c.Value)
		}
	}
	// Output:
	// 200 true
	//   charge.amount_refunded → 5.00
	//   charge.status → partially refunded
	// 422 false
	//   agent sees: Refund amount was greater than amount remaining on charge.
}
