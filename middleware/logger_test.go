package middleware

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logLines decodes the JSON lines zerolog wrote to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		lines = append(lines, m)
	}
	return lines
}

func TestLoggerOneLineWithHandlerFields(t *testing.T) {
	var buf bytes.Buffer
	h := RequestID(Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("action", "refund").Str("charge_id", "ch_123")
		})
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "done")
	})))
	req := httptest.NewRequest(http.MethodPost, "/webhook", nil)
	req.Header.Set(RequestIDHeader, "req-1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	line := lines[0]
	assert.Equal(t, "info", line["level"])
	assert.Equal(t, "webhook", line["message"])
	assert.Equal(t, "req-1", line["request_id"])
	assert.Equal(t, "refund", line["action"])
	assert.Equal(t, "ch_123", line["charge_id"])
	assert.Equal(t, "POST", line["method"])
	assert.Equal(t, "/webhook", line["path"])
	assert.EqualValues(t, 201, line["status"])
	assert.EqualValues(t, 4, line["bytes"])
	assert.Contains(t, line, "duration")
}

func TestLoggerNeverLogsSecrets(t *testing.T) {
	var buf bytes.Buffer
	h := RequestID(Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})))
	req := httptest.NewRequest(http.MethodPost, "/webhook?token=query-secret",
		strings.NewReader("card=4242424242424242&email=jane@example.com"))
	req.Header.Set("Authorization", "Bearer header-secret")
	req.Header.Set("Cookie", "session=cookie-secret")
	h.ServeHTTP(httptest.NewRecorder(), req)

	out := buf.String()
	require.NotEmpty(t, out)
	for _, secret := range []string{"header-secret", "cookie-secret", "query-secret", "token=", "4242", "jane@example.com"} {
		assert.NotContains(t, out, secret)
	}
}

func TestLoggerLevels(t *testing.T) {
	tests := []struct {
		name   string
		status int // 0 never calls WriteHeader
		level  string
	}{
		{name: "implicit 200", status: 0, level: "info"},
		{name: "200", status: 200, level: "info"},
		{name: "302", status: 302, level: "info"},
		{name: "400", status: 400, level: "warn"},
		{name: "499", status: 499, level: "warn"},
		{name: "500", status: 500, level: "error"},
		{name: "503", status: 503, level: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))

			lines := logLines(t, &buf)
			require.Len(t, lines, 1)
			want := tt.status
			if want == 0 {
				want = 200
			}
			assert.EqualValues(t, want, lines[0]["status"])
			assert.Equal(t, tt.level, lines[0]["level"])
		})
	}
}

func TestLoggerPanicPropagates(t *testing.T) {
	var buf bytes.Buffer
	h := Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	assert.PanicsWithValue(t, "boom", func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	})

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "error", lines[0]["level"])
	assert.EqualValues(t, 500, lines[0]["status"])
}

func TestLoggerWithoutRequestID(t *testing.T) {
	var buf bytes.Buffer
	h := Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	assert.NotContains(t, lines[0], "request_id")
}

func TestLoggerFlush(t *testing.T) {
	rec := httptest.NewRecorder()
	h := Logger(zerolog.New(io.Discard))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, http.NewResponseController(w).Flush())
	}))
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	assert.True(t, rec.Flushed)
}

func TestLoggerDisabled(t *testing.T) {
	var called bool
	h := Logger(zerolog.Nop())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("action", "refund")
		})
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	assert.True(t, called)
}

// TestLoggerFieldsStayInTheirRequest runs requests at once through a base
// logger that has context fields of its own: fields one handler adds must not
// reach base or another request's line (run with -race).
func TestLoggerFieldsStayInTheirRequest(t *testing.T) {
	var buf bytes.Buffer
	base := zerolog.New(zerolog.SyncWriter(&buf)).With().Str("service", "billing").Logger()
	h := RequestID(Logger(base)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := GetRequestID(r.Context())
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("handler_saw", id)
		})
	})))

	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
		})
	}
	wg.Wait()

	lines := logLines(t, &buf)
	require.Len(t, lines, n)
	for _, line := range lines {
		assert.Equal(t, "billing", line["service"])
		assert.Equal(t, line["request_id"], line["handler_saw"])
	}
}

// TestLoggerRequestID checks the request id on the line and on the logger
// the handler reaches through zerolog.Ctx: the incoming X-Request-Id when it
// is well formed, a new one otherwise.
func TestLoggerRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string // "" sends none
		want     string // "" expects a generated id
	}{
		{name: "incoming", incoming: "chargedesk-7f3a.1", want: "chargedesk-7f3a.1"},
		{name: "none", incoming: ""},
		{name: "malformed", incoming: `evil" injected="1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := RequestID(Logger(zerolog.New(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				zerolog.Ctx(r.Context()).Info().Msg("inside")
			})))
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.incoming != "" {
				req.Header.Set(RequestIDHeader, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			id := rec.Header().Get(RequestIDHeader)
			if tt.want != "" {
				assert.Equal(t, tt.want, id)
			} else {
				assert.Regexp(t, generatedID, id)
			}
			lines := logLines(t, &buf)
			require.Len(t, lines, 2)
			assert.Equal(t, "inside", lines[0]["message"])
			assert.Equal(t, id, lines[0]["request_id"], "the handler's logger carries the request id")
			assert.Equal(t, "webhook", lines[1]["message"])
			assert.Equal(t, id, lines[1]["request_id"])
			if tt.incoming != "" && tt.want == "" {
				assert.NotContains(t, buf.String(), "injected", "a malformed id is never logged")
			}
		})
	}
}
