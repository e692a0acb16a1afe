package chargedesktest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

const testSecret = "test-secret-0123456789"

// testGateway refunds as asked and answers payment requests.
type testGateway struct {
	chargedesk.UnimplementedGateway
}

func (testGateway) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}

func (testGateway) RequestPayment(_ context.Context, req *chargedesk.PaymentRequest) (*chargedesk.PaymentResponse, error) {
	return &chargedesk.PaymentResponse{RedirectURL: "https://pay.example.com/" + req.Charge.ChargeID}, nil
}

func newTestHandler(t *testing.T, cfg chargedesk.Config) http.Handler {
	t.Helper()
	log := zerolog.Nop()
	cfg.Logger = &log
	h, err := chargedesk.NewHandler(testGateway{}, cfg)
	require.NoError(t, err)
	return h
}

func TestIntegrationURL(t *testing.T) {
	body, err := Build(chargedesk.ActionRefund)
	require.NoError(t, err)
	tests := []struct {
		name    string
		in      Integration
		action  chargedesk.Action
		want    string
		wantErr string
	}{
		{"default path", Integration{BasePath: "http://127.0.0.1:8080/chargedesk/"}, chargedesk.ActionRefund,
			"http://127.0.0.1:8080/chargedesk/refund", ""},
		{"path only", Integration{BasePath: "/chargedesk"}, chargedesk.ActionEditPlans, "/chargedesk/edit-plans", ""},
		{"zero value", Integration{}, chargedesk.ActionVoid, "/void", ""},
		{"custom path with placeholders", Integration{
			BasePath: "https://pay.example.com/cd/{customer_id}",
			Paths:    map[chargedesk.Action]string{chargedesk.ActionRefund: "/r/{charge_id}"},
		}, chargedesk.ActionRefund, "https://pay.example.com/cd/cus-example-RLf9f6T6Ok/r/example-Xs84hY5BSt5IttuRSIsQIA8r", ""},
		{"unknown action", Integration{}, "refunds", "", "not a ChargeDesk action"},
		{"path without slash", Integration{Paths: map[chargedesk.Action]string{chargedesk.ActionRefund: "refund"}},
			chargedesk.ActionRefund, "", "must start with /"},
		{"not http", Integration{BasePath: "ftp://x/cd"}, chargedesk.ActionRefund, "", "must be an http(s) URL or a path"},
		{"relative", Integration{BasePath: "chargedesk"}, chargedesk.ActionRefund, "", "must be an http(s) URL or a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.URL(tt.action, body)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNewRequestTemplatesHeaders(t *testing.T) {
	body, err := Build(chargedesk.ActionCancel)
	require.NoError(t, err)
	in := Integration{Header: http.Header{
		"authorization": {"Bearer " + testSecret},
		"X-Customer":    {"{customer_id}"},
	}}
	req, err := in.NewRequest(context.Background(), chargedesk.ActionCancel, body)
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/cancel", req.URL.Path)
	assert.Equal(t, "Bearer "+testSecret, req.Header.Get("Authorization"))
	assert.Equal(t, "cus-example-RAFiJBiib1", req.Header.Get("X-Customer"), "a cancel's customer is the subscription's")
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, chargedesk.ActionCancel, actionOf(req))
}

func TestServeThroughTheReceiver(t *testing.T) {
	cfg := chargedesk.Config{
		BasePath: "/chargedesk/{customer_id}",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + testSecret + "-{charge_id}"}}},
	}
	h := newTestHandler(t, cfg)
	good := Integration{
		BasePath: "/chargedesk/{customer_id}",
		Header:   http.Header{"Authorization": {"Bearer " + testSecret + "-{charge_id}"}},
	}
	wrong := good
	wrong.Header = http.Header{"Authorization": {"Bearer wrong-secret-0123456789"}}

	tests := []struct {
		name      string
		in        Integration
		action    chargedesk.Action
		overrides []Override
		ok        bool
		status    int
		check     func(t *testing.T, o *Outcome)
	}{
		{"refund", good, chargedesk.ActionRefund, []Override{Set("refund_amount", "5.00")}, true, 200,
			func(t *testing.T, o *Outcome) {
				assert.Equal(t, []Change{{"charge.amount_refunded", "5.00"}, {"charge.status", "partially refunded"}}, o.Changes())
			}},
		{"full refund", good, chargedesk.ActionRefund, []Override{Set("refund_amount", "34.00")}, true, 200,
			func(t *testing.T, o *Outcome) {
				v, ok := o.Field("charge.status")
				assert.True(t, ok)
				assert.Equal(t, "refunded", v)
			}},
		{"refund too large", good, chargedesk.ActionRefund, []Override{Set("refund_amount", "34.01")}, false, 422,
			func(t *testing.T, o *Outcome) {
				assert.Equal(t, "Refund amount was greater than amount remaining on charge.", o.ErrorMessage)
				assert.Empty(t, o.Problems)
			}},
		{"payment request", good, chargedesk.ActionRequestPayment, nil, true, 200,
			func(t *testing.T, o *Outcome) {
				assert.Equal(t, "https://pay.example.com/example-gM7eI914EY5RAgDf82sESg3U", o.RedirectURL)
			}},
		{"not supported", good, chargedesk.ActionVoid, nil, false, 501,
			func(t *testing.T, o *Outcome) {
				assert.Equal(t, "Voids are not supported by this payment platform integration.", o.ErrorMessage)
			}},
		{"wrong secret", wrong, chargedesk.ActionRefund, nil, false, 401,
			func(t *testing.T, o *Outcome) {
				assert.Contains(t, o.ErrorMessage, "authentication headers do not match")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Build(tt.action, tt.overrides...)
			require.NoError(t, err)
			req, err := tt.in.NewRequest(context.Background(), tt.action, body)
			require.NoError(t, err)
			o := Serve(h, req)
			assert.Equal(t, tt.status, o.Status, o.Body)
			assert.Equal(t, tt.ok, o.OK)
			assert.Equal(t, tt.action, o.Action)
			tt.check(t, o)
		})
	}
}

func TestSendOverLoopback(t *testing.T) {
	h := newTestHandler(t, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + testSecret}}},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	in := Integration{BasePath: srv.URL + "/chargedesk", Header: http.Header{"Authorization": {"Bearer " + testSecret}}}
	body, err := Build(chargedesk.ActionRefund)
	require.NoError(t, err)
	req, err := in.NewRequest(context.Background(), chargedesk.ActionRefund, body)
	require.NoError(t, err)
	o, err := Send(srv.Client(), req)
	require.NoError(t, err)
	assert.True(t, o.OK, o.Body)
	v, _ := o.Field("charge.amount_refunded")
	assert.Equal(t, "12.34", v)
}

func TestSendWithoutAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	req, err := Integration{BasePath: url}.NewRequest(context.Background(), chargedesk.ActionRefund, []byte(`{}`))
	require.NoError(t, err)
	_, err = Send(nil, req)
	require.Error(t, err)
}

func TestActionOfInfersFromThePath(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/chargedesk/edit-plans", nil)
	assert.Equal(t, chargedesk.ActionEditPlans, actionOf(req))
	req = httptest.NewRequest(http.MethodPost, "/chargedesk/x", nil)
	assert.Equal(t, chargedesk.Action(""), actionOf(req))
}

// An Integration built from the receiver's own Config reaches it and
// authenticates.
func TestIntegrationFor(t *testing.T) {
	cfg := chargedesk.Config{
		BasePath: "/cd/{customer_id}",
		Headers: []chargedesk.Header{
			{Name: "Authorization", Values: []string{"Bearer integration-for-secret-0123", "Bearer the-previous-secret-0123"}},
			{Name: "X-Charge", Values: []string{"{charge_id}"}},
		},
		Paths: map[chargedesk.Action]string{chargedesk.ActionRefund: "/money-back"},
	}
	in := IntegrationFor(cfg, "http://127.0.0.1:8080/")
	assert.Equal(t, "http://127.0.0.1:8080/cd/{customer_id}", in.BasePath)
	assert.Equal(t, []string{"Bearer integration-for-secret-0123"}, in.Header.Values("Authorization"))

	h := newTestHandler(t, cfg)
	body, err := Build(chargedesk.ActionRefund)
	require.NoError(t, err)
	req, err := IntegrationFor(cfg, "").NewRequest(context.Background(), chargedesk.ActionRefund, body)
	require.NoError(t, err)
	out := Serve(h, req)
	assert.True(t, out.OK, "%d %s", out.Status, out.Body)
}
