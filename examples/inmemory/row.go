package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// chargeRow is a charge as the ledger holds it between actions: the id it
// is kept under, when it was last acted on, and the rest in one string, as
// a database would hold a row. A charge is what a stream of new ids
// multiplies, and a string is the cheapest thing to hold on to: the garbage
// collector marks it without reading it, where a struct of strings is
// scanned on every cycle. Under the load test, that marking was most of
// what this pretend platform cost (BenchmarkRefund, docs/performance.md).
type chargeRow struct {
	id   string    // the transaction id; also the map's key and every touch's id: one copy
	seen time.Time // the charge's last action
	data string    // the other fields, written by charge.row
}

// errCorruptRow is the error of a row that charge.row did not write.
var errCorruptRow = errors.New("corrupt row")

// row encodes the charge. Its id and seen are the row's own fields.
func (c *charge) row() chargeRow {
	var buf [256]byte
	b := buf[:0]
	for _, s := range [...]string{c.chargeDeskID, c.customerID, c.currency, string(c.status),
		c.description, c.payLink} {
		b = appendStr(b, s)
	}
	b = appendAmount(b, c.amount)
	b = appendAmount(b, c.refunded)
	b = appendUvarint(b, uint64(len(c.metadata)))
	for _, p := range c.metadata {
		b = appendStr(appendStr(b, p.key), p.value)
	}
	b = appendUvarint(b, uint64(len(c.refunds)))
	for _, r := range c.refunds {
		b = appendAmount(appendStr(b, r.key), r.total)
	}
	return chargeRow{id: c.id, seen: c.seen, data: string(b)}
}

// charge decodes the row. The charge's strings are parts of the row's.
func (r chargeRow) charge() (*charge, error) {
	d := rowReader{rest: r.data}
	c := &charge{id: r.id, seen: r.seen}
	c.chargeDeskID = d.str()
	c.customerID = d.str()
	c.currency = d.str()
	c.status = chargedesk.ChargeStatus(d.str())
	c.description = d.str()
	c.payLink = d.str()
	c.amount = d.amount()
	c.refunded = d.amount()
	if n := d.count(); n > 0 {
		c.metadata = make(metadata, n)
		for i := range c.metadata {
			c.metadata[i] = metaPair{d.str(), d.str()}
		}
	}
	if n := d.count(); n > 0 {
		c.refunds = make([]keyedRefund, n)
		for i := range c.refunds {
			c.refunds[i] = keyedRefund{d.str(), d.amount()}
		}
	}
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("the platform's record of charge %s: %w", r.id, err)
	}
	return c, nil
}

// row encodes the subscription, but for its id.
func (s *subscription) row() string {
	var buf [128]byte
	b := buf[:0]
	b = appendStr(appendStr(b, s.customerID), string(s.status))
	b = appendUvarint(appendUvarint(b, unixOf(s.periodStart)), unixOf(s.periodEnd))
	b = appendUvarint(b, uint64(s.quantity))
	b = appendUvarint(b, uint64(len(s.plans)))
	for _, p := range s.plans {
		b = appendUvarint(appendStr(b, p.ProductID), uint64(p.Quantity))
	}
	return string(b)
}

// subscriptionFromRow decodes the subscription with id from its row.
func subscriptionFromRow(id, data string) (*subscription, error) {
	d := rowReader{rest: data}
	s := &subscription{id: id}
	s.customerID = d.str()
	s.status = chargedesk.SubscriptionStatus(d.str())
	s.periodStart, s.periodEnd = d.time(), d.time()
	s.quantity = d.int()
	if n := d.count(); n > 0 {
		s.plans = make([]chargedesk.Plan, n)
		for i := range s.plans {
			s.plans[i] = chargedesk.Plan{ProductID: d.str(), Quantity: d.int()}
		}
	}
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("the platform's record of subscription %s: %w", id, err)
	}
	return s, nil
}

// row encodes the pay link, but for its id.
func (p *payLink) row() string {
	var buf [128]byte
	b := appendStr(buf[:0], p.chargeID)
	b = appendAmount(b, p.amount)
	b = appendStr(appendStr(b, p.currency), p.label)
	paid := uint64(0)
	if p.paid {
		paid = 1
	}
	b = appendUvarint(appendUvarint(b, paid), unixOf(p.seen))
	return string(b)
}

// payLinkFromRow decodes the pay link with id from its row.
func payLinkFromRow(id, data string) (*payLink, error) {
	d := rowReader{rest: data}
	p := &payLink{id: id}
	p.chargeID = d.str()
	p.amount = d.amount()
	p.currency, p.label = d.str(), d.str()
	switch d.uvarint() {
	case 0:
	case 1:
		p.paid = true
	default:
		d.fail()
	}
	p.seen = d.time()
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("the platform's record of pay link %s: %w", id, err)
	}
	return p, nil
}

// unixOf is t in unix seconds, 0 for the zero time (or one before 1970,
// which no record of this platform has).
func unixOf(t time.Time) uint64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix())
}

// A row's fields are appended in order: each string as its length in
// bytes (a uvarint), then its bytes; each amount as its decimal text, which
// keeps its scale ("12.30").

func appendUvarint(b []byte, n uint64) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

func appendStr(b []byte, s string) []byte {
	return append(appendUvarint(b, uint64(len(s))), s...)
}

func appendAmount(b []byte, a chargedesk.Amount) []byte {
	return appendStr(b, a.String())
}

// rowReader reads back, in the same order, what the append functions
// wrote. After its first error it reads only zero values, and err says
// what went wrong.
type rowReader struct {
	rest string
	err  error
}

func (r *rowReader) fail() {
	if r.err == nil {
		r.err = errCorruptRow
	}
	r.rest = ""
}

func (r *rowReader) uvarint() uint64 {
	var n uint64
	for i := 0; i < len(r.rest) && i < 10; i++ {
		b := r.rest[i]
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			r.rest = r.rest[i+1:]
			return n
		}
	}
	r.fail()
	return 0
}

// count reads the length of a list, each of whose items takes at least
// two bytes.
func (r *rowReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.rest)/2) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *rowReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.rest)) {
		r.fail()
		return ""
	}
	s := r.rest[:n]
	r.rest = r.rest[n:]
	return s
}

// end reports the reader's error, or a row that goes on after its last
// field.
func (r *rowReader) end() error {
	if r.rest != "" {
		r.fail()
	}
	return r.err
}

func (r *rowReader) int() int {
	n := r.uvarint()
	if n > 1<<31 {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *rowReader) time() time.Time {
	n := r.uvarint()
	if n == 0 || n > 1<<40 {
		if n != 0 {
			r.fail()
		}
		return time.Time{}
	}
	return time.Unix(int64(n), 0).UTC()
}

func (r *rowReader) amount() chargedesk.Amount {
	text := r.str()
	if r.err != nil {
		return chargedesk.Amount{}
	}
	a, err := chargedesk.ParseAmount(text)
	if err != nil {
		r.fail()
		return chargedesk.Amount{}
	}
	return a
}
