package syncer

import (
	"context"
	"errors"

	"github.com/chargedesk/chargedesk-go/api"
)

// Source is the payment platform as the syncer reads it: each method
// returns an object's current state, as it is when called, as the api
// package's params for an upsert. The syncer calls it just before each
// push, so that what it sends is never older than what the platform holds
// at that moment. Implementations must be safe for concurrent use.
//
// A method returns [ErrGone] (wrapped or not) when the object no longer
// exists on the platform: nothing is pushed, and ChargeDesk's record is left
// as it is (ChargeDesk keeps the history agents rely on). Any other error
// is retried with backoff, like an outage of ChargeDesk.
//
// The params' id field (TransactionID, CustomerID, SubscriptionID,
// ProductID) is filled with the id asked for when empty, so return params
// of your own, not a value you share; params naming another id are refused
// (the push is kept as failed), never sent.
//
// Embed [UnimplementedSource] to sync only some kinds, and so that a method
// added to Source later does not break your implementation.
type Source interface {
	// Charge returns the charge whose platform id (ChargeDesk's
	// transaction_id) is transactionID.
	Charge(ctx context.Context, transactionID string) (*api.ChargeParams, error)
	// Customer returns the customer with this customer_id.
	Customer(ctx context.Context, customerID string) (*api.CustomerParams, error)
	// Subscription returns the subscription with this subscription_id.
	Subscription(ctx context.Context, subscriptionID string) (*api.SubscriptionParams, error)
	// Product returns the product with this product_id.
	Product(ctx context.Context, productID string) (*api.ProductParams, error)
}

// Errors a Source returns, or that name a Source's mistake.
var (
	// ErrGone is a Source's answer for an object that no longer exists on
	// the platform: nothing is pushed.
	ErrGone = errors.New("syncer: the object is gone from the platform")
	// ErrNotSynced is UnimplementedSource's answer: the platform does not
	// sync this kind. A push of it is kept as failed.
	ErrNotSynced = errors.New("syncer: this kind of object is not synced by the Source")
	// ErrBadSource is a Source answer that cannot be pushed (nil params, or
	// params naming another object). The push is kept as failed.
	ErrBadSource = errors.New("syncer: the Source's answer cannot be pushed")
)

// UnimplementedSource answers ErrNotSynced for every kind. Embed it in a
// Source and implement the kinds you sync.
type UnimplementedSource struct{}

// Charge implements Source: ErrNotSynced.
func (UnimplementedSource) Charge(context.Context, string) (*api.ChargeParams, error) {
	return nil, ErrNotSynced
}

// Customer implements Source: ErrNotSynced.
func (UnimplementedSource) Customer(context.Context, string) (*api.CustomerParams, error) {
	return nil, ErrNotSynced
}

// Subscription implements Source: ErrNotSynced.
func (UnimplementedSource) Subscription(context.Context, string) (*api.SubscriptionParams, error) {
	return nil, ErrNotSynced
}

// Product implements Source: ErrNotSynced.
func (UnimplementedSource) Product(context.Context, string) (*api.ProductParams, error) {
	return nil, ErrNotSynced
}
