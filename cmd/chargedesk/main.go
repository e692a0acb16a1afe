// Command chargedesk works with ChargeDesk's REST API from the shell. Its
// one subcommand today imports records from a JSON Lines file:
//
//	CHARGEDESK_API_KEY=sk_... go run ./cmd/chargedesk import records.jsonl
//
// Each line is one JSON object with "object" set to charge, customer,
// subscription or product and the create endpoint's parameters as JSON
// (customer[id] as {"customer": {"id": "cus_1"}}):
//
//	{"object": "customer", "customer_id": "cus_1", "email": "jane@example.com"}
//	{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}
//
// Every record is upserted (duplicate=update), so an import can run again
// safely. The file is read as a stream: memory stays flat for any size. A
// malformed line is reported with its number and the rest go on. Progress
// shows as a bar on a terminal and as plain lines otherwise; the summary
// goes to standard output. It exits 0 when every record was imported, 1
// when any failed, 2 on a usage error and 130 when interrupted, printing
// the --from-line that resumes the import.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, isTerminal(os.Stderr)))
}
