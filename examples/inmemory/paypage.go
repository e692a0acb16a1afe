package main

import (
	"html/template"
	"net/http"

	"github.com/rs/zerolog"
)

// payPage is the page a payment request's redirect_url opens: the amount
// due and a button that plays the customer paying.
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pay {{.Amount}} {{.Currency}}</title></head>
<body>
<h1>{{if .Paid}}Paid: {{else}}Amount due: {{end}}{{.Amount}} {{.Currency}}</h1>
{{with .Label}}<p>{{.}}</p>{{end}}
{{if .Paid}}<p>Thank you: the payment platform has recorded this payment.</p>
{{else}}<form method="post"><button type="submit">Pay {{.Amount}} {{.Currency}}</button></form>
<p>This is the in-memory example platform: no card is charged.</p>
{{end}}</body>
</html>
`))

// payHandler serves GET and POST /pay/{id}: the pay page, and the
// customer paying.
func payHandler(l *ledger, log zerolog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var (
			link *payLink
			err  error
		)
		if r.Method == http.MethodPost {
			link, err = l.pay(r.Context(), id)
		} else {
			link, err = l.link(r.Context(), id)
		}
		if err != nil {
			log.Error().Err(err).Msg("pay page: the payment could not be recorded")
			http.Error(w, "The payment could not be recorded.", http.StatusInternalServerError)
			return
		}
		if link == nil {
			http.Error(w, "No such payment link.", http.StatusNotFound)
			return
		}
		if r.Method == http.MethodPost {
			log.Info().Str("transaction_id", link.chargeID).Msg("pay page: the customer paid")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = payPage.Execute(w, struct {
			Amount, Currency, Label string
			Paid                    bool
		}{link.amount.String(), link.currency, link.label, link.paid})
	}
}
