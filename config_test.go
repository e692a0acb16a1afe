package chargedesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A configuration loaded from a file takes Go duration strings; a bare
// number, nanoseconds as encoding/json reads a time.Duration, is refused by
// NewHandler when under a second instead of turning into a 25 ns deadline.
func TestConfigDurationsFromJSON(t *testing.T) {
	var cfg chargedesk.Config
	require.NoError(t, json.Unmarshal([]byte(`{"base_path": "/cd", "timeout": "25s", "duplicate_window": "1m30s",
		"headers": [{"name": "Authorization", "values": ["Bearer config-file-secret-0123"]}]}`), &cfg))
	assert.Equal(t, 25*time.Second, cfg.Timeout)
	assert.Equal(t, 90*time.Second, cfg.DuplicateWindow)
	assert.Equal(t, "/cd", cfg.BasePath)
	_, err := chargedesk.NewHandler(chargedesk.UnimplementedGateway{}, cfg)
	require.NoError(t, err)

	out, err := json.Marshal(cfg)
	require.NoError(t, err)
	var again chargedesk.Config
	require.NoError(t, json.Unmarshal(out, &again))
	assert.Equal(t, cfg.Timeout, again.Timeout, "written as %s", out)
	assert.Equal(t, cfg.DuplicateWindow, again.DuplicateWindow)

	require.Error(t, json.Unmarshal([]byte(`{"timeout": "soon"}`), &cfg))

	for _, c := range []struct {
		json, setting string
	}{{`{"timeout": 25}`, "Timeout"}, {`{"timeout": "500ms"}`, "Timeout"}, {`{"duplicate_window": 60}`, "DuplicateWindow"}} {
		cfg := chargedesk.Config{AllowUnauthenticated: true}
		require.NoError(t, json.Unmarshal([]byte(c.json), &cfg))
		_, err := chargedesk.NewHandler(chargedesk.UnimplementedGateway{}, cfg)
		var ce *chargedesk.ConfigError
		require.ErrorAs(t, err, &ce, c.json)
		assert.Equal(t, c.setting, ce.Setting)
		assert.Contains(t, ce.Problem, "under one second")
	}
	_, err = chargedesk.NewHandler(chargedesk.UnimplementedGateway{}, chargedesk.Config{AllowUnauthenticated: true,
		Timeout: -1, DuplicateWindow: -1})
	assert.NoError(t, err, "negative turns them off")
}

// A mount that hides part of the path (http.StripPrefix, a Base Path that
// differs from the mount) answers 404, and the log names the path received
// and the Base Path expected.
func TestMountMistakeIsExplainedInTheLog(t *testing.T) {
	logs := &chargedesk.LogBuffer{}
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		l := zerolog.New(logs)
		cfg.Logger = &l
	})
	mux := http.NewServeMux()
	mux.Handle("/chargedesk/", http.StripPrefix("/chargedesk", h))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, "No ChargeDesk action is configured at this path; check the paths on the Custom Integration's configure page.",
		errorMessage(t, rec))
	_, lines := logs.Lines(t)
	require.NotEmpty(t, lines)
	msg, _ := lines[len(lines)-1]["error"].(string)
	assert.Contains(t, msg, `the path "/refund"`)
	assert.Contains(t, msg, `the Base Path is "/chargedesk"`)
	assert.Contains(t, msg, "http.StripPrefix")
	assert.Empty(t, gw.Calls())
}

// countingReader records how much of a body was read.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// When the only secret is the fixed text of a templated header, a request
// without it is refused before its body is read: an unauthenticated large
// body costs nothing.
func TestTemplatedSecretIsCheckedBeforeTheBody(t *testing.T) {
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		cfg.Headers = []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer templated-secret-0123-{charge_id}"}}}
	})
	body := readRequest(t, chargedesk.ActionRefund)
	big := append(bytes.Repeat([]byte(" "), 842<<10), body...)
	for name, header := range map[string]string{
		"wrong secret":     "Bearer templated-secret-9999-example-Xs84hY5BSt5IttuRSIsQIA8r",
		"no secret":        "example-Xs84hY5BSt5IttuRSIsQIA8r",
		"empty":            "",
		"prefix too short": "Bearer",
	} {
		counter := &countingReader{r: bytes.NewReader(big)}
		r := httptest.NewRequest(http.MethodPost, "/chargedesk/refund", counter)
		r.Header.Set("Content-Type", "application/json")
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, name)
		assert.Zero(t, counter.read, "%s: the body was not read", name)
	}
	// The right secret still needs the payload to agree on the charge id.
	for header, want := range map[string]int{
		"Bearer templated-secret-0123-example-Xs84hY5BSt5IttuRSIsQIA8r": http.StatusOK,
		"Bearer templated-secret-0123-another-charge":                   http.StatusUnauthorized,
	} {
		r := webhook("/chargedesk/refund", body)
		r.Header.Set("Authorization", header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Equal(t, want, rec.Code, header)
	}
}

// A placeholder is bound to the field the Gateway gets: a body that spells
// a known key in another case or Unicode folding is refused, rather than
// decoded into the field while the placeholder reads it as absent.
func TestPlaceholdersBindToTheDecodedField(t *testing.T) {
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		cfg.Headers = append(cfg.Headers, chargedesk.Header{Name: "X-Customer", Values: []string{"{customer_id}"}})
	})
	body := string(readRequest(t, chargedesk.ActionRefund))
	for name, variant := range map[string]string{
		"upper case object": strings.Replace(body, `"charge"`, `"CHARGE"`, 1),
		"mixed case field":  strings.Replace(body, `"customer_id"`, `"Customer_ID"`, 1),
		"long s":            strings.Replace(body, `"customer_id"`, `"cu`+"\u017f"+`tomer_id"`, 1),
	} {
		require.NotEqual(t, body, variant, name)
		r := webhook("/chargedesk/refund", []byte(variant))
		r.Header.Set("X-Customer", "") // what the placeholder reads if the variant were missed
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", name, rec.Body)
	}
	assert.Empty(t, gw.Calls())
}

// A gateway adds its fields to the webhook's one log line through the
// request's logger, instead of writing a line of its own.
func TestGatewayFieldsJoinTheWebhookLine(t *testing.T) {
	logs := &chargedesk.LogBuffer{}
	gw := &fakeGateway{Answer: func(ctx context.Context, _ chargedesk.Action, req any) (*chargedesk.Response, error) {
		zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str("platform_refund_id", "re_1") })
		return chargedesk.RefundAnswer(req.(*chargedesk.RefundRequest))
	}}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		l := zerolog.New(logs)
		cfg.Logger = &l
		cfg.Middleware = cfg.DefaultMiddleware()
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
	require.Equal(t, http.StatusOK, rec.Code)
	_, lines := logs.Lines(t)
	require.Len(t, lines, 1, "one line per webhook")
	assert.Equal(t, "re_1", lines[0]["platform_refund_id"])
	assert.Equal(t, "success", lines[0]["outcome"])
}

// Every Gateway call can read a stable idempotency key for its action: the
// same for an identical webhook sent again, another for another action.
func TestIdempotencyKey(t *testing.T) {
	var keys []string
	gw := &fakeGateway{Answer: func(ctx context.Context, _ chargedesk.Action, req any) (*chargedesk.Response, error) {
		keys = append(keys, chargedesk.IdempotencyKey(ctx))
		return chargedesk.RefundAnswer(req.(*chargedesk.RefundRequest))
	}}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) { cfg.DuplicateWindow = -1 })
	body := readRequest(t, chargedesk.ActionRefund)
	other := setPath(t, body, []string{"refund_amount"}, "5.00")
	for _, b := range [][]byte{body, body, other} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhook("/chargedesk/refund", b))
		require.Equal(t, http.StatusOK, rec.Code)
	}
	require.Len(t, keys, 3)
	assert.Regexp(t, `^chargedesk-[0-9a-f]{40}$`, keys[0])
	assert.Equal(t, keys[0], keys[1], "an identical retry has the same key")
	assert.NotEqual(t, keys[0], keys[2])
	assert.Empty(t, chargedesk.IdempotencyKey(context.Background()))
}

// leaseLocker hands out MemoryLocker leases that the test can declare lost.
type leaseLocker struct {
	*chargedesk.MemoryLocker
	lose chan struct{}
}

type losableLease struct {
	chargedesk.Lease
	lose chan struct{}
}

func (l *leaseLocker) Lock(ctx context.Context, key string, terms chargedesk.LeaseTerms) (chargedesk.Lease, error) {
	lease, err := l.MemoryLocker.Lock(ctx, key, terms)
	if err != nil {
		return nil, err
	}
	return losableLease{lease, l.lose}, nil
}

func (l losableLease) Lost() <-chan struct{} { return l.lose }

// When a lock is lost while the Gateway works (a lease not renewed), the
// Gateway's context is cancelled and an error line says which action to
// reconcile, with its idempotency key.
func TestLostLockCancelsTheGateway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &chargedesk.LogBuffer{}
		locker := &leaseLocker{MemoryLocker: chargedesk.NewMemoryLocker(), lose: make(chan struct{})}
		started := make(chan struct{})
		var gatewayErr error
		gw := &fakeGateway{Answer: func(ctx context.Context, _ chargedesk.Action, _ any) (*chargedesk.Response, error) {
			close(started)
			<-ctx.Done()
			gatewayErr = ctx.Err()
			return nil, ctx.Err()
		}}
		h := newHandler(t, gw, func(cfg *chargedesk.Config) {
			l := zerolog.New(logs)
			cfg.Logger = &l
			cfg.Locker = locker
			cfg.Timeout = 25 * time.Second
		})
		start := time.Now()
		done := make(chan *httptest.ResponseRecorder)
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund)))
			done <- rec
		}()
		<-started
		time.Sleep(3 * time.Second) // the lease renews, then fails
		close(locker.lose)
		rec := <-done
		assert.Equal(t, 3*time.Second, time.Since(start), "the gateway stopped when the lock was lost, not at the deadline")
		assert.ErrorIs(t, gatewayErr, context.Canceled)
		assert.Equal(t, http.StatusInternalServerError, rec.Code, "the outcome is unknown: %s", rec.Body)
		_, lines := logs.Lines(t)
		var lost map[string]any
		for _, l := range lines {
			if strings.Contains(fmt.Sprint(l["message"]), "a lock was lost") {
				lost = l
			}
		}
		require.NotNil(t, lost, "logged: %v", lines)
		assert.Equal(t, "error", lost["level"])
		assert.Regexp(t, `^chargedesk-[0-9a-f]{40}$`, lost["idempotency_key"])
		assert.Equal(t, "example-Xs84hY5BSt5IttuRSIsQIA8r", lost["charge_id"])

		// The outcome is unknown: the charge is held for the settle time.
		_, err := locker.Lock(context.Background(), "charge:example-Xs84hY5BSt5IttuRSIsQIA8r", chargedesk.LeaseTerms{})
		var held *chargedesk.HeldError
		assert.ErrorAs(t, err, &held)
	})
}

func TestNewHandlerConfigErrors(t *testing.T) {
	auth := func(values ...string) []chargedesk.Header {
		return []chargedesk.Header{{Name: "Authorization", Values: values}}
	}
	tests := []struct {
		name    string
		gateway chargedesk.Gateway
		change  func(*chargedesk.Config)
		setting string
	}{
		{name: "no header", change: func(c *chargedesk.Config) { c.Headers = nil }, setting: "Headers"},
		{name: "short secret", change: func(c *chargedesk.Config) { c.Headers = auth("Bearer short") }, setting: "Headers"},
		{name: "one short value among two", change: func(c *chargedesk.Config) { c.Headers = auth(secret, "short") },
			setting: "Headers"},
		{name: "placeholders only", change: func(c *chargedesk.Config) {
			c.Headers = []chargedesk.Header{{Name: "X-Charge", Values: []string{"{charge_id}{customer_id}"}}}
		}, setting: "Headers"},
		{name: "unknown placeholder in a header", change: func(c *chargedesk.Config) {
			c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Charge", Values: []string{"{nope}"}})
		}, setting: "Headers[1].Values[0]"},
		{name: "unknown placeholder in the base path",
			change: func(c *chargedesk.Config) { c.BasePath = "/hooks/{nope}" }, setting: "BasePath"},
		{name: "unknown placeholder in a path", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionVoid: "/void/{nope}"}
		}, setting: "Paths[void]"},
		{name: "bad header name", change: func(c *chargedesk.Config) { c.Headers[0].Name = "Auth orization" },
			setting: "Headers[0].Name"},
		{name: "empty header name", change: func(c *chargedesk.Config) { c.Headers[0].Name = "" },
			setting: "Headers[0].Name"},
		{name: "header twice", change: func(c *chargedesk.Config) {
			c.Headers = append(c.Headers, chargedesk.Header{Name: "authorization", Values: []string{secret}})
		}, setting: "Headers[1].Name"},
		{name: "header without values", change: func(c *chargedesk.Config) { c.Headers[0].Values = nil },
			setting: "Headers[0].Values"},
		{name: "duplicate paths", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/x", chargedesk.ActionCapture: "/x"}
		}, setting: "Paths[capture]"},
		{name: "path equal to another action's default", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionVoid: "/capture"}
		}, setting: "Paths[void]"},
		{name: "path without leading slash", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "refund"}
		}, setting: "Paths[refund]"},
		{name: "base path with query", change: func(c *chargedesk.Config) { c.BasePath = "/chargedesk?company=x" },
			setting: "BasePath"},
		{name: "base path with fragment", change: func(c *chargedesk.Config) { c.BasePath = "/chargedesk#x" },
			setting: "BasePath"},
		{name: "base path without slash", change: func(c *chargedesk.Config) { c.BasePath = "chargedesk" },
			setting: "BasePath"},
		{name: "base path with a wildcard", change: func(c *chargedesk.Config) { c.BasePath = "/hooks/*" },
			setting: "BasePath"},
		{name: "base path with a stray brace", change: func(c *chargedesk.Config) { c.BasePath = "/hooks/{x" },
			setting: "BasePath"},
		{name: "path with a stray brace", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{id:[0-9]+}"}
		}, setting: "Paths[refund]"},
		{name: "base path URL of another scheme", change: func(c *chargedesk.Config) { c.BasePath = "ftp://x/y" },
			setting: "BasePath"},
		{name: "unknown action", change: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{"bogus": "/bogus"}
		}, setting: "Paths[bogus]"},
		{name: "nil gateway", gateway: nil, setting: "gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.change != nil {
				tt.change(&cfg)
			}
			gw := tt.gateway
			if gw == nil && tt.setting != "gateway" {
				gw = &fakeGateway{}
			}
			h, err := chargedesk.NewHandler(gw, cfg)
			var cfgErr *chargedesk.ConfigError
			require.ErrorAs(t, err, &cfgErr)
			assert.Nil(t, h)
			assert.Equal(t, tt.setting, cfgErr.Setting, "error: %v", err)
			assert.NotEmpty(t, cfgErr.Problem)
			assert.NotContains(t, err.Error(), secretValue)
		})
	}

	t.Run("no header but AllowUnauthenticated", func(t *testing.T) {
		cfg := testConfig()
		cfg.Headers = nil
		cfg.AllowUnauthenticated = true
		h, err := chargedesk.NewHandler(&fakeGateway{}, cfg)
		require.NoError(t, err)
		assert.NotNil(t, h)
	})
}

// TestConfigErrorHidesSecrets checks that what is wrong with a header is
// told without its value.
func TestConfigErrorHidesSecrets(t *testing.T) {
	const hidden = "s3cr3t-d0-not-print"
	values := []string{
		"Bearer " + hidden + " {nope}",
		"Bearer " + hidden + "\n",
		" Bearer " + hidden,
		"Bearer " + hidden + "\x00",
		hidden[:8],
	}
	for i, v := range values {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			cfg := testConfig()
			cfg.Headers = []chargedesk.Header{{Name: "Authorization", Values: []string{v}}}
			_, err := chargedesk.NewHandler(&fakeGateway{}, cfg)
			var cfgErr *chargedesk.ConfigError
			require.ErrorAs(t, err, &cfgErr)
			assert.NotContains(t, err.Error(), hidden[:8])
		})
	}
}
