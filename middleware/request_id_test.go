package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string // "" sends no header
		keep     bool
	}{
		{name: "absent", incoming: "", keep: false},
		{name: "simple", incoming: "abc-123", keep: true},
		{name: "all allowed characters", incoming: "AZaz09._:-", keep: true},
		{name: "one character", incoming: "x", keep: true},
		{name: "128 characters", incoming: strings.Repeat("a", 128), keep: true},
		{name: "129 characters", incoming: strings.Repeat("a", 129), keep: false},
		{name: "space", incoming: "abc 123", keep: false},
		{name: "slash", incoming: "a/b", keep: false},
		{name: "quote", incoming: `a"b`, keep: false},
		{name: "non-ASCII", incoming: "café", keep: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = GetRequestID(r.Context())
			}))
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.incoming != "" {
				req.Header.Set(RequestIDHeader, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if tt.keep {
				assert.Equal(t, tt.incoming, got)
			} else {
				assert.Regexp(t, generatedID, got)
			}
			assert.Equal(t, got, rec.Header().Get(RequestIDHeader))
		})
	}
}

func TestRequestIDUnique(t *testing.T) {
	seen := map[string]bool{}
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen[GetRequestID(r.Context())] = true
	}))
	for range 100 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	}
	require.Len(t, seen, 100)
}

func TestGetRequestIDAbsent(t *testing.T) {
	assert.Empty(t, GetRequestID(context.Background()))
}
