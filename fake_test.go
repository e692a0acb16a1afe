package chargedesk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This file holds the tests' one fake Gateway and one log buffer. They are
// exported so that the external tests (package chargedesk_test) use them
// too; being in a _test.go file, they are not part of the package's API.

// Call is one call a FakeGateway recorded.
type Call struct {
	Action Action
	Req    any
}

// FakeGateway records every call. By default it answers what a platform
// that performed the action would; OnRefund and OnCancel replace the answer
// of those actions, Answer that of every action but a payment request, Pay
// that of a payment request, and an action in Unsupported is answered
// ErrNotSupported.
type FakeGateway struct {
	UnimplementedGateway
	OnRefund    func(context.Context, *RefundRequest) (*Response, error)
	OnCancel    func(context.Context, *CancelRequest) (*Response, error)
	Answer      func(ctx context.Context, action Action, req any) (*Response, error)
	Pay         func(context.Context, *PaymentRequest) (*PaymentResponse, error)
	Unsupported map[Action]bool

	mu  sync.Mutex
	log []Call
}

// record notes the call and reports whether the action is unsupported.
func (g *FakeGateway) record(action Action, req any) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.log = append(g.log, Call{Action: action, Req: req})
	return g.Unsupported[action]
}

// Calls returns the calls recorded so far.
func (g *FakeGateway) Calls() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Call(nil), g.log...)
}

func (g *FakeGateway) respond(ctx context.Context, action Action, req any, def func() (*Response, error)) (*Response, error) {
	if g.record(action, req) {
		return nil, ErrNotSupported
	}
	if g.Answer != nil {
		return g.Answer(ctx, action, req)
	}
	return def()
}

// Refund implements Gateway.
func (g *FakeGateway) Refund(ctx context.Context, r *RefundRequest) (*Response, error) {
	return g.respond(ctx, ActionRefund, r, func() (*Response, error) {
		if g.OnRefund != nil {
			return g.OnRefund(ctx, r)
		}
		return RefundAnswer(r)
	})
}

// Capture implements Gateway.
func (g *FakeGateway) Capture(ctx context.Context, r *CaptureRequest) (*Response, error) {
	return g.respond(ctx, ActionCapture, r, func() (*Response, error) {
		return ChargeStatusAnswer(ChargeStatusPaid), nil
	})
}

// Void implements Gateway.
func (g *FakeGateway) Void(ctx context.Context, r *VoidRequest) (*Response, error) {
	return g.respond(ctx, ActionVoid, r, func() (*Response, error) {
		return ChargeStatusAnswer(ChargeStatusVoid), nil
	})
}

// Cancel implements Gateway: by default a pro-rated refund of 10.00 of the
// last charge when one is sent.
func (g *FakeGateway) Cancel(ctx context.Context, r *CancelRequest) (*Response, error) {
	return g.respond(ctx, ActionCancel, r, func() (*Response, error) {
		if g.OnCancel != nil {
			return g.OnCancel(ctx, r)
		}
		resp := SubscriptionStatusAnswer(SubscriptionStatusCanceled)
		if r.Charge != nil {
			resp.Charge = ChargeRefunded(r.Charge.Amount, MustParseAmount("10.00"))
		}
		return resp, nil
	})
}

// Reactivate implements Gateway.
func (g *FakeGateway) Reactivate(ctx context.Context, r *ReactivateRequest) (*Response, error) {
	return g.respond(ctx, ActionReactivate, r, func() (*Response, error) {
		return SubscriptionStatusAnswer(SubscriptionStatusActive), nil
	})
}

// EditPlans implements Gateway: by default it answers nothing, and
// ChargeDesk updates the subscription itself.
func (g *FakeGateway) EditPlans(ctx context.Context, r *EditPlansRequest) (*Response, error) {
	return g.respond(ctx, ActionEditPlans, r, func() (*Response, error) { return nil, nil })
}

// RequestPayment implements Gateway.
func (g *FakeGateway) RequestPayment(ctx context.Context, r *PaymentRequest) (*PaymentResponse, error) {
	if g.record(ActionRequestPayment, r) {
		return nil, ErrNotSupported
	}
	if g.Pay != nil {
		return g.Pay(ctx, r)
	}
	return &PaymentResponse{RedirectURL: "https://pay.example.com/invoices/" + r.Charge.ChargeID}, nil
}

// LogWait bounds every wait for a log line that must come, so that a bug
// fails the test instead of hanging it; no test waits for it to pass.
const LogWait = 10 * time.Second

// LogBuffer collects the JSON lines a handler logs, safe for its
// goroutines, and wakes whoever waits for one. zerolog writes each line
// with one Write call.
type LogBuffer struct {
	mu     sync.Mutex
	raw    bytes.Buffer
	notify chan struct{}
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.raw.Write(p)
	notify := l.signal()
	l.mu.Unlock()
	select {
	case notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

// signal is the channel a Write wakes; with l.mu held.
func (l *LogBuffer) signal() chan struct{} {
	if l.notify == nil {
		l.notify = make(chan struct{}, 1)
	}
	return l.notify
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// Lines returns the lines logged so far, as written and parsed; a line
// that is not a JSON object fails the test.
func (l *LogBuffer) Lines(t testing.TB) (raw []string, parsed []map[string]any) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader([]byte(l.String())))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "log line %s", sc.Text())
		raw = append(raw, sc.Text())
		parsed = append(parsed, m)
	}
	return raw, parsed
}

// Find returns the lines with message msg.
func (l *LogBuffer) Find(t testing.TB, msg string) []map[string]any {
	t.Helper()
	_, lines := l.Lines(t)
	var out []map[string]any
	for _, line := range lines {
		if line["message"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// WaitFor blocks until a line with message msg that match accepts (any,
// when match is nil) is logged, and returns it.
func (l *LogBuffer) WaitFor(t testing.TB, msg string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	l.mu.Lock()
	notify := l.signal()
	l.mu.Unlock()
	timeout := time.After(LogWait)
	for {
		for _, line := range l.Find(t, msg) {
			if match == nil || match(line) {
				return line
			}
		}
		select {
		case <-notify:
		case <-timeout:
			t.Fatalf("no such log line %q; log:\n%s", msg, l.String())
		}
	}
}
