package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// TestEndToEnd starts the in-memory receiver on a loopback port and plays
// ChargeDesk against it with chargedesk-sim, for every action.
func TestEndToEnd(t *testing.T) {
	const secret = "e2e-secret-0123456789abcdef"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": secret})
	auth := "Authorization: Bearer " + secret

	// simulate runs chargedesk-sim send with args and returns its exit
	// status and stdout.
	simulate := func(t *testing.T, args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		full := append([]string{"send"}, args...)
		full = append(full, "--url", r.baseURL, "-H", auth)
		code := sim.Run(context.Background(), full, strings.NewReader(""), &stdout, &stderr)
		assert.Empty(t, stderr.String())
		return code, stdout.String()
	}

	// A current period of which 20 days and 5 minutes remain: 34.00 USD ×
	// 1728300/2592300 = 22.6677... rounds down to 22.66 for the next nine
	// minutes.
	now := testclock.Now().Unix()
	periodStart := "--set=subscription.current_period_start=" + strconv.FormatInt(now-10*86400, 10)
	periodEnd := "--set=subscription.current_period_end=" + strconv.FormatInt(now+20*86400+300, 10)

	tests := []struct {
		name string
		args []string
		code int
		out  string // exact stdout; "" when contains is used instead
		has  []string
	}{
		{"refund", []string{"refund"}, 0,
			"✔ refund succeeded (HTTP 200)\n  charge.amount_refunded → 12.34\n  charge.status → partially refunded\n", nil},
		{"the same refund again is a duplicate", []string{"refund"}, 1, "",
			[]string{"✘ refund failed (HTTP 409): An identical action was just processed for this charge."}},
		{"refund more than remains on the platform", []string{"refund", "--set", "refund_amount=25.00"}, 1,
			"✘ refund failed (HTTP 422): Refund amount was greater than amount remaining on charge.\n", nil},
		{"refund what remains", []string{"refund", "--set", "refund_amount=21.66"}, 0,
			"✔ refund succeeded (HTTP 200)\n  charge.amount_refunded → 34.00\n  charge.status → refunded\n", nil},
		{"capture a paid charge", []string{"capture"}, 1,
			"✘ capture failed (HTTP 422): Only an authorized charge can be captured; on the payment platform this charge is paid.\n", nil},
		{"capture", []string{"capture", "--set", "charge.transaction_id=tx-e2e-capture", "--set", "charge.charge_id=ch-e2e-capture", "--set", "charge.status=authorized"}, 0,
			"✔ capture succeeded (HTTP 200)\n  charge.amount_refunded → 0.00\n  charge.status → paid\n", nil},
		{"void", []string{"void", "--set", "charge.transaction_id=tx-e2e-void", "--set", "charge.charge_id=ch-e2e-void", "--set", "charge.status=authorized"}, 0,
			"✔ void succeeded (HTTP 200)\n  charge.amount_refunded → 0.00\n  charge.status → void\n", nil},
		{"void the captured charge", []string{"void", "--set", "charge.transaction_id=tx-e2e-capture", "--set", "charge.charge_id=ch-e2e-capture", "--set", "charge.status=authorized"}, 1,
			"✘ void failed (HTTP 422): Only an authorized charge can be voided; on the payment platform this charge is paid.\n", nil},
		{"cancel immediately with a partial refund", []string{"cancel", periodStart, periodEnd}, 0, "", []string{
			"✔ cancel succeeded (HTTP 200)\n  charge.amount_refunded → 22.66\n",
			"  charge.metadata → {",
			"Pro-rated refund of 22.66 USD: 34.00 USD × ",
			"of the period unused, rounded down to 0.01 USD.",
			"  charge.status → partially refunded\n  subscription.quantity → 2\n  subscription.status → canceled\n",
		}},
		{"cancel at period end", []string{"cancel", "--set", "subscription.subscription_id=sub-e2e-end",
			"--set", "action=cancel-period-end", "--unset", "refund", "--unset", "charge"}, 0,
			"✔ cancel succeeded (HTTP 200)\n  subscription.quantity → 2\n  subscription.status → pending_cancel\n", nil},
		{"reactivate it", []string{"reactivate", "--set", "subscription.subscription_id=sub-e2e-end"}, 0,
			"✔ reactivate succeeded (HTTP 200)\n  subscription.quantity → 2\n  subscription.status → active\n", nil},
		{"suspend", []string{"cancel", "--set", "subscription.subscription_id=sub-e2e-suspend",
			"--set", "action=suspend", "--unset", "refund", "--unset", "charge"}, 0,
			"✔ cancel succeeded (HTTP 200)\n  subscription.quantity → 2\n  subscription.status → suspended\n", nil},
		{"reactivate the suspended", []string{"reactivate", "--set", "subscription.subscription_id=sub-e2e-suspend"}, 0,
			"✔ reactivate succeeded (HTTP 200)\n  subscription.quantity → 2\n  subscription.status → active\n", nil},
		{"reactivate an active subscription", []string{"reactivate"}, 1,
			"✘ reactivate failed (HTTP 422): Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is active.\n", nil},
		{"edit plans", []string{"edit-plans", "--set", "plans.0.quantity=3"}, 0,
			"✔ edit-plans succeeded (HTTP 200)\n  subscription.items → [\"prod-example-AyL17r5mIC\"]\n  subscription.quantity → 3\n  subscription.status → active\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := simulate(t, tt.args...)
			assert.Equal(t, tt.code, code, out)
			if tt.out != "" {
				assert.Equal(t, tt.out, out)
			}
			for _, s := range tt.has {
				assert.Contains(t, out, s)
			}
			assert.NotContains(t, out, "⚠", "every answer is one ChargeDesk can use")
		})
	}

	t.Run("payment request and its pay page", func(t *testing.T) {
		code, out := simulate(t, "payment-request", "--json")
		require.Equal(t, 0, code, out)
		var o chargedesktest.Outcome
		require.NoError(t, json.Unmarshal([]byte(out), &o))
		assert.True(t, o.OK)
		assert.Empty(t, o.Problems)
		origin := strings.TrimSuffix(r.baseURL, "/chargedesk")
		require.True(t, strings.HasPrefix(o.RedirectURL, origin+"/pay/"), o.RedirectURL)
		link, _ := o.Field("charge.pay_link")
		assert.Equal(t, o.RedirectURL, link)

		resp, err := http.Get(o.RedirectURL)
		require.NoError(t, err)
		page, err := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, string(page), "Amount due: 34.00 USD")
	})

	t.Run("wrong secret", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := sim.Run(context.Background(), []string{"send", "refund", "--url", r.baseURL,
			"-H", "Authorization: Bearer " + secret + "-wrong"}, strings.NewReader(""), &stdout, &stderr)
		assert.Equal(t, 1, code)
		assert.Equal(t, "✘ refund failed (HTTP 401): The webhook was refused: its authentication headers do not match the integration's settings.\n",
			stdout.String())
	})

	require.NoError(t, r.stop(), "the receiver shuts down cleanly")
	logs := r.stderr.String()
	assert.Contains(t, logs, `"outcome":"success"`)
	assert.Contains(t, logs, `"outcome":"refused"`)
	assert.Contains(t, logs, `"outcome":"unauthorized"`)
	assert.NotContains(t, logs, secret)
}
