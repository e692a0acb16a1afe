package chargedesk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// DuplicateStore remembers the actions that succeeded recently, so that an
// identical action arriving within the window (a double click, two agents
// on one ticket) is answered 409 instead of performed twice. Keys are
// opaque digests of an action's identity: the action, its object ids, its
// amount, refund mode, plans and the agent's reason.
//
// The default, [NewMemoryDuplicateStore], serves one process; a deployment
// with several instances needs one they share. The handler consults it while
// holding the objects' locks, so Seen and Remember of one key never race.
// An error from Seen answers 503 without calling the Gateway; an error from
// Remember is logged, and the action, already performed, still answers 200.
type DuplicateStore interface {
	// Seen reports whether key was remembered and has not expired.
	Seen(ctx context.Context, key string) (bool, error)
	// Remember records key for ttl.
	Remember(ctx context.Context, key string, ttl time.Duration) error
}

// MemoryDuplicateStore is an in-process [DuplicateStore]. Expired keys are
// dropped as new ones arrive. Use [NewMemoryDuplicateStore].
type MemoryDuplicateStore struct {
	mu      sync.Mutex
	expires map[string]time.Time
	now     func() time.Time
	sweep   time.Time
}

// NewMemoryDuplicateStore returns an empty MemoryDuplicateStore.
func NewMemoryDuplicateStore() *MemoryDuplicateStore {
	return &MemoryDuplicateStore{expires: map[string]time.Time{}, now: time.Now}
}

// Seen implements [DuplicateStore].
func (s *MemoryDuplicateStore) Seen(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.expires[key]
	return ok && s.now().Before(exp), nil
}

// Remember implements [DuplicateStore].
func (s *MemoryDuplicateStore) Remember(_ context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.After(s.sweep) {
		for k, exp := range s.expires {
			if !now.Before(exp) {
				delete(s.expires, k)
			}
		}
		s.sweep = now.Add(ttl)
	}
	s.expires[key] = now.Add(ttl)
	return nil
}

// duplicateKey is the identity of an action for the duplicate guard. Amounts
// are compared by value (12.3 and 12.30 are the same refund).
func duplicateKey(action Action, req any) string {
	parts := []string{string(action)}
	add := func(kv ...string) { parts = append(parts, kv...) }
	charge := func(c *Charge) {
		if c != nil {
			add("charge", c.ChargeID)
		}
	}
	sub := func(s *Subscription) {
		if s != nil {
			add("subscription", s.SubscriptionID)
		}
	}
	switch r := req.(type) {
	case *RefundRequest:
		charge(r.Charge)
		add("amount", r.RefundAmount.Trim(0).String(), "reason", r.ActionReason)
	case *CaptureRequest:
		charge(r.Charge)
	case *VoidRequest:
		charge(r.Charge)
	case *PaymentRequest:
		charge(r.Charge)
		add("amount", r.Charge.Amount.Trim(0).String())
	case *CancelRequest:
		sub(r.Subscription)
		charge(r.Charge)
		add("cancel", string(r.Action), "refund", string(r.Refund), "reason", r.ActionReason)
	case *ReactivateRequest:
		sub(r.Subscription)
	case *EditPlansRequest:
		sub(r.Subscription)
		for _, p := range r.Plans {
			add("plan", p.ProductID, "quantity", strconv.Itoa(p.Quantity))
		}
	}
	var buf []byte
	for _, p := range parts {
		// Length-prefixed, so no two different identities can collide.
		buf = strconv.AppendInt(buf, int64(len(p)), 10)
		buf = append(buf, ':')
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}
