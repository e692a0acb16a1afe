package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
)

// startLocalChargeDesk runs chargedesk-sim serve with args until the test
// ends and returns a client for its API.
func startLocalChargeDesk(t *testing.T, args ...string) *api.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *api.Client, 1)
	done := make(chan error, 1)
	go func() {
		done <- sim.Serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), &bytes.Buffer{}, &bytes.Buffer{},
			func(u, key string) { ready <- api.NewClient(key, api.WithBaseURL(u)) })
	}()
	var client *api.Client
	select {
	case client = <-ready:
	case err := <-done:
		cancel()
		require.FailNow(t, "serve stopped", "%v", err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return client
}

// The two halves together: the local ChargeDesk holds what the client
// imported, sends each agent action to this receiver as the Custom
// Integration's webhook, and applies the answer to its records.
func TestLocalChargeDeskWithTheReceiver(t *testing.T) {
	const secret = "local-e2e-secret-0123456789"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret})
	cd := startLocalChargeDesk(t, "--base-path", r.baseURL, "-H", "Authorization: Bearer "+secret, "-H", "X-Charge: {charge_id}")
	ctx := context.Background()
	money := func(s string) *chargedesk.Amount { return new(chargedesk.MustParseAmount(s)) }

	_, err := cd.Customers.Upsert(ctx, &api.CustomerParams{CustomerID: "cus_1", Email: "jane@example.com", Name: "Jane"})
	require.NoError(t, err)
	ch, err := cd.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_1", Amount: money("34.00"), Currency: "USD",
		Customer: &api.Ref{ID: "cus_1"}, Subscription: &api.Ref{ID: "sub_1"}})
	require.NoError(t, err)
	_, err = cd.Subscriptions.Upsert(ctx, &api.SubscriptionParams{SubscriptionID: "sub_1", CustomerID: "cus_1",
		Status: chargedesk.SubscriptionStatusActive, Amount: money("34.00"), Currency: "USD", Interval: "month", Quantity: new(2)})
	require.NoError(t, err)

	// A refund: the receiver's ledger refunds and answers the new state.
	refunded, err := cd.Gateway.Refund(ctx, ch.ID, &api.RefundParams{Amount: money("12.34"), LogReason: "Wrong size"})
	require.NoError(t, err)
	assert.Equal(t, "12.34", refunded.AmountRefunded.String())
	assert.Equal(t, chargedesk.ChargeStatusPartiallyRefunded, refunded.Status)

	// More than remains: ChargeDesk itself refuses, before any webhook.
	_, err = cd.Gateway.Refund(ctx, ch.ID, &api.RefundParams{Amount: money("25.00")})
	var apiErr *api.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "The refund must be more than 0 and at most 21.66 USD", apiErr.Message)

	// Cancel the subscription; then the receiver refuses to change its
	// plans, and its message reaches the caller as the API's error, the
	// record unchanged.
	sub, err := cd.Gateway.Cancel(ctx, "sub_1", &api.CancelParams{LogReason: "Moving away"})
	require.NoError(t, err)
	assert.Equal(t, chargedesk.SubscriptionStatusCanceled, sub.Status)
	_, err = cd.Gateway.EditPlans(ctx, "sub_1", &api.EditPlansParams{Plans: []api.PlanParams{{ID: "gold", Quantity: new(3)}}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "The plans of a canceled subscription cannot be changed.", apiErr.Message)
	sub, err = cd.Subscriptions.Get(ctx, "sub_1")
	require.NoError(t, err)
	assert.Equal(t, chargedesk.SubscriptionStatusCanceled, sub.Status)
	assert.Empty(t, sub.Items)
	assert.Equal(t, 2, sub.Quantity)

	// A payment request: the receiver answers its pay page, kept as the
	// new charge's pay link.
	pr, err := cd.Gateway.Charge(ctx, &api.GatewayChargeParams{Using: "invoice", Customer: &api.Ref{ID: "cus_1"},
		Amount: money("9.99"), Currency: "USD", Description: "Extra seat"})
	require.NoError(t, err)
	assert.Contains(t, pr.PayLink, "/pay/")
	assert.Equal(t, chargedesk.ChargeStatus("invoiced"), pr.Status)
}

// A wrong secret in the settings: the receiver's 401 message is what the
// caller reads, and the charge is unchanged.
func TestLocalChargeDeskWrongSecret(t *testing.T) {
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": "the-right-secret-0123456789"})
	cd := startLocalChargeDesk(t, "--base-path", r.baseURL, "-H", "Authorization: Bearer the-wrong-secret-012345")
	ctx := context.Background()
	ch, err := cd.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: "tx_1", Amount: api.Money("34.00"),
		Currency: "USD", Customer: &api.Ref{ID: "cus_1"}})
	require.NoError(t, err)
	_, err = cd.Gateway.Refund(ctx, ch.ID, nil)
	var apiErr *api.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "The webhook was refused: its authentication headers do not match the integration's settings.", apiErr.Message,
		"the receiver's 401 message")
	after, err := cd.Charges.Get(ctx, ch.ID)
	require.NoError(t, err)
	assert.True(t, after.AmountRefunded.IsZero(), "a refused action changes nothing")
}
