package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// The example receives event notifications at the path it prints, behind
// its secret: chargedesk-sim trigger gets 200, one log line per event
// names the event and its object's id and no customer data, and a wrong
// secret is refused.
func TestExampleReceivesEvents(t *testing.T) {
	const secret = "events-secret-0123456789abcdef"
	r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": "receiver-secret-0123456789", "CHARGEDESK_EVENTS_SECRET": secret})
	public := strings.TrimSuffix(r.baseURL, basePath)
	assert.Contains(t, r.stdout.String(), public+eventsPath+"/$CHARGEDESK_EVENTS_SECRET", "the URL to register, without the secret itself")
	assert.NotContains(t, r.stdout.String(), secret)

	trigger := func(url string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := sim.Run(context.Background(), append([]string{"trigger", "charge_refunded", "--url", url}, args...), nil, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, out := trigger(public + eventsPath + "/" + secret)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "200")
	code, out = trigger(public + eventsPath + "/wrong-secret-0123456789abcdef")
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, "401")

	require.NoError(t, r.stop())
	logs := r.stderr.String()
	assert.Contains(t, logs, `"event":"charge_refunded"`)
	assert.Contains(t, logs, `"event_id":"`)
	assert.Contains(t, logs, `"charge_id":"`)
	assert.Contains(t, logs, `"outcome":"unauthorized"`)
	assert.NotContains(t, logs, "@", "no email address, nor any other customer data")
	assert.NotContains(t, logs, secret)
}

// A payment request paid on ChargeDesk's own page (charge_request_paid) is
// recorded on the platform, once, however often ChargeDesk delivers it.
func TestPaidElsewhereIsRecorded(t *testing.T) {
	f := newFixture(t, testclock.Now())
	o := f.do(chargedesk.ActionRequestPayment, "charge.status=invoiced", "charge.transaction_id=tx-elsewhere")
	require.True(t, o.OK, o.Body)
	log := zerolog.Nop()
	rcv, err := newEventsReceiver(f.ledger, "events-secret-0123456789abcdef", chargedesk.Config{}, &log)
	require.NoError(t, err)
	body := `{"event_id": "evt_1", "created": 1700000000, "class": "charge", "event": "charge_request_paid",
		"data": {"charge": {"charge_id": "ch_1", "transaction_id": "tx-elsewhere", "amount": "34.00", "currency": "USD", "status": "paid"}}}`
	for range 2 {
		req, err := http.NewRequest(http.MethodPost, "/chargedesk-events/events-secret-0123456789abcdef", strings.NewReader(body))
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		rcv.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	c, err := f.memory().charges["tx-elsewhere"].charge()
	require.NoError(t, err)
	assert.Equal(t, chargedesk.ChargeStatusPaid, c.status)
	assert.Empty(t, c.payLink, "its pay link is closed")
}
