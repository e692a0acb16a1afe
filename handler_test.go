package chargedesk_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandlerRouting(t *testing.T) {
	runCases(t, []errCase{
		{name: "unknown path", path: "/chargedesk/nope", status: http.StatusNotFound, contains: []string{"path"}},
		{name: "outside the base path", path: "/refund", status: http.StatusNotFound},
		{name: "action path under another base", path: "/other/refund", status: http.StatusNotFound},
		{name: "GET on an action path", method: http.MethodGet, status: http.StatusMethodNotAllowed,
			contains: []string{"POST"}, headers: map[string]string{"Allow": http.MethodPost}},
		{name: "PUT on an action path", method: http.MethodPut, status: http.StatusMethodNotAllowed,
			headers: map[string]string{"Allow": http.MethodPost}},
		{name: "trailing slash", path: "/chargedesk/refund/", status: http.StatusOK, called: 1},
		{name: "no content type", header: func(h http.Header) { h.Del("Content-Type") }, status: http.StatusOK, called: 1},
		{name: "text/plain content type", header: func(h http.Header) { h.Set("Content-Type", "text/plain") },
			status: http.StatusOK, called: 1},
		{name: "custom path", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/money-back"}
		}, path: "/chargedesk/money-back", status: http.StatusOK, called: 1},
		{name: "default path of a moved action", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/money-back"}
		}, status: http.StatusNotFound},
		{name: "base path given as a URL", config: func(c *chargedesk.Config) {
			c.BasePath = "https://pay.example.com/chargedesk/"
		}, status: http.StatusOK, called: 1},
	})
}

// TestHandlerMounted serves a refund and refuses an unknown path through
// each way of mounting the handler the docs name.
func TestHandlerMounted(t *testing.T) {
	mounts := []struct {
		name  string
		mount func(h http.Handler) http.Handler
	}{
		{"chi Mount", func(h http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Mount("/chargedesk", h)
			return r
		}},
		{"chi Route", func(h http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Route("/chargedesk", func(r chi.Router) { r.Mount("/", h) })
			return r
		}},
		{"ServeMux", func(h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/chargedesk/", h)
			return mux
		}},
		{"ServeMux with method", func(h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("POST /chargedesk/", h)
			return mux
		}},
	}
	for _, m := range mounts {
		t.Run(m.name, func(t *testing.T) {
			gw := &fakeGateway{}
			srv := httptest.NewServer(m.mount(newHandler(t, gw, nil)))
			t.Cleanup(srv.Close)

			status, body := postTo(t, srv, "/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
			assert.Equal(t, http.StatusOK, status, "body: %s", body)
			assert.JSONEq(t, `{"charge":{"status":"partially refunded","amount_refunded":12.34}}`, body)
			assert.Len(t, gw.Calls(), 1)

			status, body = postTo(t, srv, "/chargedesk/nope", readRequest(t, chargedesk.ActionRefund))
			assert.Equal(t, http.StatusNotFound, status)
			assert.Contains(t, body, `"error"`)
			assert.Len(t, gw.Calls(), 1)
		})
	}
}

// TestHandlerInParentRouter checks that mounting the handler leaves the
// parent chi router's other routes, parameters and middleware alone.
func TestHandlerInParentRouter(t *testing.T) {
	gw := &fakeGateway{}
	var seen []string
	var mu sync.Mutex
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			seen = append(seen, req.URL.Path)
			mu.Unlock()
			next.ServeHTTP(w, req)
		})
	})
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	r.Get("/users/{id}", func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, "user "+chi.URLParam(req, "id"))
	})
	r.Mount("/chargedesk", newHandler(t, gw, nil))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get("/health")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok", body)

	status, _ = postTo(t, srv, "/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
	assert.Equal(t, http.StatusOK, status)

	status, body = get("/users/42")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "user 42", body)

	status, _ = get("/elsewhere")
	assert.Equal(t, http.StatusNotFound, status)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/health", "/chargedesk/refund", "/users/42", "/elsewhere"}, seen)
	assert.Len(t, gw.Calls(), 1)
}
