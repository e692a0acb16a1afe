package chargedesk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badInputSecret is the shared secret of the handler under test.
const badInputSecret = "Bearer 7f3c9a1e5b2d4c6a8e0f1b3d5a7c9e2f"

// badInputRequest is one request of the catalog. Zero fields take the
// defaults: POST to /chargedesk/refund, JSON, the right secret.
type badInputRequest struct {
	method        string
	path          string
	contentType   string
	auth          []string // Authorization values; nil means the right secret
	noAuth        bool     // send no Authorization header
	body          string
	chunked       bool  // send the body without a Content-Length
	contentLength int64 // when set, the Content-Length claimed
}

// badInputServe sends req through a new handler with the default
// middleware and returns the answer, the gateway and the log.
func badInputServe(t *testing.T, req badInputRequest) (*httptest.ResponseRecorder, *FakeGateway, string) {
	t.Helper()
	var logs LogBuffer
	logger := zerolog.New(&logs)
	gw := &FakeGateway{Answer: func(context.Context, Action, any) (*Response, error) { return nil, nil }}
	h, err := NewHandler(gw, Config{
		BasePath: "/chargedesk",
		Headers:  []Header{{Name: "Authorization", Values: []string{badInputSecret}}},
		Logger:   &logger,
	})
	require.NoError(t, err)

	method, path, contentType := req.method, req.path, req.contentType
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/chargedesk/refund"
	}
	if contentType == "" {
		contentType = "application/json"
	}
	r := httptest.NewRequest(method, path, strings.NewReader(req.body))
	r.Header.Set("Content-Type", contentType)
	switch {
	case req.noAuth:
	case req.auth != nil:
		r.Header["Authorization"] = req.auth
	default:
		r.Header.Set("Authorization", badInputSecret)
	}
	if req.chunked {
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
		r.Body = io.NopCloser(strings.NewReader(req.body)) // not a type NewRequest measures
	}
	if req.contentLength != 0 {
		r.ContentLength = req.contentLength
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, gw, logs.String()
}

// badInputPayload returns the example payload of action as a tree to edit.
func badInputPayload(t *testing.T, action Action) map[string]any {
	t.Helper()
	b := payloadFixture(t, action)
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep 12.34 exact
	require.NoError(t, dec.Decode(&m))
	return m
}

// badInputEdit returns action's example payload after edit, as JSON.
func badInputEdit(t *testing.T, action Action, edit func(m map[string]any)) string {
	t.Helper()
	m := badInputPayload(t, action)
	edit(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

func badInputObj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

// badInputRefund returns the example refund with its text after replacing
// old with new once: for what a JSON tree cannot hold (repeated keys,
// invalid UTF-8, literal NaN).
func badInputRefund(t *testing.T, old, new string) string {
	t.Helper()
	b := payloadFixture(t, ActionRefund)
	require.Contains(t, string(b), old)
	return strings.Replace(string(b), old, new, 1)
}

// badInputForm is a valid form-encoded refund followed by extra.
const badInputForm = "refund_amount=12.34&action_reason=wrong+size&charge[charge_id]=ch_1&charge[currency]=USD" +
	"&charge[amount]=34.00&charge[amount_refunded]=0.00"

// TestBadInput sends hostile and broken webhooks through the full default
// handler. Each is refused with the right status and a JSON error that
// names the problem, and none reaches the gateway.
func TestBadInput(t *testing.T) {
	const limit = DefaultMaxBodyBytes
	edit := func(action Action, f func(m map[string]any)) string { return badInputEdit(t, action, f) }
	refund := func(f func(m map[string]any)) string { return edit(ActionRefund, f) }
	charge := func(f func(c map[string]any)) string {
		return refund(func(m map[string]any) { f(badInputObj(m, "charge")) })
	}
	cancel := func(f func(m map[string]any)) string { return edit(ActionCancel, f) }
	valid := badInputRefund(t, `"refund_amount": 12.34`, `"refund_amount": 12.34`)
	secret := badInputSecret
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	// A valid refund padded past the limit with an unknown field.
	oversize := strings.Replace(valid, "{", `{"padding":"`+strings.Repeat("x", int(limit))+`",`, 1)
	manyKeys := func(n int, repeat bool) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `"k%d":0,`, i)
		}
		if repeat {
			b.WriteString(`"k0":1,`)
		}
		return strings.TrimSuffix(b.String(), ",")
	}

	tests := []struct {
		name       string
		req        badInputRequest
		wantStatus int
		wantError  string // a word of the error message that names the problem
	}{
		// Malformed JSON.
		{name: "truncated", req: badInputRequest{body: valid[:len(valid)/2]}, wantStatus: 400, wantError: "ends in the middle"},
		{name: "trailing garbage", req: badInputRequest{body: valid + "garbage"}, wantStatus: 400, wantError: "after the JSON object"},
		{name: "two objects", req: badInputRequest{body: valid + valid}, wantStatus: 400, wantError: "after the JSON object"},
		{name: "single quotes", req: badInputRequest{body: `{'refund_amount': 12.34}`}, wantStatus: 400, wantError: "object key"},
		{name: "trailing comma", req: badInputRequest{body: `{"refund_amount": 12.34,}`}, wantStatus: 400, wantError: "object key"},
		{name: "bad escape", req: badInputRequest{body: badInputRefund(t, `"Customer received`, `"Customer \x received`)}, wantStatus: 400, wantError: "string escape"},
		{name: "raw control character", req: badInputRequest{body: badInputRefund(t, `"Customer received`, "\"Customer\x01received")}, wantStatus: 400, wantError: "in a string"},
		{name: "empty body", req: badInputRequest{body: ""}, wantStatus: 400, wantError: "empty"},
		{name: "whitespace only", req: badInputRequest{body: " \r\n\t "}, wantStatus: 400, wantError: "empty"},
		{name: "top-level array", req: badInputRequest{body: "[" + valid + "]"}, wantStatus: 400, wantError: "must be a JSON object"},
		{name: "top-level string", req: badInputRequest{body: `"refund"`}, wantStatus: 400, wantError: "must be a JSON object"},
		{name: "top-level null", req: badInputRequest{body: `null`}, wantStatus: 400, wantError: "must be a JSON object"},
		{name: "byte order mark", req: badInputRequest{body: "\ufeff" + valid}, wantStatus: 400, wantError: "must be a JSON object"},

		// Wrong types.
		{name: "refund_amount object", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = map[string]any{"value": 12} })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "refund_amount boolean", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = true })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "charge is a string", req: badInputRequest{body: refund(func(m map[string]any) { m["charge"] = "example-Xs84hY5BSt5IttuRSIsQIA8r" })}, wantStatus: 400, wantError: "charge"},
		{name: "charge is a list", req: badInputRequest{body: refund(func(m map[string]any) { m["charge"] = []any{badInputObj(m, "charge")} })}, wantStatus: 400, wantError: "charge"},
		{name: "charge amount array", req: badInputRequest{body: charge(func(c map[string]any) { c["amount"] = []any{"34.00"} })}, wantStatus: 400, wantError: "charge.amount"},
		{name: "metadata number", req: badInputRequest{body: charge(func(c map[string]any) { c["metadata"] = 5 })}, wantStatus: 400, wantError: "charge.metadata"},
		{name: "occurred as words", req: badInputRequest{body: charge(func(c map[string]any) { c["occurred"] = "yesterday" })}, wantStatus: 400, wantError: "charge.occurred"},
		{name: "is_paid maybe", req: badInputRequest{body: charge(func(c map[string]any) { c["is_paid"] = "maybe" })}, wantStatus: 400, wantError: "charge.is_paid"},
		{name: "plans is text", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) { m["plans"] = "prod-1 x2" })}, wantStatus: 400, wantError: "plans"},
		{name: "plan quantity words", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) {
			m["plans"].([]any)[0].(map[string]any)["quantity"] = "two"
		})}, wantStatus: 400, wantError: "quantity"},

		// Huge numbers.
		{name: "refund_amount 1e400", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.Number("1e400") })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "refund_amount 20 digits", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.Number("12345678901234567890.5") })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "number of 70 digits", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.Number(strings.Repeat("9", 70)) })}, wantStatus: 400, wantError: "characters long"},
		{name: "interval_count overflow", req: badInputRequest{path: "/chargedesk/reactivate", body: edit(ActionReactivate, func(m map[string]any) {
			badInputObj(m, "subscription")["interval_count"] = json.Number("99999999999999999999")
		})}, wantStatus: 400, wantError: "subscription.interval_count"},
		{name: "occurred past year 9999", req: badInputRequest{body: charge(func(c map[string]any) { c["occurred"] = json.Number("1e30") })}, wantStatus: 400, wantError: "charge.occurred"},

		// NaN and infinities.
		{name: "refund_amount NaN string", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = "NaN" })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "refund_amount Infinity string", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = "Infinity" })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "refund_amount -Infinity string", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = "-Infinity" })}, wantStatus: 400, wantError: "refund_amount"},
		{name: "charge amount NaN string", req: badInputRequest{body: charge(func(c map[string]any) { c["amount"] = "NaN" })}, wantStatus: 400, wantError: "charge.amount"},
		{name: "bare NaN literal", req: badInputRequest{body: badInputRefund(t, `"refund_amount": 12.34`, `"refund_amount": NaN`)}, wantStatus: 400, wantError: "unexpected"},
		{name: "bare Infinity literal", req: badInputRequest{body: badInputRefund(t, `"refund_amount": 12.34`, `"refund_amount": Infinity`)}, wantStatus: 400, wantError: "unexpected"},

		// Amounts.
		{name: "negative refund", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.Number("-5.00") })}, wantStatus: 422, wantError: "refund_amount must be more than 0"},
		{name: "zero refund", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = "0.00" })}, wantStatus: 422, wantError: "refund_amount must be more than 0"},
		{name: "missing refund_amount", req: badInputRequest{body: refund(func(m map[string]any) { delete(m, "refund_amount") })}, wantStatus: 422, wantError: "refund_amount"},
		{name: "over-precise refund", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.Number("12.345") })}, wantStatus: 422, wantError: "decimal places"},
		{name: "fractional yen", req: badInputRequest{body: refund(func(m map[string]any) {
			m["refund_amount"] = json.Number("1.5")
			badInputObj(m, "charge")["currency"] = "JPY"
		})}, wantStatus: 422, wantError: "decimal places"},
		{name: "refund above remaining", req: badInputRequest{body: charge(func(c map[string]any) { c["amount_refunded"] = "30.00" })}, wantStatus: 422, wantError: "greater than amount remaining"},
		{name: "negative charge amount", req: badInputRequest{body: charge(func(c map[string]any) { c["amount"] = "-34.00" })}, wantStatus: 422, wantError: "charge.amount must not be negative"},
		{name: "refunded above amount", req: badInputRequest{path: "/chargedesk/capture", body: edit(ActionCapture, func(m map[string]any) {
			badInputObj(m, "charge")["amount_refunded"] = "35.00"
		})}, wantStatus: 422, wantError: "charge.amount_refunded"},

		// Deep nesting.
		{name: "33 levels", req: badInputRequest{body: charge(func(c map[string]any) {
			var v any = "x"
			for range 31 { // the body, the charge and 31 more
				v = map[string]any{"a": v}
			}
			c["metadata"] = v
		})}, wantStatus: 400, wantError: "nests deeper than 32"},
		{name: "500k levels", req: badInputRequest{body: badInputRefund(t, `"logs": []`, `"logs": `+deep(500_000))}, wantStatus: 400, wantError: "nests deeper than 32"},

		// Enormous arrays and objects that are refused.
		{name: "200k empty plans", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) {
			m["plans"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat("{},", 200_000), ",") + "]")
		})}, wantStatus: 422, wantError: "at most 1000"},
		{name: "1001 valid plans", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) {
			m["plans"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat(`{"product_id":"p","quantity":1},`, MaxPlans+1), ",") + "]")
		})}, wantStatus: 422, wantError: "plans lists 1001 plans"},
		{name: "empty plans entry", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) {
			m["plans"] = json.RawMessage(`[{"product_id":"p","quantity":1},{}]`)
		})}, wantStatus: 422, wantError: "plans[1].product_id"},
		{name: "200k lists as methods", req: badInputRequest{body: charge(func(c map[string]any) {
			c["methods_supported"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat("[1],", 200_000), ",") + "]")
		})}, wantStatus: 400, wantError: "charge.methods_supported"},
		{name: "60k keys, last repeats first", req: badInputRequest{body: charge(func(c map[string]any) {
			c["metadata"] = json.RawMessage("{" + manyKeys(60_000, true) + "}")
		})}, wantStatus: 400, wantError: "appears twice"},

		// Invalid UTF-8.
		{name: "invalid byte in value", req: badInputRequest{body: badInputRefund(t, "Customer received", "Customer \xff received")}, wantStatus: 400, wantError: "UTF-8"},
		{name: "invalid byte in key", req: badInputRequest{body: badInputRefund(t, `"action_reason"`, "\"action_\xfereason\"")}, wantStatus: 400, wantError: "UTF-8"},
		{name: "overlong slash", req: badInputRequest{body: badInputRefund(t, "Customer received", "Customer \xc0\xaf received")}, wantStatus: 400, wantError: "UTF-8"},
		{name: "encoded surrogate", req: badInputRequest{body: badInputRefund(t, "Customer received", "Customer \xed\xa0\x80 received")}, wantStatus: 400, wantError: "UTF-8"},
		{name: "truncated sequence at end", req: badInputRequest{body: valid + "\xe2\x82"}, wantStatus: 400, wantError: "UTF-8"},

		// Repeated keys.
		{name: "refund_amount twice", req: badInputRequest{body: badInputRefund(t, `"refund_amount": 12.34,`, `"refund_amount": 1.00, "refund_amount": 12.34,`)}, wantStatus: 400, wantError: "appears twice"},
		{name: "key twice in another case", req: badInputRequest{body: badInputRefund(t, `"refund_amount": 12.34,`, `"refund_amount": 1.00, "Refund_Amount": 12.34,`)}, wantStatus: 400, wantError: "appears twice"},
		{name: "key twice through an escape", req: badInputRequest{body: badInputRefund(t, `"refund_amount": 12.34,`, `"refund_amount": 1.00, "refund\u005famount": 12.34,`)}, wantStatus: 400, wantError: "appears twice"},
		{name: "charge_id twice in charge", req: badInputRequest{body: badInputRefund(t, `"charge": {`, `"charge": {"charge_id": "ch_other",`)}, wantStatus: 400, wantError: "appears twice"},
		{name: "key twice by Unicode case folding", req: badInputRequest{body: badInputRefund(t, `"charge": {`, `"charge": {"cu`+"\u017f"+`tomer_id": "cus_other",`)}, wantStatus: 400, wantError: "spelled in another case or form"},

		// Missing objects.
		{name: "refund without charge", req: badInputRequest{body: refund(func(m map[string]any) { delete(m, "charge") })}, wantStatus: 422, wantError: "charge is required"},
		{name: "capture with null charge", req: badInputRequest{path: "/chargedesk/capture", body: `{"charge": null}`}, wantStatus: 422, wantError: "charge is required"},
		{name: "payment request with empty object", req: badInputRequest{path: "/chargedesk/payment-request", body: `{}`}, wantStatus: 422, wantError: "charge is required"},
		{name: "charge as empty PHP array", req: badInputRequest{body: refund(func(m map[string]any) { m["charge"] = []any{} })}, wantStatus: 422, wantError: "charge.charge_id is required"},
		{name: "charge without currency", req: badInputRequest{body: charge(func(c map[string]any) { delete(c, "currency") })}, wantStatus: 422, wantError: "charge.currency is required"},
		{name: "cancel without subscription", req: badInputRequest{path: "/chargedesk/cancel", body: cancel(func(m map[string]any) { delete(m, "subscription") })}, wantStatus: 422, wantError: "subscription is required"},
		{name: "full refund without charge", req: badInputRequest{path: "/chargedesk/cancel", body: cancel(func(m map[string]any) {
			m["refund"] = "full"
			delete(m, "charge")
		})}, wantStatus: 422, wantError: "charge is required when refund is not none"},
		{name: "edit plans with no plans", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) { m["plans"] = []any{} })}, wantStatus: 422, wantError: "plans"},
		{name: "reactivate with empty body object", req: badInputRequest{path: "/chargedesk/reactivate", body: `{"subscription": {}}`}, wantStatus: 422, wantError: "subscription.subscription_id is required"},

		// Unknown enum values.
		{name: "unknown cancel action", req: badInputRequest{path: "/chargedesk/cancel", body: cancel(func(m map[string]any) { m["action"] = "explode" })}, wantStatus: 422, wantError: "action must be one of"},
		{name: "unknown refund mode", req: badInputRequest{path: "/chargedesk/cancel", body: cancel(func(m map[string]any) { m["refund"] = "half" })}, wantStatus: 422, wantError: "refund must be one of"},
		{name: "unknown currency", req: badInputRequest{body: charge(func(c map[string]any) { c["currency"] = "ZZZ" })}, wantStatus: 422, wantError: "charge.currency"},
		{name: "metal currency", req: badInputRequest{body: charge(func(c map[string]any) { c["currency"] = "XAU" })}, wantStatus: 422, wantError: "ISO 4217"},
		{name: "unknown subscription currency", req: badInputRequest{path: "/chargedesk/reactivate", body: edit(ActionReactivate, func(m map[string]any) {
			badInputObj(m, "subscription")["currency"] = "BTC"
		})}, wantStatus: 422, wantError: "subscription.currency"},

		// Wrong method.
		{name: "GET", req: badInputRequest{method: http.MethodGet, body: valid}, wantStatus: 405, wantError: "POST"},
		{name: "PUT", req: badInputRequest{method: http.MethodPut, body: valid}, wantStatus: 405, wantError: "POST"},
		{name: "DELETE", req: badInputRequest{method: http.MethodDelete}, wantStatus: 405, wantError: "POST"},

		// Wrong path.
		{name: "unknown action", req: badInputRequest{path: "/chargedesk/refunds", body: valid}, wantStatus: 404, wantError: "path"},
		{name: "without base path", req: badInputRequest{path: "/refund", body: valid}, wantStatus: 404, wantError: "path"},
		{name: "base path only", req: badInputRequest{path: "/chargedesk", body: valid}, wantStatus: 404, wantError: "path"},
		{name: "path in capitals", req: badInputRequest{path: "/chargedesk/REFUND", body: valid}, wantStatus: 404, wantError: "path"},
		{name: "path below an action", req: badInputRequest{path: "/chargedesk/refund/again", body: valid}, wantStatus: 404, wantError: "path"},

		// Secrets.
		{name: "no secret", req: badInputRequest{noAuth: true, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "empty secret", req: badInputRequest{auth: []string{""}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "wrong secret", req: badInputRequest{auth: []string{"Bearer 00000000000000000000000000000000"}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "last character off", req: badInputRequest{auth: []string{secret[:len(secret)-1] + "e"}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "first character off", req: badInputRequest{auth: []string{"C" + secret[1:]}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "one character short", req: badInputRequest{auth: []string{secret[:len(secret)-1]}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "one character long", req: badInputRequest{auth: []string{secret + "0"}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "scheme in lower case", req: badInputRequest{auth: []string{"b" + secret[1:]}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "secret without scheme", req: badInputRequest{auth: []string{strings.TrimPrefix(secret, "Bearer ")}, body: valid}, wantStatus: 401, wantError: "authentication"},
		{name: "right and wrong secret", req: badInputRequest{auth: []string{secret, "Bearer wrong"}, body: valid}, wantStatus: 401, wantError: "authentication"},

		// Oversize bodies.
		{name: "content-length over the limit", req: badInputRequest{body: oversize}, wantStatus: 413, wantError: "larger than"},
		{name: "chunked over the limit", req: badInputRequest{body: oversize, chunked: true}, wantStatus: 413, wantError: "larger than"},
		{name: "content-length understated", req: badInputRequest{body: oversize, contentLength: int64(len(valid))}, wantStatus: 413, wantError: "larger than"},
		{name: "content-length huge, body small", req: badInputRequest{body: valid, contentLength: 1 << 40}, wantStatus: 413, wantError: "larger than"},

		// Form-encoded.
		{name: "form malformed brackets", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&charge[metadata=1"}, wantStatus: 400, wantError: "brackets"},
		{name: "form bad percent escape", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&action_reason2=%zz"}, wantStatus: 400, wantError: "URL-encoded"},
		{name: "form field twice", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&refund_amount=1.00"}, wantStatus: 400, wantError: "given twice"},
		{name: "form field as value and object", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&charge=x"}, wantStatus: 400, wantError: "conflicts"},
		{name: "form [] before last bracket", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&plans[][product_id]=p"}, wantStatus: 400, wantError: "ambiguous"},
		{name: "form nests too deep", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&charge[metadata]" + strings.Repeat("[a]", 40) + "=1"}, wantStatus: 400, wantError: "nests deeper"},
		{name: "form NaN amount", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: strings.Replace(badInputForm, "refund_amount=12.34", "refund_amount=NaN", 1)}, wantStatus: 400, wantError: "refund_amount"},
		{name: "form over-precise amount", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: strings.Replace(badInputForm, "refund_amount=12.34", "refund_amount=12.345", 1)}, wantStatus: 422, wantError: "decimal places"},
		{name: "form without charge", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: "refund_amount=12.34&action_reason=x"}, wantStatus: 422, wantError: "charge is required"},
		{name: "form empty", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: ""}, wantStatus: 400, wantError: "empty"},
		{name: "form invalid UTF-8", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&charge[description]=%ff%fe"}, wantStatus: 400, wantError: "UTF-8"},
		{name: "form over the limit", req: badInputRequest{contentType: "application/x-www-form-urlencoded", body: badInputForm + "&padding=" + strings.Repeat("x", int(limit)), chunked: true}, wantStatus: 413, wantError: "larger than"},

		// Ids that could name another object: each spelling would take a lock
		// of its own (issue: hold under hostile and PHP-shaped input).
		{name: "id with a leading space", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = " 123" })}, wantStatus: 400, wantError: "charge.charge_id starts or ends with a space"},
		{name: "id with a trailing space", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = "123 " })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id with a trailing tab", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = "123\t" })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id a space", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = " " })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id NUL", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = "\u0000" })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id zero-width space", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = "12\u200b3" })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id number with a fraction", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = json.RawMessage("123.0") })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "id true", req: badInputRequest{body: charge(func(c map[string]any) { c["charge_id"] = true })}, wantStatus: 400, wantError: "charge.charge_id"},
		{name: "plan product id with a bidi mark", req: badInputRequest{path: "/chargedesk/edit-plans", body: edit(ActionEditPlans, func(m map[string]any) {
			m["plans"] = []any{map[string]any{"product_id": "gold\u200f", "quantity": 1}}
		})}, wantStatus: 400, wantError: "plans[0].product_id"},
		// Keys in another case or folding, which a placeholder would miss.
		{name: "object key in upper case", req: badInputRequest{body: strings.Replace(valid, `"charge"`, `"CHARGE"`, 1)}, wantStatus: 400, wantError: "another case or form"},
		{name: "field key in mixed case", req: badInputRequest{body: strings.Replace(valid, `"charge_id"`, `"Charge_ID"`, 1)}, wantStatus: 400, wantError: "another case or form"},
		{name: "field key with a long s", req: badInputRequest{body: strings.Replace(valid, `"customer_id"`, `"cu`+"\u017f"+`tomer_id"`, 1)}, wantStatus: 400, wantError: "another case or form"},
		// Money past the bound, and float arithmetic that is no amount.
		{name: "charge amount past MaxAmount", req: badInputRequest{body: charge(func(c map[string]any) { c["amount"] = "9999999999999999999" })}, wantStatus: 400, wantError: "largest amount"},
		{name: "refund past MaxAmount", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.RawMessage("100000000000000") })}, wantStatus: 400, wantError: "largest amount"},
		{name: "PHP float that is no amount", req: badInputRequest{body: refund(func(m map[string]any) { m["refund_amount"] = json.RawMessage("0.00999999999999801") })}, wantStatus: 422, wantError: "decimal places"},
		// Customer data in a field of the wrong type is never echoed.
		{name: "email in an object where text goes", req: badInputRequest{body: charge(func(c map[string]any) { c["customer_email"] = map[string]any{"e": "jane@example.com"} })}, wantStatus: 400, wantError: "charge.customer_email is not text"},
		{name: "card digits where a boolean goes", req: badInputRequest{body: charge(func(c map[string]any) { c["is_paid"] = "4111111111111111" })}, wantStatus: 400, wantError: "charge.is_paid is not a boolean"},
	}
	require.GreaterOrEqual(t, len(tests), 40)
	names := map[string]bool{}
	for _, tt := range tests {
		require.False(t, names[tt.name], "two rows named %q", tt.name)
		names[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			rec, gw, logs := badInputServe(t, tt.req)

			assert.Equal(t, tt.wantStatus, rec.Code, "answer: %s", rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var answer map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &answer), "answer is not JSON: %q", rec.Body.String())
			assert.Len(t, answer, 1, "answer has keys besides error: %s", rec.Body.String())
			msg, ok := answer["error"].(string)
			require.True(t, ok, "answer has no error text: %s", rec.Body.String())
			assert.Contains(t, msg, tt.wantError)
			assert.Zero(t, len(gw.Calls()), "the gateway was called")
			assert.NotContains(t, rec.Body.String(), strings.TrimPrefix(badInputSecret, "Bearer "))
			assert.NotContains(t, logs, strings.TrimPrefix(badInputSecret, "Bearer "))
			assert.NotContains(t, logs, "panic", "the handler panicked")
			if tt.wantStatus == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
			}
		})
	}
}

// TestBadInputLargeButValid sends bodies within the limit that are large
// but well-formed: enormous lists and objects where the payload allows any.
// They are accepted, each reaching the gateway once.
func TestBadInputLargeButValid(t *testing.T) {
	charge := func(f func(c map[string]any)) string {
		return badInputEdit(t, ActionRefund, func(m map[string]any) { f(badInputObj(m, "charge")) })
	}
	tests := []struct {
		name string
		path string
		body string
	}{
		{name: "200k-element logs", body: charge(func(c map[string]any) {
			c["logs"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat("0,", 200_000), ",") + "]")
		})},
		{name: "200k methods as numbers", body: charge(func(c map[string]any) {
			c["methods_supported"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat("1,", 200_000), ",") + "]")
		})},
		{name: "30k metadata keys", body: charge(func(c map[string]any) {
			var b strings.Builder
			for i := range 30_000 {
				fmt.Fprintf(&b, `"k%d":0,`, i)
			}
			c["metadata"] = json.RawMessage("{" + strings.TrimSuffix(b.String(), ",") + "}")
		})},
		{name: "MaxPlans plans", path: "/chargedesk/edit-plans", body: badInputEdit(t, ActionEditPlans, func(m map[string]any) {
			m["plans"] = json.RawMessage("[" + strings.TrimSuffix(strings.Repeat(`{"product_id":"p","quantity":1},`, MaxPlans), ",") + "]")
		})},
		{name: "32 levels", body: charge(func(c map[string]any) {
			var v any = "x"
			for range 30 { // the body, the charge and 30 more
				v = map[string]any{"a": v}
			}
			c["logs"] = v
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.LessOrEqual(t, int64(len(tt.body)), DefaultMaxBodyBytes)
			rec, gw, _ := badInputServe(t, badInputRequest{path: tt.path, body: tt.body})
			assert.Equal(t, http.StatusOK, rec.Code, "answer: %s", rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Len(t, gw.Calls(), 1)
		})
	}
}
