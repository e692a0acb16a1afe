package chargedesk_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeaderTemplates checks how the receiver fills a header template from
// the payload, as ChargeDesk does before sending: which object a field comes
// from, and how its value is written as text.
func TestHeaderTemplates(t *testing.T) {
	tests := []struct {
		name     string
		action   chargedesk.Action
		template string
		sent     string
		want     int
	}{
		// Lookup order: top level, then the action's main object, then the
		// other object.
		{"cancel: customer_id from the subscription", chargedesk.ActionCancel, "{customer_id}",
			"cus-example-RAFiJBiib1", http.StatusOK},
		{"cancel: customer_id not from the charge", chargedesk.ActionCancel, "{customer_id}",
			"cus-example-6vsE7EUPfk", http.StatusUnauthorized},
		{"cancel: product_id from the subscription", chargedesk.ActionCancel, "{product_id}",
			"prod-example-UR9KyyjODh", http.StatusOK},
		{"cancel: charge_id from the charge", chargedesk.ActionCancel, "{charge_id}",
			"example-dcVNtrQoNtyLxadmoPmbIAX2", http.StatusOK},
		{"cancel: top-level refund", chargedesk.ActionCancel, "{refund}", "partial", http.StatusOK},
		{"cancel: top-level action", chargedesk.ActionCancel, "{action}", "cancel-immediately", http.StatusOK},
		{"refund: customer_id from the charge", chargedesk.ActionRefund, "{customer_id}",
			"cus-example-RLf9f6T6Ok", http.StatusOK},

		// Values as PHP writes them.
		{"refund_amount as sent", chargedesk.ActionRefund, "{refund_amount}", "12.34", http.StatusOK},
		{"refund_amount reformatted", chargedesk.ActionRefund, "{refund_amount}", "12.340", http.StatusUnauthorized},
		{"amount string as sent", chargedesk.ActionRefund, "{amount}", "34.00", http.StatusOK},
		{"amount string reformatted", chargedesk.ActionRefund, "{amount}", "34", http.StatusUnauthorized},
		{"integer", chargedesk.ActionRefund, "{occurred}", "1732181492", http.StatusOK},
		{"true as 1", chargedesk.ActionRefund, "{is_paid}", "1", http.StatusOK},
		{"true not as true", chargedesk.ActionRefund, "{is_paid}", "true", http.StatusUnauthorized},
		{"escaped slashes unescaped", chargedesk.ActionRefund, "{support_url}",
			"https://chargedesk.com/company-example/example-Xs84hY5BSt5IttuRSIsQIA8r", http.StatusOK},
		{"null as empty", chargedesk.ActionRefund, "{customer_phone}", "", http.StatusOK},
		{"null not as null", chargedesk.ActionRefund, "{customer_phone}", "null", http.StatusUnauthorized},
		{"several placeholders and text", chargedesk.ActionRefund, "{company}:{charge_id}:{currency}",
			"company-example:example-Xs84hY5BSt5IttuRSIsQIA8r:USD", http.StatusOK},

		// A field the payload lacks renders empty; the placeholder spelled
		// out never matches, so a bound header cannot be satisfied by it.
		{"absent field as empty", chargedesk.ActionReactivate, "{charge_id}", "", http.StatusOK},
		{"absent field as the placeholder", chargedesk.ActionReactivate, "{charge_id}", "{charge_id}", http.StatusUnauthorized},
		{"absent field as something else", chargedesk.ActionReactivate, "{charge_id}", "x", http.StatusUnauthorized},
		{"absent refund_amount on capture", chargedesk.ActionCapture, "{refund_amount}", "", http.StatusOK},
		{"absent field in text", chargedesk.ActionReactivate, "sub={subscription_id};tx={transaction_id}",
			"sub=sub-example-uqj4QP2rEQ;tx=", http.StatusOK},
		{"absent field in text as the placeholder", chargedesk.ActionReactivate, "sub={subscription_id};tx={transaction_id}",
			"sub=sub-example-uqj4QP2rEQ;tx={transaction_id}", http.StatusUnauthorized},
		{"absent field in text, present one wrong", chargedesk.ActionReactivate,
			"sub={subscription_id};tx={transaction_id}", "sub=other;tx=", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := &fakeGateway{}
			h := newHandler(t, gw, func(c *chargedesk.Config) {
				c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Field", Values: []string{tt.template}})
			})
			r := webhook("/chargedesk/"+string(tt.action), readRequest(t, tt.action))
			r.Header.Set("X-Field", tt.sent)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			require.Equal(t, tt.want, rec.Code, "body: %s", rec.Body)
			if tt.want == http.StatusOK {
				assert.Len(t, gw.Calls(), 1)
			} else {
				assert.Empty(t, gw.Calls())
				assert.Contains(t, errorMessage(t, rec), "authentication headers")
			}
		})
	}
}

// TestHeaderTemplateOverHTTP sends templated headers through a real
// connection, where HTTP drops the spaces around a header's value: a
// template that renders with a leading or trailing space still matches.
func TestHeaderTemplateOverHTTP(t *testing.T) {
	tests := []struct {
		name     string
		template string
		sent     string // what ChargeDesk would put on the wire
	}{
		{"present field", "Charge {subscription_id}", "Charge sub-example-uqj4QP2rEQ"},
		{"absent field at the end", "Charge {transaction_id}", "Charge "},
		{"absent field at the start", "{transaction_id} sub", " sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := &fakeGateway{}
			srv := httptest.NewServer(newHandler(t, gw, func(c *chargedesk.Config) {
				c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Field", Values: []string{tt.template}})
			}))
			t.Cleanup(srv.Close)
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/chargedesk/reactivate",
				bytes.NewReader(readRequest(t, chargedesk.ActionReactivate)))
			require.NoError(t, err)
			req.Header.Set("Authorization", secret)
			req.Header.Set("X-Field", tt.sent)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Len(t, gw.Calls(), 1)
		})
	}
}

// TestBasePathTemplate checks Base Path placeholders against the payload.
func TestBasePathTemplate(t *testing.T) {
	tests := []struct {
		name     string
		basePath string
		action   chargedesk.Action
		path     string
		want     int
	}{
		{"company", "/hooks/{company}", chargedesk.ActionRefund, "/hooks/company-example/refund", http.StatusOK},
		{"other company", "/hooks/{company}", chargedesk.ActionRefund, "/hooks/other/refund", http.StatusUnauthorized},
		{"full URL", "https://pay.example.com/hooks/{company}", chargedesk.ActionRefund,
			"/hooks/company-example/refund", http.StatusOK},
		{"cancel: customer from the subscription", "/c/{customer_id}", chargedesk.ActionCancel,
			"/c/cus-example-RAFiJBiib1/cancel", http.StatusOK},
		{"cancel: not the charge's customer", "/c/{customer_id}", chargedesk.ActionCancel,
			"/c/cus-example-6vsE7EUPfk/cancel", http.StatusUnauthorized},
		{"escaped placeholder for an absent field never matches", "/c/{charge_id}", chargedesk.ActionReactivate,
			"/c/%7Bcharge_id%7D/reactivate", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := &fakeGateway{}
			h := newHandler(t, gw, func(c *chargedesk.Config) { c.BasePath = tt.basePath })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, webhook(tt.path, readRequest(t, tt.action)))
			require.Equal(t, tt.want, rec.Code, "body: %s", rec.Body)
			if tt.want == http.StatusOK {
				assert.Len(t, gw.Calls(), 1)
			} else {
				assert.Empty(t, gw.Calls())
				errorMessage(t, rec)
			}
		})
	}
}

// TestHeaderTemplateFormBody checks placeholders against a form-encoded
// webhook, whose fields are looked up as in its JSON form.
func TestHeaderTemplateFormBody(t *testing.T) {
	body := []byte("refund_amount=12.34&charge[charge_id]=ch_1&charge[currency]=USD" +
		"&charge[amount]=34.00&charge[amount_refunded]=0.00")
	for _, tt := range []struct {
		sent string
		want int
	}{{"ch_1:12.34", http.StatusOK}, {"ch_2:12.34", http.StatusUnauthorized}} {
		t.Run(tt.sent, func(t *testing.T) {
			gw := &fakeGateway{}
			h := newHandler(t, gw, func(c *chargedesk.Config) {
				c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Field", Values: []string{"{charge_id}:{refund_amount}"}})
			})
			r := webhook("/chargedesk/refund", body)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Field", tt.sent)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			assert.Equal(t, tt.want, rec.Code, "body: %s", rec.Body)
			if tt.want == http.StatusOK {
				assert.Len(t, gw.Calls(), 1)
			} else {
				assert.Empty(t, gw.Calls())
			}
		})
	}
}

func TestHeaderAbsentWhenPlaceholderRendersEmpty(t *testing.T) {
	// customer_phone is null in the documented payload, so ChargeDesk renders
	// "X-Phone: {customer_phone}" as an empty value, which a client may drop.
	h := newHandler(t, &fakeGateway{}, func(c *chargedesk.Config) {
		c.DuplicateWindow = -1 // the same refund is sent several times
		c.Headers = append(c.Headers,
			chargedesk.Header{Name: "X-Phone", Values: []string{"{customer_phone}"}},
			chargedesk.Header{Name: "X-Charge", Values: []string{"id-{charge_id}"}})
	})
	send := func(hdr map[string]string) int {
		req := webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))
		req.Header.Del("Authorization")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	charge := "id-example-Xs84hY5BSt5IttuRSIsQIA8r"
	assert.Equal(t, http.StatusOK, send(map[string]string{"Authorization": secret, "X-Charge": charge}),
		"an empty placeholder-only header may be absent")
	assert.Equal(t, http.StatusOK, send(map[string]string{"Authorization": secret, "X-Charge": charge, "X-Phone": ""}))
	assert.Equal(t, http.StatusUnauthorized, send(map[string]string{"Authorization": secret}),
		"a header with fixed text must be present")
	assert.Equal(t, http.StatusUnauthorized, send(map[string]string{"Authorization": secret, "X-Charge": charge, "X-Phone": "555"}))
}

func TestHandlerAuthentication(t *testing.T) {
	const next = "Bearer next-secret-fedcba9876543210"
	rotation := func(c *chargedesk.Config) { c.Headers[0].Values = []string{secret, next} }
	chargeHeader := func(c *chargedesk.Config) {
		c.Headers = append(c.Headers, chargedesk.Header{Name: "X-Charge", Values: []string{"{charge_id}"}})
	}
	setAuth := func(v string) func(http.Header) { return func(h http.Header) { h.Set("Authorization", v) } }
	oneOff := secret[:len(secret)-1] + "e" // last character changed
	unauthorized := "The webhook was refused: its authentication headers do not match the integration's settings."
	runCases(t, []errCase{
		{name: "missing secret", header: func(h http.Header) { h.Del("Authorization") },
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "wrong secret", header: setAuth("Bearer wrong-secret-0123456789abc"),
			status: http.StatusUnauthorized, message: unauthorized,
			absent: []string{"wrong-secret", secretValue}},
		{name: "secret one character off", header: setAuth(oneOff),
			status: http.StatusUnauthorized, message: unauthorized, absent: []string{secretValue, oneOff}},
		{name: "secret with a suffix", header: setAuth(secret + "x"), status: http.StatusUnauthorized},
		{name: "secret prefix only", header: setAuth(secret[:10]), status: http.StatusUnauthorized},
		{name: "secret sent twice", header: func(h http.Header) { h.Add("Authorization", secret) },
			status: http.StatusUnauthorized},
		{name: "header name in other case", header: func(h http.Header) {
			h.Del("Authorization")
			h["authorization"] = []string{secret}
		}, status: http.StatusUnauthorized}, // a raw map key a client never sends; canonical names only
		{name: "rotation: old value", config: rotation, status: http.StatusOK, called: 1},
		{name: "rotation: new value", config: rotation, header: setAuth(next), status: http.StatusOK, called: 1},
		{name: "rotation: neither", config: rotation, header: setAuth("Bearer other-secret-0000000000"),
			status: http.StatusUnauthorized, absent: []string{secretValue, "next-secret"}},
		{name: "templated header matches", config: chargeHeader,
			header: func(h http.Header) { h.Set("X-Charge", "example-Xs84hY5BSt5IttuRSIsQIA8r") },
			status: http.StatusOK, called: 1},
		{name: "templated header mismatches", config: chargeHeader,
			header: func(h http.Header) { h.Set("X-Charge", "example-somebody-else") },
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "templated header missing", config: chargeHeader,
			status: http.StatusUnauthorized, message: unauthorized},
		{name: "templated header right, secret wrong", config: chargeHeader, header: func(h http.Header) {
			h.Set("X-Charge", "example-Xs84hY5BSt5IttuRSIsQIA8r")
			h.Set("Authorization", oneOff)
		}, status: http.StatusUnauthorized},
		{name: "base path placeholder matches",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/company-example/refund", status: http.StatusOK, called: 1},
		{name: "base path placeholder mismatches",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/other/refund", status: http.StatusUnauthorized, message: unauthorized},
		{name: "base path placeholder with trailing slash",
			config: func(c *chargedesk.Config) { c.BasePath = "/hooks/{company}" },
			path:   "/hooks/company-example/refund/", status: http.StatusOK, called: 1},
		{name: "path placeholder", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{charge_id}"}
		}, path: "/chargedesk/refund/example-Xs84hY5BSt5IttuRSIsQIA8r", status: http.StatusOK, called: 1},
		{name: "path placeholder mismatches", config: func(c *chargedesk.Config) {
			c.Paths = map[chargedesk.Action]string{chargedesk.ActionRefund: "/refund/{charge_id}"}
		}, path: "/chargedesk/refund/example-other", status: http.StatusUnauthorized},
		{name: "unauthenticated allowed", config: func(c *chargedesk.Config) {
			c.Headers = nil
			c.AllowUnauthenticated = true
		}, header: func(h http.Header) { h.Del("Authorization") }, status: http.StatusOK, called: 1},
	})
}
