package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// DefaultBaseURL is ChargeDesk's production API.
const DefaultBaseURL = "https://api.chargedesk.com/v1"

// MaxResponseBytes bounds the body of one answer the client reads; a
// longer answer is an error. A page of 500 charges with line items fits
// many times over.
const MaxResponseBytes = 32 << 20

// Version is this client's version, sent in its User-Agent.
const Version = "0.1.0"

// DefaultConnections is how many idle connections to the API the default
// HTTP client keeps: as many as an [Importer] keeps in flight by default.
const DefaultConnections = DefaultMaxInFlight

// Client calls ChargeDesk's REST API. Build it with [NewClient]; it is safe
// for concurrent use, and its services are its fields.
type Client struct {
	Charges       *ChargesService
	Customers     *CustomersService
	Subscriptions *SubscriptionsService
	Products      *ProductsService
	Webhooks      *WebhooksService
	Gateway       *GatewayService

	b *backend
}

// Option configures a Client.
type Option func(*backend)

// WithBaseURL sets the API's base URL (default [DefaultBaseURL]), such as a
// local ChargeDesk's http://127.0.0.1:8090/v1. Plain http is refused except
// on a loopback address, since the key travels with every request: a
// Client with a refused or malformed URL fails every call with the reason.
func WithBaseURL(u string) Option { return func(b *backend) { b.rawBase = u } }

// WithHTTPClient sets the *http.Client requests go through (default: one
// with a 60 s timeout per attempt and a pool of [DefaultConnections] idle
// connections). The client uses a copy of c that follows no redirects, so
// that the API key never travels to another origin; c itself is not
// changed. A nil c means the default.
func WithHTTPClient(c *http.Client) Option { return func(b *backend) { b.http = c } }

// WithConnections sets how many idle connections to the API the default
// HTTP client keeps for reuse (default [DefaultConnections]). Size it to
// the requests you keep in flight: a request that finds no idle connection
// opens a new one. It has no effect with [WithHTTPClient], whose transport
// decides.
func WithConnections(n int) Option { return func(b *backend) { b.conns = n } }

// WithRetryPolicy sets how reads and upserts are retried (default: the zero
// RetryPolicy's defaults).
func WithRetryPolicy(p RetryPolicy) Option { return func(b *backend) { b.retry = p } }

// WithUserAgent adds ua (your application's name and version) before this
// client's own User-Agent.
func WithUserAgent(ua string) Option { return func(b *backend) { b.userAgent = ua } }

// WithLogger sets where retries are logged, at warn level (default: not
// logged). Lines carry the method, path, status and wait; never the key or a
// request body.
func WithLogger(l zerolog.Logger) Option { return func(b *backend) { b.log = l } }

// NewClient returns a client that authenticates with key, ChargeDesk's
// secret API key. An empty key, or a bad option, fails every call with the
// reason, so the client never sends an unauthenticated request.
func NewClient(key string, opts ...Option) *Client {
	b := &backend{
		key:     key,
		rawBase: DefaultBaseURL,
		log:     zerolog.Nop(),
		sleep:   sleepContext,
		now:     time.Now,
		jitter:  rand.Float64,
	}
	for _, o := range opts {
		o(b)
	}
	b.init()
	return &Client{
		Charges:       &ChargesService{b},
		Customers:     &CustomersService{b},
		Subscriptions: &SubscriptionsService{b},
		Products:      &ProductsService{b},
		Webhooks:      &WebhooksService{b},
		Gateway:       &GatewayService{b},
		b:             b,
	}
}

type backend struct {
	key       string
	rawBase   string
	base      *url.URL
	baseURL   string // base, as text, without a trailing slash
	http      *http.Client
	conns     int
	retry     RetryPolicy
	userAgent string
	log       zerolog.Logger
	auth      string
	ua        string // the whole User-Agent header
	err       error  // a configuration error every call returns

	// Injected in tests: the wait between attempts, the clock that bounds
	// the total time, and the jitter source (0 <= jitter() < 1).
	sleep  func(context.Context, time.Duration) error
	now    func() time.Time
	jitter func() float64
}

func (b *backend) init() {
	if b.key == "" {
		b.err = errors.New("chargedesk api: no API key (set CHARGEDESK_API_KEY or pass one to NewClient)")
		return
	}
	u, err := url.Parse(strings.TrimRight(b.rawBase, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		b.err = fmt.Errorf("chargedesk api: the base URL %q is not an http(s) URL", b.rawBase)
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		b.err = fmt.Errorf("chargedesk api: the base URL %q is plain http to a host that is not loopback; the API key would travel in clear", b.rawBase)
		return
	}
	b.http = noRedirects(b.http, b.conns)
	b.base = u
	b.baseURL = u.String()
	b.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(b.key+":"))
	b.ua = "chargedesk-go/" + Version
	if b.userAgent != "" {
		b.ua = b.userAgent + " " + b.ua
	}
	b.retry = b.retry.withDefaults()
}

// noRedirects returns the *http.Client the backend sends with: a copy of
// user's (nil: a default one with a pool of conns idle connections) that
// follows no redirect. ChargeDesk's API has no reason to redirect; following
// one would send the key to whatever origin the Location names, and would
// turn a POST into a GET whose answer looks like a success.
func noRedirects(user *http.Client, conns int) *http.Client {
	var c http.Client
	if user != nil {
		c = *user
	} else {
		if conns <= 0 {
			conns = DefaultConnections
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = max(t.MaxIdleConns, conns)
		t.MaxIdleConnsPerHost = conns
		c = http.Client{Transport: t, Timeout: 60 * time.Second}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call is one API operation.
type call struct {
	method string
	path   string // under the base URL, already escaped
	params any    // a params struct, or nil
	extra  phpquery.Object
	// safe marks an operation that may be repeated: reads and upserts.
	safe bool
	// encoded, when set, is the form already encoded (params and extra are
	// then ignored).
	encoded string
	// hooks, when set, are told of each attempt (the Importer's pacing).
	hooks *attemptHooks
}

// attemptHooks let a caller pace every attempt of a call, retries
// included, and learn how each went.
type attemptHooks struct {
	// before is called before each attempt; an error ends the call with it.
	before func(ctx context.Context) error
	// after is called after each attempt with its duration and error.
	after func(took time.Duration, err error)
}

// do performs c, retrying as the policy allows, and decodes a 2xx answer
// into out (when not nil) with the tolerant rules.
func (b *backend) do(ctx context.Context, c call, out any) error {
	if b.err != nil {
		return b.err
	}
	encoded := c.encoded
	if encoded == "" {
		var err error
		if encoded, err = encodeForm(c.params, c.extra); err != nil {
			return fmt.Errorf("chargedesk api: %s %s: %w", c.method, c.path, err)
		}
	}
	start := b.now()
	for attempt := 1; ; attempt++ {
		if c.hooks != nil && c.hooks.before != nil {
			if err := c.hooks.before(ctx); err != nil {
				return err
			}
		}
		sent := b.now()
		body, reached, err := b.send(ctx, c, encoded)
		if c.hooks != nil && c.hooks.after != nil {
			c.hooks.after(b.now().Sub(sent), err)
		}
		if err == nil {
			if out == nil {
				return nil
			}
			if u, ok := out.(json.Unmarshaler); ok {
				err = u.UnmarshalJSON(body)
			} else {
				err = wire.Decode(body, out)
			}
			if err != nil {
				return fmt.Errorf("chargedesk api: %s %s: the answer does not decode: %w", c.method, c.path, err)
			}
			return nil
		}
		wait, retry := b.retry.next(attempt, err, c.safe, reached, b.jitter)
		if !retry || ctx.Err() != nil {
			return err
		}
		if b.now().Add(wait).Sub(start) > b.retry.MaxElapsed {
			return err
		}
		b.log.Warn().Str("method", c.method).Str("path", c.path).Int("attempt", attempt).
			Dur("wait", wait).Str("error", errorKind(err)).Msg("chargedesk api: retrying")
		if err := b.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// encodeForm encodes params and extra as PHP's http_build_query would.
func encodeForm(params any, extra phpquery.Object) (string, error) {
	form, err := phpquery.FromStruct(params)
	if err != nil {
		return "", err
	}
	return phpquery.Encode(append(form, extra...), phpquery.Indexed), nil
}

// send makes one attempt. reached reports whether the request may have
// reached ChargeDesk (its headers were written); it is only traced for an
// operation that is not safe, the one case where it matters.
func (b *backend) send(ctx context.Context, c call, encoded string) (body []byte, reached bool, err error) {
	u := b.baseURL + c.path
	var reader io.Reader
	if c.method == http.MethodPost {
		reader = strings.NewReader(encoded)
	} else if encoded != "" {
		u += "?" + encoded
	}
	var wrote atomic.Bool
	if !c.safe {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			WroteHeaders: func() { wrote.Store(true) },
		})
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, reader)
	if err != nil {
		return nil, false, fmt.Errorf("chargedesk api: %s %s: %w", c.method, c.path, err)
	}
	req.Header = http.Header{
		"Authorization": {b.auth},
		"Accept":        {"application/json"},
		"User-Agent":    {b.ua},
	}
	if reader != nil {
		req.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, wrote.Load(), &transportError{method: c.method, path: c.path, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, true, redirectError(resp, c)
	}
	body, err = readBody(resp)
	if err != nil {
		return nil, true, &transportError{method: c.method, path: c.path, err: err}
	}
	if len(body) > MaxResponseBytes {
		return nil, true, fmt.Errorf("chargedesk api: %s %s: the answer is longer than %d bytes", c.method, c.path, MaxResponseBytes)
	}
	if apiErr := answerError(resp, body, c, b.now); apiErr != nil {
		return nil, true, apiErr
	}
	return body, true, nil
}

// readBody reads an answer's body, at most MaxResponseBytes+1 bytes, in
// one allocation when the length is announced.
func readBody(resp *http.Response) ([]byte, error) {
	limited := io.LimitReader(resp.Body, MaxResponseBytes+1)
	if n := resp.ContentLength; n >= 0 && n <= MaxResponseBytes {
		buf := make([]byte, n+1) // +1 sees a body longer than announced
		got, err := io.ReadFull(limited, buf)
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return buf[:got], nil
		case err != nil:
			return nil, err
		}
		rest, err := io.ReadAll(limited)
		return append(buf, rest...), err
	}
	return io.ReadAll(limited)
}

// redirectError is the *Error of a 3xx answer, which the client never
// follows. It names the status and the origin the Location points to,
// never its path or query (they can carry tokens).
func redirectError(resp *http.Response, c call) *Error {
	where := "no usable Location"
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		where = "a redirect to " + loc.Scheme + "://" + loc.Host
	}
	return &Error{StatusCode: resp.StatusCode, Method: c.method, Path: c.path, Type: "redirect",
		Message: fmt.Sprintf("%s with %s; the client follows no redirects from ChargeDesk's API (is the base URL right?)", http.StatusText(resp.StatusCode), where)}
}

// transportError is a request that got no answer.
type transportError struct {
	method, path string
	err          error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("chargedesk api: %s %s: %v", e.method, e.path, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

func errorKind(err error) string {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return strconv.Itoa(apiErr.StatusCode)
	}
	return "connection"
}

// answerError returns the *Error an answer holds: a status other than 2xx,
// or a 2xx body with an "error" member.
func answerError(resp *http.Response, body []byte, c call, now func() time.Time) *Error {
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && !bytes.Contains(body, []byte(`"error"`)) && !bytes.Contains(body, []byte(`\u`)) {
		return nil // no member can be named error, escaped or not: nothing to decode
	}
	var envelope struct {
		Error json.RawMessage `json:"error"`
	}
	decoded := json.Unmarshal(body, &envelope) == nil
	hasError := decoded && len(envelope.Error) > 0 && string(envelope.Error) != "null" && string(envelope.Error) != "false"
	if ok && !hasError {
		return nil
	}
	e := &Error{StatusCode: resp.StatusCode, Method: c.method, Path: c.path,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	if hasError {
		var detail struct {
			Message            string `json:"message"`
			Type               string `json:"type"`
			Code               string `json:"code"`
			IncorrectParameter string `json:"incorrect_parameter"`
			Param              string `json:"param"`
		}
		if err := wire.Decode(envelope.Error, &detail); err == nil {
			e.Message, e.Type, e.Code = detail.Message, detail.Type, detail.Code
			e.IncorrectParameter = cmp.Or(detail.IncorrectParameter, detail.Param)
		} else if trimmed := bytes.TrimSpace(envelope.Error); trimmed[0] == '"' {
			e.Message = wire.RawText(trimmed) // {"error": "message"}
		}
		var top struct {
			IncorrectParameter string `json:"incorrect_parameter"`
		}
		if e.IncorrectParameter == "" && wire.Decode(body, &top) == nil {
			e.IncorrectParameter = top.IncorrectParameter
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now func() time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 86400 {
			secs = 86400
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now()); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
