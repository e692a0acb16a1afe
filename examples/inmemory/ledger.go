package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/syncer"
)

// ledger is the example's payment platform, and the chargedesk.Gateway
// that acts on it. It is the source of truth: a charge or subscription it
// has not seen yet is taken from the webhook's payload, and from then on
// its own state decides, since ChargeDesk's copy may be stale. It finds a
// charge by its transaction_id, the platform's own id (charge_id is
// ChargeDesk's). A real integration replaces each method's body with calls
// to its payment platform's API and its own database.
//
// Each action is one update of the book: its checks, its change, and,
// when the book syncs, the mark that has the change pushed to ChargeDesk,
// all kept together or not at all.
type ledger struct {
	chargedesk.UnimplementedGateway
	book    book
	now     func() time.Time
	payBase string // pay links are payBase + id

	// delay is how long every action waits, as a call to a slow payment
	// API would (PLATFORM_DELAY).
	delay time.Duration
}

// maxPlatformDelay bounds PLATFORM_DELAY.
const maxPlatformDelay = time.Minute

// newLedger returns a platform on b whose pay links start with payBase
// ("http://127.0.0.1:8080/pay/").
func newLedger(b book, payBase string, now func() time.Time) *ledger {
	return &ledger{book: b, now: now, payBase: payBase}
}

// callPlatform spends the platform's delay, as a call to a slow payment
// API would. Like such a call once sent, it is not cut short when
// ChargeDesk stops waiting at the webhook's deadline: the action then
// completes late, is recorded, and the sync pushes it, so that ChargeDesk
// shows the refund its agent was told had an unknown outcome.
func (l *ledger) callPlatform() {
	if l.delay > 0 {
		t := time.NewTimer(l.delay)
		defer t.Stop()
		<-t.C
	}
}

// chargeOf returns the platform's charge for the payload's, found by its
// transaction_id, taking the payload's copy the first time.
func chargeOf(r records, p *chargedesk.Charge) (*charge, error) {
	if p.TransactionID == "" {
		return nil, chargedesk.AgentErrorf("This charge has no transaction ID from the payment platform, so the platform cannot find it.")
	}
	c, err := r.charge(p.TransactionID)
	if c != nil || err != nil {
		return c, err
	}
	return r.adoptCharge(adopted(p))
}

// subscriptionOf is chargeOf for subscriptions.
func subscriptionOf(r records, p *chargedesk.Subscription) (*subscription, error) {
	s, err := r.subscription(p.SubscriptionID)
	if s != nil || err != nil {
		return s, err
	}
	return r.adoptSubscription(adoptedSubscription(p))
}

// keepCharge stores the changed charge and marks it for the sync.
func keepCharge(r records, c *charge) error {
	if err := r.putCharge(c); err != nil {
		return err
	}
	return r.changed(syncer.Charge, c.id)
}

// keepSubscription stores the changed subscription and marks it for the
// sync.
func keepSubscription(r records, s *subscription) error {
	if err := r.putSubscription(s); err != nil {
		return err
	}
	return r.changed(syncer.Subscription, s.id)
}

// Refund refunds part or all of a paid charge, never more than remains on
// the platform.
func (l *ledger) Refund(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	l.callPlatform()
	var resp *chargedesk.Response
	err := l.book.update(ctx, func(r records) error {
		c, err := chargeOf(r, req.Charge)
		if err != nil {
			return err
		}
		// The idempotency key fences a repeat the duplicate guard cannot
		// see (after its window, or through another instance): a real
		// platform takes it with the refund call (Stripe's
		// Idempotency-Key) and answers the first result again.
		key := chargedesk.IdempotencyKey(ctx)
		if done, ok := c.refundedUnder(key); ok && key != "" {
			logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Bool("platform_idempotent_replay", true) })
			resp = &chargedesk.Response{Charge: chargedesk.ChargeRefunded(c.amount, done)}
			return nil
		}
		if err := c.refundable(req.Charge.Currency); err != nil {
			return err
		}
		if err := c.refund(req.RefundAmount); err != nil {
			return err
		}
		if key != "" {
			c.refunds = append(c.refunds, keyedRefund{key, c.refunded})
		}
		if err := keepCharge(r, c); err != nil {
			return err
		}
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
			return c2.Str("platform_total_refunded", c.refunded.String()).Str("platform_status", string(c.status))
		})
		resp = &chargedesk.Response{Charge: c.update()}
		return nil
	})
	return resp, err
}

// Capture captures an authorized charge.
func (l *ledger) Capture(ctx context.Context, req *chargedesk.CaptureRequest) (*chargedesk.Response, error) {
	return l.settle(ctx, req.Charge, "captured", chargedesk.ChargeStatusPaid)
}

// Void voids an authorized charge.
func (l *ledger) Void(ctx context.Context, req *chargedesk.VoidRequest) (*chargedesk.Response, error) {
	return l.settle(ctx, req.Charge, "voided", chargedesk.ChargeStatusVoid)
}

// settle moves an authorized charge to status.
func (l *ledger) settle(ctx context.Context, p *chargedesk.Charge, verb string, status chargedesk.ChargeStatus) (*chargedesk.Response, error) {
	l.callPlatform()
	var resp *chargedesk.Response
	err := l.book.update(ctx, func(r records) error {
		c, err := chargeOf(r, p)
		if err != nil {
			return err
		}
		if c.status != chargedesk.ChargeStatusAuthorized {
			return chargedesk.AgentErrorf("Only an authorized charge can be %s; on the payment platform this charge is %s.", verb, c.status)
		}
		c.status = status
		if err := keepCharge(r, c); err != nil {
			return err
		}
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Str("platform_status", string(status)) })
		resp = &chargedesk.Response{Charge: c.update()}
		return nil
	})
	return resp, err
}

// Cancel cancels at once (with no, a pro-rated or a full refund of the
// charge sent), at the end of the period, or suspends.
func (l *ledger) Cancel(ctx context.Context, req *chargedesk.CancelRequest) (*chargedesk.Response, error) {
	l.callPlatform()
	var resp *chargedesk.Response
	err := l.book.update(ctx, func(r records) error {
		s, err := subscriptionOf(r, req.Subscription)
		if err != nil {
			return err
		}
		next, err := cancelTransition(s.status, req.Action)
		if err != nil {
			return err
		}
		out := &chargedesk.Response{}
		var refunded *charge
		if req.Refund != chargedesk.RefundNone && req.Refund != "" {
			if req.Action != chargedesk.CancelImmediately {
				return chargedesk.AgentErrorf("A refund can only come with an immediate cancellation, not with %s.", req.Action)
			}
			var note string
			if refunded, note, err = l.cancelRefund(ctx, r, req.Charge, s, req.Refund); err != nil {
				return err
			}
			out.Charge = refunded.update()
			if note != "" {
				out.Charge.Metadata = refunded.metadata.asMap()
			}
		}
		s.status = next
		if err := keepSubscription(r, s); err != nil {
			return err
		}
		if refunded != nil {
			if err := keepCharge(r, refunded); err != nil {
				return err
			}
		}
		out.Subscription = s.update()
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Str("platform_subscription_status", string(next)) })
		resp = out
		return nil
	})
	return resp, err
}

// cancelRefund refunds, of the charge p, all that remains (full), or the
// pro-rated part of the charge for the unused rest of s's period, capped
// at what remains (partial), with a note in its metadata that says how it
// was computed. It returns the refunded charge, not yet kept, and the note.
func (l *ledger) cancelRefund(ctx context.Context, r records, p *chargedesk.Charge, s *subscription, mode chargedesk.RefundMode) (*charge, string, error) {
	c, err := chargeOf(r, p)
	if err != nil {
		return nil, "", err
	}
	if err := c.refundable(p.Currency); err != nil {
		return nil, "", err
	}
	remaining, err := c.remaining()
	if err != nil {
		return nil, "", err
	}
	amount, note := remaining, ""
	if mode != chargedesk.RefundFull {
		pr, err := prorate(c.amount, c.currency, s.periodStart, s.periodEnd, l.now())
		if err != nil {
			return nil, "", err
		}
		amount = pr.amount
		note = fmt.Sprintf("Pro-rated refund of %s %s: %s %s × %d/%d of the period unused, rounded down to %s.",
			amount, c.currency, c.amount, c.currency, pr.unused, pr.total, pr.unit)
		if amount.Cmp(remaining) > 0 {
			amount = remaining
			note += fmt.Sprintf(" Only %s %s remained, so that was refunded.", remaining, c.currency)
		}
	}
	if err := c.refund(amount); err != nil {
		return nil, "", err
	}
	if note != "" {
		c.metadata.set("refund_proration", note)
	}
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
		return c2.Str("platform_refunded", amount.String()).Str("platform_total_refunded", c.refunded.String())
	})
	return c, note, nil
}

// Reactivate reactivates a suspended subscription or one pending
// cancellation.
func (l *ledger) Reactivate(ctx context.Context, req *chargedesk.ReactivateRequest) (*chargedesk.Response, error) {
	l.callPlatform()
	var resp *chargedesk.Response
	err := l.book.update(ctx, func(r records) error {
		s, err := subscriptionOf(r, req.Subscription)
		if err != nil {
			return err
		}
		switch s.status {
		case chargedesk.SubscriptionStatusSuspended, chargedesk.SubscriptionStatusPendingCancel:
		default:
			return chargedesk.AgentErrorf(
				"Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is %s.", s.status)
		}
		s.status = chargedesk.SubscriptionStatusActive
		if err := keepSubscription(r, s); err != nil {
			return err
		}
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
			return c2.Str("platform_subscription_status", string(s.status))
		})
		resp = &chargedesk.Response{Subscription: s.update()}
		return nil
	})
	return resp, err
}

// EditPlans replaces the subscription's plans with the list sent.
func (l *ledger) EditPlans(ctx context.Context, req *chargedesk.EditPlansRequest) (*chargedesk.Response, error) {
	l.callPlatform()
	var resp *chargedesk.Response
	err := l.book.update(ctx, func(r records) error {
		s, err := subscriptionOf(r, req.Subscription)
		if err != nil {
			return err
		}
		if s.status == chargedesk.SubscriptionStatusCanceled {
			return chargedesk.AgentErrorf("The plans of a canceled subscription cannot be changed.")
		}
		seen := map[string]bool{}
		items := make([]string, 0, len(req.Plans))
		for _, p := range req.Plans {
			if seen[p.ProductID] {
				return chargedesk.AgentErrorf("Product %s is listed twice; list each plan once, with its quantity.", p.ProductID)
			}
			seen[p.ProductID] = true
			items = append(items, p.ProductID)
		}
		s.plans = append([]chargedesk.Plan(nil), req.Plans...)
		s.quantity = 0
		if len(s.plans) == 1 {
			s.quantity = s.plans[0].Quantity
		}
		if err := keepSubscription(r, s); err != nil {
			return err
		}
		u := s.update()
		u.Items = items
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Int("platform_plans", len(items)) })
		resp = &chargedesk.Response{Subscription: u}
		return nil
	})
	return resp, err
}

// RequestPayment answers a link to the page, served by this example, where
// the customer pays the charge. A charge keeps its link until it is paid.
//
// A payment request is often a new charge, which ChargeDesk made and the
// platform has not seen: it has no transaction_id. The platform then
// creates the charge, and the answer tells ChargeDesk its transaction_id,
// so that every later webhook and push names it. The new id comes from
// the webhook's idempotency key: the same request sent again finds the
// same charge rather than making a second one.
func (l *ledger) RequestPayment(ctx context.Context, req *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
	l.callPlatform()
	var resp *chargedesk.PaymentResponse
	err := l.book.update(ctx, func(r records) error {
		p := req.Charge
		created := p.TransactionID == ""
		if created {
			copied := *p
			copied.TransactionID = "tx_" + strings.TrimPrefix(chargedesk.IdempotencyKey(ctx), "chargedesk-")
			if copied.TransactionID == "tx_" {
				return errors.New("a payment request without a transaction id needs the webhook's idempotency key")
			}
			p = &copied
		}
		c, err := chargeOf(r, p)
		if err != nil {
			return err
		}
		link, err := l.openLink(r, c)
		if err != nil {
			return err
		}
		if err := keepCharge(r, c); err != nil {
			return err
		}
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
			return c2.Bool("platform_pay_link", link != "").Bool("platform_created", created)
		})
		u := c.update()
		if created {
			u.TransactionID = c.id
		}
		resp = &chargedesk.PaymentResponse{RedirectURL: link, Response: chargedesk.Response{Charge: u}}
		return nil
	})
	return resp, err
}

// openLink returns the charge's pay link: its unpaid one, or a new one.
func (l *ledger) openLink(r records, c *charge) (string, error) {
	if id, ok := strings.CutPrefix(c.payLink, l.payBase); ok && id != "" {
		p, err := r.link(id)
		if err != nil {
			return "", err
		}
		if p != nil && !p.paid {
			return c.payLink, nil
		}
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	p := &payLink{id: id, chargeID: c.id, amount: c.amount, currency: c.currency, label: c.description}
	if err := r.putLink(p); err != nil {
		return "", err
	}
	c.payLink = l.payBase + id
	return c.payLink, nil
}

// link returns the pay link with id, or nil.
func (l *ledger) link(ctx context.Context, id string) (*payLink, error) {
	var p *payLink
	err := l.book.view(ctx, func(r records) error {
		var err error
		p, err = r.link(id)
		return err
	})
	return p, err
}

// pay records the customer's payment through the link with id: the charge
// is paid unless it already was, and pushed to ChargeDesk. It returns the
// link, nil when there is none. Like every update, it takes the charge
// before the link (a database locks them in that order, so two updates
// never wait on each other), so it reads the link first to learn its
// charge.
func (l *ledger) pay(ctx context.Context, id string) (*payLink, error) {
	first, err := l.link(ctx, id)
	if first == nil || err != nil {
		return nil, err
	}
	var paid *payLink
	err = l.book.update(ctx, func(r records) error {
		c, err := r.charge(first.chargeID)
		if err != nil {
			return err
		}
		p, err := r.link(id)
		if p == nil || err != nil {
			return err
		}
		if c != nil { // nil: the memory book has forgotten it
			switch c.status {
			case chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded, chargedesk.ChargeStatusRefunded:
			default:
				c.status = chargedesk.ChargeStatusPaid
			}
			c.payLink = ""
			if err := keepCharge(r, c); err != nil {
				return err
			}
		}
		p.paid = true
		if err := r.putLink(p); err != nil {
			return err
		}
		paid = p
		return nil
	})
	return paid, err
}

// logFields adds the platform's fields to the webhook's one log line, through
// the request's logger, rather than writing a line of its own (and no I/O
// happens under the ledger's mutex).
func logFields(ctx context.Context, fields func(zerolog.Context) zerolog.Context) {
	zerolog.Ctx(ctx).UpdateContext(fields)
}
