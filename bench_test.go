package chargedesk

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// The benchmarks compare, per action and in the same run, the full default
// stack with a plain net/http handler that does only the unavoidable work:
//
//	go test -run='^$' -bench=. -benchmem -count=5 . | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest bench.txt
//
// Both are served the example payload of ChargeDesk's documentation, with
// the object's id (charge_id, or subscription_id for the subscription
// actions) made unique in every iteration: the duplicate guard stays on and
// does its real work, and the baseline decodes the very same bytes.

// benchSecret is the shared secret both handlers are sent.
const benchSecret = "Bearer 7f3c9a1e5b2d4c6a8e0f1b3d5a7c9e2f"

// benchIDDigits is how many digits make an iteration's id unique.
const benchIDDigits = 9

// benchGateway does nothing and answers success.
type benchGateway struct{ UnimplementedGateway }

var benchPayment = &PaymentResponse{RedirectURL: "https://pay.example.com/p/1"}

func (benchGateway) Refund(context.Context, *RefundRequest) (*Response, error) { return nil, nil }
func (benchGateway) Capture(context.Context, *CaptureRequest) (*Response, error) {
	return nil, nil
}
func (benchGateway) Void(context.Context, *VoidRequest) (*Response, error)     { return nil, nil }
func (benchGateway) Cancel(context.Context, *CancelRequest) (*Response, error) { return nil, nil }
func (benchGateway) Reactivate(context.Context, *ReactivateRequest) (*Response, error) {
	return nil, nil
}
func (benchGateway) EditPlans(context.Context, *EditPlansRequest) (*Response, error) {
	return nil, nil
}
func (benchGateway) RequestPayment(context.Context, *PaymentRequest) (*PaymentResponse, error) {
	return benchPayment, nil
}

// benchBody returns action's example payload with benchIDDigits zeros
// appended to the id of its object, and the offset of those digits.
func benchBody(tb testing.TB, action Action) ([]byte, int) {
	tb.Helper()
	body, err := os.ReadFile("chargedesktest/payloads/" + string(action) + ".json")
	require.NoError(tb, err)
	field := []byte(`"charge_id": "`)
	switch action {
	case ActionCancel, ActionReactivate, ActionEditPlans:
		field = []byte(`"subscription_id": "`)
	}
	start := bytes.Index(body, field)
	require.GreaterOrEqual(tb, start, 0, "no %s in %s.json", field, action)
	end := start + len(field) + bytes.IndexByte(body[start+len(field):], '"')
	out := make([]byte, 0, len(body)+1+benchIDDigits)
	out = append(out, body[:end]...)
	out = append(out, '-')
	at := len(out)
	out = append(out, bytes.Repeat([]byte("0"), benchIDDigits)...)
	out = append(out, body[end:]...)
	return out, at
}

// benchStamp writes n into digits, zero-padded.
func benchStamp(digits []byte, n int) {
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
}

// benchRun serves action's body to h b.N times, each with a new id, and
// checks every answer is a 200.
func benchRun(b *testing.B, h http.Handler, action Action) {
	body, at := benchBody(b, action)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, "/chargedesk"+action.DefaultPath(), rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", benchSecret)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		benchStamp(body[at:at+benchIDDigits], i)
		rd.Reset(body)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("iteration %d: status %d: %s", i, rec.Code, rec.Body.String())
		}
	}
}

// benchRunParallel is benchRun from GOMAXPROCS goroutines at once, as a
// server under load serves webhooks: each sends its own copy of the body,
// and every iteration's id is new across all of them.
func benchRunParallel(b *testing.B, h http.Handler, action Action) {
	template, at := benchBody(b, action)
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		body := bytes.Clone(template)
		rd := bytes.NewReader(body)
		req := httptest.NewRequest(http.MethodPost, "/chargedesk"+action.DefaultPath(), rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", benchSecret)
		for pb.Next() {
			benchStamp(body[at:at+benchIDDigits], int(next.Add(1)))
			rd.Reset(body)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body.String())
				return
			}
		}
	})
}

// benchStack returns the full default stack the benchmarks measure, over
// benchGateway.
func benchStack(b *testing.B) http.Handler {
	logger := zerolog.New(io.Discard).With().Timestamp().Logger()
	h, err := NewHandler(benchGateway{}, Config{
		BasePath: "/chargedesk",
		Headers:  []Header{{Name: "Authorization", Values: []string{benchSecret}}},
		Logger:   &logger,
	})
	require.NoError(b, err)
	return h
}

// BenchmarkHandler measures one webhook through the full default stack:
// request id, zerolog request logging (to io.Discard), panic recovery, body
// limit, routing, header check, decoding, validation, locks, duplicate
// guard, the gateway call under a deadline, and the answer.
func BenchmarkHandler(b *testing.B) {
	for _, action := range Actions() {
		b.Run(string(action), func(b *testing.B) {
			benchRun(b, benchStack(b), action)
		})
	}
}

// BenchmarkHandlerParallel is BenchmarkHandler with webhooks served
// concurrently, one stream per GOMAXPROCS: the cost of a webhook to a busy
// server.
func BenchmarkHandlerParallel(b *testing.B) {
	for _, action := range Actions() {
		b.Run(string(action), func(b *testing.B) {
			benchRunParallel(b, benchStack(b), action)
		})
	}
}

// BenchmarkBaselineParallel is BenchmarkBaseline served concurrently, as
// BenchmarkHandlerParallel is.
func BenchmarkBaselineParallel(b *testing.B) {
	for _, action := range Actions() {
		b.Run(string(action), func(b *testing.B) {
			benchRunParallel(b, benchBaseline(action), action)
		})
	}
}

// BenchmarkBaseline measures the plain net/http handler a developer would
// write by hand for one action, with nothing of this package in it: it
// checks the secret header, reads the body, json.Unmarshals it into a
// struct of the webhook's top-level fields with the charge and the
// subscription as maps, and writes a fixed answer. It neither routes nor
// validates, locks, guards against duplicates, logs, nor bounds the body.
func BenchmarkBaseline(b *testing.B) {
	for _, action := range Actions() {
		b.Run(string(action), func(b *testing.B) {
			benchRun(b, benchBaseline(action), action)
		})
	}
}

// baselineRequest is what the plain handler decodes: every top-level field
// of any webhook, the objects as maps, amounts as exact number text.
type baselineRequest struct {
	RefundAmount json.Number      `json:"refund_amount"`
	ActionReason string           `json:"action_reason"`
	Action       string           `json:"action"`
	Refund       string           `json:"refund"`
	Plans        []map[string]any `json:"plans"`
	Charge       map[string]any   `json:"charge"`
	Subscription map[string]any   `json:"subscription"`
}

// benchBaseline returns the plain handler for action.
func benchBaseline(action Action) http.Handler {
	answer := []byte("{}\n")
	if action == ActionRequestPayment {
		answer = []byte(`{"redirect_url":"https://pay.example.com/p/1"}` + "\n")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(benchSecret)) != 1 {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, `{"error":"the body could not be read"}`, http.StatusBadRequest)
			return
		}
		var req baselineRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":"the body is not valid"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(answer)
	})
}

// TestBenchBodies checks that the benchmarks' bodies are what they claim:
// each decodes as its action with the stamped id, and the full stack and
// the baseline both answer 200.
func TestBenchBodies(t *testing.T) {
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			body, at := benchBody(t, action)
			benchStamp(body[at:at+benchIDDigits], 42)
			env, err := decodeEnvelope(body)
			require.NoError(t, err)
			charge, sub := requestFor(env, action, Raw{}).objects()
			id := ""
			switch action {
			case ActionCancel, ActionReactivate, ActionEditPlans:
				id = sub.SubscriptionID
			default:
				id = charge.ChargeID
			}
			require.Regexp(t, `-000000042$`, id)

			logger := zerolog.New(io.Discard)
			h, err := NewHandler(benchGateway{}, Config{
				BasePath: "/chargedesk",
				Headers:  []Header{{Name: "Authorization", Values: []string{benchSecret}}},
				Logger:   &logger,
			})
			require.NoError(t, err)
			for name, handler := range map[string]http.Handler{"stack": h, "baseline": benchBaseline(action)} {
				req := httptest.NewRequest(http.MethodPost, "/chargedesk"+action.DefaultPath(), bytes.NewReader(body))
				req.Header.Set("Authorization", benchSecret)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				require.Equal(t, http.StatusOK, rec.Code, "%s: %s", name, rec.Body.String())
			}
		})
	}
}
