package apitest

import (
	"net/http"
	"slices"
)

// Operation is one operation the Server serves, as data: the routes, the
// parameters each takes (anything else is a 400 naming it) and
// docs/api-compat.md are checked against this one list.
type Operation struct {
	// ID is the seed specification's operationId; an operation the seed
	// lacks has a name of the same kind.
	ID string
	// Method and Path are the request's, Path under /v1 with {id} for the
	// record's id.
	Method, Path string
	// Params are the parameters it takes, named as the specification names
	// them: "amount", "customer[id]", "lines[]" (a list), "plans[][id]" (a
	// list of objects), "metadata[*]" (any key).
	Params []string
	// Source says where the operation comes from: "seed" (the seed
	// specification), "php" (ChargeDesk's own PHP client calls it; the
	// seed lacks it) or "local" (this server's own, for its agents).
	Source string
}

// handler serves an operation with its parameters read and checked.
type handler func(w http.ResponseWriter, r *http.Request, in map[string]any)

type operation struct {
	Operation
	serve func(s *Server) handler
}

func opCreate(name string) func(*Server) handler {
	return func(s *Server) handler { return s.create(name) }
}
func opGet(name string) func(*Server) handler { return func(s *Server) handler { return s.get(name) } }
func opUpdate(name string) func(*Server) handler {
	return func(s *Server) handler { return s.updateOp(name) }
}
func opList(name string) func(*Server) handler {
	return func(s *Server) handler { return s.list(name) }
}
func opMethod(h func(*Server, http.ResponseWriter, *http.Request, map[string]any)) func(*Server) handler {
	return func(s *Server) handler {
		return func(w http.ResponseWriter, r *http.Request, in map[string]any) { h(s, w, r, in) }
	}
}
func chargeOp(op string) func(*Server) handler {
	return func(s *Server) handler { return s.gatewayChargeOp(op) }
}
func subscriptionOp(op string) func(*Server) handler {
	return func(s *Server) handler { return s.gatewaySubscriptionOp(op) }
}

var (
	refundParams = []string{"amount", "log_reason"}
	cancelParams = []string{"log_reason", "action", "refund"}
)

// operations is every operation, the seed's in its order first.
var operations = []operation{
	{Operation{"listCharges", "GET", "/charges", listParams["charges"], "seed"}, opList("charges")},
	{Operation{"createCharge", "POST", "/charges", createParams("charges"), "seed"}, opCreate("charges")},
	{Operation{"previewCharge", "GET", "/charges/preview", []string{"amount", "currency", "customer[id]"}, "seed"}, opMethod((*Server).preview)},
	{Operation{"getCharge", "GET", "/charges/{id}", nil, "seed"}, opGet("charges")},
	{Operation{"updateCharge", "POST", "/charges/{id}", createParams("charges"), "seed"}, opUpdate("charges")},
	{Operation{"deleteCharge", "DELETE", "/charges/{id}", nil, "seed"}, opMethod((*Server).deleteCharge)},
	{Operation{"getChargeItems", "GET", "/charges/{id}/items", nil, "seed"}, opMethod((*Server).items)},
	{Operation{"emailCharge", "POST", "/charges/{id}/email", []string{"email"}, "seed"}, opMethod((*Server).email)},
	{Operation{"listCustomers", "GET", "/customers", listParams["customers"], "seed"}, opList("customers")},
	{Operation{"createCustomer", "POST", "/customers", createParams("customers"), "seed"}, opCreate("customers")},
	{Operation{"getCustomer", "GET", "/customers/{id}", nil, "seed"}, opGet("customers")},
	{Operation{"updateCustomer", "POST", "/customers/{id}", resources["customers"].params(), "seed"}, opUpdate("customers")},
	{Operation{"deleteCustomer", "DELETE", "/customers/{id}", []string{"delete_all"}, "seed"}, opMethod((*Server).deleteCustomer)},
	{Operation{"getGroupedCustomers", "GET", "/customers/grouped", groupedParams, "seed"}, opMethod((*Server).grouped)},
	{Operation{"listSubscriptions", "GET", "/subscriptions", listParams["subscriptions"], "seed"}, opList("subscriptions")},
	{Operation{"createSubscription", "POST", "/subscriptions", createParams("subscriptions"), "seed"}, opCreate("subscriptions")},
	{Operation{"getSubscription", "GET", "/subscriptions/{id}", nil, "seed"}, opGet("subscriptions")},
	{Operation{"updateSubscription", "POST", "/subscriptions/{id}", resources["subscriptions"].params(), "seed"}, opUpdate("subscriptions")},
	{Operation{"listProducts", "GET", "/products", listParams["products"], "seed"}, opList("products")},
	{Operation{"createProduct", "POST", "/products", createParams("products"), "seed"}, opCreate("products")},
	{Operation{"getProduct", "GET", "/products/{id}", nil, "seed"}, opGet("products")},
	{Operation{"updateProduct", "POST", "/products/{id}", resources["products"].params(), "seed"}, opUpdate("products")},
	{Operation{"listWebhooks", "GET", "/webhooks", nil, "seed"}, opMethod((*Server).listWebhooks)},
	{Operation{"createWebhook", "POST", "/webhooks", []string{"url", "events[]", "all"}, "seed"}, opMethod((*Server).createWebhook)},
	{Operation{"deleteWebhook", "DELETE", "/webhooks/{id}", nil, "seed"}, opMethod((*Server).deleteWebhook)},
	{Operation{"gatewayCreateCharge", "POST", "/gateway/products/charge", []string{"using", "customer[id]", "amount", "currency",
		"description", "product[interval]", "product[interval_count]", "product[trial_period_days]",
		"product[billing_cycles_total]", "contact", "link_only", "lines[]", "metadata[*]"}, "seed"}, opMethod((*Server).gatewayCharge)},
	{Operation{"gatewayRefundCharge", "POST", "/gateway/charges/{id}/refund", refundParams, "seed"}, chargeOp("refund")},
	{Operation{"gatewayCapturCharge", "POST", "/gateway/charges/{id}/capture", []string{"amount"}, "seed"}, chargeOp("capture")},
	{Operation{"gatewayCancelPaymentRequest", "POST", "/gateway/charges/{id}/void", nil, "seed"}, chargeOp("void")},
	{Operation{"gatewayCancelSubscription", "POST", "/gateway/subscriptions/{id}/cancel", cancelParams, "seed"}, subscriptionOp("cancel")},
	{Operation{"gatewayEditSubscriptionPlans", "POST", "/gateway/subscriptions/{id}/plans",
		[]string{"plans[][id]", "plans[][quantity]", "trial_end", "prorate", "invoice"}, "seed"}, subscriptionOp("plans")},
	{Operation{"getCustomerHistory", "GET", "/customers/history", groupedParams, "php"}, opMethod((*Server).grouped)},
	{Operation{"refundCharge", "POST", "/charges/{id}/refund", refundParams, "php"}, chargeOp("refund")},
	{Operation{"cancelSubscription", "POST", "/subscriptions/{id}/cancel", cancelParams, "php"}, subscriptionOp("cancel")},
	{Operation{"gatewayReactivateSubscription", "POST", "/gateway/subscriptions/{id}/reactivate", nil, "local"}, subscriptionOp("reactivate")},
	{Operation{"resendEvent", "POST", "/events/{id}/resend", []string{"webhook"}, "local"}, opMethod((*Server).resendEvent)},
}

var groupedParams = []string{"query", "count", "offset"}

func createParams(name string) []string {
	return append(resources[name].params(), "duplicate")
}

// Operations returns every operation the Server serves: the seed
// specification's 31, then those ChargeDesk's PHP client calls that the
// seed lacks, then the Server's own.
func Operations() []Operation {
	out := make([]Operation, len(operations))
	for i, op := range operations {
		out[i] = op.Operation
		out[i].Params = slices.Clone(op.Params)
	}
	return out
}
