package api

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

func idPath(prefix, field, id string) (string, error) {
	if err := checkID(field, id); err != nil {
		return "", err
	}
	return prefix + "/" + url.PathEscape(id), nil
}

// upsert is duplicate=update: update the record with the same unique id
// instead of failing.
var upsert = phpquery.Object{{Key: "duplicate", Value: "update"}}

// ChargesService is the /charges API.
type ChargesService struct{ b *backend }

// List returns the charges matching p (nil for all), newest first. The
// iterator fetches pages as it goes and stops at the first error, which it
// yields; it goes on past ChargeDesk's 50,000 offset limit by narrowing the
// occurred window (see the package doc).
func (s *ChargesService) List(ctx context.Context, p *ChargeListParams) iter.Seq2[*Charge, error] {
	if p == nil {
		p = &ChargeListParams{}
	}
	return listCharges(ctx, s.b, *p)
}

// Create records a charge (createCharge). It is not retried: a repeat
// could record it twice. Use Upsert to import.
func (s *ChargesService) Create(ctx context.Context, p *ChargeParams) (*Charge, error) {
	if err := validate(p, "create"); err != nil {
		return nil, err
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/charges", params: p}, out)
}

// Upsert creates the charge or, when one with the same TransactionID
// exists, updates it (createCharge with duplicate=update). It is retried.
func (s *ChargesService) Upsert(ctx context.Context, p *ChargeParams) (*Charge, error) {
	if err := validate(p, "upsert"); err != nil {
		return nil, err
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/charges", params: p, extra: upsert, safe: true}, out)
}

// Get retrieves a charge (getCharge) by ChargeDesk's id, Charge.ID (its
// charge_id). ChargeDesk does not document whether the path also takes the
// platform's transaction_id; to find a charge by it, list with
// ChargeListParams.TransactionID.
func (s *ChargesService) Get(ctx context.Context, id string) (*Charge, error) {
	path, err := idPath("/charges", "charge id", id)
	if err != nil {
		return nil, err
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodGet, path: path, safe: true}, out)
}

// Update changes the fields of p that are set (updateCharge); id is
// ChargeDesk's id of the charge.
func (s *ChargesService) Update(ctx context.Context, id string, p *ChargeParams) (*Charge, error) {
	path, err := idPath("/charges", "charge id", id)
	if err != nil {
		return nil, err
	}
	if err := validate(p, "update"); err != nil {
		return nil, err
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path, params: p}, out)
}

// Delete deletes a charge record (deleteCharge).
func (s *ChargesService) Delete(ctx context.Context, id string) error {
	path, err := idPath("/charges", "charge id", id)
	if err != nil {
		return err
	}
	return s.b.do(ctx, call{method: http.MethodDelete, path: path}, nil)
}

// Preview previews a charge with tax calculated (previewCharge).
func (s *ChargesService) Preview(ctx context.Context, p *ChargePreviewParams) (*Charge, error) {
	if p == nil || p.Amount == nil {
		return nil, invalid("amount", "is required")
	}
	if err := checkCurrency(p.Currency, true); err != nil {
		return nil, err
	}
	out := new(Charge)
	return out, s.b.do(ctx, call{method: http.MethodGet, path: "/charges/preview", params: p, safe: true}, out)
}

// Items returns a charge's line items (getChargeItems): the seed's
// {data: [...]} or ChargeDesk's documented {items: [...], taxes: [...]}
// (whose taxes are not returned).
func (s *ChargesService) Items(ctx context.Context, id string) ([]LineItem, error) {
	path, err := idPath("/charges", "charge id", id)
	if err != nil {
		return nil, err
	}
	var out itemsPage
	if err := s.b.do(ctx, call{method: http.MethodGet, path: path + "/items", safe: true}, &out); err != nil {
		return nil, err
	}
	fillAll(out.Data)
	fillAll(out.Items)
	if out.Data != nil {
		return out.Data, nil
	}
	return out.Items, nil
}

// Email sends the charge's email notification (emailCharge). It is not
// retried: a repeat could send it twice.
func (s *ChargesService) Email(ctx context.Context, id string) error {
	path, err := idPath("/charges", "charge id", id)
	if err != nil {
		return err
	}
	return s.b.do(ctx, call{method: http.MethodPost, path: path + "/email"}, nil)
}

// CustomersService is the /customers API.
type CustomersService struct{ b *backend }

// List returns the customers matching p (nil for all), newest first. It
// yields ErrOffsetLimit rather than go past offset 50,000.
func (s *CustomersService) List(ctx context.Context, p *CustomerListParams) iter.Seq2[*Customer, error] {
	if p == nil {
		p = &CustomerListParams{}
	}
	q := *p
	return list[Customer](ctx, s.b, "/customers", &q.ListParams, &q)
}

// Create records a customer (createCustomer); it is not retried.
func (s *CustomersService) Create(ctx context.Context, p *CustomerParams) (*Customer, error) {
	if err := validate(p, "create"); err != nil {
		return nil, err
	}
	out := new(Customer)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/customers", params: p}, out)
}

// Upsert creates the customer or updates the one with the same CustomerID
// (createCustomer with duplicate=update). It is retried.
func (s *CustomersService) Upsert(ctx context.Context, p *CustomerParams) (*Customer, error) {
	if err := validate(p, "upsert"); err != nil {
		return nil, err
	}
	out := new(Customer)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/customers", params: p, extra: upsert, safe: true}, out)
}

// Get retrieves a customer (getCustomer) by its id, the platform's
// customer_id.
func (s *CustomersService) Get(ctx context.Context, id string) (*Customer, error) {
	path, err := idPath("/customers", "customer id", id)
	if err != nil {
		return nil, err
	}
	out := new(Customer)
	return out, s.b.do(ctx, call{method: http.MethodGet, path: path, safe: true}, out)
}

// Update changes the fields of p that are set (updateCustomer).
func (s *CustomersService) Update(ctx context.Context, id string, p *CustomerParams) (*Customer, error) {
	path, err := idPath("/customers", "customer id", id)
	if err != nil {
		return nil, err
	}
	if err := validate(p, "update"); err != nil {
		return nil, err
	}
	out := new(Customer)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path, params: p}, out)
}

// Delete deletes a customer (deleteCustomer); p (may be nil) chooses what
// happens to its charges.
func (s *CustomersService) Delete(ctx context.Context, id string, p *CustomerDeleteParams) error {
	path, err := idPath("/customers", "customer id", id)
	if err != nil {
		return err
	}
	if p != nil && p.DeleteAll != nil && (*p.DeleteAll < 0 || *p.DeleteAll > 2) {
		return invalid("delete_all", "must be 0, 1 or 2")
	}
	return s.b.do(ctx, call{method: http.MethodDelete, path: path, params: p}, nil)
}

// Grouped returns customers' structured billing history
// (getGroupedCustomers, GET /customers/grouped as ChargeDesk documents
// it; its PHP client calls the older /customers/history), as the JSON
// object ChargeDesk sends: neither the spec nor the docs give its shape.
func (s *CustomersService) Grouped(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	err := s.b.do(ctx, call{method: http.MethodGet, path: "/customers/grouped", safe: true}, &raw)
	return raw, err
}

// SubscriptionsService is the /subscriptions API.
type SubscriptionsService struct{ b *backend }

// List returns the subscriptions matching p (nil for all), newest first. It
// yields ErrOffsetLimit rather than go past offset 50,000.
func (s *SubscriptionsService) List(ctx context.Context, p *SubscriptionListParams) iter.Seq2[*Subscription, error] {
	if p == nil {
		p = &SubscriptionListParams{}
	}
	q := *p
	return list[Subscription](ctx, s.b, "/subscriptions", &q.ListParams, &q)
}

// Create records a subscription (createSubscription); it is not retried.
func (s *SubscriptionsService) Create(ctx context.Context, p *SubscriptionParams) (*Subscription, error) {
	if err := validate(p, "create"); err != nil {
		return nil, err
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/subscriptions", params: p}, out)
}

// Upsert creates the subscription or updates the one with the same
// SubscriptionID (duplicate=update). It is retried.
func (s *SubscriptionsService) Upsert(ctx context.Context, p *SubscriptionParams) (*Subscription, error) {
	if err := validate(p, "upsert"); err != nil {
		return nil, err
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/subscriptions", params: p, extra: upsert, safe: true}, out)
}

// Get retrieves a subscription (getSubscription) by its id, the
// platform's subscription_id.
func (s *SubscriptionsService) Get(ctx context.Context, id string) (*Subscription, error) {
	path, err := idPath("/subscriptions", "subscription id", id)
	if err != nil {
		return nil, err
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodGet, path: path, safe: true}, out)
}

// Update changes the fields of p that are set (updateSubscription).
func (s *SubscriptionsService) Update(ctx context.Context, id string, p *SubscriptionParams) (*Subscription, error) {
	path, err := idPath("/subscriptions", "subscription id", id)
	if err != nil {
		return nil, err
	}
	if err := validate(p, "update"); err != nil {
		return nil, err
	}
	out := new(Subscription)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path, params: p}, out)
}

// ProductsService is the /products API.
type ProductsService struct{ b *backend }

// List returns the products, newest first. It yields ErrOffsetLimit rather
// than go past offset 50,000.
func (s *ProductsService) List(ctx context.Context, p *ProductListParams) iter.Seq2[*Product, error] {
	if p == nil {
		p = &ProductListParams{}
	}
	q := *p
	return list[Product](ctx, s.b, "/products", &q.ListParams, &q)
}

// Create records a product (createProduct); it is not retried.
func (s *ProductsService) Create(ctx context.Context, p *ProductParams) (*Product, error) {
	if err := validate(p, "create"); err != nil {
		return nil, err
	}
	out := new(Product)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/products", params: p}, out)
}

// Upsert creates the product or updates the one with the same ProductID
// (duplicate=update). It is retried.
func (s *ProductsService) Upsert(ctx context.Context, p *ProductParams) (*Product, error) {
	if err := validate(p, "upsert"); err != nil {
		return nil, err
	}
	out := new(Product)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/products", params: p, extra: upsert, safe: true}, out)
}

// Get retrieves a product (getProduct) by its id, the platform's
// product_id.
func (s *ProductsService) Get(ctx context.Context, id string) (*Product, error) {
	path, err := idPath("/products", "product id", id)
	if err != nil {
		return nil, err
	}
	out := new(Product)
	return out, s.b.do(ctx, call{method: http.MethodGet, path: path, safe: true}, out)
}

// Update changes the fields of p that are set (updateProduct).
func (s *ProductsService) Update(ctx context.Context, id string, p *ProductParams) (*Product, error) {
	path, err := idPath("/products", "product id", id)
	if err != nil {
		return nil, err
	}
	if err := validate(p, "update"); err != nil {
		return nil, err
	}
	out := new(Product)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: path, params: p}, out)
}

// WebhooksService is the /webhooks API.
type WebhooksService struct{ b *backend }

// List returns every webhook (listWebhooks).
func (s *WebhooksService) List(ctx context.Context) ([]Webhook, error) {
	var out struct {
		Data []Webhook `json:"data"`
	}
	err := s.b.do(ctx, call{method: http.MethodGet, path: "/webhooks", safe: true}, &out)
	fillAll(out.Data)
	return out.Data, err
}

// Create adds a webhook (createWebhook); it is not retried.
func (s *WebhooksService) Create(ctx context.Context, p *WebhookParams) (*Webhook, error) {
	if p == nil || p.URL == "" {
		return nil, invalid("url", "is required")
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, invalid("url", "is not an http(s) URL")
	}
	out := new(Webhook)
	return out, s.b.do(ctx, call{method: http.MethodPost, path: "/webhooks", params: p}, out)
}

// Delete removes a webhook (deleteWebhook).
func (s *WebhooksService) Delete(ctx context.Context, id string) error {
	path, err := idPath("/webhooks", "webhook id", id)
	if err != nil {
		return err
	}
	return s.b.do(ctx, call{method: http.MethodDelete, path: path}, nil)
}
