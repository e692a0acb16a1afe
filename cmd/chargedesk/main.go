// Command chargedesk works with ChargeDesk's REST API from the shell. It
// follows the conventions of gh and kubectl: "chargedesk <command>
// [flags]", flags in any position, help on standard output with
// --help, "chargedesk version", shell completion ("chargedesk completion
// bash"), --json for output a script reads, and colour and progress only on
// a terminal.
//
//	CHARGEDESK_API_KEY=sk_... go run ./cmd/chargedesk import records.jsonl
//
// import reads a JSON Lines file: each line is one JSON object with
// "object" set to charge, customer, subscription or product and the create
// endpoint's parameters as JSON (customer[id] as {"customer": {"id":
// "cus_1"}}):
//
//	{"object": "customer", "customer_id": "cus_1", "email": "jane@example.com"}
//	{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}
//
// Every record is upserted (duplicate=update), so an import can run again
// safely. The API key comes from --api-key or CHARGEDESK_API_KEY, the API's
// URL from --api-url or CHARGEDESK_API_URL.
//
// Exit status: 0 when every record was imported, 1 when any failed or the
// import stopped (a refused key, a wrong URL, an unreachable host,
// --max-failures), 2 on a usage error, 130 when interrupted, after printing
// the --from-line that resumes the import.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, cli.IsTerminal(os.Stderr)))
}
