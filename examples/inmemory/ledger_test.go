package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// periodStart is when the documented subscriptions' current period began.
var periodStart = time.Unix(1732181492, 0)

const testSecret = "Bearer ledger-test-secret-0123"

// fixture is the ledger behind a real chargedesk.Handler, with the
// duplicate guard off so that the ledger's own rules are what is tested.
type fixture struct {
	t      *testing.T
	ledger *ledger
	h      http.Handler
	in     chargedesktest.Integration
}

// newFixture is a fixture on a memory book.
func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	clock := func() time.Time { return now }
	return newFixtureOn(t, newMemoryBook(clock), clock)
}

// memory is the fixture's memory book.
func (f *fixture) memory() *memoryBook { return f.ledger.book.(*memoryBook) }

func newFixtureOn(t *testing.T, b book, now func() time.Time) *fixture {
	t.Helper()
	l := newLedger(b, "http://pay.test/pay/", now)
	log := zerolog.Nop()
	h, err := chargedesk.NewHandler(l, chargedesk.Config{
		BasePath:        "/chargedesk",
		Headers:         []chargedesk.Header{{Name: "Authorization", Values: []string{testSecret}}},
		Logger:          &log,
		DuplicateWindow: -1,
	})
	require.NoError(t, err)
	return &fixture{t: t, ledger: l, h: h, in: chargedesktest.Integration{
		BasePath: "/chargedesk",
		Header:   http.Header{"Authorization": {testSecret}},
	}}
}

// do sends the documented payload of action, changed by overrides.
func (f *fixture) do(action chargedesk.Action, overrides ...string) *chargedesktest.Outcome {
	f.t.Helper()
	var os []chargedesktest.Override
	for _, s := range overrides {
		o, err := chargedesktest.ParseOverride(s)
		require.NoError(f.t, err)
		os = append(os, o)
	}
	body, err := chargedesktest.Build(action, os...)
	require.NoError(f.t, err)
	req, err := f.in.NewRequest(context.Background(), action, body)
	require.NoError(f.t, err)
	return chargedesktest.Serve(f.h, req)
}

// step is one webhook and what the agent must see.
type step struct {
	action    chargedesk.Action
	overrides []string
	wantOK    bool
	want      map[string]string // updated fields
	wantError string
}

func (f *fixture) run(steps []step) {
	f.t.Helper()
	for i, s := range steps {
		o := f.do(s.action, s.overrides...)
		assert.Equal(f.t, s.wantOK, o.OK, "step %d (%s): %s", i, s.action, o.Body)
		assert.Empty(f.t, o.Problems, "step %d", i)
		if s.wantError != "" {
			assert.Equal(f.t, s.wantError, o.ErrorMessage, "step %d", i)
		}
		for field, want := range s.want {
			got, ok := o.Field(field)
			assert.True(f.t, ok, "step %d: %s not updated in %s", i, field, o.Body)
			assert.Equal(f.t, want, got, "step %d: %s", i, field)
		}
	}
}

const (
	sub1 = "subscription.subscription_id=sub-1"
	chg1 = "charge.transaction_id=tx-1"
)

func TestLedgerRules(t *testing.T) {
	noRefund := []string{"-refund", "-charge"}
	with := func(extra ...[]string) []string {
		var out []string
		for _, e := range extra {
			out = append(out, e...)
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"refunds never exceed what remains on the platform", []step{
			{action: chargedesk.ActionRefund, wantOK: true,
				want: map[string]string{"charge.amount_refunded": "12.34", "charge.status": "partially refunded"}},
			// ChargeDesk's copy still says 0.00 refunded: the ledger decides.
			{action: chargedesk.ActionRefund, overrides: []string{"refund_amount=25.00"},
				wantError: "Refund amount was greater than amount remaining on charge."},
			{action: chargedesk.ActionRefund, overrides: []string{"refund_amount=21.66"}, wantOK: true,
				want: map[string]string{"charge.amount_refunded": "34.00", "charge.status": "refunded"}},
			{action: chargedesk.ActionRefund, overrides: []string{"refund_amount=0.01"},
				wantError: "Refund amount was greater than amount remaining on charge."},
		}},
		{"a charge first seen partly refunded", []step{
			{action: chargedesk.ActionRefund, overrides: []string{"charge.amount_refunded=30.00", "refund_amount=4.01"},
				wantError: "Refund amount was greater than amount remaining on charge."},
			{action: chargedesk.ActionRefund, overrides: []string{"charge.amount_refunded=30.00", "refund_amount=4.00"}, wantOK: true,
				want: map[string]string{"charge.amount_refunded": "34.00", "charge.status": "refunded"}},
		}},
		{"an authorized charge is voided, not refunded", []step{
			{action: chargedesk.ActionRefund, overrides: []string{"charge.status=authorized"},
				wantError: "This charge is only authorized, not paid: void it instead of refunding it."},
		}},
		{"the platform's currency", []step{
			{action: chargedesk.ActionRefund, wantOK: true},
			{action: chargedesk.ActionRefund, overrides: []string{"charge.currency=EUR", "refund_amount=1.00"},
				wantError: "On the payment platform this charge is in USD, not EUR."},
		}},
		{"capture only an authorized charge", []step{
			{action: chargedesk.ActionCapture,
				wantError: "Only an authorized charge can be captured; on the payment platform this charge is paid."},
			{action: chargedesk.ActionCapture, overrides: []string{"charge.transaction_id=tx-2", "charge.status=authorized"}, wantOK: true,
				want: map[string]string{"charge.status": "paid", "charge.amount_refunded": "0.00"}},
			{action: chargedesk.ActionVoid, overrides: []string{"charge.transaction_id=tx-2", "charge.status=authorized"},
				wantError: "Only an authorized charge can be voided; on the payment platform this charge is paid."},
		}},
		{"void only an authorized charge", []step{
			{action: chargedesk.ActionVoid, overrides: []string{"charge.status=authorized"}, wantOK: true,
				want: map[string]string{"charge.status": "void"}},
			{action: chargedesk.ActionVoid, overrides: []string{"charge.status=authorized"},
				wantError: "Only an authorized charge can be voided; on the payment platform this charge is void."},
			{action: chargedesk.ActionCapture, overrides: []string{"charge.status=authorized"},
				wantError: "Only an authorized charge can be captured; on the payment platform this charge is void."},
		}},
		{"cancel immediately with a full refund", []step{
			{action: chargedesk.ActionRefund, overrides: []string{chg1, "refund_amount=10.00"}, wantOK: true},
			{action: chargedesk.ActionCancel, overrides: []string{chg1, "refund=full"}, wantOK: true,
				want: map[string]string{"subscription.status": "canceled", "charge.status": "refunded", "charge.amount_refunded": "34.00"}},
			{action: chargedesk.ActionCancel, overrides: []string{"action=cancel", "refund=none", "-charge"},
				wantError: "This subscription is already canceled on the payment platform."},
			{action: chargedesk.ActionReactivate, overrides: []string{"subscription.subscription_id=sub-example-vkx55s374c"},
				wantError: "Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is canceled."},
			{action: chargedesk.ActionEditPlans, overrides: []string{"subscription.subscription_id=sub-example-vkx55s374c"},
				wantError: "The plans of a canceled subscription cannot be changed."},
		}},
		{"cancel immediately without a refund", []step{
			{action: chargedesk.ActionCancel, overrides: with([]string{"refund=none"}, noRefund[1:]), wantOK: true,
				want: map[string]string{"subscription.status": "canceled"}},
		}},
		{"plain cancel", []step{
			{action: chargedesk.ActionCancel, overrides: with([]string{"action=cancel"}, noRefund), wantOK: true,
				want: map[string]string{"subscription.status": "canceled", "subscription.quantity": "2"}},
		}},
		{"cancel at period end, then reactivate", []step{
			{action: chargedesk.ActionCancel, overrides: with([]string{sub1, "action=cancel-period-end"}, noRefund), wantOK: true,
				want: map[string]string{"subscription.status": "pending_cancel"}},
			{action: chargedesk.ActionCancel, overrides: with([]string{sub1, "action=cancel-period-end"}, noRefund),
				wantError: "This subscription is already set to cancel at the end of its period."},
			{action: chargedesk.ActionReactivate, overrides: []string{sub1}, wantOK: true,
				want: map[string]string{"subscription.status": "active"}},
			{action: chargedesk.ActionReactivate, overrides: []string{sub1},
				wantError: "Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is active."},
		}},
		{"suspend, then reactivate", []step{
			{action: chargedesk.ActionCancel, overrides: with([]string{sub1, "action=suspend"}, noRefund), wantOK: true,
				want: map[string]string{"subscription.status": "suspended"}},
			{action: chargedesk.ActionCancel, overrides: with([]string{sub1, "action=suspend"}, noRefund),
				wantError: "This subscription is already suspended."},
			{action: chargedesk.ActionReactivate, overrides: []string{sub1, "subscription.status=suspended"}, wantOK: true,
				want: map[string]string{"subscription.status": "active"}},
		}},
		{"a refund only with an immediate cancellation", []step{
			{action: chargedesk.ActionCancel, overrides: []string{"action=suspend"},
				wantError: "A refund can only come with an immediate cancellation, not with suspend."},
			{action: chargedesk.ActionReactivate, overrides: []string{"subscription.subscription_id=sub-example-vkx55s374c"},
				wantError: "Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is active."},
		}},
		{"reactivate what the platform has not seen", []step{
			{action: chargedesk.ActionReactivate, overrides: []string{"subscription.status=suspended"}, wantOK: true,
				want: map[string]string{"subscription.status": "active"}},
			{action: chargedesk.ActionReactivate,
				wantError: "Only a suspended subscription or one pending cancellation can be reactivated; on the payment platform this one is active."},
		}},
		{"edit plans replaces them", []step{
			{action: chargedesk.ActionEditPlans, wantOK: true,
				want: map[string]string{"subscription.items": `["prod-example-AyL17r5mIC"]`, "subscription.quantity": "2",
					"subscription.status": "active"}},
			{action: chargedesk.ActionEditPlans, overrides: []string{`plans.1={"product_id":"prod-b","quantity":3}`}, wantOK: true,
				want: map[string]string{"subscription.items": `["prod-example-AyL17r5mIC","prod-b"]`}},
			{action: chargedesk.ActionEditPlans, overrides: []string{`plans.1={"product_id":"prod-example-AyL17r5mIC","quantity":3}`},
				wantError: "Product prod-example-AyL17r5mIC is listed twice; list each plan once, with its quantity."},
		}},
	}
	now := func() time.Time { return periodStart.Add(1000000 * time.Second) }
	eachBook(t, func(t *testing.T, open bookMaker) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				newFixtureOn(t, open(t, now), now).run(tt.steps)
			})
		}
	})
}

func TestEditPlansQuantityWithSeveralPlans(t *testing.T) {
	f := newFixture(t, testclock.Now())
	o := f.do(chargedesk.ActionEditPlans, `plans.1={"product_id":"prod-b","quantity":3}`)
	require.True(t, o.OK, o.Body)
	_, ok := o.Field("subscription.quantity")
	assert.False(t, ok, "one quantity cannot describe two plans")
}

func TestCancelImmediatelyPartialRefund(t *testing.T) {
	// 1629743 of the period's 2629743 seconds unused: 34.00 × that share is
	// 21.0709799..., rounded down to 21.07.
	now := periodStart.Add(1000000 * time.Second)
	tests := []struct {
		name          string
		refundedFirst string
		wantRefunded  string
		wantStatus    string
		wantNote      string
	}{
		{"pro rata", "", "21.07", "partially refunded",
			"Pro-rated refund of 21.07 USD: 34.00 USD × 1629743/2629743 of the period unused, rounded down to 0.01 USD."},
		{"capped at what remains", "30.00", "34.00", "refunded",
			"Only 4.00 USD remained, so that was refunded."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, now)
			if tt.refundedFirst != "" {
				require.True(t, f.do(chargedesk.ActionRefund, "charge.transaction_id=transaction-example-7q8HbWrTTK",
					"refund_amount="+tt.refundedFirst).OK)
			}
			o := f.do(chargedesk.ActionCancel)
			require.True(t, o.OK, o.Body)
			assert.Equal(t, map[string]any{
				"status":          tt.wantStatus,
				"amount_refunded": json.Number(tt.wantRefunded),
				"metadata":        o.Updates["charge"]["metadata"],
			}, o.Updates["charge"])
			meta, _ := o.Updates["charge"]["metadata"].(map[string]any)
			assert.Equal(t, "Example charge metadata", meta["example_key"], "the charge's metadata is kept")
			assert.Contains(t, meta["refund_proration"], tt.wantNote)
			v, _ := o.Field("subscription.status")
			assert.Equal(t, "canceled", v)
		})
	}
}

func TestProrate(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name     string
		amount   string
		currency string
		total    int64 // seconds
		unused   int64
		want     string
	}{
		{"documented period", "34.00", "USD", 2629743, 1629743, "21.07"},
		{"a third, rounded down", "10.00", "USD", 3, 1, "3.33"},
		{"two thirds, rounded down not to nearest", "10.00", "USD", 3, 2, "6.66"},
		{"zero-decimal currency", "1000", "JPY", 3, 2, "666"},
		{"three-decimal currency", "1.000", "KWD", 3, 2, "0.666"},
		{"exact share keeps the scale", "34.00", "USD", 2, 1, "17.00"},
		{"all unused", "34.00", "USD", 100, 100, "34.00"},
		{"none unused", "34.00", "USD", 100, 0, "0.00"},
		{"large amount, no overflow", "99999999999999.99", "USD", 2629743, 2629742, "99999961973470.40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := start.Add(time.Duration(tt.total) * time.Second)
			now := end.Add(-time.Duration(tt.unused) * time.Second)
			p, err := prorate(chargedesk.MustParseAmount(tt.amount), tt.currency, start, end, now)
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.amount.String())
			assert.Equal(t, tt.unused, p.unused)
			assert.Equal(t, tt.total, p.total)
		})
	}

	t.Run("before the period: all of it", func(t *testing.T) {
		p, err := prorate(chargedesk.MustParseAmount("34.00"), "USD", start, start.Add(time.Hour), start.Add(-time.Hour))
		require.NoError(t, err)
		assert.Equal(t, "34.00", p.amount.String())
	})
	t.Run("after the period: nothing", func(t *testing.T) {
		p, err := prorate(chargedesk.MustParseAmount("34.00"), "USD", start, start.Add(time.Hour), start.Add(2*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, "0.00", p.amount.String())
	})
	for name, end := range map[string]time.Time{"no period": {}, "end before start": start.Add(-time.Second), "empty period": start} {
		t.Run(name, func(t *testing.T) {
			_, err := prorate(chargedesk.MustParseAmount("34.00"), "USD", start, end, start)
			var ae *chargedesk.AgentError
			require.ErrorAs(t, err, &ae)
			assert.Contains(t, ae.Message, "no current billing period")
		})
	}
}

func TestCancelPartialWithoutPeriod(t *testing.T) {
	f := newFixture(t, testclock.Now())
	o := f.do(chargedesk.ActionCancel, "subscription.current_period_start=0", "subscription.current_period_end=0")
	assert.False(t, o.OK)
	assert.Contains(t, o.ErrorMessage, "no current billing period")
	// Nothing changed: the charge can still be refunded in full.
	o = f.do(chargedesk.ActionRefund, "charge.transaction_id=transaction-example-7q8HbWrTTK", "refund_amount=34.00")
	assert.True(t, o.OK, o.Body)
}

func TestPaymentRequestAndPayPage(t *testing.T) {
	f := newFixture(t, testclock.Now())
	first := f.do(chargedesk.ActionRequestPayment, "charge.status=invoiced")
	require.True(t, first.OK, first.Body)
	require.True(t, strings.HasPrefix(first.RedirectURL, "http://pay.test/pay/"), first.RedirectURL)
	link, _ := first.Field("charge.pay_link")
	assert.Equal(t, first.RedirectURL, link)
	status, _ := first.Field("charge.status")
	assert.Equal(t, "invoiced", status)

	again := f.do(chargedesk.ActionRequestPayment)
	assert.Equal(t, first.RedirectURL, again.RedirectURL, "an unpaid charge keeps its link")

	page := payHandler(f.ledger, zerolog.Nop())
	mux := http.NewServeMux()
	mux.Handle("GET /pay/{id}", page)
	mux.Handle("POST /pay/{id}", page)
	path := strings.TrimPrefix(first.RedirectURL, "http://pay.test")

	get := func(method, path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		body, err := io.ReadAll(rec.Body)
		require.NoError(t, err)
		return rec.Code, string(body)
	}
	code, body := get(http.MethodGet, path)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Amount due: 34.00 USD")
	assert.Contains(t, body, "An example charge")

	code, body = get(http.MethodPost, path)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Paid: 34.00 USD")

	// The platform now has the charge paid, and a new request makes a new link.
	next := f.do(chargedesk.ActionRequestPayment, "charge.status=invoiced")
	require.True(t, next.OK)
	status, _ = next.Field("charge.status")
	assert.Equal(t, "paid", status)
	assert.NotEqual(t, first.RedirectURL, next.RedirectURL)

	code, _ = get(http.MethodGet, "/pay/nope")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestPayPageEscapes(t *testing.T) {
	f := newFixture(t, testclock.Now())
	o := f.do(chargedesk.ActionRequestPayment, "charge.description=<script>alert(1)</script>")
	require.True(t, o.OK, o.Body)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, strings.TrimPrefix(o.RedirectURL, "http://pay.test"), nil)
	req.SetPathValue("id", strings.TrimPrefix(o.RedirectURL, "http://pay.test/pay/"))
	payHandler(f.ledger, zerolog.Nop()).ServeHTTP(rec, req)
	assert.NotContains(t, rec.Body.String(), "<script>")
	assert.Contains(t, rec.Body.String(), "&lt;script&gt;")
}

// An hour of refunds on new charges keeps about one retention of charges:
// memory stays flat. A charge touched again is kept; one forgotten is
// adopted again from ChargeDesk's copy.
func TestMemoryBookForgetsIdleObjects(t *testing.T) {
	now := testclock.Now()
	b := newMemoryBook(func() time.Time { return now })
	l := newLedger(b, "http://pay.test/pay/", b.now)
	ctx := context.Background()
	refund := func(id string) {
		t.Helper()
		_, err := l.Refund(ctx, &chargedesk.RefundRequest{RefundAmount: chargedesk.MustParseAmount("1.00"),
			Charge: &chargedesk.Charge{ChargeID: "ch_" + id, TransactionID: id, Currency: "USD",
				Amount: chargedesk.MustParseAmount("100.00"), Status: chargedesk.ChargeStatusPaid}})
		require.NoError(t, err)
	}
	most := 0
	for sec := range 3600 {
		for i := range 5 {
			refund(fmt.Sprintf("tx_%d_%d", sec, i))
		}
		if sec%60 == 0 {
			refund("tx_regular") // a charge acted on every minute
		}
		most = max(most, len(b.charges))
		now = now.Add(time.Second)
	}
	perRetention := int(defaultRetention/time.Second) * 5
	assert.LessOrEqual(t, most, perRetention+10, "about one retention of charges at most")
	assert.GreaterOrEqual(t, most, perRetention, "a retention's charges are kept")
	assert.LessOrEqual(t, len(b.touches)-b.head, perRetention+20)
	require.Contains(t, b.charges, "tx_regular", "an object in use is kept")
	regular, err := b.charges["tx_regular"].charge()
	require.NoError(t, err)
	assert.Equal(t, "60.00", regular.refunded.String())

	now = now.Add(defaultRetention + time.Second)
	refund("tx_new")
	assert.NotContains(t, b.charges, "tx_regular", "forgotten after a retention idle")
	assert.Len(t, b.charges, 1)
}

// At any rate of new ids the memory book holds at most its limit of
// objects, forgetting the least recently used first; so its memory is
// bounded by count as well as by age.
func TestMemoryBookHoldsAtMostItsLimit(t *testing.T) {
	now := testclock.Now()
	b := newMemoryBook(func() time.Time { return now })
	b.limit = 1000
	l := newLedger(b, "http://pay.test/pay/", b.now)
	ctx := context.Background()
	refund := func(id string) {
		t.Helper()
		_, err := l.Refund(ctx, &chargedesk.RefundRequest{RefundAmount: chargedesk.MustParseAmount("1.00"),
			Charge: &chargedesk.Charge{ChargeID: "ch_" + id, TransactionID: id, Currency: "USD",
				Amount: chargedesk.MustParseAmount("1000.00"), Status: chargedesk.ChargeStatusPaid}})
		require.NoError(t, err)
	}
	for i := range 20_000 { // 20,000 refunds in 2 seconds: far more than the limit within a retention
		refund(fmt.Sprintf("tx_%d", i))
		if i%100 == 0 {
			refund("tx_busy") // used all along: kept
		}
		assert.LessOrEqual(t, b.kept(), b.limit+1, "after refund %d", i)
		now = now.Add(100 * time.Microsecond)
	}
	assert.Contains(t, b.charges, "tx_busy", "the most recently used are kept")
	assert.Contains(t, b.charges, "tx_19999")
	assert.NotContains(t, b.charges, "tx_0", "the least recently used are forgotten")
	assert.LessOrEqual(t, len(b.touches)-b.head, 2*b.limit, "the record of actions is bounded too")
}

// A refund sent again after the duplicate window (DuplicateWindow is off
// in this fixture) is not performed twice: the idempotency key fences it.
func TestLedgerRefundIsIdempotent(t *testing.T) {
	f := newFixture(t, testclock.Now())
	first := f.do(chargedesk.ActionRefund)
	require.True(t, first.OK, first.Body)
	again := f.do(chargedesk.ActionRefund)
	require.True(t, again.OK, again.Body)
	v, _ := again.Field("charge.amount_refunded")
	assert.Equal(t, "12.34", v, "refunded once, the first answer repeated")
	other := f.do(chargedesk.ActionRefund, "refund_amount=1.00")
	v, _ = other.Field("charge.amount_refunded")
	assert.Equal(t, "13.34", v, "a different refund is performed")
}

func TestMetadataKeepsEveryPair(t *testing.T) {
	assert.Nil(t, metadataOf(nil).asMap())
	md := metadataOf(map[string]string{"b": "2", "a": "1"})
	md.set("a", "replaced")
	md.set("c", "3")
	md.set("0", "first")
	assert.Equal(t, map[string]string{"0": "first", "a": "replaced", "b": "2", "c": "3"}, md.asMap())
}

// The retention's record of actions names an object by the id the ledger
// keeps it under: a repeat action does not keep its own payload's copy of
// the id alive until the retention ends.
func TestTouchesShareTheKeptID(t *testing.T) {
	f := newFixture(t, testclock.Now())
	for _, reason := range []string{"first", "second", "third"} {
		require.True(t, f.do(chargedesk.ActionRefund, "refund_amount=1.00", "action_reason="+reason).OK)
	}
	b := f.memory()
	require.Len(t, b.charges, 1)
	var kept string
	for _, c := range b.charges {
		kept = c.id
	}
	require.Len(t, b.touches, 3)
	for _, tc := range b.touches {
		assert.Same(t, unsafe.StringData(kept), unsafe.StringData(tc.id), "touch of %s", tc.id)
	}
}

// A charge read back from its row is the charge that was stored, every
// field, its strings' bytes and its amounts' scales included.
func TestChargeRowKeepsEveryField(t *testing.T) {
	c := &charge{
		seen: testclock.Now(),
		refunds: []keyedRefund{
			{key: "chargedesk-1", total: chargedesk.MustParseAmount("1.50")},
			{key: "chargedesk-2", total: chargedesk.MustParseAmount("12.30")},
		},
		id:           "txn_1",
		chargeDeskID: "ch_1",
		customerID:   "",
		currency:     "JPY",
		amount:       chargedesk.MustParseAmount("1000"),
		refunded:     chargedesk.MustParseAmount("12.30"),
		status:       chargedesk.ChargeStatusPartiallyRefunded,
		description:  "Ünïcode ✓ and a \x00 byte, and " + strings.Repeat("long ", 100),
		metadata:     metadataOf(map[string]string{"b": "2", "a": "", "": "empty key"}),
		payLink:      "http://pay.test/pay/0123",
	}
	got, err := c.row().charge()
	require.NoError(t, err)
	assert.Equal(t, c, got)
	assert.Equal(t, "12.30", got.refunded.String(), "the scale is kept")
	assert.Equal(t, map[string]string{"b": "2", "a": "", "": "empty key"}, got.metadata.asMap())

	empty, err := (&charge{id: "tx_2"}).row().charge()
	require.NoError(t, err)
	assert.Equal(t, &charge{id: "tx_2"}, empty)
}

// A row the ledger did not write is an error that names the charge, never
// a charge made up from it.
func TestChargeRowRefusesWhatItDidNotWrite(t *testing.T) {
	c := &charge{id: "txn_1", chargeDeskID: "ch_1", currency: "USD", status: chargedesk.ChargeStatusPaid,
		amount: chargedesk.MustParseAmount("10.00"), metadata: metadataOf(map[string]string{"k": "v"}),
		refunds: []keyedRefund{{key: "chargedesk-1", total: chargedesk.MustParseAmount("1.00")}}}
	r := c.row()
	for n := range len(r.data) {
		_, err := chargeRow{id: "txn_1", data: r.data[:n]}.charge()
		require.ErrorIs(t, err, errCorruptRow, "cut at %d", n)
		assert.Contains(t, err.Error(), "txn_1")
	}
	for _, data := range []string{r.data + "x", strings.Replace(r.data, "10.00", "10.0x", 1)} {
		_, err := chargeRow{id: "txn_1", data: data}.charge()
		assert.ErrorIs(t, err, errCorruptRow, "%q", data)
	}
}

// A charge whose row the ledger cannot read is never guessed at: a
// webhook about it gets an error answer, and the pay page records no
// payment.
func TestUnreadableRowIsAnError(t *testing.T) {
	f := newFixture(t, testclock.Now())
	o := f.do(chargedesk.ActionRequestPayment, "charge.status=invoiced")
	require.True(t, o.OK, o.Body)
	b := f.memory()
	require.Len(t, b.charges, 1)
	var transactionID string
	for id, r := range b.charges {
		r.data = r.data[:len(r.data)-1]
		b.charges[id], transactionID = r, id
	}

	refund := f.do(chargedesk.ActionRefund, "charge.transaction_id="+transactionID)
	assert.False(t, refund.OK)
	assert.Equal(t, http.StatusInternalServerError, refund.Status)
	assert.Contains(t, refund.ErrorMessage, "outcome is unknown", "the agent gets the generic failure, not the ledger's detail")

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, strings.TrimPrefix(o.RedirectURL, "http://pay.test"), nil)
	req.SetPathValue("id", strings.TrimPrefix(o.RedirectURL, "http://pay.test/pay/"))
	payHandler(f.ledger, zerolog.Nop()).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), "could not be recorded")
	link, err := f.ledger.link(context.Background(), strings.TrimPrefix(o.RedirectURL, "http://pay.test/pay/"))
	require.NoError(t, err)
	require.NotNil(t, link)
	assert.False(t, link.paid, "no payment is recorded against a charge the ledger cannot read")
}
