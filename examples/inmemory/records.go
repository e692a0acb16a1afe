package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"

	"github.com/chargedesk/chargedesk-go"
)

// The platform's records and their rules: what a charge, a subscription
// and a pay link are, and what each action may do to them. ledger.go
// applies them through the book.

// msgRefundTooLarge is ChargeDesk's own wording for a refund of more than
// remains on the charge.
const msgRefundTooLarge = "Refund amount was greater than amount remaining on charge."

// charge is a charge as the platform knows it, while an action works on
// it: between actions the book holds it as a chargeRow.
type charge struct {
	seen         time.Time     // its last action (in the memory book)
	refunds      []keyedRefund // by idempotency key: few per charge, so a list is smallest
	id           string        // the platform's id: ChargeDesk's transaction_id
	chargeDeskID string        // ChargeDesk's id for it, charge_id, as last sent
	customerID   string
	currency     string
	amount       chargedesk.Amount
	refunded     chargedesk.Amount
	status       chargedesk.ChargeStatus
	description  string
	metadata     metadata
	payLink      string
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
	seen        time.Time // its last action (in the memory book)
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
	seen     time.Time // its last change
	id       string
	chargeID string // the charge's transaction id
	amount   chargedesk.Amount
	currency string
	label    string
	paid     bool
}

// adopted is the payload's charge, as the platform takes it on first sight.
func adopted(p *chargedesk.Charge) *charge {
	c := &charge{
		id:           strings.Clone(p.TransactionID), // kept for as long as the charge
		chargeDeskID: p.ChargeID,
		customerID:   p.CustomerID,
		currency:     strings.ToUpper(p.Currency),
		amount:       p.Amount,
		refunded:     p.AmountRefunded,
		status:       p.Status,
		description:  p.Description,
		metadata:     metadataOf(p.Metadata),
	}
	if c.status == "" {
		c.status = chargedesk.ChargeRefunded(c.amount, c.refunded).Status
	}
	return c
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

// newID returns a random, unguessable id for a pay link.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pay link id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// adoptedSubscription is the payload's subscription, as the platform takes
// it on first sight.
func adoptedSubscription(p *chargedesk.Subscription) *subscription {
	s := &subscription{
		id:          strings.Clone(p.SubscriptionID),
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
	return s
}
