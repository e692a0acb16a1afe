// Command chargedesk-sim plays ChargeDesk against a Custom Integration: it
// serves a local, stateful copy of ChargeDesk's REST API for importers and
// clients to talk to, it sends the webhook of an agent action to a
// receiver and prints what the agent would see, and it sends, resends and
// forwards ChargeDesk's event notifications.
//
//	chargedesk-sim serve --addr 127.0.0.1:8090 --api-key sk_local_... --state records.json
//	chargedesk-sim send refund --url http://127.0.0.1:8080/chargedesk -H 'Authorization: Bearer <secret>'
//	chargedesk-sim send refund ... --set refund_amount=5.00
//	chargedesk-sim send cancel ... --set action=suspend --unset refund --unset charge
//	chargedesk-sim payload capture --set charge.status=authorized
//	chargedesk-sim list
//	chargedesk-sim trigger charge_refunded --url http://127.0.0.1:8080/chargedesk-events/<secret>
//	chargedesk-sim events resend event-000003 --api-key sk_local_...
//	chargedesk-sim listen --forward-to http://127.0.0.1:8080/chargedesk-events/<secret> --api-key sk_local_...
//	chargedesk-sim version
//	chargedesk-sim completion bash
//
// send posts the example payload of ChargeDesk's documentation for the
// action (or --file), changed by --set and --unset, to the Base Path given
// by --url followed by the action's path; the URL and header values may
// hold {field} placeholders, filled from the payload as ChargeDesk fills
// them. It prints success and each field ChargeDesk will update, or the
// error message the agent sees, and flags answers ChargeDesk cannot use.
// --json prints the outcome as JSON instead. trigger, events resend and
// listen are described in docs/simulator.md. "chargedesk-sim <command>
// --help" prints a command's flags.
//
// Exit status: 0 when the action (the event) succeeded, 1 when it failed or
// no answer came, 2 when the command is wrong.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(sim.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
