package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// The sync end to end: the example and the local ChargeDesk
// (chargedesk-sim serve) as separate processes, built as a user builds
// them, talking over loopback. Each test is bounded in time and stops the
// processes it starts.

const (
	syncAPIKey = "sk_local_sync_test_0123456789"
	syncSecret = "sync-secret-0123456789abcdef"
)

var (
	syncBuild   sync.Once
	syncBins    map[string]string
	syncBuildEr error
)

// syncBinaries builds the example, chargedesk-sim and chargedesk-sync once
// per test run.
func syncBinaries(t *testing.T) map[string]string {
	t.Helper()
	syncBuild.Do(func() {
		dir, err := os.MkdirTemp("", "chargedesk-sync-e2e-")
		if err != nil {
			syncBuildEr = err
			return
		}
		syncBins = map[string]string{}
		for name, pkg := range map[string]string{
			"inmemory":        ".",
			"chargedesk-sim":  "github.com/chargedesk/chargedesk-go/cmd/chargedesk-sim",
			"chargedesk-sync": "github.com/chargedesk/chargedesk-go/syncer/cmd/chargedesk-sync",
		} {
			out := filepath.Join(dir, name)
			if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				syncBuildEr = &buildError{pkg: pkg, out: string(b), err: err}
				return
			}
			syncBins[name] = out
		}
	})
	require.NoError(t, syncBuildEr)
	return syncBins
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "go build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// freeAddr is a loopback address nothing listens on now, for a process to
// listen on (and to listen on again after a restart).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// proc is a process a test started, its output kept.
type proc struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan struct{}
}

// launch starts bin with args and env, and returns once waitFor is on its
// standard output (within a minute).
func launch(t *testing.T, bin string, args, env []string, waitFor string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			_, _ = p.stdout.Write(append(sc.Bytes(), '\n'))
			if !signalled && strings.Contains(p.stdout.String(), waitFor) {
				close(ready)
				signalled = true
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s %s:\n%s\n%s", filepath.Base(bin), strings.Join(args, " "), p.stdout.String(), p.stderr.String())
		}
	})
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("%s exited before it was ready:\n%s\n%s", filepath.Base(bin), p.stdout.String(), p.stderr.String())
	case <-time.After(time.Minute):
		t.Fatalf("%s was not ready within a minute:\n%s\n%s", filepath.Base(bin), p.stdout.String(), p.stderr.String())
	}
	return p
}

// interrupt stops the process as Ctrl-C does and waits for it to exit.
func (p *proc) interrupt(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the process did not stop within 30 s of an interrupt")
	}
}

// localChargeDesk runs chargedesk-sim serve on addr, sending agent actions
// to the example at exampleAddr, keeping its records in state; it returns
// the process, a client for its API and the API's URL.
func localChargeDesk(t *testing.T, addr, exampleAddr, state string) (*proc, *api.Client, string) {
	t.Helper()
	p := launch(t, syncBinaries(t)["chargedesk-sim"], []string{"serve", "--addr", addr, "--api-key", syncAPIKey, "--json",
		"--state", state, "--base-path", "http://" + exampleAddr + basePath, "-H", "Authorization: Bearer " + syncSecret},
		nil, `"api_url"`)
	var served struct {
		APIURL string `json:"api_url"`
	}
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	require.NoError(t, json.Unmarshal([]byte(line), &served), line)
	return p, api.NewClient(syncAPIKey, api.WithBaseURL(served.APIURL)), served.APIURL
}

// syncingExample runs the example on addr, syncing to the local ChargeDesk
// at apiURL, with its platform in the SQLite file file.
func syncingExample(t *testing.T, addr, apiURL, file string, env ...string) *proc {
	t.Helper()
	return launch(t, syncBinaries(t)["inmemory"], nil, append([]string{"ADDR=" + addr, "CHARGEDESK_SECRET=" + syncSecret,
		"CHARGEDESK_API_KEY=" + syncAPIKey, "CHARGEDESK_API_URL=" + apiURL, "PLATFORM_FILE=" + file, "LOG_FORMAT=json"}, env...),
		"ChargeDesk receiver listening on")
}

// eventually waits up to limit for cond, checking every 100 ms, and
// returns how long it took.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// seedCharge creates a customer and a paid charge of 34.00 in ChargeDesk,
// as the import would, and returns ChargeDesk's id of the charge.
func seedCharge(t *testing.T, cd *api.Client, transactionID string) string {
	t.Helper()
	ctx := context.Background()
	_, err := cd.Customers.Upsert(ctx, &api.CustomerParams{CustomerID: "cus_1", Email: "jane@example.com"})
	require.NoError(t, err)
	ch, err := cd.Charges.Upsert(ctx, &api.ChargeParams{TransactionID: transactionID, Amount: api.Money("34.00"), Currency: "USD",
		Status: chargedesk.ChargeStatusPaid, Customer: &api.Ref{ID: "cus_1"}})
	require.NoError(t, err)
	return ch.ID
}

// A refund the platform finishes after ChargeDesk stopped waiting (the
// agent was told the outcome is unknown) reaches ChargeDesk within
// seconds, pushed by the sync: the next agent sees it refunded.
func TestLateRefundReachesChargeDesk(t *testing.T) {
	dir := t.TempDir()
	exampleAddr := freeAddr(t)
	_, cd, apiURL := localChargeDesk(t, freeAddr(t), exampleAddr, filepath.Join(dir, "chargedesk.json"))
	syncingExample(t, exampleAddr, apiURL, filepath.Join(dir, "platform.db"), "CHARGEDESK_TIMEOUT=2s", "PLATFORM_DELAY=4s")
	id := seedCharge(t, cd, "tx_late")

	ctx := context.Background()
	_, err := cd.Gateway.Refund(ctx, id, &api.RefundParams{Amount: api.Money("12.34"), LogReason: "Late"})
	require.Error(t, err, "the agent is told the outcome is unknown")
	answered := time.Now()
	took := eventually(t, 30*time.Second, "ChargeDesk shows the late refund", func() bool {
		ch, err := cd.Charges.Get(ctx, id)
		return err == nil && ch.AmountRefunded.String() == "12.34" && ch.Status == chargedesk.ChargeStatusPartiallyRefunded
	})
	t.Logf("ChargeDesk showed the refund %v after the agent's answer", time.Since(answered).Round(100*time.Millisecond))
	assert.Less(t, took, 15*time.Second)
}

// ChargeDesk is down while the platform changes (a customer pays on the
// example's pay page); restarted from its state file, it converges: the
// charge turns paid with nothing else done.
func TestPaymentWhileChargeDeskIsDown(t *testing.T) {
	dir := t.TempDir()
	exampleAddr, cdAddr, state := freeAddr(t), freeAddr(t), filepath.Join(dir, "chargedesk.json")
	cdProc, cd, apiURL := localChargeDesk(t, cdAddr, exampleAddr, state)
	example := syncingExample(t, exampleAddr, apiURL, filepath.Join(dir, "platform.db"))
	ctx := context.Background()
	_, err := cd.Customers.Upsert(ctx, &api.CustomerParams{CustomerID: "cus_1", Email: "jane@example.com"})
	require.NoError(t, err)

	// The agent requests a payment: a new charge, which the platform
	// creates and names (its transaction_id), with a pay link.
	requested, err := cd.Gateway.Charge(ctx, &api.GatewayChargeParams{Using: "invoice", Customer: &api.Ref{ID: "cus_1"},
		Amount: api.Money("34.00"), Currency: "USD", Description: "Annual plan", LinkOnly: ptr(true)})
	require.NoError(t, err)
	require.NotEmpty(t, requested.PayLink)
	require.True(t, strings.HasPrefix(requested.TransactionID, "tx_"), "the platform's id: %q", requested.TransactionID)

	cdProc.interrupt(t) // ChargeDesk goes down, saving its records
	resp, err := http.Post(requested.PayLink, "application/x-www-form-urlencoded", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the customer pays")
	eventually(t, 20*time.Second, "the sync tried and failed", func() bool {
		return strings.Contains(example.stderr.String(), `"level":"warn"`)
	})

	_, cd, _ = localChargeDesk(t, cdAddr, exampleAddr, state) // back, from its state file
	ch, err := cd.Charges.Get(ctx, requested.ID)
	require.NoError(t, err)
	require.NotEqual(t, chargedesk.ChargeStatusPaid, ch.Status, "ChargeDesk came back with the charge unpaid")
	eventually(t, 60*time.Second, "the charge turns paid in ChargeDesk", func() bool {
		ch, err := cd.Charges.Get(ctx, requested.ID)
		return err == nil && ch.Status == chargedesk.ChargeStatusPaid
	})
}

// A push that can never succeed (here, a charge without the customer
// ChargeDesk's API requires, which the API client refuses before sending,
// as ChargeDesk would with a 400) is kept: an error line names the object,
// and chargedesk-sync lists it, to retry once its cause is fixed.
func TestRefusedPushIsKeptAndListed(t *testing.T) {
	dir := t.TempDir()
	exampleAddr, file := freeAddr(t), filepath.Join(dir, "platform.db")
	_, _, apiURL := localChargeDesk(t, freeAddr(t), exampleAddr, filepath.Join(dir, "chargedesk.json"))
	example := syncingExample(t, exampleAddr, apiURL, file)

	body, err := chargedesktest.Build(chargedesk.ActionRefund, chargedesktest.SetString("charge.transaction_id", "tx_no_customer"),
		chargedesktest.Unset("charge.customer_id"))
	require.NoError(t, err)
	in := chargedesktest.Integration{BasePath: "http://" + exampleAddr + basePath, Header: http.Header{"Authorization": {"Bearer " + syncSecret}}}
	req, err := in.NewRequest(context.Background(), chargedesk.ActionRefund, body)
	require.NoError(t, err)
	out, err := chargedesktest.Send(nil, req)
	require.NoError(t, err)
	require.True(t, out.OK, out.Body)

	eventually(t, 30*time.Second, "an error line names the refused object", func() bool {
		for line := range strings.Lines(example.stderr.String()) {
			if strings.Contains(line, `"level":"error"`) && strings.Contains(line, "tx_no_customer") {
				return true
			}
		}
		return false
	})
	var listed []byte
	eventually(t, 10*time.Second, "chargedesk-sync lists the kept push", func() bool {
		list := exec.Command(syncBinaries(t)["chargedesk-sync"], "failed", "--json")
		list.Env = append(os.Environ(), "CHARGEDESK_STORE=sqlite:"+file)
		out, err := list.Output()
		require.NoError(t, err)
		listed = out
		return strings.Contains(string(out), "tx_no_customer")
	})
	assert.Contains(t, string(listed), `"charge"`)
}

func ptr[T any](v T) *T { return &v }

// With CHARGEDESK_STORE=postgres://, instances are one platform: three
// refunds of 20.00 on a charge of 34.00, each through another instance,
// refund 20.00 once; the others are refused with what remains.
func TestInstancesShareOnePlatform(t *testing.T) {
	store := os.Getenv("CHARGEDESK_TEST_POSTGRES")
	if store == "" {
		t.Skip("CHARGEDESK_TEST_POSTGRES is not set")
	}
	id := randomID(t)
	var answers []*chargedesktest.Outcome
	for i := range 3 {
		r := startReceiver(t, map[string]string{"CHARGEDESK_SECRET": syncSecret, "CHARGEDESK_STORE": store})
		answers = append(answers, send(t, r.baseURL, "Bearer "+syncSecret, chargedesk.ActionRefund,
			chargedesktest.Set("charge.charge_id", "ch-"+id), chargedesktest.Set("charge.transaction_id", "tx-"+id),
			chargedesktest.Set("refund_amount", "20.00"), chargedesktest.SetString("action_reason", "instance "+string(rune('A'+i)))))
	}
	require.True(t, answers[0].OK, answers[0].Body)
	for _, a := range answers[1:] {
		assert.False(t, a.OK, a.Body)
		assert.Equal(t, msgRefundTooLarge, a.ErrorMessage)
	}
}
