package main

import (
	"context"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// source is the platform as the sync reads it: each object's state as the
// book holds it when the push is sent, so that ChargeDesk is never sent an
// older state than the platform's. The platform keeps charges and
// subscriptions; customers and products are ChargeDesk's to keep here.
type source struct {
	syncer.UnimplementedSource
	book book
}

// Charge implements syncer.Source.
func (s source) Charge(ctx context.Context, transactionID string) (*api.ChargeParams, error) {
	var p *api.ChargeParams
	err := s.book.view(ctx, func(r records) error {
		c, err := r.charge(transactionID)
		if c == nil || err != nil {
			return orGone(err)
		}
		p = c.params()
		return nil
	})
	return p, err
}

// Subscription implements syncer.Source.
func (s source) Subscription(ctx context.Context, id string) (*api.SubscriptionParams, error) {
	var p *api.SubscriptionParams
	err := s.book.view(ctx, func(r records) error {
		sub, err := r.subscription(id)
		if sub == nil || err != nil {
			return orGone(err)
		}
		p = sub.params()
		return nil
	})
	return p, err
}

// orGone is err, or syncer.ErrGone when there is none: the record is not
// in the book.
func orGone(err error) error {
	if err == nil {
		return syncer.ErrGone
	}
	return err
}

// params is the charge's state as an upsert.
func (c *charge) params() *api.ChargeParams {
	amount, refunded := c.amount, c.refunded
	p := &api.ChargeParams{
		TransactionID: c.id, Amount: &amount, Currency: c.currency, Status: c.status,
		AmountRefunded: &refunded, Description: c.description,
	}
	if c.customerID != "" {
		p.Customer = &api.Ref{ID: c.customerID}
	}
	if len(c.metadata) > 0 {
		p.Metadata = c.metadata.asMap()
	}
	return p
}

// params is the subscription's state as an upsert.
func (s *subscription) params() *api.SubscriptionParams {
	p := &api.SubscriptionParams{SubscriptionID: s.id, CustomerID: s.customerID, Status: s.status}
	if s.quantity > 0 {
		q := s.quantity
		p.Quantity = &q
	}
	for _, plan := range s.plans {
		p.Items = append(p.Items, plan.ProductID)
	}
	return p
}
