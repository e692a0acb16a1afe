package apitest

import (
	"net/http/httptest"
	"testing"
)

// EachShape runs f as a subtest of t once for each Shape, with a new
// Server made from opts in that shape (opts.Shape is ignored), served on a
// loopback httptest.Server that is closed when the subtest ends. baseURL is
// the API's URL, ending in /v1, as api.WithBaseURL takes it. Anything that
// reads ChargeDesk's answers (a client, an importer, a sync) should pass in
// both shapes.
func EachShape(t *testing.T, opts Options, f func(t *testing.T, s *Server, baseURL string)) {
	t.Helper()
	for _, shape := range Shapes() {
		t.Run(string(shape), func(t *testing.T) {
			o := opts
			o.Shape = shape
			s := New(o)
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			f(t, s, srv.URL+"/v1")
		})
	}
}
