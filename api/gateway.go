package api

import (
	"context"
	"net/http"
)

// GatewayService is the /gateway API: live operations the payment platform
// performs. None is ever retried once it may have reached ChargeDesk, since
// a repeat could move money twice; after an error whose cause is unclear
// (a timeout, a 502), look at the record before trying again. A charge is
// named by ChargeDesk's id (Charge.ID). ChargeDesk answers these with the
// record wrapped under its class name ({"charge": {...}}); the seed
// specification bare; both are read. The paths are the seed's, under
// /gateway/ as ChargeDesk's documented Create Charge is; ChargeDesk's PHP
// client calls refund and cancel at /charges/{id}/refund and
// /subscriptions/{id}/cancel (see docs/api-compat.md).
type GatewayService struct{ b *backend }

// Charge creates a live charge, subscription or payment request
// (gatewayCreateCharge).
func (s *GatewayService) Charge(ctx context.Context, p *GatewayChargeParams) (*Charge, error) {
	if p == nil || p.Amount == nil {
		return nil, invalid("amount", "is required")
	}
	if err := checkCurrency(p.Currency, true); err != nil {
		return nil, err
	}
	if err := checkMoney("amount", p.Amount, p.Currency, true); err != nil {
		return nil, err
	}
	if p.Product != nil {
		if err := checkInterval(p.Product.Interval); err != nil {
			return nil, err
		}
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/gateway/products/charge", params: p}, out)
}

// Refund refunds a charge (gatewayRefundCharge); p may be nil to refund it
// in full.
func (s *GatewayService) Refund(ctx context.Context, chargeID string, p *RefundParams) (*Charge, error) {
	path, err := idPath("/gateway/charges", "charge id", chargeID)
	if err != nil {
		return nil, err
	}
	if p != nil && p.Amount != nil && p.Amount.Sign() <= 0 {
		return nil, invalid("amount", "must be more than 0")
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path + "/refund", params: p}, out)
}

// Capture captures an authorized charge (gatewayCapturCharge); an amount of
// 0 voids it, and p may be nil to capture it in full.
func (s *GatewayService) Capture(ctx context.Context, chargeID string, p *CaptureParams) (*Charge, error) {
	path, err := idPath("/gateway/charges", "charge id", chargeID)
	if err != nil {
		return nil, err
	}
	if p != nil && p.Amount != nil && p.Amount.Sign() < 0 {
		return nil, invalid("amount", "must not be negative")
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path + "/capture", params: p}, out)
}

// Void cancels a payment request (gatewayCancelPaymentRequest).
func (s *GatewayService) Void(ctx context.Context, chargeID string) error {
	path, err := idPath("/gateway/charges", "charge id", chargeID)
	if err != nil {
		return err
	}
	return s.b.do(ctx, call{method: http.MethodPost, path: path + "/void"}, nil)
}

// Cancel cancels a subscription (gatewayCancelSubscription).
func (s *GatewayService) Cancel(ctx context.Context, subscriptionID string, p *CancelParams) (*Subscription, error) {
	path, err := idPath("/gateway/subscriptions", "subscription id", subscriptionID)
	if err != nil {
		return nil, err
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path + "/cancel", params: p}, out)
}

// EditPlans replaces a subscription's plans (gatewayEditSubscriptionPlans).
func (s *GatewayService) EditPlans(ctx context.Context, subscriptionID string, p *EditPlansParams) (*Subscription, error) {
	path, err := idPath("/gateway/subscriptions", "subscription id", subscriptionID)
	if err != nil {
		return nil, err
	}
	if p == nil || len(p.Plans) == 0 {
		return nil, invalid("plans", "needs at least one plan")
	}
	for _, plan := range p.Plans {
		if err := checkID("plans[][id]", plan.ID); err != nil {
			return nil, err
		}
		if plan.Quantity != nil && *plan.Quantity < 1 {
			return nil, invalid("plans[][quantity]", "must be at least 1")
		}
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path + "/plans", params: p}, out)
}
