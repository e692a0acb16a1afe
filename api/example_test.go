package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// Upsert a charge and a subscription. Against the real API, leave out
// WithBaseURL; here a local, in-memory ChargeDesk answers.
func Example() {
	local := httptest.NewServer(apitest.New(apitest.Options{Key: "sk_test_example_key"}))
	defer local.Close()
	ctx := context.Background()

	client := api.NewClient("sk_test_example_key", api.WithBaseURL(local.URL+"/v1"))
	charge, err := client.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "ch_123", Amount: api.Money("34.00"), Currency: "USD", Customer: &api.Ref{ID: "cus_1"}})
	sub, err2 := client.Subscriptions.Upsert(ctx, &api.SubscriptionParams{SubscriptionID: "sub_1", CustomerID: "cus_1", Status: chargedesk.SubscriptionStatusActive})

	if err := errors.Join(err, err2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(charge.TransactionID, charge.Amount, charge.Currency, charge.Status)
	fmt.Println(sub.SubscriptionID, sub.Status)
	// Output:
	// ch_123 34.00 USD paid
	// sub_1 active
}

// Errors are one type, with ChargeDesk's status, message and parameter.
func ExampleError() {
	local := httptest.NewServer(apitest.New(apitest.Options{Key: "sk_test_example_key"}))
	defer local.Close()
	client := api.NewClient("sk_test_example_key", api.WithBaseURL(local.URL+"/v1"))

	if _, err := client.Customers.Create(context.Background(), &api.CustomerParams{CustomerID: "cus_1"}); err != nil {
		fmt.Println(err)
		return
	}
	_, err := client.Customers.Create(context.Background(), &api.CustomerParams{CustomerID: "cus_1"})
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.IncorrectParameter)
	}
	fmt.Println(errors.Is(err, api.ErrRateLimited))
	// Output:
	// 400 duplicate customer_id
	// false
}

// Import records from JSON Lines, as the chargedesk import command does.
func ExampleImporter() {
	local := httptest.NewServer(apitest.New(apitest.Options{Key: "sk_test_example_key"}))
	defer local.Close()
	client := api.NewClient("sk_test_example_key", api.WithBaseURL(local.URL+"/v1"))

	lines := `{"object": "customer", "customer_id": "cus_1", "email": "jane@example.com"}
{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}
{"object": "charge", "transaction_id": "ch_2", "amount": "1.234", "currency": "USD", "customer": {"id": "cus_1"}}
`
	im := &api.Importer{Client: client}
	summary, err := im.Run(context.Background(), api.NewJSONLReader(strings.NewReader(lines)).Records(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("upserted %d, failed %d\n", summary.Upserted, summary.Failed)
	for _, f := range summary.Failures {
		fmt.Println(f.Line, f.Object, f.ID)
	}
	// Output:
	// upserted 2, failed 1
	// 3 charge ch_2
}
