package syncer

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/chargedesk/chargedesk-go/api"
)

// Kind is the kind of object the syncer pushes.
type Kind string

// The kinds of object ChargeDesk holds. Each is identified by the
// platform's id: a charge by its transaction id (ChargeDesk's
// transaction_id, not its own charge_id), a customer by its customer_id, a
// subscription by its subscription_id, a product by its product_id.
const (
	Charge       Kind = "charge"
	Customer     Kind = "customer"
	Subscription Kind = "subscription"
	Product      Kind = "product"
)

// maxIDLen bounds an object id, as the api package does.
const maxIDLen = 255

// kindDef is what varies per kind: how to read an object from the Source,
// which field of its params holds its id, and how to push it. kinds is the
// one table that ties each Kind to them.
type kindDef struct {
	fetch func(ctx context.Context, src Source, id string) (any, error)
	// id returns a pointer to the params' id field.
	id   func(params any) *string
	push func(ctx context.Context, c *api.Client, params any) error
}

var kinds = map[Kind]kindDef{
	Charge: define(Source.Charge, func(p *api.ChargeParams) *string { return &p.TransactionID },
		func(ctx context.Context, c *api.Client, p *api.ChargeParams) error {
			_, err := c.Charges.Upsert(ctx, p)
			return err
		}),
	Customer: define(Source.Customer, func(p *api.CustomerParams) *string { return &p.CustomerID },
		func(ctx context.Context, c *api.Client, p *api.CustomerParams) error {
			_, err := c.Customers.Upsert(ctx, p)
			return err
		}),
	Subscription: define(Source.Subscription, func(p *api.SubscriptionParams) *string { return &p.SubscriptionID },
		func(ctx context.Context, c *api.Client, p *api.SubscriptionParams) error {
			_, err := c.Subscriptions.Upsert(ctx, p)
			return err
		}),
	Product: define(Source.Product, func(p *api.ProductParams) *string { return &p.ProductID },
		func(ctx context.Context, c *api.Client, p *api.ProductParams) error {
			_, err := c.Products.Upsert(ctx, p)
			return err
		}),
}

// define builds a kindDef from typed functions.
func define[P any](fetch func(Source, context.Context, string) (*P, error), id func(*P) *string,
	push func(context.Context, *api.Client, *P) error) kindDef {
	return kindDef{
		fetch: func(ctx context.Context, src Source, objectID string) (any, error) {
			p, err := fetch(src, ctx, objectID)
			if err == nil && p == nil {
				return nil, fmt.Errorf("%w: it returned no params and no error", ErrBadSource)
			}
			return p, err
		},
		id:   func(params any) *string { return id(params.(*P)) },
		push: func(ctx context.Context, c *api.Client, params any) error { return push(ctx, c, params.(*P)) },
	}
}

// Errors of marking an object.
var (
	// ErrUnknownKind is a Kind other than Charge, Customer, Subscription and
	// Product.
	ErrUnknownKind = errors.New("syncer: unknown kind of object")
	// ErrBadID is an empty id, one longer than 255 bytes, or one that is
	// not UTF-8.
	ErrBadID = errors.New("syncer: bad object id")
)

// checkObject validates a kind and an id before they are marked.
func checkObject(kind Kind, id string) error {
	if _, ok := kinds[kind]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	switch {
	case id == "":
		return fmt.Errorf("%w: a %s id is empty", ErrBadID, kind)
	case len(id) > maxIDLen:
		return fmt.Errorf("%w: a %s id is longer than %d bytes", ErrBadID, kind, maxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: a %s id is not UTF-8", ErrBadID, kind)
	}
	return nil
}
