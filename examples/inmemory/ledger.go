package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govalues/decimal"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
)

// msgRefundTooLarge is ChargeDesk's own wording for a refund of more than
// remains on the charge.
const msgRefundTooLarge = "Refund amount was greater than amount remaining on charge."

// ledger is the in-memory payment platform, and the chargedesk.Gateway that
// acts on it. It is the source of truth: a charge or subscription it has not
// seen yet is taken from the webhook's payload, and from then on its own
// state decides, since ChargeDesk's copy may be stale. A real integration
// replaces each method's body with calls to its platform's API.
//
// The handler never calls two methods for the same object at once; the
// mutex guards the maps, which all objects share.
type ledger struct {
	chargedesk.UnimplementedGateway
	mu      sync.Mutex
	now     func() time.Time
	payBase string // pay links are payBase + id
	charges map[string]chargeRow
	subs    map[string]*subscription
	links   map[string]*payLink
	// changed, when set, receives each charge or subscription the ledger
	// changes, as an upsert for ChargeDesk's API (see pusher).
	changed func(key string, params any)

	// retention is how long an object is kept after its last action; then
	// it is forgotten, and the next webhook about it adopts ChargeDesk's
	// copy again. touches are the actions in order, oldest first, from
	// head on.
	retention time.Duration
	touches   []touch
	head      int

	// delay is how long every action waits, outside the mutex, as a slow
	// payment API would (PLATFORM_DELAY).
	delay time.Duration
}

// wait spends the platform's delay, or returns ctx's error.
func (l *ledger) wait(ctx context.Context) error {
	if l.delay <= 0 {
		return nil
	}
	t := time.NewTimer(l.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// touch is an action on an object at a time, for forgetting.
type touch struct {
	kind byte // 'c' charge, 's' subscription, 'l' pay link
	id   string
	at   time.Time
}

// defaultRetention is how long the ledger keeps an idle object: enough for
// an agent's follow-up actions, short enough that memory stays flat under
// any stream of new ids.
const defaultRetention = 10 * time.Minute

// charge is a charge as the platform knows it, while an action works on
// it: between actions the ledger holds it as a chargeRow.
type charge struct {
	seen          time.Time     // its last action
	refunds       []keyedRefund // by idempotency key: few per charge, so a list is smallest
	id            string        // the id it is kept under
	transactionID string
	customerID    string
	currency      string
	amount        chargedesk.Amount
	refunded      chargedesk.Amount
	status        chargedesk.ChargeStatus
	description   string
	metadata      metadata
	payLink       string
}

// metadata is a charge's metadata as the platform keeps it: its pairs,
// sorted by key, in one small slice. A map per charge would cost several
// times the memory, and the garbage collector scans every one of them.
type metadata []metaPair

type metaPair struct{ key, value string }

// metadataOf returns m's pairs.
func metadataOf(m map[string]string) metadata {
	if len(m) == 0 {
		return nil
	}
	md := make(metadata, 0, len(m))
	for k, v := range m {
		md = append(md, metaPair{k, v})
	}
	slices.SortFunc(md, func(a, b metaPair) int { return strings.Compare(a.key, b.key) })
	return md
}

// set sets key to value.
func (md *metadata) set(key, value string) {
	i, found := slices.BinarySearchFunc(*md, key, func(p metaPair, k string) int { return strings.Compare(p.key, k) })
	if found {
		(*md)[i].value = value
		return
	}
	*md = slices.Insert(*md, i, metaPair{key, value})
}

// asMap returns the pairs as a new map, nil when there are none.
func (md metadata) asMap() map[string]string {
	if len(md) == 0 {
		return nil
	}
	m := make(map[string]string, len(md))
	for _, p := range md {
		m[p.key] = p.value
	}
	return m
}

// keyedRefund is a refund performed under an idempotency key, with the
// total refunded after it.
type keyedRefund struct {
	key   string
	total chargedesk.Amount
}

// refundedUnder returns the total after the refund made under key, if any.
func (c *charge) refundedUnder(key string) (chargedesk.Amount, bool) {
	for _, r := range c.refunds {
		if r.key == key {
			return r.total, true
		}
	}
	return chargedesk.Amount{}, false
}

// subscription is a subscription as the platform keeps it.
type subscription struct {
	seen        time.Time // its last action
	id          string
	customerID  string
	status      chargedesk.SubscriptionStatus
	periodStart time.Time
	periodEnd   time.Time
	quantity    int
	plans       []chargedesk.Plan
}

// payLink is a page where a customer pays a charge.
type payLink struct {
	seen     time.Time // when it was made
	id       string
	chargeID string
	amount   chargedesk.Amount
	currency string
	label    string
	paid     bool
}

// newLedger returns an empty platform whose pay links start with payBase
// ("http://127.0.0.1:8080/pay/").
func newLedger(payBase string, now func() time.Time) *ledger {
	return &ledger{
		now:     now,
		payBase: payBase,
		charges: map[string]chargeRow{},
		subs:    map[string]*subscription{},
		links:   map[string]*payLink{},

		retention: defaultRetention,
	}
}

// expire forgets the objects idle for longer than the retention, and
// returns the time now: O(1) amortized, and memory bounded by the actions
// of one retention. Call with l.mu held.
func (l *ledger) expire() time.Time {
	now := l.now()
	for l.head < len(l.touches) && now.Sub(l.touches[l.head].at) > l.retention {
		t := l.touches[l.head]
		l.touches[l.head] = touch{}
		l.head++
		switch t.kind {
		case 'c':
			if r, ok := l.charges[t.id]; ok && !r.seen.After(t.at) {
				delete(l.charges, t.id)
			}
		case 's':
			if s, ok := l.subs[t.id]; ok && !s.seen.After(t.at) {
				delete(l.subs, t.id)
			}
		case 'l':
			if p, ok := l.links[t.id]; ok && !p.seen.After(t.at) {
				delete(l.links, t.id)
			}
		}
	}
	if l.head > len(l.touches)/2 {
		l.touches = append(l.touches[:0], l.touches[l.head:]...)
		l.head = 0
	}
	return now
}

// touch records an action at now on an object, named by the id the ledger
// keeps it under: a payload's copy of the id would stay alive as long as
// the record. Call with l.mu held.
func (l *ledger) touch(kind byte, id string, now time.Time) {
	l.touches = append(l.touches, touch{kind, id, now})
}

// chargeOf returns the platform's charge for the payload's, taking the
// payload's copy the first time, and records the action. The caller
// stores the charge back (keep) once it is done with it, changed or not.
// Call with l.mu held.
func (l *ledger) chargeOf(p *chargedesk.Charge) (*charge, error) {
	now := l.expire()
	var c *charge
	if r, ok := l.charges[p.ChargeID]; ok {
		var err error
		if c, err = r.charge(); err != nil {
			return nil, err
		}
	} else {
		c = adopted(p)
	}
	c.seen = now
	l.touch('c', c.id, now)
	return c, nil
}

// keep stores the charge's state. Call with l.mu held.
func (l *ledger) keep(c *charge) {
	l.charges[c.id] = c.row()
}

// adopted is the payload's charge, as the platform takes it on first sight.
func adopted(p *chargedesk.Charge) *charge {
	c := &charge{
		id:            strings.Clone(p.ChargeID), // kept for as long as the charge
		transactionID: p.TransactionID,
		customerID:    p.CustomerID,
		currency:      strings.ToUpper(p.Currency),
		amount:        p.Amount,
		refunded:      p.AmountRefunded,
		status:        p.Status,
		description:   p.Description,
		metadata:      metadataOf(p.Metadata),
	}
	if c.status == "" {
		c.status = chargedesk.ChargeRefunded(c.amount, c.refunded).Status
	}
	return c
}

// subscriptionOf is chargeOf for subscriptions.
func (l *ledger) subscriptionOf(p *chargedesk.Subscription) *subscription {
	now := l.expire()
	if s, ok := l.subs[p.SubscriptionID]; ok {
		s.seen = now
		l.touch('s', s.id, now)
		return s
	}
	s := &subscription{
		id:          p.SubscriptionID,
		customerID:  p.CustomerID,
		status:      p.Status,
		periodStart: p.CurrentPeriodStart,
		periodEnd:   p.CurrentPeriodEnd,
		quantity:    p.Quantity,
	}
	if s.status == "" {
		s.status = chargedesk.SubscriptionStatusActive
	}
	if p.ProductID != "" {
		s.plans = []chargedesk.Plan{{ProductID: p.ProductID, Quantity: max(p.Quantity, 1)}}
	}
	s.seen = now
	l.subs[s.id] = s
	l.touch('s', s.id, now)
	return s
}

// update is the charge's state as an answer to ChargeDesk.
func (c *charge) update() *chargedesk.ChargeUpdate {
	var u *chargedesk.ChargeUpdate
	switch c.status {
	case chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded, chargedesk.ChargeStatusRefunded:
		u = chargedesk.ChargeRefunded(c.amount, c.refunded)
	default:
		refunded := c.refunded
		u = &chargedesk.ChargeUpdate{Status: c.status, AmountRefunded: &refunded}
	}
	u.PayLink = c.payLink
	return u
}

// update is the subscription's state as an answer to ChargeDesk.
func (s *subscription) update() *chargedesk.SubscriptionUpdate {
	u := &chargedesk.SubscriptionUpdate{Status: s.status}
	if s.quantity > 0 {
		q := s.quantity
		u.Quantity = &q
	}
	return u
}

// refundable refuses a charge the platform cannot refund.
func (c *charge) refundable(currency string) error {
	if !strings.EqualFold(currency, c.currency) {
		return chargedesk.AgentErrorf("On the payment platform this charge is in %s, not %s.", c.currency, strings.ToUpper(currency))
	}
	switch c.status {
	case chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded, chargedesk.ChargeStatusRefunded:
		return nil
	case chargedesk.ChargeStatusAuthorized:
		return chargedesk.AgentErrorf("This charge is only authorized, not paid: void it instead of refunding it.")
	}
	return chargedesk.AgentErrorf("On the payment platform this charge is %s; only a paid charge can be refunded.", c.status)
}

// remaining is what is left to refund.
func (c *charge) remaining() (chargedesk.Amount, error) {
	return c.amount.Sub(c.refunded)
}

// refund refunds amount, which must not be more than remains.
func (c *charge) refund(amount chargedesk.Amount) error {
	remaining, err := c.remaining()
	if err != nil {
		return err
	}
	if amount.Cmp(remaining) > 0 {
		return &chargedesk.AgentError{Message: msgRefundTooLarge}
	}
	total, err := c.refunded.Add(amount)
	if err != nil {
		return err
	}
	c.refunded = total
	c.status = chargedesk.ChargeRefunded(c.amount, c.refunded).Status
	return nil
}

// Refund refunds part or all of a paid charge, never more than remains on
// the platform.
func (l *ledger) Refund(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.chargeOf(req.Charge)
	if err != nil {
		return nil, err
	}
	defer l.keep(c)
	// The idempotency key fences a repeat the duplicate guard cannot see
	// (after its window, or through another instance): a real platform
	// takes it with the refund call (Stripe's Idempotency-Key) and answers
	// the first result again.
	key := chargedesk.IdempotencyKey(ctx)
	if done, ok := c.refundedUnder(key); ok && key != "" {
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Bool("platform_idempotent_replay", true) })
		return &chargedesk.Response{Charge: chargedesk.ChargeRefunded(c.amount, done)}, nil
	}
	if err := c.refundable(req.Charge.Currency); err != nil {
		return nil, err
	}
	if err := c.refund(req.RefundAmount); err != nil {
		return nil, err
	}
	if key != "" {
		c.refunds = append(c.refunds, keyedRefund{key, c.refunded})
	}
	l.pushed(c)
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
		return c2.Str("platform_total_refunded", c.refunded.String()).Str("platform_status", string(c.status))
	})
	return &chargedesk.Response{Charge: c.update()}, nil
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
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.chargeOf(p)
	if err != nil {
		return nil, err
	}
	defer l.keep(c)
	if c.status != chargedesk.ChargeStatusAuthorized {
		return nil, chargedesk.AgentErrorf("Only an authorized charge can be %s; on the payment platform this charge is %s.", verb, c.status)
	}
	c.status = status
	l.pushed(c)
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Str("platform_status", string(status)) })
	return &chargedesk.Response{Charge: c.update()}, nil
}

// Cancel cancels at once (with no, a pro-rated or a full refund of the
// charge sent), at the end of the period, or suspends.
func (l *ledger) Cancel(ctx context.Context, req *chargedesk.CancelRequest) (*chargedesk.Response, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subscriptionOf(req.Subscription)
	next, err := cancelTransition(s.status, req.Action)
	if err != nil {
		return nil, err
	}
	resp := &chargedesk.Response{}
	var refunded *charge
	if req.Refund != chargedesk.RefundNone && req.Refund != "" {
		if req.Action != chargedesk.CancelImmediately {
			return nil, chargedesk.AgentErrorf("A refund can only come with an immediate cancellation, not with %s.", req.Action)
		}
		c, err := l.chargeOf(req.Charge)
		if err != nil {
			return nil, err
		}
		defer l.keep(c)
		if err := c.refundable(req.Charge.Currency); err != nil {
			return nil, err
		}
		amount, note, err := l.cancelRefund(c, s, req.Refund)
		if err != nil {
			return nil, err
		}
		if err := c.refund(amount); err != nil {
			return nil, err
		}
		refunded = c
		resp.Charge = c.update()
		if note != "" {
			c.metadata.set("refund_proration", note)
			resp.Charge.Metadata = c.metadata.asMap()
		}
		logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
			return c2.Str("platform_refunded", amount.String()).Str("platform_total_refunded", c.refunded.String())
		})
	}
	s.status = next
	l.pushed(s)
	if refunded != nil {
		l.pushed(refunded)
	}
	resp.Subscription = s.update()
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Str("platform_subscription_status", string(next)) })
	return resp, nil
}

// cancelTransition returns the status a cancel action leads to from status,
// or the refusal.
func cancelTransition(status chargedesk.SubscriptionStatus, action chargedesk.CancelAction) (chargedesk.SubscriptionStatus, error) {
	if status == chargedesk.SubscriptionStatusCanceled {
		return "", chargedesk.AgentErrorf("This subscription is already canceled on the payment platform.")
	}
	switch action {
	case chargedesk.CancelAtPeriodEnd:
		if status == chargedesk.SubscriptionStatusPendingCancel {
			return "", chargedesk.AgentErrorf("This subscription is already set to cancel at the end of its period.")
		}
		return chargedesk.SubscriptionStatusPendingCancel, nil
	case chargedesk.CancelSuspend:
		if status == chargedesk.SubscriptionStatusSuspended {
			return "", chargedesk.AgentErrorf("This subscription is already suspended.")
		}
		return chargedesk.SubscriptionStatusSuspended, nil
	default: // cancel, cancel-immediately
		return chargedesk.SubscriptionStatusCanceled, nil
	}
}

// cancelRefund returns what to refund of c when s is canceled now: all
// that remains (full), or the pro-rated part of the charge for the unused
// rest of the period, capped at what remains (partial), with a note that
// says how it was computed.
func (l *ledger) cancelRefund(c *charge, s *subscription, mode chargedesk.RefundMode) (chargedesk.Amount, string, error) {
	remaining, err := c.remaining()
	if err != nil {
		return chargedesk.Amount{}, "", err
	}
	if mode == chargedesk.RefundFull {
		return remaining, "", nil
	}
	p, err := prorate(c.amount, c.currency, s.periodStart, s.periodEnd, l.now())
	if err != nil {
		return chargedesk.Amount{}, "", err
	}
	amount := p.amount
	note := fmt.Sprintf("Pro-rated refund of %s %s: %s %s × %d/%d of the period unused, rounded down to %s.",
		amount, c.currency, c.amount, c.currency, p.unused, p.total, p.unit)
	if amount.Cmp(remaining) > 0 {
		amount = remaining
		note += fmt.Sprintf(" Only %s %s remained, so that was refunded.", remaining, c.currency)
	}
	return amount, note, nil
}

// proration is a pro-rated refund and how it was computed.
type proration struct {
	amount        chargedesk.Amount
	unused, total int64  // seconds
	unit          string // the currency's minor unit: "0.01 USD"
}

// prorate returns amount × unused ÷ total, where total is the period
// [start, end) in seconds and unused the part of it after now (all of it
// before the period starts, none after it ends). The result is exact, then
// rounded down to the currency's minor unit, so the customer is never
// refunded a fraction of a cent more than the unused share.
func prorate(amount chargedesk.Amount, currency string, start, end, now time.Time) (proration, error) {
	total := end.Unix() - start.Unix()
	if start.IsZero() || end.IsZero() || total <= 0 {
		return proration{}, chargedesk.AgentErrorf(
			"The subscription has no current billing period on the payment platform, so a pro-rated refund cannot be computed; refund it in full or not at all.")
	}
	unused := min(max(end.Unix()-now.Unix(), 0), total)
	share, err := amount.Prorate(unused, total, currency, chargedesk.RoundDown)
	if err != nil {
		return proration{}, fmt.Errorf("prorate: %w", err)
	}
	scale, _ := chargedesk.CurrencyMinorUnits(currency) // Prorate has checked it
	unit, err := decimal.New(1, scale)
	if err != nil {
		return proration{}, fmt.Errorf("prorate: %w", err)
	}
	return proration{
		amount: share,
		unused: unused,
		total:  total,
		unit:   unit.String() + " " + strings.ToUpper(currency),
	}, nil
}

// Reactivate reactivates a suspended subscription or one pending
// cancellation.
func (l *ledger) Reactivate(ctx context.Context, req *chargedesk.ReactivateRequest) (*chargedesk.Response, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subscriptionOf(req.Subscription)
	switch s.status {
	case chargedesk.SubscriptionStatusSuspended, chargedesk.SubscriptionStatusPendingCancel:
	default:
		return nil, chargedesk.AgentErrorf(
			"Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is %s.", s.status)
	}
	s.status = chargedesk.SubscriptionStatusActive
	l.pushed(s)
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context {
		return c2.Str("platform_subscription_status", string(s.status))
	})
	return &chargedesk.Response{Subscription: s.update()}, nil
}

// EditPlans replaces the subscription's plans with the list sent.
func (l *ledger) EditPlans(ctx context.Context, req *chargedesk.EditPlansRequest) (*chargedesk.Response, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subscriptionOf(req.Subscription)
	if s.status == chargedesk.SubscriptionStatusCanceled {
		return nil, chargedesk.AgentErrorf("The plans of a canceled subscription cannot be changed.")
	}
	seen := map[string]bool{}
	items := make([]string, 0, len(req.Plans))
	for _, p := range req.Plans {
		if seen[p.ProductID] {
			return nil, chargedesk.AgentErrorf("Product %s is listed twice; list each plan once, with its quantity.", p.ProductID)
		}
		seen[p.ProductID] = true
		items = append(items, p.ProductID)
	}
	s.plans = append([]chargedesk.Plan(nil), req.Plans...)
	s.quantity = 0
	if len(s.plans) == 1 {
		s.quantity = s.plans[0].Quantity
	}
	l.pushed(s)
	u := s.update()
	u.Items = items
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Int("platform_plans", len(items)) })
	return &chargedesk.Response{Subscription: u}, nil
}

// RequestPayment answers a link to the page, served by this example, where
// the customer pays the charge. A charge keeps its link until it is paid.
func (l *ledger) RequestPayment(ctx context.Context, req *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.chargeOf(req.Charge)
	if err != nil {
		return nil, err
	}
	defer l.keep(c)
	if id := strings.TrimPrefix(c.payLink, l.payBase); c.payLink == "" || l.links[id] == nil || l.links[id].paid {
		id, err := newID()
		if err != nil {
			return nil, err
		}
		now := l.expire()
		l.links[id] = &payLink{id: id, chargeID: c.id, amount: c.amount, currency: c.currency, label: c.description,
			seen: now}
		l.touch('l', id, now)
		c.payLink = l.payBase + id
	}
	l.pushed(c)
	logFields(ctx, func(c2 zerolog.Context) zerolog.Context { return c2.Bool("platform_pay_link", c.payLink != "") })
	return &chargedesk.PaymentResponse{
		RedirectURL: c.payLink,
		Response:    chargedesk.Response{Charge: c.update()},
	}, nil
}

// link returns a copy of the pay link with id.
func (l *ledger) link(id string) (payLink, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.links[id]
	if !ok {
		return payLink{}, false
	}
	return *p, true
}

// pay records the customer's payment through the link with id: the charge
// is paid unless it already was.
func (l *ledger) pay(id string) (payLink, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.links[id]
	if !ok {
		return payLink{}, false, nil
	}
	if r, ok := l.charges[p.chargeID]; ok {
		c, err := r.charge()
		if err != nil {
			return payLink{}, true, err
		}
		switch c.status {
		case chargedesk.ChargeStatusPaid, chargedesk.ChargeStatusPartiallyRefunded, chargedesk.ChargeStatusRefunded:
		default:
			c.status = chargedesk.ChargeStatusPaid
		}
		c.payLink = ""
		l.keep(c)
		l.pushed(c)
	}
	p.paid = true
	return *p, true, nil
}

// newID returns a random, unguessable id for a pay link.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pay link id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// logFields adds the platform's fields to the webhook's one log line, through
// the request's logger, rather than writing a line of its own (and no I/O
// happens under the ledger's mutex).
func logFields(ctx context.Context, fields func(zerolog.Context) zerolog.Context) {
	zerolog.Ctx(ctx).UpdateContext(fields)
}
