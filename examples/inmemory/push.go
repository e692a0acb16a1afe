package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/api"
)

const (
	// maxPending bounds the changes waiting to be pushed; past it a change
	// is dropped and counted in the log (the agent saw it in the answer
	// already; the next change to the object pushes its whole state).
	maxPending = 10000
	// pushEvery is how often changes made outside a webhook (a customer
	// paying on the pay page, a late gateway call) are pushed.
	pushEvery = 2 * time.Second
	// pushTimeout bounds one push, its retries included.
	pushTimeout = 30 * time.Second
)

// pusher keeps ChargeDesk's records current: each charge or subscription
// the platform changes is upserted through ChargeDesk's REST API, after the
// webhook's answer has been written, so the answer is never delayed. Only
// the latest state of an object waits to be sent.
type pusher struct {
	client *api.Client
	log    zerolog.Logger
	wake   chan struct{}

	mu      sync.Mutex
	pending map[string]any // "charge:<id>" -> *api.ChargeParams, ...
	dropped int
}

func newPusher(client *api.Client, log zerolog.Logger) *pusher {
	return &pusher{client: client, log: log, wake: make(chan struct{}, 1), pending: map[string]any{}}
}

// add records the latest state of an object to push. It is called by the
// ledger with its mutex held, so it only stores.
func (p *pusher) add(key string, params any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[key]; !ok && len(p.pending) >= maxPending {
		p.dropped++
		return
	}
	p.pending[key] = params
}

// afterAnswer wakes the pusher once next has answered the webhook.
func (p *pusher) afterAnswer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		select {
		case p.wake <- struct{}{}:
		default:
		}
	})
}

// run pushes until ctx is done, then pushes what is left, for at most
// pushTimeout.
func (p *pusher) run(ctx context.Context) {
	t := time.NewTicker(pushEvery)
	defer t.Stop()
	for {
		select {
		case <-p.wake:
		case <-t.C:
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), pushTimeout)
			defer cancel()
			p.flush(final)
			return
		}
		p.flush(ctx)
	}
}

func (p *pusher) flush(ctx context.Context) {
	p.mu.Lock()
	batch, dropped := p.pending, p.dropped
	p.pending, p.dropped = make(map[string]any, len(batch)), 0
	p.mu.Unlock()
	if dropped > 0 {
		p.log.Error().Int("dropped", dropped).Msg("push to ChargeDesk: too many changes waiting; some were not pushed")
	}
	for key, params := range batch {
		callCtx, cancel := context.WithTimeout(ctx, pushTimeout)
		var err error
		switch params := params.(type) {
		case *api.ChargeParams:
			_, err = p.client.Charges.Upsert(callCtx, params)
		case *api.SubscriptionParams:
			_, err = p.client.Subscriptions.Upsert(callCtx, params)
		}
		cancel()
		if err != nil {
			p.log.Error().Err(err).Str("object", key).Msg("push to ChargeDesk failed; the record there may be stale")
			continue
		}
		p.log.Debug().Str("object", key).Msg("pushed to ChargeDesk")
	}
}

// chargeParams is a charge's state as an upsert.
func (c *charge) params() *api.ChargeParams {
	amount, refunded := c.amount, c.refunded
	p := &api.ChargeParams{
		TransactionID: c.transactionID, Amount: &amount, Currency: c.currency, Status: c.status,
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

// params is a subscription's state as an upsert.
func (s *subscription) params() *api.SubscriptionParams {
	p := &api.SubscriptionParams{SubscriptionID: s.id, CustomerID: s.customerID, Status: s.status}
	if s.quantity > 0 {
		p.Quantity = new(s.quantity)
	}
	for _, plan := range s.plans {
		p.Items = append(p.Items, plan.ProductID)
	}
	return p
}

// pushed reports a change to the pusher, if any; call with l.mu held.
func (l *ledger) pushed(obj any) {
	if l.changed == nil {
		return
	}
	switch o := obj.(type) {
	case *charge:
		if o.transactionID != "" {
			l.changed("charge:"+o.id, o.params())
		}
	case *subscription:
		l.changed("subscription:"+o.id, o.params())
	}
}
