package api

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const testKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

// exchange is one request the test server saw.
type exchange struct {
	Method, Path, Query, Body, Auth, ContentType string
}

// recorder wraps a handler and keeps what it was sent.
type recorder struct {
	mu   sync.Mutex
	seen []exchange
	next http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.seen = append(rec.seen, exchange{r.Method, r.URL.Path, r.URL.RawQuery, string(body),
		r.Header.Get("Authorization"), r.Header.Get("Content-Type")})
	rec.mu.Unlock()
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests() []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]exchange(nil), rec.seen...)
}

// fakeClock is the injected clock, sleep and jitter of a client under test:
// sleeps return at once and advance the clock, and are recorded.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	jitter float64
}

func (c *fakeClock) install(cl *Client) {
	cl.b.now = func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
	cl.b.sleep = func(ctx context.Context, d time.Duration) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.slept = append(c.slept, d)
		c.now = c.now.Add(d)
		return ctx.Err()
	}
	cl.b.jitter = func() float64 { return c.jitter }
}

// newTestAPI starts the in-memory ChargeDesk API on loopback and returns a
// client for it with an injected clock.
func newTestAPI(t *testing.T, opts ...Option) (*apitest.Server, *recorder, *Client, *fakeClock) {
	t.Helper()
	fake := apitest.New(apitest.Options{Key: testKey, Now: testclock.Clock(), EventClient: noNetwork})
	t.Cleanup(func() { _ = fake.Close() })
	rec := &recorder{next: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	client := NewClient(testKey, append([]Option{WithBaseURL(srv.URL + "/v1")}, opts...)...)
	clock := &fakeClock{now: testclock.Now(), jitter: 0.5}
	clock.install(client)
	return fake, rec, client, clock
}

func amount(s string) *chargedesk.Amount { return ptr(chargedesk.MustParseAmount(s)) }

// ptr points to a copy of v: an optional parameter that is set.
func ptr[T any](v T) *T { return &v }

func TestUpsertChargeAndSubscription(t *testing.T) {
	fake, rec, client, _ := newTestAPI(t)
	ctx := context.Background()

	ch, err := client.Charges.Upsert(ctx, &ChargeParams{
		TransactionID: "ch_123", Amount: amount("34.00"), Currency: "USD", Customer: &Ref{ID: "cus_1"},
		Metadata: map[string]string{"order": "42"},
	})
	require.NoError(t, err)
	assert.Equal(t, "ch_123", ch.TransactionID)
	assert.Equal(t, "34.00", ch.Amount.String())
	assert.Equal(t, chargedesk.ChargeStatus("paid"), ch.Status)

	// The same transaction_id again updates the record rather than failing.
	ch2, err := client.Charges.Upsert(ctx, &ChargeParams{
		TransactionID: "ch_123", Amount: amount("34.00"), Currency: "USD", Customer: &Ref{ID: "cus_1"},
		Status: "refunded", AmountRefunded: amount("34.00"),
	})
	require.NoError(t, err)
	assert.Equal(t, ch.ID, ch2.ID)
	assert.Equal(t, chargedesk.ChargeStatus("refunded"), ch2.Status)
	assert.Equal(t, 1, fake.Len("charges"))

	sub, err := client.Subscriptions.Upsert(ctx, &SubscriptionParams{
		SubscriptionID: "sub_1", CustomerID: "cus_1", Status: "active", Amount: amount("9.99"), Currency: "EUR",
		Interval: "month", Quantity: ptr(1),
	})
	require.NoError(t, err)
	assert.Equal(t, chargedesk.SubscriptionStatus("active"), sub.Status)
	assert.Equal(t, 1, sub.Quantity)

	reqs := rec.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "transaction_id=ch_123&amount=34.00&currency=USD&customer%5Bid%5D=cus_1&metadata%5Border%5D=42&duplicate=update", reqs[0].Body)
	assert.Equal(t, "application/x-www-form-urlencoded", reqs[0].ContentType)
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(testKey+":")), reqs[0].Auth,
		"the key is the Basic user name with an empty password")
}

func TestCreateWithoutDuplicateFailsOnTheSameID(t *testing.T) {
	_, _, client, _ := newTestAPI(t)
	ctx := context.Background()
	p := &CustomerParams{CustomerID: "cus_1", Email: "jane@example.com"}
	_, err := client.Customers.Create(ctx, p)
	require.NoError(t, err)
	_, err = client.Customers.Create(ctx, p)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "duplicate", apiErr.Code)
	assert.Equal(t, "customer_id", apiErr.IncorrectParameter)
}

func TestAuthentication(t *testing.T) {
	_, _, client, _ := newTestAPI(t)
	bad := NewClient("sk_wrong_key_for_this_test", WithBaseURL(client.b.base.String()))
	_, err := bad.Charges.Get(context.Background(), "ch_1")
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "authentication_error", apiErr.Type)
	assert.NotContains(t, err.Error(), "sk_wrong", "an error never carries the key")

	for name, c := range map[string]*Client{
		"no key":       NewClient(""),
		"plain http":   NewClient(testKey, WithBaseURL("http://api.example.com/v1")),
		"not a URL":    NewClient(testKey, WithBaseURL("::nope")),
		"ftp":          NewClient(testKey, WithBaseURL("ftp://127.0.0.1/v1")),
		"http no host": NewClient(testKey, WithBaseURL("http:///v1")),
	} {
		_, err := c.Charges.Get(context.Background(), "ch_1")
		assert.Error(t, err, name)
		assert.NotContains(t, err.Error(), testKey, name)
	}
}

func TestErrorShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   Error
	}{
		{"object", 400, nil, `{"error": {"message": "Amount is invalid", "type": "invalid_request_error", "code": "parameter_invalid", "incorrect_parameter": "amount"}}`,
			Error{StatusCode: 400, Message: "Amount is invalid", Type: "invalid_request_error", Code: "parameter_invalid", IncorrectParameter: "amount"}},
		{"string", 404, nil, `{"error": "No such charge"}`, Error{StatusCode: 404, Message: "No such charge"}},
		{"2xx with an error", 200, nil, `{"error": {"message": "API access is disabled", "type": "permission_error"}}`,
			Error{StatusCode: 200, Message: "API access is disabled", Type: "permission_error"}},
		{"parameter beside the error", 400, nil, `{"error": {"message": "bad"}, "incorrect_parameter": "currency"}`,
			Error{StatusCode: 400, Message: "bad", IncorrectParameter: "currency"}},
		{"not JSON", 502, nil, `<html>Bad gateway</html>`, Error{StatusCode: 502, Message: "Bad Gateway"}},
		{"rate limited", 429, http.Header{"Retry-After": {"7"}}, `{"error": {"message": "slow down", "type": "rate_limit_error"}}`,
			Error{StatusCode: 429, Message: "slow down", Type: "rate_limit_error", RetryAfter: 7 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			client := NewClient(testKey, WithBaseURL(srv.URL), WithRetryPolicy(NoRetries))
			_, err := client.Charges.Create(context.Background(), &ChargeParams{Amount: amount("1.00"), Currency: "USD", Customer: &Ref{ID: "c"}})
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			want := tc.want
			want.Method, want.Path = "POST", "/charges"
			assert.Equal(t, want, *apiErr)
			assert.Equal(t, tc.status == 429, errors.Is(err, ErrRateLimited))
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch attempts.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
		case 2:
			w.WriteHeader(503) // no Retry-After: backoff
		default:
			_, _ = io.WriteString(w, `{"id": "ch-1", "object": "charge", "amount": "5.00"}`)
		}
	}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL))
	clock := &fakeClock{now: time.Unix(0, 0), jitter: 0.5}
	clock.install(client)
	ch, err := client.Charges.Get(context.Background(), "ch-1")
	require.NoError(t, err)
	assert.Equal(t, "5.00", ch.Amount.String())
	assert.EqualValues(t, 3, attempts.Load())
	// 3 s as asked; then the second backoff step, 1 s, with equal jitter
	// at 0.5: 0.5 + 0.25.
	assert.Equal(t, []time.Duration{3 * time.Second, 750 * time.Millisecond}, clock.slept)
}

func TestRetriesAreBounded(t *testing.T) {
	t.Run("attempts", func(t *testing.T) {
		var attempts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			w.WriteHeader(502)
		}))
		defer srv.Close()
		client := NewClient(testKey, WithBaseURL(srv.URL), WithRetryPolicy(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second}))
		clock := &fakeClock{jitter: 0}
		clock.install(client)
		_, err := client.Products.Get(context.Background(), "p1")
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 502, apiErr.StatusCode)
		assert.EqualValues(t, 3, attempts.Load())
		assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second}, clock.slept, "1 s then 2 s, half of each for sure")
	})
	t.Run("elapsed", func(t *testing.T) {
		var attempts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			w.Header().Set("Retry-After", "40")
			w.WriteHeader(429)
		}))
		defer srv.Close()
		client := NewClient(testKey, WithBaseURL(srv.URL), WithRetryPolicy(RetryPolicy{MaxAttempts: 10, MaxElapsed: time.Minute}))
		clock := &fakeClock{}
		clock.install(client)
		_, err := client.Customers.Get(context.Background(), "c1")
		require.ErrorIs(t, err, ErrRateLimited)
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 40*time.Second, apiErr.RetryAfter, "the caller learns how long ChargeDesk asked to wait")
		assert.EqualValues(t, 2, attempts.Load(), "a second wait of 40 s would pass the minute")
		assert.Equal(t, []time.Duration{40 * time.Second}, clock.slept)
	})
}

// Gateway operations, creates and other writes are never repeated once
// they may have reached ChargeDesk, whatever the answer.
func TestUnsafeOperationsAreNeverRetried(t *testing.T) {
	for _, status := range []int{429, 502, 503, 504} {
		var attempts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
		}))
		client := NewClient(testKey, WithBaseURL(srv.URL))
		clock := &fakeClock{}
		clock.install(client)
		ctx := context.Background()
		calls := map[string]func() error{
			"refund": func() error {
				_, err := client.Gateway.Refund(ctx, "ch_1", &RefundParams{Amount: amount("5.00")})
				return err
			},
			"capture": func() error { _, err := client.Gateway.Capture(ctx, "ch_1", nil); return err },
			"void":    func() error { return client.Gateway.Void(ctx, "ch_1") },
			"cancel":  func() error { _, err := client.Gateway.Cancel(ctx, "sub_1", nil); return err },
			"plans": func() error {
				_, err := client.Gateway.EditPlans(ctx, "sub_1", &EditPlansParams{Plans: []PlanParams{{ID: "gold"}}})
				return err
			},
			"charge": func() error {
				_, err := client.Gateway.Charge(ctx, &GatewayChargeParams{Using: "card", Amount: amount("1.00"), Currency: "USD"})
				return err
			},
			"create": func() error {
				_, err := client.Charges.Create(ctx, &ChargeParams{Amount: amount("1.00"), Currency: "USD", Customer: &Ref{ID: "c"}})
				return err
			},
			"update": func() error { _, err := client.Customers.Update(ctx, "c", &CustomerParams{Name: "x"}); return err },
			"delete": func() error { return client.Charges.Delete(ctx, "ch_1") },
			"email":  func() error { return client.Charges.Email(ctx, "ch_1") },
		}
		for name, call := range calls {
			attempts.Store(0)
			require.Error(t, call(), name)
			assert.EqualValues(t, 1, attempts.Load(), "%s after %d", name, status)
		}
		assert.Empty(t, clock.slept)
		srv.Close()
	}
}

// A connection cut after the request was sent is retried for a read, and
// never for a refund: ChargeDesk may have refunded.
func TestConnectionErrors(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, `{"id": "ch_1", "object": "charge"}`)
	}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL))
	(&fakeClock{}).install(client)
	_, err := client.Charges.Get(context.Background(), "ch_1")
	require.NoError(t, err)
	assert.EqualValues(t, 2, attempts.Load())

	attempts.Store(0)
	_, err = client.Gateway.Refund(context.Background(), "ch_1", nil)
	require.Error(t, err)
	assert.EqualValues(t, 1, attempts.Load(), "the refund may have happened: not repeated")

	// A request that never left (nothing listens) is safe to repeat even
	// for a gateway operation.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	dead := NewClient(testKey, WithBaseURL("http://"+addr), WithRetryPolicy(RetryPolicy{MaxAttempts: 2}))
	clock := &fakeClock{}
	clock.install(dead)
	_, err = dead.Gateway.Refund(context.Background(), "ch_1", nil)
	require.Error(t, err)
	assert.Len(t, clock.slept, 1, "a refused connection is retried: nothing reached ChargeDesk")
}

func TestValidationBeforeSending(t *testing.T) {
	_, rec, client, _ := newTestAPI(t)
	ctx := context.Background()
	cases := map[string]func() error{
		"upsert without transaction_id": func() error {
			_, err := client.Charges.Upsert(ctx, &ChargeParams{Amount: amount("1.00"), Currency: "USD", Customer: &Ref{ID: "c"}})
			return err
		},
		"amount finer than the currency": func() error {
			_, err := client.Charges.Upsert(ctx, &ChargeParams{TransactionID: "t", Amount: amount("1.005"), Currency: "USD", Customer: &Ref{ID: "c"}})
			return err
		},
		"yen with cents": func() error {
			_, err := client.Products.Upsert(ctx, &ProductParams{ProductID: "p", Amount: amount("5.50"), Currency: "JPY"})
			return err
		},
		"unknown currency": func() error {
			_, err := client.Subscriptions.Upsert(ctx, &SubscriptionParams{SubscriptionID: "s", Currency: "XYZ"})
			return err
		},
		"bad interval": func() error {
			_, err := client.Subscriptions.Upsert(ctx, &SubscriptionParams{SubscriptionID: "s", Interval: "fortnight"})
			return err
		},
		"empty id": func() error { _, err := client.Charges.Get(ctx, ""); return err },
		"count": func() error {
			for _, err := range client.Products.List(ctx, &ProductListParams{ListParams{Count: 501}}) {
				return err
			}
			return nil
		},
		"offset": func() error {
			for _, err := range client.Products.List(ctx, &ProductListParams{ListParams{Offset: 50001}}) {
				return err
			}
			return nil
		},
	}
	for name, call := range cases {
		err := call()
		var ve *ValidationError
		assert.ErrorAs(t, err, &ve, name)
	}
	assert.Empty(t, rec.requests(), "nothing invalid is sent")
}
