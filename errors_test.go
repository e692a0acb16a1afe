package chargedesk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/chargedesk/chargedesk-go"
)

func TestHandlerGatewayErrors(t *testing.T) {
	fails := func(err error) func(*fakeGateway) {
		return func(g *fakeGateway) {
			g.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return nil, err }
		}
	}
	runCases(t, []errCase{
		{name: "unimplemented", gateway: func(g *fakeGateway) {
			g.Unsupported = map[chargedesk.Action]bool{chargedesk.ActionRefund: true}
		}, status: http.StatusNotImplemented,
			message: "Refunds are not supported by this payment platform integration.", called: 1},
		{name: "unimplemented capture", path: "/chargedesk/capture", body: readRequest(t, chargedesk.ActionCapture),
			gateway: func(g *fakeGateway) {
				g.Unsupported = map[chargedesk.Action]bool{chargedesk.ActionCapture: true}
			}, status: http.StatusNotImplemented,
			message: "Captures are not supported by this payment platform integration.", called: 1},
		{name: "ErrNotSupported wrapped", gateway: fails(fmt.Errorf("stripe: %w", chargedesk.ErrNotSupported)),
			status: http.StatusNotImplemented, called: 1},
		{name: "agent error, default status",
			gateway: fails(chargedesk.AgentErrorf("Charge %s is disputed.", "ch_1")),
			status:  http.StatusUnprocessableEntity, message: "Charge ch_1 is disputed.", called: 1},
		{name: "agent error 409",
			gateway: fails(&chargedesk.AgentError{Message: "A refund is already pending.", Status: http.StatusConflict}),
			status:  http.StatusConflict, message: "A refund is already pending.", called: 1},
		{name: "agent error 402",
			gateway: fails(&chargedesk.AgentError{Message: "The platform balance is too low.", Status: http.StatusPaymentRequired}),
			status:  http.StatusPaymentRequired, message: "The platform balance is too low.", called: 1},
		{name: "agent error with a 2xx status",
			gateway: fails(&chargedesk.AgentError{Message: "Nope.", Status: http.StatusOK}),
			status:  http.StatusUnprocessableEntity, message: "Nope.", called: 1},
		{name: "agent error wrapped",
			gateway: fails(fmt.Errorf("refund ch_1: %w", &chargedesk.AgentError{Message: "Card expired.", Status: 403})),
			status:  http.StatusForbidden, message: "Card expired.", called: 1},
		{name: "agent error keeps its cause out",
			gateway: fails(&chargedesk.AgentError{Message: "Declined.", Err: errors.New("api key sk_live_123 rejected")}),
			status:  http.StatusUnprocessableEntity, message: "Declined.", absent: []string{"sk_live_123"}, called: 1},
		{name: "plain error",
			gateway: fails(errors.New("dial tcp 10.0.0.7:5432: password hunter2 rejected")),
			status:  http.StatusInternalServerError, contains: []string{"outcome is unknown"},
			absent: []string{"hunter2", "10.0.0.7", "dial tcp"}, called: 1},
		{name: "panic", gateway: func(g *fakeGateway) {
			g.Answer = func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) {
				panic("nil map in gateway hunter2")
			}
		}, status: http.StatusInternalServerError, absent: []string{"hunter2", "nil map"}, called: 1},
		{name: "deadline exceeded from the gateway", gateway: fails(fmt.Errorf("stripe: %w", context.DeadlineExceeded)),
			status: http.StatusGatewayTimeout, contains: []string{"outcome is unknown"}, called: 1},
	})
}
