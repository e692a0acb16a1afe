package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResponseWriterDefaults(t *testing.T) {
	rec := httptest.NewRecorder()
	w := newResponseWriter(rec)
	assert.Equal(t, http.StatusOK, w.status)
	assert.False(t, w.wroteHeader)

	n, err := w.Write([]byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, http.StatusOK, w.status)
	assert.Equal(t, 5, w.bytes)
	assert.True(t, w.wroteHeader)
}

func TestResponseWriterStatus(t *testing.T) {
	rec := httptest.NewRecorder()
	w := newResponseWriter(rec)

	w.WriteHeader(http.StatusEarlyHints)
	assert.False(t, w.wroteHeader, "1xx is not the final header")

	w.WriteHeader(http.StatusAccepted)
	w.WriteHeader(http.StatusTeapot) // superfluous: ignored, as net/http does
	assert.Equal(t, http.StatusAccepted, w.status)
	assert.True(t, w.wroteHeader)
}

func TestResponseWriterFlush(t *testing.T) {
	rec := httptest.NewRecorder()
	w := newResponseWriter(newResponseWriter(rec))

	require.NoError(t, http.NewResponseController(w).Flush())
	assert.True(t, rec.Flushed)
	assert.True(t, w.wroteHeader)
	assert.Same(t, rec, w.Unwrap().(*responseWriter).Unwrap())
}

// plainWriter is an http.ResponseWriter that cannot flush.
type plainWriter struct{ http.ResponseWriter }

func TestResponseWriterFlushNotSupported(t *testing.T) {
	w := newResponseWriter(plainWriter{httptest.NewRecorder()})
	assert.ErrorIs(t, http.NewResponseController(w).Flush(), http.ErrNotSupported)
}
