package middleware

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const panicBody = `{"error": "The integration failed while processing this action; its outcome is unknown. Check the charge or subscription before retrying."}`

func TestRecovererKeepsServing(t *testing.T) {
	var buf bytes.Buffer
	h := RequestID(Logger(zerolog.New(&buf))(Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = io.WriteString(w, "ok")
	}))))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/panic", nil)
	req.Header.Set(RequestIDHeader, "req-1")
	require.NotPanics(t, func() { h.ServeHTTP(rec, req) })
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, panicBody, rec.Body.String())

	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "error", lines[0]["level"])
	assert.Equal(t, "panic in webhook handler", lines[0]["message"])
	assert.Equal(t, "boom", lines[0]["panic"])
	assert.Equal(t, "req-1", lines[0]["request_id"])
	assert.Contains(t, lines[0]["stack"], "recoverer_test.go")
	assert.Equal(t, "webhook", lines[1]["message"])
	assert.EqualValues(t, 500, lines[1]["status"])

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ok", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "ok", rec.Body.String())
}

func TestRecovererPanicValues(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
		want string
	}{
		{name: "error", fn: func() { panic(errors.New("gateway exploded")) }, want: "gateway exploded"},
		{name: "runtime error", fn: func() { var m map[string]int; m["x"] = 1 }, want: "assignment to entry in nil map"},
		{name: "string", fn: func() { panic("boom") }, want: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := Logger(zerolog.New(&buf))(Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.fn()
			})))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))

			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			lines := logLines(t, &buf)
			require.NotEmpty(t, lines)
			assert.Contains(t, lines[0]["panic"], tt.want)
		})
	}
}

func TestRecovererAfterHeaderWritten(t *testing.T) {
	h := Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "partial")
		panic("late")
	}))
	rec := httptest.NewRecorder()
	require.NotPanics(t, func() { h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil)) })
	assert.Equal(t, http.StatusAccepted, rec.Code)
	assert.Equal(t, "partial", rec.Body.String())
}

func TestRecovererErrAbortHandler(t *testing.T) {
	h := Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	})
}

// TestRecovererServer checks the same through a real loopback server.
func TestRecovererServer(t *testing.T) {
	srv := httptest.NewServer(Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()

	for _, tt := range []struct {
		path   string
		status int
	}{{"/panic", 500}, {"/ok", 200}, {"/panic", 500}} {
		resp, err := srv.Client().Post(srv.URL+tt.path, "application/json", nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, tt.status, resp.StatusCode, tt.path)
		if tt.status == 500 {
			assert.JSONEq(t, panicBody, string(body))
		}
	}
}

// TestRecovererNeverLogsRequest checks that the panic line holds the panic
// and the stack, never the request's headers, query or body.
func TestRecovererNeverLogsRequest(t *testing.T) {
	var buf bytes.Buffer
	h := RequestID(Logger(zerolog.New(&buf))(Recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		panic("gateway failed")
	}))))
	req := httptest.NewRequest(http.MethodPost, "/refund?key=query-secret",
		strings.NewReader(`{"charge":{"customer_email":"jane@example.com"}}`))
	req.Header.Set("Authorization", "Bearer header-secret-123456")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	require.Equal(t, http.StatusInternalServerError, rec.Code)
	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "panic in webhook handler", lines[0]["message"])
	out := buf.String()
	for _, secret := range []string{"header-secret-123456", "query-secret", "jane@example.com", "customer_email"} {
		assert.NotContains(t, out, secret)
	}
	assert.NotContains(t, rec.Body.String(), "gateway failed", "the panic value is not shown to the agent")
}
