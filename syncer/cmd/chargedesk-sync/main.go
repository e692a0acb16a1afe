// Command chargedesk-sync manages the pushes the syncer keeps as failed:
// those ChargeDesk refused (a 4xx naming a field) and those that failed
// MaxAttempts times. It works on the store the workers use, named by
// CHARGEDESK_STORE (or --store): a postgres:// URL or sqlite:PATH.
//
//	go run github.com/chargedesk/chargedesk-go/syncer/cmd/chargedesk-sync failed
//	go run github.com/chargedesk/chargedesk-go/syncer/cmd/chargedesk-sync retry 42 57
//	go run github.com/chargedesk/chargedesk-go/syncer/cmd/chargedesk-sync retry --all
//
// failed lists them (--json for scripts); retry marks each one's object
// again, so that a worker pushes its current state, and deletes the failed
// push. Fix the cause first (the field ChargeDesk named). Help goes to
// standard output, errors to standard error; it exits 0 on success, 1 on
// an error and 2 on a usage error.
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
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
