package syncer

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/safe"
)

// lateMarkTimeout bounds the marks of one late outcome: the hook runs on
// the webhook's goroutine.
const lateMarkTimeout = 5 * time.Second

// LateOutcomes returns the hook for chargedesk.Config.OnLateOutcome: a
// Gateway call that succeeded after its agent was told the outcome is
// unknown (504) has changed the platform, so its objects are marked and
// pushed, and ChargeDesk shows, say, the refund the agent was told had
// timed out. The objects are the charge and the subscription the action
// acted on, and the customer and product when the answer updates them, by
// their platform ids (a charge's TransactionID, from the answer's charge
// update when it sets one, else from the webhook's charge).
//
// A charge with no TransactionID (a payment request not yet on the
// platform) cannot be pushed: it is logged at warn level; mark it when the
// platform creates it. A late failure pushes nothing and is logged at info
// level (the core logs every late outcome at error level already). A mark
// that fails is logged at error level with the object's kind and id.
func (s *Syncer[TTx]) LateOutcomes() func(chargedesk.LateOutcome) {
	return func(o chargedesk.LateOutcome) {
		log := s.log.With().Str("action", string(o.Action)).Str("idempotency_key", o.IdempotencyKey).Logger()
		if o.Err != nil {
			log.Info().Msg("sync: a late outcome failed; nothing to push")
			return
		}
		objects, missing := lateObjects(o)
		for _, k := range missing {
			log.Warn().Str("object", string(k)).
				Msg("sync: a late success changed an object with no platform id yet; nothing pushed for it, mark it once the platform has one")
		}
		ctx, cancel := context.WithTimeout(context.Background(), lateMarkTimeout)
		defer cancel()
		for _, obj := range objects {
			s.markLate(ctx, obj, &log)
		}
	}
}

func (s *Syncer[TTx]) markLate(ctx context.Context, obj pushArgs, log *zerolog.Logger) {
	if err := s.Mark(ctx, obj.Object, obj.ID); err != nil {
		log.Error().Str("object", string(obj.Object)).Str("id", obj.ID).Str("error", safe.Error(err)).
			Msg("sync: a late success could not be marked for a push; ChargeDesk shows the object as before it: reconcile it")
		return
	}
	log.Debug().Str("object", string(obj.Object)).Str("id", obj.ID).Msg("sync: a late success is marked for a push")
}

// lateObjects lists the objects a late success touched, by platform id,
// and the kinds it touched that have none.
func lateObjects(o chargedesk.LateOutcome) (objects []pushArgs, missing []Kind) {
	var r *chargedesk.Response
	switch a := o.Answer.(type) {
	case *chargedesk.Response:
		r = a
	case *chargedesk.PaymentResponse:
		if a != nil {
			r = &a.Response
		}
	}
	if r == nil {
		r = &chargedesk.Response{}
	}
	seen := map[pushArgs]bool{}
	add := func(kind Kind, ids ...string) {
		for _, id := range ids {
			if id != "" {
				if obj := (pushArgs{Object: kind, ID: id}); !seen[obj] {
					seen[obj] = true
					objects = append(objects, obj)
				}
				return
			}
		}
		missing = append(missing, kind)
	}
	var chargeCustomer, chargeProduct, subCustomer, subProduct string
	if o.Charge != nil || r.Charge != nil {
		var fromAnswer, fromWebhook string
		if r.Charge != nil {
			fromAnswer = r.Charge.TransactionID
		}
		if o.Charge != nil {
			fromWebhook = o.Charge.TransactionID
			chargeCustomer, chargeProduct = o.Charge.CustomerID, o.Charge.ProductID
		}
		add(Charge, fromAnswer, fromWebhook)
	}
	if o.Subscription != nil || r.Subscription != nil {
		var fromAnswer, fromWebhook string
		if r.Subscription != nil {
			fromAnswer = r.Subscription.SubscriptionID
		}
		if o.Subscription != nil {
			fromWebhook = o.Subscription.SubscriptionID
			subCustomer, subProduct = o.Subscription.CustomerID, o.Subscription.ProductID
		}
		add(Subscription, fromAnswer, fromWebhook)
	}
	if r.Customer != nil {
		add(Customer, r.Customer.CustomerID, chargeCustomer, subCustomer)
	}
	if r.Product != nil {
		add(Product, r.Product.ProductID, chargeProduct, subProduct)
	}
	return objects, missing
}
