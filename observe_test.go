package chargedesk_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Observe -----------------------------------------------------------------

func TestObserve(t *testing.T) {
	refund := func(t *testing.T) *http.Request {
		return actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_obs", "1.00", "r"))
	}
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		gateway func(ctx context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error)
		action  chargedesk.Action
		outcome chargedesk.Outcome
		status  int
	}{
		{name: "success", req: refund, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeSuccess, status: 200},
		{name: "401", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.Header.Set("Authorization", "Bearer wrong-secret-0000000000")
			return r
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeUnauthorized, status: 401},
		{name: "404", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.URL.Path = "/chargedesk/refunds"
			return r
		}, action: "", outcome: chargedesk.OutcomeNotFound, status: 404},
		{name: "405", req: func(t *testing.T) *http.Request {
			r := refund(t)
			r.Method = http.MethodGet
			return r
		}, action: "", outcome: chargedesk.OutcomeNotFound, status: 405},
		{name: "413 by middleware", req: func(t *testing.T) *http.Request {
			return actionRequest(chargedesk.ActionRefund, bytes.Repeat([]byte("x"), 1<<20+1))
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 413},
		{name: "413 by the handler", req: func(t *testing.T) *http.Request {
			r := actionRequest(chargedesk.ActionRefund, bytes.Repeat([]byte("x"), 1<<20+1))
			r.ContentLength = -1
			return r
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 413},
		{name: "422", req: func(t *testing.T) *http.Request {
			return actionRequest(chargedesk.ActionRefund, refundBody(t, "ch_obs", "20.01", "r"))
		}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeInvalid, status: 422},
		{name: "422 refused by the gateway", req: refund,
			gateway: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				return nil, chargedesk.AgentErrorf("No.")
			}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeRefused, status: 422},
		{name: "500 panic", req: refund,
			gateway: func(context.Context, *chargedesk.RefundRequest) (*chargedesk.Response, error) { panic("boom") },
			action:  chargedesk.ActionRefund, outcome: chargedesk.OutcomeError, status: 500},
		{name: "504", req: refund,
			gateway: func(ctx context.Context, _ *chargedesk.RefundRequest) (*chargedesk.Response, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}, action: chargedesk.ActionRefund, outcome: chargedesk.OutcomeTimeout, status: 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var events []chargedesk.Event
				h, _ := newLoggedHandler(t, &fakeGateway{OnRefund: tt.gateway}, func(c *chargedesk.Config) {
					c.Timeout = 5 * time.Second
					c.Observe = func(e chargedesk.Event) {
						mu.Lock()
						defer mu.Unlock()
						events = append(events, e)
					}
				})
				rec := serve(h, tt.req(t))
				require.Equal(t, tt.status, rec.Code, rec.Body.String())

				mu.Lock()
				defer mu.Unlock()
				require.Len(t, events, 1, "called exactly once per webhook")
				e := events[0]
				assert.Equal(t, tt.action, e.Action)
				assert.Equal(t, tt.outcome, e.Outcome)
				assert.Equal(t, tt.status, e.Status)
				// In the bubble only waiting moves the clock: the duration is the
				// deadline for a 504, and nothing for the rest.
				if tt.status == 504 {
					assert.Equal(t, 5*time.Second, e.Duration, "the duration covers the wait")
				} else {
					assert.Zero(t, e.Duration)
				}
			})
		})
	}
}
