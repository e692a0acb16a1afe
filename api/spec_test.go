package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// specOperation is one operation of the seed OpenAPI specification, as
// specOperations reads it: its parameters are its query parameters and
// its form body's properties, named as the spec names them
// ("customer[id]", "lines[]", "metadata", "plans[][id]").
type specOperation struct {
	ID, Method, Path string
	Params           []string
}

// specPath finds the seed specification: $CHARGEDESK_API_SPEC, else
// ../shared/chargedesk/api-openapi-flattened.txt beside the module's
// directory, where the project keeps the documents it was given.
func specPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHARGEDESK_API_SPEC"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test")
		dir = parent
	}
	p := filepath.Join(filepath.Dir(dir), "shared", "chargedesk", "api-openapi-flattened.txt")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the seed specification is not at %s; set CHARGEDESK_API_SPEC to its path", p)
	}
	return p
}

// specOperations reads the seed specification, an OpenAPI 3 document whose
// line breaks were lost, as words. It knows the document's habits: a path
// is a word starting with / and ending in :, an operation is a method
// followed by operationId, a parameter is "- name: X in: query", a schema
// is a capitalised name followed by type:, and a property is a name
// followed by type: or $ref: (items: and additionalProperties: are
// keywords). A request body is a $ref to a schema or inline properties.
func specOperations(t *testing.T, text string) []specOperation {
	t.Helper()
	words := strings.Fields(text)
	at := func(i int) string {
		if i < len(words) {
			return words[i]
		}
		return ""
	}
	isProperty := func(i int) bool {
		w := words[i]
		if !strings.HasSuffix(w, ":") || w == "items:" || w == "additionalProperties:" || w == "schema:" {
			return false
		}
		next := at(i + 1)
		return next == "type:" || next == "$ref:"
	}
	pathsAt, componentsAt := slices.Index(words, "paths:"), slices.Index(words, "components:")
	require.Positive(t, pathsAt)
	require.Greater(t, componentsAt, pathsAt)

	// Schemas: name -> top-level properties.
	schemas := map[string][]string{}
	schemasAt := slices.Index(words[componentsAt:], "schemas:") + componentsAt
	current := ""
	inProps := false
	for i := schemasAt + 1; i < len(words); i++ {
		w := words[i]
		if len(w) > 1 && w[0] >= 'A' && w[0] <= 'Z' && strings.HasSuffix(w, ":") && at(i+1) == "type:" {
			current, inProps = strings.TrimSuffix(w, ":"), false
			schemas[current] = nil
			continue
		}
		if w == "properties:" && current != "" && !inProps {
			inProps = true
			continue
		}
		if inProps && isProperty(i) {
			schemas[current] = append(schemas[current], strings.TrimSuffix(w, ":"))
		}
	}

	var ops []specOperation
	var op *specOperation
	path := ""
	section := "" // "parameters", "body", "responses"
	for i := pathsAt + 1; i < componentsAt; i++ {
		w := words[i]
		switch {
		case strings.HasPrefix(w, "/") && strings.HasSuffix(w, ":"):
			path = strings.TrimSuffix(w, ":")
		case (w == "get:" || w == "post:" || w == "delete:" || w == "put:") && at(i+1) == "operationId:":
			ops = append(ops, specOperation{ID: at(i + 2), Method: strings.ToUpper(strings.TrimSuffix(w, ":")), Path: path})
			op, section = &ops[len(ops)-1], ""
		case op == nil:
		case w == "parameters:":
			section = "parameters"
		case w == "requestBody:":
			section = "body"
		case w == "responses:":
			section = "responses"
		case section == "parameters" && w == "name:" && at(i-1) == "-":
			name := at(i + 1)
			for j := i + 2; j < i+8 && j < componentsAt; j++ {
				if words[j] == "in:" && at(j+1) == "query" {
					op.Params = append(op.Params, name)
				}
			}
		case section == "body" && w == "$ref:":
			ref := strings.Trim(at(i+1), `'"`)
			op.Params = append(op.Params, schemas[strings.TrimPrefix(ref, "#/components/schemas/")]...)
		case section == "body" && isProperty(i):
			op.Params = append(op.Params, strings.TrimSuffix(w, ":"))
		}
	}
	return ops
}

func readSpec(t *testing.T) []specOperation {
	t.Helper()
	b, err := os.ReadFile(specPath(t))
	require.NoError(t, err)
	ops := specOperations(t, string(b))
	require.Len(t, ops, 31, "the seed specification has 31 operations")
	return ops
}

// sentParams are the parameter names of a request's form or query, with
// list indexes written [] as the spec writes them (plans[0][id] is
// plans[][id]).
func sentParams(t *testing.T, x exchange) []string {
	t.Helper()
	encoded := x.Query
	if x.Method == http.MethodPost {
		encoded = x.Body
	}
	values, err := url.ParseQuery(encoded)
	require.NoError(t, err)
	index := regexp.MustCompile(`\[[0-9]+\]`)
	var out []string
	for k := range values {
		out = append(out, index.ReplaceAllString(k, "[]"))
	}
	slices.Sort(out)
	return out
}

// covered reports whether the spec's parameter name is among the names
// sent: itself, or what is below it (metadata is metadata[plan], events is
// events[], metadata[key] is metadata[plan]).
func covered(name string, sent []string) bool {
	prefix := strings.TrimSuffix(name, "[key]")
	for _, s := range sent {
		if s == name || strings.HasPrefix(s, prefix+"[") {
			return true
		}
	}
	return false
}

// Every parameter of every operation of the seed specification can be set
// through the client's params and reaches the local ChargeDesk, which
// accepts it; an unknown parameter beside them is refused with a 400 that
// names it; and the local ChargeDesk's own table of operations takes every
// one of them.
func TestEveryParameterCanBeSent(t *testing.T) {
	ops := readSpec(t)
	fake, rec, client, _ := newShapedAPI(t, apitest.ShapeDocumented)
	ctx := context.Background()
	seed := func(name string, p map[string]any) string {
		id, err := fake.Seed(name, p)
		require.NoError(t, err)
		return id
	}
	seed("customers", map[string]any{"customer_id": "cus_1", "email": "jane@example.com", "name": "Jane"})
	seed("customers", map[string]any{"customer_id": "cus_del"})
	seed("products", map[string]any{"product_id": "gold", "name": "Gold"})
	seed("subscriptions", map[string]any{"subscription_id": "sub_1", "customer_id": "cus_1", "status": "active"})
	charge := func(tx, status string) string {
		return seed("charges", map[string]any{"transaction_id": tx, "amount": "34.00", "currency": "USD",
			"customer": map[string]any{"id": "cus_1"}, "status": status, "subscription": map[string]any{"id": "sub_1"}})
	}
	paid, auth, toVoid, toDelete := charge("tx_1", "paid"), charge("tx_auth", "authorized"), charge("tx_void", "invoiced"), charge("tx_del", "paid")
	hook, err := client.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/hook"})
	require.NoError(t, err)
	rec.mu.Lock()
	rec.seen = nil
	rec.mu.Unlock()

	min, max := testclock.Now().Add(-time.Hour), testclock.Now().Add(time.Hour)
	meta := map[string]string{"plan": "pro"}
	chargeParams := func() *ChargeParams {
		return &ChargeParams{TransactionID: "tx_1", Amount: amount("34.00"), Currency: "USD", Status: "paid",
			AmountRefunded: amount("0.00"), Last4Digits: "4242", Description: "Pro", Customer: &Ref{ID: "cus_1"},
			Product: &Ref{ID: "gold"}, Subscription: &Ref{ID: "sub_1"}, Metadata: meta, Occurred: &min, Lines: []string{"Pro"}}
	}
	customerParams := func() *CustomerParams {
		return &CustomerParams{CustomerID: "cus_1", Email: "jane@example.com", Country: "NZ", Name: "Jane", Phone: "+64 21 000",
			Username: "jane", CustomerCompany: "Jane Ltd", Website: "https://jane.example.com", Description: "VIP",
			Delinquent: ptr(false), CardOnFile: ptr(true), TaxNumber: "NZ-1",
			BillingAddress: &Address{Line1: "1 Main St", City: "Wellington", Country: "NZ"}, InvoiceDetails: "PO 7", Metadata: meta}
	}
	subscriptionParams := func() *SubscriptionParams {
		return &SubscriptionParams{SubscriptionID: "sub_1", CustomerID: "cus_1", Status: "active", Amount: amount("9.00"),
			Currency: "USD", Interval: "month", IntervalCount: ptr(1), Quantity: ptr(2), TrialStart: &min, TrialEnd: &max,
			BillingCyclesTotal: ptr(12), BillingCyclesCurrent: ptr(1), Items: []string{"gold"}, Metadata: meta}
	}
	productParams := func() *ProductParams {
		return &ProductParams{ProductID: "gold", Name: "Gold", Description: "The gold plan", URL: "https://example.com/gold",
			Amount: amount("9.00"), Currency: "USD", Interval: "month", TrialPeriodDays: ptr(14), BillingCyclesTotal: ptr(0),
			SetupAmount: amount("1.00"), Chargeable: ptr(true)}
	}
	drain := func(seq func(func(any, error) bool)) error {
		var last error
		seq(func(_ any, err error) bool { last = err; return err == nil })
		return last
	}
	calls := map[string]func() error{
		"listCharges": func() error {
			return drain(func(y func(any, error) bool) {
				for c, err := range client.Charges.List(ctx, &ChargeListParams{ListParams: ListParams{Count: 5}, Status: "paid",
					Query: "pro", Customer: &CustomerFilter{ID: "cus_1", Email: "jane@example.com", Name: "Jane", Username: "jane"},
					Last4Digits: "4242", TransactionID: "tx_1", Occurred: &TimeRange{Min: &min, Max: &max}}) {
					if !y(c, err) {
						return
					}
				}
			})
		},
		"createCharge": func() error { _, err := client.Charges.Upsert(ctx, chargeParams()); return err },
		"previewCharge": func() error {
			_, err := client.Charges.Preview(ctx, &ChargePreviewParams{Amount: amount("5.00"), Currency: "USD", Customer: &Ref{ID: "cus_1"}})
			return err
		},
		"getCharge":      func() error { _, err := client.Charges.Get(ctx, paid); return err },
		"updateCharge":   func() error { _, err := client.Charges.Update(ctx, paid, chargeParams()); return err },
		"deleteCharge":   func() error { return client.Charges.Delete(ctx, toDelete) },
		"getChargeItems": func() error { _, err := client.Charges.Items(ctx, paid); return err },
		"emailCharge":    func() error { return client.Charges.Email(ctx, paid) },
		"listCustomers": func() error {
			return drain(func(y func(any, error) bool) {
				for c, err := range client.Customers.List(ctx, &CustomerListParams{ListParams: ListParams{Count: 5}, Query: "jane"}) {
					if !y(c, err) {
						return
					}
				}
			})
		},
		"createCustomer":      func() error { _, err := client.Customers.Upsert(ctx, customerParams()); return err },
		"getCustomer":         func() error { _, err := client.Customers.Get(ctx, "cus_1"); return err },
		"updateCustomer":      func() error { _, err := client.Customers.Update(ctx, "cus_1", customerParams()); return err },
		"deleteCustomer":      func() error { return client.Customers.Delete(ctx, "cus_del", &CustomerDeleteParams{DeleteAll: ptr(1)}) },
		"getGroupedCustomers": func() error { _, err := client.Customers.Grouped(ctx); return err },
		"listSubscriptions": func() error {
			return drain(func(y func(any, error) bool) {
				for c, err := range client.Subscriptions.List(ctx, &SubscriptionListParams{ListParams: ListParams{Count: 5}, Status: "active", Customer: &Ref{ID: "cus_1"}}) {
					if !y(c, err) {
						return
					}
				}
			})
		},
		"createSubscription": func() error { _, err := client.Subscriptions.Upsert(ctx, subscriptionParams()); return err },
		"getSubscription":    func() error { _, err := client.Subscriptions.Get(ctx, "sub_1"); return err },
		"updateSubscription": func() error { _, err := client.Subscriptions.Update(ctx, "sub_1", subscriptionParams()); return err },
		"listProducts": func() error {
			return drain(func(y func(any, error) bool) {
				for c, err := range client.Products.List(ctx, &ProductListParams{ListParams{Count: 5}}) {
					if !y(c, err) {
						return
					}
				}
			})
		},
		"createProduct": func() error { _, err := client.Products.Upsert(ctx, productParams()); return err },
		"getProduct":    func() error { _, err := client.Products.Get(ctx, "gold"); return err },
		"updateProduct": func() error { _, err := client.Products.Update(ctx, "gold", productParams()); return err },
		"listWebhooks":  func() error { _, err := client.Webhooks.List(ctx); return err },
		"createWebhook": func() error {
			_, err := client.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/h2", Events: []events.Name{events.ChargeRefunded}, All: ptr(false)})
			return err
		},
		"deleteWebhook": func() error { return client.Webhooks.Delete(ctx, hook.ID) },
		"gatewayCreateCharge": func() error {
			_, err := client.Gateway.Charge(ctx, &GatewayChargeParams{Using: "card", Customer: &Ref{ID: "cus_1"}, Amount: amount("5.00"),
				Currency: "USD", Description: "Seat", Product: &GatewayProduct{Interval: "month", IntervalCount: ptr(1),
					TrialPeriodDays: ptr(7), BillingCyclesTotal: ptr(12)}, Contact: "jane@example.com", LinkOnly: ptr(true),
				Lines: []string{"Seat"}, Metadata: meta})
			return err
		},
		"gatewayRefundCharge": func() error {
			_, err := client.Gateway.Refund(ctx, paid, &RefundParams{Amount: amount("1.00"), LogReason: "Asked"})
			return err
		},
		"gatewayCapturCharge": func() error {
			_, err := client.Gateway.Capture(ctx, auth, &CaptureParams{Amount: amount("30.00")})
			return err
		},
		"gatewayCancelPaymentRequest": func() error { return client.Gateway.Void(ctx, toVoid) },
		"gatewayCancelSubscription": func() error {
			_, err := client.Gateway.Cancel(ctx, "sub_1", &CancelParams{LogReason: "Asked"})
			return err
		},
		"gatewayEditSubscriptionPlans": func() error {
			_, err := client.Gateway.EditPlans(ctx, "sub_1", &EditPlansParams{Plans: []PlanParams{{ID: "gold", Quantity: ptr(2)}},
				TrialEnd: &max, Prorate: ptr(true), Invoice: ptr(false)})
			return err
		},
	}
	// What the client does not send, and why.
	notSent := map[string]string{
		"updateCharge duplicate": "an update has nothing to duplicate: duplicate=update belongs to a create (Upsert)",
	}
	served := map[string]apitest.Operation{}
	for _, op := range apitest.Operations() {
		served[op.ID] = op
	}
	pathParam := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, op := range ops {
		t.Run(op.ID, func(t *testing.T) {
			call, ok := calls[op.ID]
			require.True(t, ok, "no client call for %s", op.ID)
			before := len(rec.requests())
			require.NoError(t, call())
			reqs := rec.requests()[before:]
			require.Len(t, reqs, 1)
			sent := sentParams(t, reqs[0])
			for _, p := range op.Params {
				if _, ok := notSent[op.ID+" "+p]; ok {
					continue
				}
				assert.True(t, covered(p, sent), "%s: %s is not sent (sent %v)", op.ID, p, sent)
			}

			// The same request with one unknown parameter more.
			x := reqs[0]
			target, body := x.Path, x.Body
			if x.Method == http.MethodPost {
				body = strings.TrimPrefix(body+"&zz_unknown=1", "&")
			} else {
				target += "?" + strings.TrimPrefix(x.Query+"&zz_unknown=1", "&")
			}
			req := httptest.NewRequest(x.Method, target, strings.NewReader(body))
			req.SetBasicAuth(testKey, "")
			w := httptest.NewRecorder()
			fake.ServeHTTP(w, req)
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), `"incorrect_parameter":"zz_unknown"`)

			// The local ChargeDesk's table serves it and takes each parameter.
			s, ok := served[op.ID]
			require.True(t, ok, "the local ChargeDesk does not serve %s", op.ID)
			assert.Equal(t, op.Method, s.Method)
			assert.Equal(t, pathParam.ReplaceAllString(op.Path, "{id}"), s.Path)
			for _, p := range op.Params {
				assert.True(t, takes(p, s.Params), "the local ChargeDesk does not take %s's %s", op.ID, p)
			}
		})
	}
}

// takes reports whether the local ChargeDesk's parameter list takes the
// spec's parameter (metadata and metadata[key] as metadata[*], an object
// such as billing_address as its fields, events as events[]).
func takes(name string, params []string) bool {
	name = strings.ReplaceAll(name, "[key]", "[*]")
	for _, p := range params {
		if p == name || strings.HasPrefix(p, name+"[") {
			return true
		}
	}
	return false
}
