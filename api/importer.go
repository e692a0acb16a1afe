package api

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"sync"
	"time"
)

// Record is one record for an [Importer]: an Object ("charge", "customer",
// "subscription" or "product") and its Params (*ChargeParams,
// *CustomerParams, *SubscriptionParams or *ProductParams). Line is where it
// came from (a file's line number, 0 when none); Err, when set, is why it
// could not be read, and the importer reports it as failed without sending
// anything.
type Record struct {
	Line   int
	Object string
	Params any
	Err    error
}

// Importer upserts a stream of records with bounded concurrency and rate.
// A record that fails is reported and never stops the rest. Records with
// the same id are sent one after the other in stream order, so a later
// line's data is the data ChargeDesk keeps.
type Importer struct {
	// Client sends the records; it is not needed for a DryRun.
	Client *Client
	// Concurrency is how many records are in flight at once (default 4).
	Concurrency int
	// Rate is the most records started per second (0: no limit). Keep it
	// under ChargeDesk's rate limit: a 429 is retried, but costs time.
	Rate float64
	// DryRun validates every record and sends nothing.
	DryRun bool
	// SkipLookup upserts without first reading the record, saving one
	// request per record; the summary then counts Upserted instead of
	// Created and Updated.
	SkipLookup bool
	// MaxFailures bounds the failures kept in the Summary (default 1000);
	// the rest are counted.
	MaxFailures int
	// Progress, when set, is called after each record, one call at a time.
	Progress func(Progress)
}

// Progress is an import's state after a record.
type Progress struct {
	// Done counts the records finished, failed ones included.
	Done, Created, Updated, Upserted, Valid, Failed int
	// ResumeLine is the first line not yet finished: every record before
	// it is done, so an interrupted import resumes from it.
	ResumeLine int
	Elapsed    time.Duration
}

// Summary is an import's outcome.
type Summary struct {
	Progress
	// Failures are the first MaxFailures failed records, in the order they
	// failed.
	Failures []Failure
	// Interrupted is set when the context ended the import early.
	Interrupted bool
}

// Failure is a record that was not imported.
type Failure struct {
	Line   int
	Object string
	// ID is the record's unique id, "" when it had none.
	ID  string
	Err error
}

func (f Failure) Error() string {
	where := ""
	if f.Line > 0 {
		where = fmt.Sprintf("line %d: ", f.Line)
	}
	if f.Object != "" {
		where += f.Object
		if f.ID != "" {
			where += " " + f.ID
		}
		where += ": "
	}
	return where + f.Err.Error()
}

// outcome is what became of one record.
type outcome int

const (
	created outcome = iota
	updated
	upserted
	valid
	failed
	canceled // the context ended it: not done
)

// Run imports records until the stream ends or ctx is done, and returns
// the summary. Its error is non-nil only when the import could not run
// (no Client); failed records are in the summary.
func (im *Importer) Run(ctx context.Context, records iter.Seq[Record]) (*Summary, error) {
	if im.Client == nil && !im.DryRun {
		return nil, errors.New("chargedesk api: an Importer needs a Client")
	}
	workers := im.Concurrency
	if workers <= 0 {
		workers = 4
	}
	r := &run{im: im, start: time.Now(), inflight: map[int]bool{}, byKey: map[string]chan struct{}{}}
	r.summary.ResumeLine = 1
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				r.finish(j, im.process(ctx, j.rec))
			}
		})
	}
	pace := newPacer(im.Rate)
	for rec := range records {
		if ctx.Err() != nil {
			break
		}
		key := recordKey(rec)
		r.begin(rec.Line)
		// A record waits for one with the same id still in flight.
		if wait := r.claim(key); wait != nil {
			select {
			case <-wait:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break // not begun: the resume line stays at or before it
			}
			r.claim(key) // the earlier one is done: only this loop claims
		}
		if err := pace.wait(ctx); err != nil {
			r.finish(job{rec: rec, key: key}, canceledResult(err))
			break
		}
		jobs <- job{rec: rec, key: key}
	}
	close(jobs)
	wg.Wait()
	r.summary.Interrupted = ctx.Err() != nil
	r.summary.Elapsed = time.Since(r.start)
	return &r.summary, nil
}

type job struct {
	rec Record
	key string
}

type result struct {
	outcome outcome
	err     error
}

func canceledResult(err error) result { return result{outcome: canceled, err: err} }

// run is the state of one Run.
type run struct {
	im    *Importer
	start time.Time

	mu       sync.Mutex
	summary  Summary
	inflight map[int]bool // lines begun and not finished
	lastLine int
	byKey    map[string]chan struct{} // ids in flight, closed when done
}

func (r *run) begin(line int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight[line] = true
	r.lastLine = max(r.lastLine, line)
}

// claim takes key for a record about to start, or returns the channel to
// wait on while another record with the key is in flight.
func (r *run) claim(key string) <-chan struct{} {
	if key == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, busy := r.byKey[key]; busy {
		return ch
	}
	r.byKey[key] = make(chan struct{})
	return nil
}

func (r *run) finish(j job, res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.byKey[j.key]; ok && j.key != "" {
		close(ch)
		delete(r.byKey, j.key)
	}
	s := &r.summary
	if res.outcome != canceled {
		delete(r.inflight, j.rec.Line)
		s.Done++
	}
	switch res.outcome {
	case created:
		s.Created++
	case updated:
		s.Updated++
	case upserted:
		s.Upserted++
	case valid:
		s.Valid++
	case failed:
		s.Failed++
		limit := r.im.MaxFailures
		if limit <= 0 {
			limit = 1000
		}
		if len(s.Failures) < limit {
			obj, id := describeRecord(j.rec)
			s.Failures = append(s.Failures, Failure{Line: j.rec.Line, Object: obj, ID: id, Err: res.err})
		}
	}
	s.ResumeLine = r.lastLine + 1
	for line := range r.inflight {
		s.ResumeLine = min(s.ResumeLine, line)
	}
	s.Elapsed = time.Since(r.start)
	if r.im.Progress != nil {
		r.im.Progress(s.Progress)
	}
}

// process validates and sends one record.
func (im *Importer) process(ctx context.Context, rec Record) result {
	if rec.Err != nil {
		return result{outcome: failed, err: rec.Err}
	}
	if err := validateRecord(rec); err != nil {
		return result{outcome: failed, err: err}
	}
	if im.DryRun {
		return result{outcome: valid}
	}
	if err := ctx.Err(); err != nil {
		return canceledResult(err)
	}
	isNew := false
	if !im.SkipLookup {
		exists, err := im.exists(ctx, rec)
		if err != nil {
			if ctx.Err() != nil {
				return canceledResult(err)
			}
			return result{outcome: failed, err: fmt.Errorf("looking it up: %w", err)}
		}
		isNew = !exists
	}
	if err := im.upsert(ctx, rec); err != nil {
		if ctx.Err() != nil {
			return canceledResult(err)
		}
		return result{outcome: failed, err: err}
	}
	switch {
	case im.SkipLookup:
		return result{outcome: upserted}
	case isNew:
		return result{outcome: created}
	}
	return result{outcome: updated}
}

func validateRecord(rec Record) error {
	switch p := rec.Params.(type) {
	case *ChargeParams:
		return validate(p, "upsert")
	case *CustomerParams:
		return validate(p, "upsert")
	case *SubscriptionParams:
		return validate(p, "upsert")
	case *ProductParams:
		return validate(p, "upsert")
	}
	return fmt.Errorf("chargedesk api: cannot import a %T (object %q)", rec.Params, rec.Object)
}

func (im *Importer) upsert(ctx context.Context, rec Record) error {
	// The record ChargeDesk answers is not needed: it is not decoded.
	var c call
	switch p := rec.Params.(type) {
	case *ChargeParams:
		c = call{path: "/charges", params: p}
	case *CustomerParams:
		c = call{path: "/customers", params: p}
	case *SubscriptionParams:
		c = call{path: "/subscriptions", params: p}
	case *ProductParams:
		c = call{path: "/products", params: p}
	}
	c.method, c.extra, c.safe = http.MethodPost, upsert, true
	return im.Client.b.do(ctx, c, nil)
}

// exists reports whether ChargeDesk holds the record already: a charge by
// its transaction_id filter, the others by their id.
func (im *Importer) exists(ctx context.Context, rec Record) (bool, error) {
	c := im.Client
	var err error
	switch p := rec.Params.(type) {
	case *ChargeParams:
		for _, err := range c.Charges.List(ctx, &ChargeListParams{ListParams: ListParams{Count: 1}, TransactionID: p.TransactionID}) {
			return err == nil, err
		}
		return false, nil
	case *CustomerParams:
		_, err = c.Customers.Get(ctx, p.CustomerID)
	case *SubscriptionParams:
		_, err = c.Subscriptions.Get(ctx, p.SubscriptionID)
	case *ProductParams:
		_, err = c.Products.Get(ctx, p.ProductID)
	}
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

// describeRecord returns a record's object and unique id, for reports.
func describeRecord(rec Record) (object, id string) {
	switch p := rec.Params.(type) {
	case *ChargeParams:
		return "charge", p.TransactionID
	case *CustomerParams:
		return "customer", p.CustomerID
	case *SubscriptionParams:
		return "subscription", p.SubscriptionID
	case *ProductParams:
		return "product", p.ProductID
	}
	return rec.Object, ""
}

// recordKey is the key that orders records with the same id.
func recordKey(rec Record) string {
	obj, id := describeRecord(rec)
	if id == "" || rec.Err != nil {
		return ""
	}
	return obj + "\x00" + id
}

// pacer starts at most rate records a second.
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{every: time.Duration(float64(time.Second) / rate)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.every == 0 {
		return ctx.Err()
	}
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(p.every)
	if d <= 0 {
		return ctx.Err()
	}
	return sleepContext(ctx, d)
}
