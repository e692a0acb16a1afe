package apitest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// ChargeDesk's delivery rules (its webhooks page): an answer other than a
// 2xx, 3xx included, or none within EventTimeout, is a failure, retried
// every RetryInterval until RetryFor has passed since the first attempt;
// a 410 disables the webhook at once.
const (
	EventTimeout  = 30 * time.Second
	RetryInterval = time.Hour
	RetryFor      = 72 * time.Hour
)

// Defaults for the delivery Options left zero.
const (
	DefaultMaxDeliveries       = 1000
	DefaultDeliveryConcurrency = 4
)

// maxWait is the longest the dispatcher sleeps before it reads the clock
// again: Options.Now may be a clock that timers do not follow.
const maxWait = time.Minute

// maxAnswer bounds how much of a webhook's answer is read.
const maxAnswer = 64 << 10

// delivery is the log's entry for one event and one webhook. The Server's
// mutex guards it.
type delivery struct {
	seq      int64
	event    *eventRecord
	webhook  string
	state    DeliveryState
	attempts int
	status   int
	err      string
	// first is when the current schedule began (the event's making, or a
	// resend); round counts its attempts. Attempt k is due at
	// first + k*RetryInterval.
	first, last time.Time
	round       int
	inFlight    bool
	// again is a resend asked for while an attempt was under way: a new
	// schedule begins when it ends.
	again bool
}

// next is when the delivery's next attempt is due.
func (d *delivery) next() time.Time { return d.first.Add(time.Duration(d.round) * RetryInterval) }

// dispatcher is the delivery machinery: one goroutine that starts the due
// attempts, at most Options.DeliveryConcurrency at a time and one per
// webhook, started with the first delivery and stopped by Close.
type dispatcher struct {
	wake    chan struct{} // a delivery queued, or an attempt ended
	ctx     context.Context
	stop    context.CancelFunc
	running bool
	closed  bool
	wg      sync.WaitGroup
}

// queue adds a delivery of e to the webhook to the log and wakes the
// dispatcher. When the log is full of deliveries still pending, the
// delivery is dropped and counted. The caller holds s.mu.
func (s *Server) queue(e *eventRecord, webhookID string) {
	if len(s.deliveries) >= s.maxDeliveries() && !s.evictOne() {
		s.dropped++
		return
	}
	s.deliverySeq++
	s.deliveries = append(s.deliveries, &delivery{seq: s.deliverySeq, event: e, webhook: webhookID,
		state: DeliveryPending, first: time.Unix(e.created, 0)})
	s.startDispatcher()
}

// evictOne removes the oldest delivery that is over (not pending); it
// reports whether there was one.
func (s *Server) evictOne() bool {
	for i, d := range s.deliveries {
		if d.state != DeliveryPending && !d.inFlight {
			s.deliveries = slices.Delete(s.deliveries, i, i+1)
			return true
		}
	}
	return false
}

func (s *Server) maxDeliveries() int { return cmp.Or(s.opts.MaxDeliveries, DefaultMaxDeliveries) }

// startDispatcher starts the dispatcher unless it runs or the Server is
// closed, and wakes it. The caller holds s.mu.
func (s *Server) startDispatcher() {
	d := &s.dispatch
	if !d.running && !d.closed {
		d.running = true
		d.wake = make(chan struct{}, 1)
		d.ctx, d.stop = context.WithCancel(context.Background())
		d.wg.Add(1)
		go s.dispatchLoop(d.ctx)
	}
	s.wakeDispatcher()
}

// wakeDispatcher has the dispatcher look at the log again. The caller
// holds s.mu.
func (s *Server) wakeDispatcher() {
	if s.dispatch.running {
		select {
		case s.dispatch.wake <- struct{}{}:
		default:
		}
	}
}

// Close stops delivering events: attempts under way are canceled (and
// count as not made), and the dispatcher ends before Close returns.
// Deliveries still pending stay in the log, and in Save's state. Events
// made after Close are logged and not sent. Close is safe to call more
// than once; it always returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	d := &s.dispatch
	d.closed = true
	running := d.running
	if running {
		d.stop()
	}
	s.mu.Unlock()
	if running {
		d.wg.Wait()
	}
	return nil
}

// dispatchLoop starts each due attempt and sleeps until the next one is
// due, a delivery is queued or an attempt ends, or ctx is done.
func (s *Server) dispatchLoop(ctx context.Context) {
	defer s.dispatch.wg.Done()
	slots := max(s.opts.DeliveryConcurrency, 0)
	if slots == 0 {
		slots = DefaultDeliveryConcurrency
	}
	for {
		s.mu.Lock()
		now := s.opts.Now()
		busy := map[string]bool{}
		inFlight := 0
		for _, d := range s.deliveries {
			if d.inFlight {
				busy[d.webhook] = true
				inFlight++
			}
		}
		var due []*delivery
		var soonest time.Time
		for _, d := range s.deliveries {
			if d.state != DeliveryPending || d.inFlight {
				continue
			}
			if next := d.next(); next.After(now) {
				if soonest.IsZero() || next.Before(soonest) {
					soonest = next
				}
				continue
			}
			if busy[d.webhook] || inFlight+len(due) >= slots {
				continue // started when an attempt ends
			}
			busy[d.webhook] = true
			due = append(due, d)
		}
		// Oldest due first, then in the order they were made.
		slices.SortStableFunc(due, func(a, b *delivery) int { return a.next().Compare(b.next()) })
		type start struct {
			d    *delivery
			url  string
			body []byte
		}
		var starts []start
		for _, d := range due {
			h := s.webhookByID(d.webhook)
			if h == nil {
				d.state = DeliveryCanceled
				continue
			}
			if h.Disabled != 0 {
				d.state = DeliveryDisabled
				continue
			}
			d.inFlight, d.last = true, now
			starts = append(starts, start{d, h.URL, d.event.body})
		}
		s.mu.Unlock()

		for _, st := range starts {
			s.dispatch.wg.Add(1)
			go func() {
				defer s.dispatch.wg.Done()
				status, errText := s.attempt(ctx, st.url, st.body)
				s.settle(ctx, st.d, status, errText)
			}()
		}

		if !s.sleep(ctx, soonest, now) {
			return
		}
	}
}

// sleep waits until soonest (read on the Options.Now clock, and at most
// maxWait), a wake or ctx's end; it reports false at ctx's end. A zero
// soonest is no attempt due: it waits for a wake.
func (s *Server) sleep(ctx context.Context, soonest, now time.Time) bool {
	var timer <-chan time.Time
	if !soonest.IsZero() {
		t := time.NewTimer(min(max(soonest.Sub(now), 0), maxWait))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-s.dispatch.wake:
	case <-timer:
	}
	return true
}

// attempt posts body to url once, within EventTimeout, and returns the
// answer's status, or 0 and why none came. It holds no lock.
func (s *Server) attempt(ctx context.Context, target string, body []byte) (int, string) {
	if checkWebhookURL(target) != nil {
		return 0, "not an http(s) URL"
	}
	ctx, cancel := context.WithTimeout(ctx, EventTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "the URL does not make a request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ChargeDesk-Local/1 (chargedesk-sim)")
	resp, err := s.eventClient().Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Sprintf("no answer within %s", EventTimeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text names the URL, which may hold a secret
		}
		return 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	return resp.StatusCode, ""
}

// eventClient is Options.EventClient, or a plain client, made to follow
// no redirect: ChargeDesk counts a 3xx as a failure.
func (s *Server) eventClient() *http.Client {
	c := http.Client{}
	if s.opts.EventClient != nil {
		c = *s.opts.EventClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// settle records an attempt's outcome: a 2xx delivers, a 410 disables
// the webhook, anything else is retried on the schedule or, past
// RetryFor, given up. An attempt cut short by Close is not counted.
func (s *Server) settle(ctx context.Context, d *delivery, status int, errText string) {
	s.mu.Lock()
	counted := s.settleLocked(ctx, d, status, errText)
	s.wakeDispatcher()
	var report Delivery
	if counted {
		report = s.report(d)
	}
	s.mu.Unlock()
	if counted && s.opts.OnDelivery != nil {
		s.opts.OnDelivery(report)
	}
}

// settleLocked is settle with s.mu held; it reports whether the attempt
// counted.
func (s *Server) settleLocked(ctx context.Context, d *delivery, status int, errText string) bool {
	d.inFlight = false
	if ctx.Err() != nil {
		return false // Close: the attempt is made again after a Load of the state
	}
	if !slices.Contains(s.deliveries, d) {
		return false // a Load replaced the log
	}
	d.attempts++
	d.round++
	d.status, d.err = status, errText
	h := s.webhookByID(d.webhook)
	switch {
	case status >= 200 && status < 300:
		d.state = DeliveryDelivered
	case status == http.StatusGone:
		d.state = DeliveryDisabled
		if h != nil && h.Disabled == 0 {
			h.Disabled = s.opts.Now().Unix()
		}
		s.endPending(d.webhook, DeliveryDisabled)
	case h == nil:
		d.state = DeliveryCanceled
	case h.Disabled != 0:
		d.state = DeliveryDisabled
	case d.next().After(d.first.Add(RetryFor)):
		d.state = DeliveryFailed
	}
	if d.again && d.state != DeliveryDisabled && d.state != DeliveryCanceled {
		d.state, d.first, d.round = DeliveryPending, s.opts.Now(), 0
	}
	d.again = false
	return true
}

// endPending ends every pending delivery to the webhook that is not under
// way, in state. The caller holds s.mu.
func (s *Server) endPending(webhookID string, state DeliveryState) {
	for _, d := range s.deliveries {
		if d.webhook == webhookID && d.state == DeliveryPending && !d.inFlight {
			d.state = state
		}
	}
}
