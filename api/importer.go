package api

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
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

// Importer upserts a stream of records, one request a record (a create
// with duplicate=update), as fast as ChargeDesk answers without strain.
//
// How many records are in flight adapts: it starts at 4 and grows while
// the API's latency stays flat and no 429 arrives, and backs off on a 429
// (every request then waits for its Retry-After, and requests are paced
// just under the rate ChargeDesk accepted), on a 502, 503 or 504, or on
// latency rising to twice its unloaded level; it stays within MaxInFlight
// and Rate. Records with the same id are sent one after the other in
// stream order, so a later line's data is the data ChargeDesk keeps.
//
// A record that fails is reported and the rest go on, except when going
// on is pointless: a 401 or 403 (the key is refused), a 404 (the URL is
// not ChargeDesk's API), a redirect, or the API unreachable after the
// client's retries end the import at once with a [*StopError]; and
// MaxFailures failed records end it with [ErrTooManyFailures].
type Importer struct {
	// Client sends the records; it is not needed for a DryRun. Its pool of
	// idle connections should hold MaxInFlight (see [WithConnections]).
	Client *Client
	// Concurrency, when more than 0, fixes how many records are in flight
	// instead of adapting it. 429s still pause and pace the import.
	Concurrency int
	// MaxInFlight bounds the adaptive in-flight count (default
	// [DefaultMaxInFlight]); it is ignored when Concurrency is set.
	MaxInFlight int
	// Rate is the most requests started per second, retries included (0:
	// no limit). After a 429 the importer paces itself below ChargeDesk's
	// limit on its own; Rate keeps it under a limit of yours.
	Rate float64
	// DryRun validates every record and sends nothing.
	DryRun bool
	// MaxFailures ends the import once this many records have failed (0:
	// never); records in flight then finish.
	MaxFailures int
	// FailuresKept bounds the failures kept in the Summary (default 1000):
	// the first by line; the rest are counted.
	FailuresKept int
	// Progress, when set, is called after each record, one call at a time.
	Progress func(Progress)

	// now and sleep are the clock, injected in tests (default time.Now
	// and a timer).
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// Progress is an import's state after a record.
type Progress struct {
	// Done counts the records finished, failed ones included.
	Done int
	// Upserted counts the records ChargeDesk accepted (created or updated:
	// its answer does not say which).
	Upserted int
	// Valid counts the records a DryRun found valid.
	Valid int
	// Failed counts the records that were not imported.
	Failed int
	// ResumeLine is the first line not yet finished: every record before
	// it is done, so an interrupted import resumes from it.
	ResumeLine int
	Elapsed    time.Duration
	// InFlight is the in-flight limit in force.
	InFlight int
	// Pace is the rate, in requests a second, the importer holds itself to
	// (after a 429, or Rate); 0 when it is not paced.
	Pace float64
}

// Summary is an import's outcome.
type Summary struct {
	Progress
	// Failures are the first FailuresKept failed records, in line order.
	Failures []Failure
	// Interrupted is set when the context ended the import early.
	Interrupted bool
	// Stopped is why the import ended before its stream did: a *StopError,
	// or ErrTooManyFailures (wrapped); nil when it ran to the end or was
	// interrupted.
	Stopped error
}

// ErrTooManyFailures is Summary.Stopped (wrapped, with the count) when
// Importer.MaxFailures records failed.
var ErrTooManyFailures = errors.New("chargedesk api: too many failed records")

// StopKind is why ChargeDesk's answer made an import pointless.
type StopKind int

const (
	// StopAuth is a 401 or 403: ChargeDesk refused the API key.
	StopAuth StopKind = iota + 1
	// StopNotFound is a 404 on an upsert: the base URL does not lead to
	// ChargeDesk's API, since the create endpoints always exist.
	StopNotFound
	// StopRedirect is a 3xx answer, which the client never follows.
	StopRedirect
	// StopUnreachable is a request that got no answer after the client's
	// retries: the host is down, unknown or refusing connections.
	StopUnreachable
)

// StopError ends an import when no other record could succeed. Err is the
// answer or connection error that showed it.
type StopError struct {
	Kind StopKind
	Err  error
}

func (e *StopError) Error() string {
	what := map[StopKind]string{
		StopAuth:        "ChargeDesk refused the API key",
		StopNotFound:    "the API URL does not lead to ChargeDesk's API",
		StopRedirect:    "ChargeDesk's API answered with a redirect",
		StopUnreachable: "ChargeDesk's API could not be reached",
	}[e.Kind]
	return "chargedesk api: import stopped: " + what + ": " + e.Err.Error()
}

func (e *StopError) Unwrap() error { return e.Err }

// stopFor returns the *StopError err calls for, or nil when err concerns
// the record alone.
func stopFor(err error) *StopError {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		switch s := apiErr.StatusCode; {
		case s == http.StatusUnauthorized || s == http.StatusForbidden:
			return &StopError{Kind: StopAuth, Err: err}
		case s == http.StatusNotFound:
			return &StopError{Kind: StopNotFound, Err: err}
		case s >= 300 && s < 400:
			return &StopError{Kind: StopRedirect, Err: err}
		}
		return nil
	}
	var te *transportError
	if errors.As(err, &te) {
		return &StopError{Kind: StopUnreachable, Err: err}
	}
	return nil
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
	upserted outcome = iota
	valid
	failed
	canceled // the context or a stop ended it: not done
)

// Run imports records until the stream ends, ctx is done or the import
// stops, and returns the summary. Its error is non-nil only when the import
// could not run (no Client); failed records and the reason it stopped are
// in the summary.
func (im *Importer) Run(ctx context.Context, records iter.Seq[Record]) (*Summary, error) {
	if im.Client == nil && !im.DryRun {
		return nil, errors.New("chargedesk api: an Importer needs a Client")
	}
	now, sleep := im.now, im.sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctrl := newController(controllerConfig{fixed: im.Concurrency, max: im.MaxInFlight, rate: im.Rate}, now, sleep)
	r := &run{im: im, now: now, start: now(), ctrl: ctrl, ctx: runCtx, cancel: cancel, byKey: map[string][]chan struct{}{}}
	r.next, r.stopPull = iter.Pull(records)
	r.summary.ResumeLine = 1

	if im.DryRun {
		for {
			if _, ok := r.pull(); !ok {
				break
			}
		}
	} else {
		hooks := ctrl.hooks()
		var wg sync.WaitGroup
		for range ctrl.max { // the most the controller lets in flight
			wg.Go(func() { r.work(runCtx, hooks) })
		}
		wg.Wait()
	}
	r.stopPull()
	s := &r.summary
	s.Interrupted = ctx.Err() != nil
	s.Elapsed = now().Sub(r.start)
	s.InFlight, s.Pace = ctrl.state()
	return s, nil
}

type job struct {
	rec Record
	key string
	// turn, when not nil, closes when the records with the same id before
	// this one are done.
	turn <-chan struct{}
}

type result struct {
	outcome outcome
	err     error
}

// check validates a record; ok is the outcome when it is valid.
func check(rec Record, ok outcome) result {
	if rec.Err != nil {
		return result{outcome: failed, err: rec.Err}
	}
	if err := validateRecord(rec); err != nil {
		return result{outcome: failed, err: err}
	}
	return result{outcome: ok}
}

// send upserts one valid record.
func (im *Importer) send(ctx context.Context, rec Record, hooks *attemptHooks) result {
	c := call{method: http.MethodPost, safe: true, hooks: hooks}
	switch rec.Params.(type) {
	case *ChargeParams:
		c.path = "/charges"
	case *CustomerParams:
		c.path = "/customers"
	case *SubscriptionParams:
		c.path = "/subscriptions"
	case *ProductParams:
		c.path = "/products"
	}
	encoded, err := appendForm(rec.Params, upsert)
	if err != nil {
		return result{outcome: failed, err: err}
	}
	c.encoded = encoded
	// The record ChargeDesk answers is not needed: it is not decoded.
	if err := im.Client.b.do(ctx, c, nil); err != nil {
		if ctx.Err() != nil {
			return result{outcome: canceled, err: err}
		}
		return result{outcome: failed, err: err}
	}
	return result{outcome: upserted}
}

// run is the state of one Run.
type run struct {
	im     *Importer
	now    func() time.Time
	start  time.Time
	ctrl   *controller
	ctx    context.Context // the import's: cancelled when it stops
	cancel context.CancelFunc

	// pullMu makes pulling a record, beginning it and claiming its id one
	// step, so that records begin and claim in stream order.
	pullMu   sync.Mutex
	next     func() (Record, bool)
	stopPull func()
	ended    bool

	mu      sync.Mutex
	summary Summary
	begun   []begunLine // lines begun, in order, from the first not finished
	last    int         // the last line begun
	// byKey holds, for each id in flight, the records waiting to send it,
	// in stream order; each waits for its channel to close.
	byKey map[string][]chan struct{}
}

// work sends records until there are none left or the import stops: it
// takes a slot under the in-flight limit, pulls the next record, waits for
// the records of the same id before it, and sends it.
func (r *run) work(ctx context.Context, hooks *attemptHooks) {
	for {
		if err := r.ctrl.acquire(ctx); err != nil {
			return
		}
		j, ok := r.pull()
		if !ok {
			r.ctrl.release()
			return
		}
		if j.turn != nil {
			select {
			case <-j.turn:
			case <-ctx.Done():
			}
		}
		res := result{outcome: canceled, err: ctx.Err()}
		if ctx.Err() == nil {
			res = r.im.send(ctx, j.rec, hooks)
		}
		r.ctrl.release()
		r.finish(j, res)
	}
}

// pull returns the next record to send, begun and with its id claimed; a
// record that cannot be sent (or any, in a dry run) is finished on the
// way. It reports false at the end of the stream or when the import
// stops.
func (r *run) pull() (job, bool) {
	r.pullMu.Lock()
	defer r.pullMu.Unlock()
	for !r.ended && r.ctx.Err() == nil && !r.stopped() {
		rec, ok := r.next()
		if !ok {
			r.ended = true
			break
		}
		r.begin(rec.Line)
		// A record that cannot be sent fails here, in line order, so that
		// MaxFailures counts it before the next record starts.
		if res := check(rec, valid); r.im.DryRun || res.outcome == failed {
			r.finish(job{rec: rec}, res)
			continue
		}
		j := job{rec: rec, key: recordKey(rec)}
		j.turn = r.claim(j.key)
		return j, true
	}
	return job{}, false
}

type begunLine struct {
	line int
	done bool
}

func (r *run) begin(line int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = append(r.begun, begunLine{line: line})
	r.last = max(r.last, line)
}

func (r *run) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summary.Stopped != nil
}

// claim takes key for a record about to start: nil when no record with the
// key is in flight, else a channel that closes when the records with the
// key before this one are done.
func (r *run) claim(key string) <-chan struct{} {
	if key == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	queue, busy := r.byKey[key]
	if !busy {
		r.byKey[key] = nil
		return nil
	}
	turn := make(chan struct{})
	r.byKey[key] = append(queue, turn)
	return turn
}

// release hands key to the next record waiting for it, if any.
func (r *run) release(key string) {
	if key == "" {
		return
	}
	queue, ok := r.byKey[key]
	switch {
	case !ok:
	case len(queue) == 0:
		delete(r.byKey, key)
	default:
		close(queue[0])
		r.byKey[key] = queue[1:]
	}
}

func (r *run) finish(j job, res result) {
	var stop *StopError
	if res.outcome == failed && !r.im.DryRun {
		if stop = stopFor(res.err); stop != nil {
			res.outcome = canceled // not the record's fault: not done
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.release(j.key)
	s := &r.summary
	if stop != nil && s.Stopped == nil {
		s.Stopped = stop
		r.cancel() // every other request would fail alike
	}
	if res.outcome != canceled {
		s.Done++
		r.markDone(j.rec.Line)
	}
	switch res.outcome {
	case upserted:
		s.Upserted++
	case valid:
		s.Valid++
	case failed:
		s.Failed++
		r.keepFailure(j.rec, res.err)
		if max := r.im.MaxFailures; max > 0 && s.Failed >= max && s.Stopped == nil {
			s.Stopped = fmt.Errorf("%w: %d of at most %d", ErrTooManyFailures, s.Failed, max)
		}
	}
	s.ResumeLine = r.last + 1
	if len(r.begun) > 0 {
		s.ResumeLine = r.begun[0].line
	}
	s.Elapsed = r.now().Sub(r.start)
	if r.im.Progress != nil {
		s.InFlight, s.Pace = r.ctrl.state()
		r.im.Progress(s.Progress)
	}
}

// markDone marks line finished and drops the finished lines at the front.
func (r *run) markDone(line int) {
	for i := range r.begun {
		if r.begun[i].line == line && !r.begun[i].done {
			r.begun[i].done = true
			break
		}
	}
	n := 0
	for n < len(r.begun) && r.begun[n].done {
		n++
	}
	if n > 0 {
		r.begun = append(r.begun[:0], r.begun[n:]...)
	}
}

// keepFailure keeps the failure if it is among the first FailuresKept by
// line.
func (r *run) keepFailure(rec Record, err error) {
	limit := r.im.FailuresKept
	if limit <= 0 {
		limit = 1000
	}
	s := &r.summary
	if len(s.Failures) == limit && rec.Line >= s.Failures[limit-1].Line {
		return
	}
	obj, id := describeRecord(rec)
	f := Failure{Line: rec.Line, Object: obj, ID: id, Err: err}
	i, _ := slices.BinarySearchFunc(s.Failures, f.Line, func(f Failure, line int) int { return f.Line - line })
	s.Failures = slices.Insert(s.Failures, i, f)
	if len(s.Failures) > limit {
		s.Failures = s.Failures[:limit]
	}
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
