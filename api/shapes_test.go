package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// eachShape runs f as a subtest in each of the local ChargeDesk's answer
// shapes: a client must read ChargeDesk's documented answers and the
// seed's alike.
func eachShape(t *testing.T, f func(t *testing.T, shape apitest.Shape)) {
	t.Helper()
	for _, shape := range apitest.Shapes() {
		t.Run(string(shape), func(t *testing.T) { f(t, shape) })
	}
}

// newShapedAPI is newTestAPI with the local ChargeDesk answering in shape.
func newShapedAPI(t *testing.T, shape apitest.Shape, opts ...Option) (*apitest.Server, *recorder, *Client, *fakeClock) {
	t.Helper()
	fake := apitest.New(apitest.Options{Key: testKey, Now: testclock.Clock(), Shape: shape, EventClient: noNetwork})
	t.Cleanup(func() { _ = fake.Close() })
	rec := &recorder{next: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	client := NewClient(testKey, append([]Option{WithBaseURL(srv.URL + "/v1")}, opts...)...)
	clock := &fakeClock{now: testclock.Now(), jitter: 0.5}
	clock.install(client)
	return fake, rec, client, clock
}

// noNetwork is the local ChargeDesk's client for the event notifications
// to the webhooks the tests register (https://example.com/hook): it
// acknowledges each in-process, so that no test reaches the network.
var noNetwork = &http.Client{Transport: acknowledge{}}

type acknowledge struct{}

func (acknowledge) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
		Body: http.NoBody, Request: req}, nil
}
