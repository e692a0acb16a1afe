package apitest

import (
	"slices"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// The stored records are typed structs: their fields tagged `api` are the
// API's input fields, by name, and schema.go derives each field's kind
// (how it is read and written) from its Go type. Times are unix seconds
// and metadata a sorted list of pairs, which keeps a million records
// within a gigabyte.

// unix is a time in unix seconds; 0 is unset.
type unix int64

// ref is the id of another record (customer[id] in a form).
type ref string

// pairs is a string map (metadata) packed in one string: each key and
// value in key order, each followed by a NUL byte ("k1\x00v1\x00k2\x00v2\x00").
// One allocation instead of a map's, which a million charges notice; a
// key or value holding a NUL is refused when read.
type pairs string

// address is a billing address (line1, city, ...) packed as pairs.
type address pairs

// texts is a list of text (lines[], items[]) packed in one string, each
// item followed by a NUL byte; "" is the empty list.
type texts string

// textsOf packs l; its items hold no NUL.
func textsOf(l []string) texts {
	if len(l) == 0 {
		return ""
	}
	return texts(strings.Join(l, "\x00") + "\x00")
}

// list returns the items, nil when there are none.
func (t texts) list() []string {
	if t == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(t), "\x00"), "\x00")
}

// base is what every record has besides its fields.
type base struct {
	self    record // the record this is the base of
	id      string
	seq     int64
	created unix
	// rare holds what few records have (a log, a pay link), so that the
	// others do not pay for it.
	rare *rare
}

// rare is what few records have.
type rare struct {
	logs []logEntry
	// payLink is a payment request's pay page, set by the integration's
	// answer; it is not an API input.
	payLink string
}

// logEntry is one line of a record's log.
type logEntry struct {
	Time    int64  `json:"time"`
	Action  string `json:"action"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// record is a stored record of any resource.
type record interface {
	meta() *base
	// unique is the unique id duplicate=update matches on.
	unique() string
	// orderTime is the time its lists order by, newest first.
	orderTime() unix
	// indexKeys appends the keys of the lists the record is in besides the
	// whole list: "status\x00paid", "customer\x00cus_1", ...
	indexKeys(dst []string) []string
	// clone returns a copy whose fields can be changed without changing
	// the record (fields are replaced, never changed in place).
	clone() record
	// assign sets the record's fields from other, keeping its base.
	assign(other record)
}

func (b *base) meta() *base { return b }

// entries returns the record's log.
func (b *base) entries() []logEntry {
	if b.rare == nil {
		return nil
	}
	return b.rare.logs
}

// payLink returns a charge's pay page, "" when it has none.
func (b *base) payLink() string {
	if b.rare == nil {
		return ""
	}
	return b.rare.payLink
}

// setPayLink sets a charge's pay page.
func (b *base) setPayLink(link string) {
	if b.rare == nil {
		b.rare = &rare{}
	}
	b.rare.payLink = link
}

// log adds a line to the record's log.
func (b *base) log(at time.Time, action, message, detail string) {
	if b.rare == nil {
		b.rare = &rare{}
	}
	b.rare.logs = append(b.rare.logs, logEntry{Time: at.Unix(), Action: action, Message: message, Detail: detail})
}

func indexKey(name, value string) string { return name + "\x00" + value }

type charge struct {
	base
	TransactionID  string            `api:"transaction_id"`
	Amount         chargedesk.Amount `api:"amount"`
	Currency       string            `api:"currency"`
	Status         string            `api:"status"`
	AmountRefunded chargedesk.Amount `api:"amount_refunded"`
	Last4Digits    string            `api:"last_4_digits"`
	Description    string            `api:"description"`
	Customer       ref               `api:"customer"`
	Product        ref               `api:"product"`
	Subscription   ref               `api:"subscription"`
	Metadata       pairs             `api:"metadata"`
	Occurred       unix              `api:"occurred"`
	Lines          texts             `api:"lines"`
}

func (c *charge) unique() string { return c.TransactionID }

func (c *charge) orderTime() unix {
	if c.Occurred != 0 {
		return c.Occurred
	}
	return c.created
}

func (c *charge) indexKeys(dst []string) []string {
	dst = append(dst, indexKey("status", c.Status))
	if c.Customer != "" {
		dst = append(dst, indexKey("customer", string(c.Customer)))
	}
	if c.Subscription != "" {
		dst = append(dst, indexKey("subscription", string(c.Subscription)))
	}
	return dst
}

func (c *charge) clone() record { n := *c; return &n }

func (c *charge) assign(o record) { b := c.base; *c = *o.(*charge); c.base = b }

type customer struct {
	base
	CustomerID      string  `api:"customer_id"`
	Email           string  `api:"email"`
	Country         string  `api:"country"`
	Name            string  `api:"name"`
	Phone           string  `api:"phone"`
	Username        string  `api:"username"`
	CustomerCompany string  `api:"customer_company"`
	Website         string  `api:"website"`
	Description     string  `api:"description"`
	Delinquent      bool    `api:"delinquent"`
	CardOnFile      bool    `api:"card_on_file"`
	TaxNumber       string  `api:"tax_number"`
	BillingAddress  address `api:"billing_address"`
	InvoiceDetails  string  `api:"invoice_details"`
	Metadata        pairs   `api:"metadata"`
}

func (c *customer) unique() string                  { return c.CustomerID }
func (c *customer) orderTime() unix                 { return c.created }
func (c *customer) indexKeys(dst []string) []string { return dst }
func (c *customer) clone() record                   { n := *c; return &n }
func (c *customer) assign(o record)                 { b := c.base; *c = *o.(*customer); c.base = b }

type subscription struct {
	base
	SubscriptionID       string            `api:"subscription_id"`
	CustomerID           string            `api:"customer_id"`
	Status               string            `api:"status"`
	Amount               chargedesk.Amount `api:"amount"`
	Currency             string            `api:"currency"`
	Interval             string            `api:"interval"`
	IntervalCount        int64             `api:"interval_count"`
	Quantity             int64             `api:"quantity"`
	TrialStart           unix              `api:"trial_start"`
	TrialEnd             unix              `api:"trial_end"`
	BillingCyclesTotal   int64             `api:"billing_cycles_total"`
	BillingCyclesCurrent int64             `api:"billing_cycles_current"`
	Items                texts             `api:"items"`
	Metadata             pairs             `api:"metadata"`
}

func (s *subscription) unique() string  { return s.SubscriptionID }
func (s *subscription) orderTime() unix { return s.created }

func (s *subscription) indexKeys(dst []string) []string {
	dst = append(dst, indexKey("status", s.Status))
	if s.CustomerID != "" {
		dst = append(dst, indexKey("customer", s.CustomerID))
	}
	return dst
}

func (s *subscription) clone() record   { n := *s; return &n }
func (s *subscription) assign(o record) { b := s.base; *s = *o.(*subscription); s.base = b }

type product struct {
	base
	ProductID          string            `api:"product_id"`
	Name               string            `api:"name"`
	Description        string            `api:"description"`
	URL                string            `api:"url"`
	Amount             chargedesk.Amount `api:"amount"`
	Currency           string            `api:"currency"`
	Interval           string            `api:"interval"`
	TrialPeriodDays    int64             `api:"trial_period_days"`
	BillingCyclesTotal int64             `api:"billing_cycles_total"`
	SetupAmount        chargedesk.Amount `api:"setup_amount"`
	Chargeable         bool              `api:"chargeable"`
}

func (p *product) unique() string                  { return p.ProductID }
func (p *product) orderTime() unix                 { return p.created }
func (p *product) indexKeys(dst []string) []string { return dst }
func (p *product) clone() record                   { n := *p; return &n }
func (p *product) assign(o record)                 { b := p.base; *p = *o.(*product); p.base = b }

// each calls f with each key and value of p, in key order.
func (p pairs) each(f func(k, v string)) {
	rest := string(p)
	for rest != "" {
		k, after, _ := strings.Cut(rest, "\x00")
		v, after2, _ := strings.Cut(after, "\x00")
		f(k, v)
		rest = after2
	}
}

// toMap returns p as a map, nil when p is empty.
func (p pairs) toMap() map[string]string {
	if p == "" {
		return nil
	}
	m := map[string]string{}
	p.each(func(k, v string) { m[k] = v })
	return m
}

// pairsOf packs m; its keys and values hold no NUL.
func pairsOf(m map[string]string) pairs {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	size := 0
	for k, v := range m {
		keys = append(keys, k)
		size += len(k) + len(v) + 2
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return pairs(b.String())
}
