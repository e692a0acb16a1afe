package syncer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

func TestLateObjects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       chargedesk.LateOutcome
		want    []pushArgs
		missing []Kind
	}{
		{
			name: "a refund's charge, by its transaction id",
			o: chargedesk.LateOutcome{Charge: &chargedesk.Charge{ChargeID: "cd_1", TransactionID: "ch_1"},
				Answer: &chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: chargedesk.ChargeStatusRefunded}}},
			want: []pushArgs{{Charge, "ch_1"}},
		},
		{
			name: "a payment request whose answer gives the charge its platform id",
			o: chargedesk.LateOutcome{Charge: &chargedesk.Charge{ChargeID: "cd_2"},
				Answer: &chargedesk.PaymentResponse{RedirectURL: "https://pay.example/1",
					Response: chargedesk.Response{Charge: &chargedesk.ChargeUpdate{TransactionID: "in_2"}}}},
			want: []pushArgs{{Charge, "in_2"}},
		},
		{
			name: "a payment request not yet on the platform",
			o: chargedesk.LateOutcome{Charge: &chargedesk.Charge{ChargeID: "cd_3"},
				Answer: &chargedesk.PaymentResponse{RedirectURL: "https://pay.example/1"}},
			missing: []Kind{Charge},
		},
		{
			name: "a cancel with a refund, updating the customer",
			o: chargedesk.LateOutcome{Charge: &chargedesk.Charge{TransactionID: "ch_4", CustomerID: "cus_4"},
				Subscription: &chargedesk.Subscription{SubscriptionID: "sub_4", CustomerID: "cus_4"},
				Answer:       &chargedesk.Response{Customer: &chargedesk.CustomerUpdate{Delinquent: new(false)}}},
			want: []pushArgs{{Charge, "ch_4"}, {Subscription, "sub_4"}, {Customer, "cus_4"}},
		},
		{
			name: "a plan change updating a product by its own id",
			o: chargedesk.LateOutcome{Subscription: &chargedesk.Subscription{SubscriptionID: "sub_5", ProductID: "gold"},
				Answer: &chargedesk.Response{Product: &chargedesk.ProductUpdate{ProductID: "platinum"}}},
			want: []pushArgs{{Subscription, "sub_5"}, {Product, "platinum"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, missing := lateObjects(tc.o)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.missing, missing)
		})
	}
}

// slowRefunds refunds on the platform once the test lets it, after the
// webhook's deadline: a late success, or a late failure for the charge
// named fail.
type slowRefunds struct {
	chargedesk.UnimplementedGateway
	p       *platform
	started chan struct{}
	release chan struct{}
	fail    string
}

func (g *slowRefunds) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	g.started <- struct{}{}
	<-g.release
	if req.Charge.TransactionID == g.fail {
		return nil, errors.New("the platform declined the refund")
	}
	g.p.change(req.Charge.TransactionID, func(c *testCharge) { c.refunded = 1234 })
	return chargedesk.RefundAnswer(req)
}

// TestLateOutcomePushed: through the receiver, a refund that succeeds
// after its agent was told 504 is pushed, so ChargeDesk shows it; one that
// fails after the deadline pushes nothing.
func TestLateOutcomePushed(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			p, cd := newPlatform(), newChargeDesk(t, apitest.Options{})
			s := st.open(t, testConfig(p, cd, nil))
			start(t, s)
			for _, id := range []string{"ch_late_ok", "ch_late_fail"} {
				p.change(id, nil)
				require.NoError(t, s.Mark(ctx, Charge, id))
			}
			require.Eventually(t, func() bool { return converged(p, cd) }, 10*time.Second, 20*time.Millisecond)

			gw := &slowRefunds{p: p, started: make(chan struct{}, 2), release: make(chan struct{}), fail: "ch_late_fail"}
			cfg := chargedesk.Config{
				BasePath: "/chargedesk", Timeout: time.Second, OnLateOutcome: s.LateOutcomes(),
				Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer late-outcome-secret-0123"}}},
			}
			h, err := chargedesk.NewHandler(gw, cfg)
			require.NoError(t, err)
			srv := httptest.NewServer(h)
			defer srv.Close()
			in := chargedesktest.IntegrationFor(cfg, srv.URL)
			statuses := make(chan int, 2)
			for _, id := range []string{"ch_late_ok", "ch_late_fail"} {
				body, err := chargedesktest.Build(chargedesk.ActionRefund,
					chargedesktest.SetString("charge.transaction_id", id), chargedesktest.SetString("charge.charge_id", "cd_"+id))
				require.NoError(t, err)
				req, err := in.NewRequest(ctx, chargedesk.ActionRefund, body)
				require.NoError(t, err)
				go func() {
					// The answer, written at the deadline, is sent once
					// the late call has returned and ServeHTTP with it.
					out, err := chargedesktest.Send(srv.Client(), req)
					if err != nil {
						statuses <- 0
						return
					}
					statuses <- out.Status
				}()
			}
			for range 2 {
				<-gw.started
			}
			time.Sleep(1200 * time.Millisecond) // past the webhooks' deadline of 1s
			close(gw.release)
			for range 2 {
				assert.Equal(t, http.StatusGatewayTimeout, <-statuses, "the agent is told the outcome is unknown")
			}

			require.Eventually(t, func() bool { return cd.pushedV("ch_late_ok") == 2 }, 10*time.Second, 20*time.Millisecond)
			rec, _ := cd.api.Record("charges", "ch_late_ok")
			assert.Equal(t, "12.34", rec["amount_refunded"], "ChargeDesk shows the refund the agent was told had timed out")
			n, err := s.jobsFor(ctx, Charge, "ch_late_fail")
			require.NoError(t, err)
			assert.Equal(t, 1, n, "a late failure marks nothing: only the first push's job")
		})
	}
}
