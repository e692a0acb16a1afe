package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

func unixText(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// Every operation of the spec, in the spec's order, against the in-memory
// API in each of its answer shapes: the method, the path and the exact
// form or query sent (times as unix seconds), and that the answer decodes
// into the same values.
func TestEveryOperation(t *testing.T) {
	eachShape(t, testEveryOperation)
}

func testEveryOperation(t *testing.T, shape apitest.Shape) {
	fake, rec, client, _ := newShapedAPI(t, shape)
	ctx := context.Background()
	_, err := fake.Seed("customers", map[string]any{"customer_id": "cus_1", "email": "jane@example.com", "name": "Jane"})
	require.NoError(t, err)
	chargeID, err := fake.Seed("charges", map[string]any{"transaction_id": "tx_1", "amount": "34.00", "currency": "USD",
		"customer": map[string]any{"id": "cus_1"}, "status": "authorized", "lines": []any{"Pro plan"}})
	require.NoError(t, err)
	_, err = fake.Seed("subscriptions", map[string]any{"subscription_id": "sub_1", "customer_id": "cus_1", "status": "active"})
	require.NoError(t, err)
	_, err = fake.Seed("products", map[string]any{"product_id": "gold", "name": "Gold"})
	require.NoError(t, err)
	// A day after the seeded charge, whatever the date the tests run at.
	end := testclock.Now().Add(24 * time.Hour).Truncate(time.Second)

	ops := []struct {
		name, method, path, encoded string
		call                        func() error
	}{
		{"listCharges", "GET", "/v1/charges", "count=100&offset=0&status=authorized&customer%5Bemail%5D=jane%40example.com&occurred%5Bmax%5D=" + unixText(end), func() error {
			n := 0
			for c, err := range client.Charges.List(ctx, &ChargeListParams{Status: "authorized", Customer: &CustomerFilter{Email: "jane@example.com"}, Occurred: &TimeRange{Max: &end}}) {
				if err != nil {
					return err
				}
				assert.Equal(t, "Jane", c.Customer.Name)
				n++
			}
			assert.Equal(t, 1, n)
			return nil
		}},
		{"createCharge", "POST", "/v1/charges", "transaction_id=tx_2&amount=10&currency=EUR&customer%5Bid%5D=cus_1&product%5Bid%5D=gold", func() error {
			_, err := client.Charges.Create(ctx, &ChargeParams{TransactionID: "tx_2", Amount: amount("10"), Currency: "EUR", Customer: &Ref{ID: "cus_1"}, Product: &Ref{ID: "gold"}})
			return err
		}},
		{"previewCharge", "GET", "/v1/charges/preview", "amount=12.50&currency=USD&customer%5Bid%5D=cus_1", func() error {
			c, err := client.Charges.Preview(ctx, &ChargePreviewParams{Amount: amount("12.50"), Currency: "USD", Customer: &Ref{ID: "cus_1"}})
			if err == nil {
				assert.Equal(t, "12.50", c.Amount.String())
			}
			return err
		}},
		{"getCharge", "GET", "/v1/charges/" + chargeID, "", func() error {
			c, err := client.Charges.Get(ctx, chargeID)
			if err == nil {
				assert.Equal(t, "tx_1", c.TransactionID)
				assert.Equal(t, "jane@example.com", c.Customer.Email)
			}
			return err
		}},
		{"updateCharge", "POST", "/v1/charges/" + chargeID, "description=Renewal&metadata%5Bk%5D=v", func() error {
			c, err := client.Charges.Update(ctx, chargeID, &ChargeParams{Description: "Renewal", Metadata: map[string]string{"k": "v"}})
			if err == nil {
				assert.Equal(t, map[string]string{"k": "v"}, c.Metadata)
			}
			return err
		}},
		{"getChargeItems", "GET", "/v1/charges/" + chargeID + "/items", "", func() error {
			items, err := client.Charges.Items(ctx, chargeID)
			if err == nil {
				require.Len(t, items, 1)
				assert.Equal(t, "Pro plan", items[0].Description)
				assert.NotEmpty(t, items[0].ID, "the item's id is in both of its places")
				assert.Equal(t, items[0].ID, items[0].ItemID)
			}
			return err
		}},
		{"emailCharge", "POST", "/v1/charges/" + chargeID + "/email", "", func() error { return client.Charges.Email(ctx, chargeID) }},
		{"listCustomers", "GET", "/v1/customers", "count=100&offset=0&query=jane", func() error {
			n := 0
			for c, err := range client.Customers.List(ctx, &CustomerListParams{Query: "jane"}) {
				if err != nil {
					return err
				}
				assert.Equal(t, "cus_1", c.CustomerID)
				n++
			}
			assert.Equal(t, 1, n)
			return nil
		}},
		{"createCustomer", "POST", "/v1/customers", "customer_id=cus_2&name=Zo%C3%AB+%26+Co&delinquent=0&card_on_file=1&billing_address%5Bline1%5D=1+Main+St&billing_address%5Bcountry%5D=NZ", func() error {
			c, err := client.Customers.Create(ctx, &CustomerParams{CustomerID: "cus_2", Name: "Zoë & Co", Delinquent: ptr(false), CardOnFile: ptr(true),
				BillingAddress: &Address{Line1: "1 Main St", Country: "NZ"}})
			if err == nil {
				assert.True(t, c.CardOnFile)
				assert.False(t, c.Delinquent)
				assert.Equal(t, "NZ", c.BillingAddress.Country)
			}
			return err
		}},
		{"getCustomer", "GET", "/v1/customers/cus_1", "", func() error { _, err := client.Customers.Get(ctx, "cus_1"); return err }},
		{"updateCustomer", "POST", "/v1/customers/cus_2", "delinquent=1", func() error {
			c, err := client.Customers.Update(ctx, "cus_2", &CustomerParams{Delinquent: ptr(true)})
			if err == nil {
				assert.True(t, c.Delinquent)
			}
			return err
		}},
		{"deleteCustomer", "DELETE", "/v1/customers/cus_2", "delete_all=2", func() error {
			return client.Customers.Delete(ctx, "cus_2", &CustomerDeleteParams{DeleteAll: ptr(2)})
		}},
		{"getGroupedCustomers", "GET", "/v1/customers/grouped", "", func() error {
			raw, err := client.Customers.Grouped(ctx)
			if err == nil {
				assert.True(t, json.Valid(raw))
			}
			return err
		}},
		{"listSubscriptions", "GET", "/v1/subscriptions", "count=100&offset=0&status=active&customer%5Bid%5D=cus_1", func() error {
			for _, err := range client.Subscriptions.List(ctx, &SubscriptionListParams{Status: "active", Customer: &Ref{ID: "cus_1"}}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"createSubscription", "POST", "/v1/subscriptions", "subscription_id=sub_2&customer_id=cus_1&amount=5.00&currency=USD&interval=month&interval_count=1&trial_end=" + unixText(end) + "&items%5B0%5D=gold&items%5B1%5D=seat", func() error {
			s, err := client.Subscriptions.Create(ctx, &SubscriptionParams{SubscriptionID: "sub_2", CustomerID: "cus_1", Amount: amount("5.00"),
				Currency: "USD", Interval: "month", IntervalCount: ptr(1), TrialEnd: &end, Items: []string{"gold", "seat"}})
			if err == nil {
				assert.True(t, end.Equal(s.TrialEnd))
			}
			return err
		}},
		{"getSubscription", "GET", "/v1/subscriptions/sub_2", "", func() error { _, err := client.Subscriptions.Get(ctx, "sub_2"); return err }},
		{"updateSubscription", "POST", "/v1/subscriptions/sub_2", "quantity=0", func() error {
			_, err := client.Subscriptions.Update(ctx, "sub_2", &SubscriptionParams{Quantity: ptr(0)})
			return err
		}},
		{"listProducts", "GET", "/v1/products", "count=2&offset=0", func() error {
			for _, err := range client.Products.List(ctx, &ProductListParams{ListParams{Count: 2}}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"createProduct", "POST", "/v1/products", "product_id=silver&amount=1500&currency=JPY&trial_period_days=0&chargeable=1", func() error {
			_, err := client.Products.Create(ctx, &ProductParams{ProductID: "silver", Amount: amount("1500"), Currency: "JPY", TrialPeriodDays: ptr(0), Chargeable: ptr(true)})
			return err
		}},
		{"getProduct", "GET", "/v1/products/silver", "", func() error { _, err := client.Products.Get(ctx, "silver"); return err }},
		{"updateProduct", "POST", "/v1/products/silver", "name=Silver", func() error {
			_, err := client.Products.Update(ctx, "silver", &ProductParams{Name: "Silver"})
			return err
		}},
		{"listWebhooks", "GET", "/v1/webhooks", "", func() error { _, err := client.Webhooks.List(ctx); return err }},
		{"createWebhook", "POST", "/v1/webhooks", "url=https%3A%2F%2Fexample.com%2Fhook&events%5B0%5D=charge_refunded", func() error {
			_, err := client.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/hook", Events: []events.Name{events.ChargeRefunded}})
			return err
		}},
		{"deleteWebhook", "DELETE", "/v1/webhooks/wh-000009", "", func() error { return client.Webhooks.Delete(ctx, "wh-000009") }},
		{"gatewayCreateCharge", "POST", "/v1/gateway/products/charge", "using=invoice&customer%5Bid%5D=cus_1&amount=20.00&currency=USD&contact=jane%40example.com&link_only=1&lines%5B0%5D=Setup", func() error {
			c, err := client.Gateway.Charge(ctx, &GatewayChargeParams{Using: "invoice", Customer: &Ref{ID: "cus_1"}, Amount: amount("20.00"),
				Currency: "USD", Contact: "jane@example.com", LinkOnly: ptr(true), Lines: []string{"Setup"}})
			if err == nil {
				assert.NotEmpty(t, c.PayLink)
			}
			return err
		}},
		{"gatewayCapturCharge", "POST", "/v1/gateway/charges/" + chargeID + "/capture", "amount=30.00", func() error {
			c, err := client.Gateway.Capture(ctx, chargeID, &CaptureParams{Amount: amount("30.00")})
			if err == nil {
				assert.Equal(t, chargedesk.ChargeStatus("paid"), c.Status)
			}
			return err
		}},
		{"gatewayRefundCharge", "POST", "/v1/gateway/charges/" + chargeID + "/refund", "amount=5.00&log_reason=Duplicate", func() error {
			c, err := client.Gateway.Refund(ctx, chargeID, &RefundParams{Amount: amount("5.00"), LogReason: "Duplicate"})
			if err == nil {
				assert.Equal(t, chargedesk.ChargeStatus("partially refunded"), c.Status)
				assert.Equal(t, "5.00", c.AmountRefunded.String())
			}
			return err
		}},
		{"gatewayCancelPaymentRequest", "POST", "/v1/gateway/charges/ch-000010/void", "", func() error { return client.Gateway.Void(ctx, "ch-000010") }},
		{"gatewayEditSubscriptionPlans", "POST", "/v1/gateway/subscriptions/sub_1/plans", "plans%5B0%5D%5Bid%5D=gold&plans%5B0%5D%5Bquantity%5D=2&prorate=0", func() error {
			_, err := client.Gateway.EditPlans(ctx, "sub_1", &EditPlansParams{Plans: []PlanParams{{ID: "gold", Quantity: ptr(2)}}, Prorate: ptr(false)})
			return err
		}},
		{"gatewayCancelSubscription", "POST", "/v1/gateway/subscriptions/sub_1/cancel", "log_reason=Asked", func() error {
			s, err := client.Gateway.Cancel(ctx, "sub_1", &CancelParams{LogReason: "Asked"})
			if err == nil {
				assert.Equal(t, chargedesk.SubscriptionStatus("canceled"), s.Status)
			}
			return err
		}},
		{"deleteCharge", "DELETE", "/v1/charges/" + chargeID, "", func() error { return client.Charges.Delete(ctx, chargeID) }},
	}
	names := map[string]bool{}
	for _, op := range ops {
		before := len(rec.requests())
		require.NoError(t, op.call(), op.name)
		reqs := rec.requests()[before:]
		require.Len(t, reqs, 1, op.name)
		got := reqs[0]
		assert.Equal(t, op.method, got.Method, op.name)
		assert.Equal(t, op.path, got.Path, op.name)
		encoded := got.Query
		if got.Method == http.MethodPost {
			encoded = got.Body
			assert.Empty(t, got.Query, op.name)
		} else {
			assert.Empty(t, got.Body, op.name)
		}
		assert.Equal(t, op.encoded, encoded, op.name)
		names[op.name] = true
	}
	assert.Len(t, names, 31, "the spec has 31 operations")
}

// A webhook is created with typed event names, listed with its id filled
// in either shape, and deleted.
func TestWebhooksRoundTrip(t *testing.T) {
	eachShape(t, func(t *testing.T, shape apitest.Shape) {
		_, _, client, _ := newShapedAPI(t, shape)
		ctx := context.Background()
		created, err := client.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/chargedesk-events/secret",
			Events: []events.Name{events.ChargeRefunded, events.CustomerUpdated}})
		require.NoError(t, err)
		require.NotEmpty(t, created.ID)
		assert.Equal(t, created.ID, created.WebhookID)
		list, err := client.Webhooks.List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, created.ID, list[0].ID, "the id, whichever member carries it")
		assert.Equal(t, created.ID, list[0].WebhookID)
		assert.Equal(t, []events.Name{events.ChargeRefunded, events.CustomerUpdated}, list[0].Events)
		assert.True(t, list[0].Active)
		require.NoError(t, client.Webhooks.Delete(ctx, created.ID))
		list, err = client.Webhooks.List(ctx)
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}
