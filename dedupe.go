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

// MemoryDuplicateStore is an in-process [DuplicateStore]. Use
// [NewMemoryDuplicateStore].
//
// Its memory is bounded by about two windows of traffic, and expiry costs
// O(1): keys live in two generations, the current one and the one before;
// once a window has passed since the last turn, the older generation is
// dropped whole and the current one becomes it. Each key is held as a fixed
// 32-byte digest with its expiry, whatever its length.
type MemoryDuplicateStore struct {
	mu       sync.Mutex
	now      func() time.Time
	current  map[[32]byte]int64 // digest -> expiry, unix nanoseconds
	previous map[[32]byte]int64
	period   time.Duration // the longest ttl remembered: a generation's span
	turn     time.Time     // when current was started
}

// NewMemoryDuplicateStore returns an empty MemoryDuplicateStore.
func NewMemoryDuplicateStore() *MemoryDuplicateStore {
	return &MemoryDuplicateStore{current: map[[32]byte]int64{}, now: time.Now}
}

// digest is key's fixed-size form: the bytes of a 64-character hex digest
// (the handler's keys), else the key's SHA-256.
func digest(key string) [32]byte {
	var d [32]byte
	if len(key) == 64 {
		if n, err := hex.Decode(d[:], []byte(key)); err == nil && n == 32 {
			return d
		}
	}
	return sha256.Sum256([]byte(key))
}

// rotate turns the generations when a period has passed; with s.mu held.
func (s *MemoryDuplicateStore) rotate(now time.Time) {
	if s.period <= 0 || now.Sub(s.turn) < s.period {
		return
	}
	if now.Sub(s.turn) >= 2*s.period {
		s.previous = nil // both generations have expired
	} else {
		s.previous = s.current
	}
	s.current = make(map[[32]byte]int64, len(s.previous))
	s.turn = now
}

// Seen implements [DuplicateStore].
func (s *MemoryDuplicateStore) Seen(_ context.Context, key string) (bool, error) {
	d := digest(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.rotate(now)
	exp, ok := s.current[d]
	if !ok {
		exp, ok = s.previous[d]
	}
	return ok && now.UnixNano() < exp, nil
}

// Remember implements [DuplicateStore].
func (s *MemoryDuplicateStore) Remember(_ context.Context, key string, ttl time.Duration) error {
	d := digest(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if ttl > s.period {
		s.period = ttl
	}
	if s.turn.IsZero() {
		s.turn = now
	}
	s.rotate(now)
	s.current[d] = now.Add(ttl).UnixNano()
	return nil
}

// size is how many keys the store holds, expired ones included.
func (s *MemoryDuplicateStore) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.current) + len(s.previous)
}

// identity is what makes two webhooks the same action: a list of parts,
// each written length-prefixed, so that no two different lists collide.
type identity struct {
	buf []byte
}

func (id *identity) add(parts ...string) {
	for _, p := range parts {
		id.buf = strconv.AppendInt(id.buf, int64(len(p)), 10)
		id.buf = append(id.buf, ':')
		id.buf = append(id.buf, p...)
	}
}

func (id *identity) charge(c *Charge) {
	if c != nil {
		id.add("charge", c.ChargeID)
	}
}

func (id *identity) subscription(s *Subscription) {
	if s != nil {
		id.add("subscription", s.SubscriptionID)
	}
}

// duplicateKey is the identity of an action for the duplicate guard: a
// digest of the action and what its request says identifies it.
func duplicateKey(action Action, req request) string {
	id := identity{buf: make([]byte, 0, 256)}
	id.add(string(action))
	req.identity(&id)
	sum := sha256.Sum256(id.buf)
	return hex.EncodeToString(sum[:])
}
