package middleware

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBodyLimit(t *testing.T) {
	const chunked = -1
	tests := []struct {
		name          string
		limit         int64
		body          string
		contentLength int64
		wantStatus    int
		wantCalled    bool
		wantReadErr   bool // next's read fails with *http.MaxBytesError
	}{
		{name: "under", limit: 10, body: "12345", contentLength: 5, wantStatus: 200, wantCalled: true},
		{name: "exactly n", limit: 10, body: "1234567890", contentLength: 10, wantStatus: 200, wantCalled: true},
		{name: "exactly n chunked", limit: 10, body: "1234567890", contentLength: chunked, wantStatus: 200, wantCalled: true},
		{name: "empty", limit: 10, body: "", contentLength: 0, wantStatus: 200, wantCalled: true},
		{name: "content-length over", limit: 10, body: "12345678901", contentLength: 11, wantStatus: 413},
		{name: "chunked over", limit: 10, body: "12345678901", contentLength: chunked, wantStatus: 413, wantCalled: true, wantReadErr: true},
		{name: "lying content-length", limit: 10, body: strings.Repeat("x", 20), contentLength: 5, wantStatus: 413, wantCalled: true, wantReadErr: true},
		{name: "zero means default", limit: 0, body: "x", contentLength: DefaultBodyLimit + 1, wantStatus: 413},
		{name: "negative means default", limit: -1, body: "x", contentLength: DefaultBodyLimit + 1, wantStatus: 413},
		{name: "default allows its limit", limit: 0, body: strings.Repeat("x", int(DefaultBodyLimit)), contentLength: DefaultBodyLimit, wantStatus: 200, wantCalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called bool
			var readErr error
			h := BodyLimit(tt.limit)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				b, err := io.ReadAll(r.Body)
				readErr = err
				if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
					w.WriteHeader(http.StatusRequestEntityTooLarge)
					return
				}
				assert.Equal(t, tt.body, string(b))
			}))
			req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(tt.body)))
			req.ContentLength = tt.contentLength
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantCalled, called)
			if tt.wantReadErr {
				var mbe *http.MaxBytesError
				require.ErrorAs(t, readErr, &mbe)
				want := tt.limit
				if want <= 0 {
					want = DefaultBodyLimit
				}
				assert.Equal(t, want, mbe.Limit)
			} else {
				assert.NoError(t, readErr)
			}
			if tt.wantStatus == 413 && !tt.wantCalled {
				want := tt.limit
				if want <= 0 {
					want = DefaultBodyLimit
				}
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.JSONEq(t, `{"error": "The webhook body is larger than the `+
					strconv.FormatInt(want, 10)+` bytes this integration accepts."}`, rec.Body.String())
			}
		})
	}
}

func TestBodyLimitNilBody(t *testing.T) {
	var called bool
	h := BodyLimit(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Body = nil
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.True(t, called)
}
