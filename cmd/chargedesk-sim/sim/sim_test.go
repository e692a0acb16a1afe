package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

const secret = "Bearer sim-test-secret-0123456789"

// runSim runs the command with stdin and returns its exit status and output.
func runSim(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type refunds struct {
	chargedesk.UnimplementedGateway
}

func (refunds) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return chargedesk.RefundAnswer(req)
}

// receiverURL serves a chargedesk receiver that refunds as asked and
// returns its Base Path's URL.
func receiverURL(t *testing.T) string {
	t.Helper()
	log := zerolog.Nop()
	h, err := chargedesk.NewHandler(refunds{}, chargedesk.Config{
		BasePath: "/chargedesk",
		Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{secret}}},
		Logger:   &log,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/chargedesk"
}

// recorded is what a fake receiver saw.
type recorded struct {
	mu     sync.Mutex
	path   string
	header http.Header
	body   []byte
}

// fakeURL serves a receiver that records the request and answers status
// with body.
func fakeURL(t *testing.T, status int, body string) (string, *recorded) {
	t.Helper()
	rec := &recorded{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.path, rec.header, rec.body = r.URL.EscapedPath(), r.Header.Clone(), b
		rec.mu.Unlock()
		if status == http.StatusFound {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

func TestSendAgainstAReceiver(t *testing.T) {
	u := receiverURL(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"refund", []string{"send", "refund", "--url", u, "-H", "Authorization: " + secret}, 0,
			"✔ refund succeeded (HTTP 200)\n  charge.amount_refunded → 12.34\n  charge.status → partially refunded\n"},
		{"flags before the action", []string{"send", "--url", u, "-H", "Authorization: " + secret, "--set", "refund_amount=34.00", "refund"}, 0,
			"✔ refund succeeded (HTTP 200)\n  charge.amount_refunded → 34.00\n  charge.status → refunded\n"},
		{"too large", []string{"send", "refund", "--url", u, "-H", "Authorization: " + secret, "--set", "refund_amount=50.00"}, 1,
			"✘ refund failed (HTTP 422): Refund amount was greater than amount remaining on charge.\n"},
		{"wrong secret", []string{"send", "refund", "--url", u, "-H", "Authorization: Bearer wrong-wrong-wrong-wrong"}, 1,
			"✘ refund failed (HTTP 401): The webhook was refused: its authentication headers do not match the integration's settings.\n"},
		{"not supported", []string{"send", "void", "--url", u, "--header", "Authorization: " + secret}, 1,
			"✘ void failed (HTTP 501): Voids are not supported by this payment platform integration.\n"},
		{"no such path", []string{"send", "refund", "--url", u, "--path", "/nope", "-H", "Authorization: " + secret}, 1,
			"✘ refund failed (HTTP 404): No ChargeDesk action is configured at this path; check the paths on the Custom Integration's configure page.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runSim(t, "", tt.args...)
			assert.Equal(t, tt.code, code, errOut)
			assert.Equal(t, tt.out, out)
			assert.Empty(t, errOut)
		})
	}
}

func TestSendJSON(t *testing.T) {
	u := receiverURL(t)
	code, out, _ := runSim(t, "", "send", "refund", "--json", "--url", u, "-H", "Authorization: "+secret, "--set", "refund_amount=5.10")
	assert.Equal(t, 0, code)
	var o chargedesktest.Outcome
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&o))
	assert.True(t, o.OK)
	assert.Equal(t, 200, o.Status)
	assert.Equal(t, chargedesk.ActionRefund, o.Action)
	assert.Equal(t, json.Number("5.10"), o.Updates["charge"]["amount_refunded"])
	assert.Contains(t, out, `"amount_refunded": 5.10`, "exact in the JSON output")

	code, out, _ = runSim(t, "", "send", "refund", "--json", "--url", u)
	assert.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(out), &o))
	assert.False(t, o.OK)
	assert.Equal(t, 401, o.Status)
}

func TestSendFlagsUnusableAnswers(t *testing.T) {
	tests := []struct {
		name   string
		action string
		status int
		body   string
		code   int
		out    string
	}{
		{"not JSON", "refund", 200, "<html>ok</html>", 0,
			"✔ refund succeeded (HTTP 200)\n  (no update objects: ChargeDesk updates the charge or subscription itself)\n" +
				"⚠ the answer is not JSON, so ChargeDesk can read neither an error message nor updates from it\n"},
		{"2xx with an error", "refund", 200, `{"error":"Card declined."}`, 1,
			"✘ refund failed (HTTP 200): Card declined.\n" +
				"⚠ a 200 answer carries an \"error\" key: success or failure is ambiguous; answer a 4xx or 5xx status with the error\n"},
		{"payment request without redirect_url", "payment-request", 200, `{}`, 1,
			"✘ payment-request failed (HTTP 200), with no message for the agent\n" +
				"⚠ a payment request answered without a redirect_url: ChargeDesk has no payment page to send the customer to\n"},
		{"payment request", "payment-request", 200, `{"redirect_url":"https://pay.example/1","charge":{"pay_link":"https://pay.example/1"}}`, 0,
			"✔ payment-request succeeded (HTTP 200)\n  redirect_url → https://pay.example/1\n  charge.pay_link → https://pay.example/1\n"},
		{"failure without message", "cancel", 500, ``, 1,
			"✘ cancel failed (HTTP 500), with no message for the agent\n" +
				"⚠ a 500 answer without an error message: the agent is only told the action could not be performed\n"},
		{"redirects are not followed", "refund", 302, ``, 1,
			"✘ refund failed (HTTP 302), with no message for the agent\n" +
				"⚠ a 302 answer without an error message: the agent is only told the action could not be performed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := fakeURL(t, tt.status, tt.body)
			code, out, _ := runSim(t, "", "send", tt.action, "--url", u)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.out, out)
		})
	}
}

func TestSendTemplatesTheURLAndHeaders(t *testing.T) {
	u, rec := fakeURL(t, 200, `{}`)
	code, _, errOut := runSim(t, "", "send", "cancel", "--url", u+"/cd/{customer_id}", "--path", "/c/{subscription_id}",
		"-H", "X-Charge: {charge_id}", "-H", "Authorization: Bearer s3cr3t-{customer_id}", "-H", "X-Absent: {nope}")
	require.Equal(t, 0, code, errOut)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, "/cd/cus-example-RAFiJBiib1/c/sub-example-vkx55s374c", rec.path, "a cancel's customer is the subscription's")
	assert.Equal(t, "example-dcVNtrQoNtyLxadmoPmbIAX2", rec.header.Get("X-Charge"))
	assert.Equal(t, "Bearer s3cr3t-cus-example-RAFiJBiib1", rec.header.Get("Authorization"))
	assert.Equal(t, "{nope}", rec.header.Get("X-Absent"))
	assert.Equal(t, "application/json", rec.header.Get("Content-Type"))
	want, err := chargedesktest.Payload(chargedesk.ActionCancel)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(rec.body), "the documented payload, byte for byte")
}

func TestSendPayloadSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "refund.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"refund_amount":"1.00","charge":{"charge_id":"c"}}`), 0o600))
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"file", "", []string{"--file", file, "--set", "refund_amount=2.50"},
			`{"refund_amount":2.50,"charge":{"charge_id":"c"}}`},
		{"stdin", `{"a":1}`, []string{"--file", "-"}, `{"a":1}`},
		{"overrides in order", "", []string{"--file", file, "--unset", "charge", "--set", `charge={"charge_id":"d"}`, "--set", "charge.x=1"},
			`{"refund_amount":"1.00","charge":{"charge_id":"d","x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, rec := fakeURL(t, 200, `{}`)
			code, _, errOut := runSim(t, tt.stdin, append([]string{"send", "refund", "--url", u}, tt.args...)...)
			require.Equal(t, 0, code, errOut)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			assert.Equal(t, tt.want, string(rec.body))
		})
	}
}

// -v masks only the configured secrets (header values with fixed text),
// and shows placeholder-only headers filled, and the body, so that
// placeholders can be debugged.
func TestVerboseMasksOnlySecrets(t *testing.T) {
	u, _ := fakeURL(t, 200, `{}`)
	code, out, errOut := runSim(t, "", "send", "refund", "-v", "--url", u, "-H", "Authorization: Bearer very-secret-value-123",
		"-H", "X-Charge: {charge_id}", "-H", "X-Signed: key-{charge_id}")
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "→ POST "+u+"/refund\n")
	assert.Contains(t, errOut, "  Authorization: [masked]\n")
	assert.Contains(t, errOut, "  X-Charge: example-Xs84hY5BSt5IttuRSIsQIA8r\n")
	assert.Contains(t, errOut, "  X-Signed: [masked]\n", "fixed text beside a placeholder may be a secret")
	assert.Contains(t, errOut, "  Content-Type: application/json\n")
	assert.Contains(t, errOut, `"refund_amount": 12.34`, "the body is shown")
	assert.NotContains(t, errOut+out, "very-secret-value-123")
}

// --help in any position prints the command's own help on stdout and
// succeeds.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args      []string
		has, hasn string
	}{
		{[]string{"send", "refund", "--help"}, "chargedesk-sim send <action> [flags]", "--base-path"},
		{[]string{"send", "-h"}, "--set path=value", "--base-path"},
		{[]string{"--help", "send"}, "--timeout duration", "--state"},
		{[]string{"help", "send"}, "-H, --header 'Name: value'", "--state"},
		{[]string{"payload", "--help"}, "chargedesk-sim payload <action> [flags]", "--timeout"},
		{[]string{"serve", "--help"}, "--clock TIME", "--set"},
		{[]string{"serve", "--latency", "1s", "-h"}, "--rate-limit N", "--unset"},
		{[]string{"list", "--help"}, "--json", "--set"},
		{[]string{"--help"}, "Available Commands:", "--timeout"},
		{[]string{"help"}, "send        Send the example payload", "--timeout"},
	}
	for _, tt := range tests {
		code, out, errOut := runSim(t, "", tt.args...)
		assert.Equal(t, 0, code, tt.args)
		assert.Contains(t, out, tt.has, tt.args)
		assert.NotContains(t, out, tt.hasn, tt.args)
		assert.Empty(t, errOut, tt.args)
	}
}

// version prints the version from the build's module information; a test
// binary built from a checkout says (devel).
func TestVersion(t *testing.T) {
	code, out, _ := runSim(t, "", "version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^chargedesk-sim \S+ \(library \S+.*, go1\.\d+`, out)
	code, out, _ = runSim(t, "", "version", "--json")
	assert.Equal(t, 0, code)
	var v struct{ Version, Go string }
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.NotEmpty(t, v.Version)
	assert.Contains(t, v.Go, "go1.")
	code, out, _ = runSim(t, "", "--version")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "chargedesk-sim ")
}

// completion prints a shell's completion script, and actions complete.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ := runSim(t, "", "completion", shell)
		assert.Equal(t, 0, code, shell)
		assert.Contains(t, out, "chargedesk-sim", shell)
	}
	code, out, _ := runSim(t, "", "__complete", "send", "re")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "refund\t/refund")
	assert.Contains(t, out, "reactivate\t/reactivate")
}

// list --json is the actions for a script.
func TestListJSON(t *testing.T) {
	code, out, _ := runSim(t, "", "list", "--json")
	require.Equal(t, 0, code)
	var actions []struct{ Action, Path, Description string }
	require.NoError(t, json.Unmarshal([]byte(out), &actions))
	require.Len(t, actions, len(chargedesk.Actions()))
	assert.Equal(t, "refund", actions[0].Action)
	assert.Equal(t, "/refund", actions[0].Path)
}

// A --set that adds a field the payload lacks is most often a typo: it is
// sent (a test may mean it), with a warning naming the closest field.
func TestSetWarnsOfANewField(t *testing.T) {
	code, out, errOut := runSim(t, "", "payload", "refund", "--set", "charge.amonut=5", "--set", "charge.amount=6")
	require.Equal(t, 0, code)
	assert.Equal(t, "chargedesk-sim: warning: --set charge.amonut adds a field the payload does not have; did you mean charge.amount?\n", errOut)
	assert.Contains(t, out, `"amonut":5`, "still sent: a test may mean it")
	_, _, errOut = runSim(t, "", "payload", "refund", "--set", "charge.brand_new_field=1")
	assert.Equal(t, "chargedesk-sim: warning: --set charge.brand_new_field adds a field the payload does not have\n", errOut)
}

func TestSendWithoutAnswer(t *testing.T) {
	t.Run("nothing listens", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL
		srv.Close()
		code, out, errOut := runSim(t, "", "send", "refund", "--url", u)
		assert.Equal(t, 1, code)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "chargedesk-sim: refund was not answered:")
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		code, _, errOut := runSim(t, "", "send", "refund", "--url", srv.URL, "--timeout", "50ms")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "refund was not answered")
		assert.Contains(t, errOut, "Timeout")
	})
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "Usage:"},
		{"unknown command", []string{"sned"}, `unknown command "sned" for "chargedesk-sim"; did you mean send?`},
		{"unknown command after flags", []string{"--help=false", "paylod"}, "did you mean payload?"},
		{"no action", []string{"send"}, "send needs an action"},
		{"unknown action", []string{"send", "refunds"}, `unknown action "refunds"`},
		{"two actions", []string{"send", "refund", "void"}, "send takes one action"},
		{"bad header", []string{"send", "refund", "-H", "Authorization"}, `a header is 'Name: value'`},
		{"bad set", []string{"send", "refund", "--set", "refund_amount"}, "is not path=value"},
		{"set used to unset", []string{"send", "refund", "--set", "-charge"}, "use --unset"},
		{"set that does not fit", []string{"send", "refund", "--set", "chrage.status=x"}, "the payload has no field chrage"},
		{"unset missing", []string{"send", "refund", "--unset", "nope"}, "nope: the payload has no such field"},
		{"bad timeout", []string{"send", "refund", "--timeout", "0s"}, "--timeout must be more than 0"},
		{"bad path", []string{"send", "refund", "--path", "refund"}, "--path must start with /"},
		{"bad url", []string{"send", "refund", "--url", "127.0.0.1:8080/chargedesk"}, "--url must be an http(s) URL"},
		{"missing file", []string{"send", "refund", "--file", "/nonexistent/x.json"}, "--file:"},
		{"unknown flag", []string{"send", "refund", "--jsn"}, "unknown flag: --jsn\nRun 'chargedesk-sim send --help' for usage."},
		{"payload takes no url", []string{"payload", "refund", "--url", "http://x"}, "unknown flag: --url"},
		{"bad duration", []string{"send", "refund", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{"list takes nothing", []string{"list", "refund"}, "list takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runSim(t, "", tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

func TestList(t *testing.T) {
	code, out, _ := runSim(t, "", "list")
	assert.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(chargedesk.Actions()))
	for i, a := range chargedesk.Actions() {
		assert.True(t, strings.HasPrefix(lines[i], string(a)+" "), lines[i])
		assert.Contains(t, lines[i], a.DefaultPath())
	}
}

func TestPayloadCommand(t *testing.T) {
	code, out, _ := runSim(t, "", "payload", "capture", "--set", "charge.status=authorized")
	assert.Equal(t, 0, code)
	var p struct {
		Charge struct {
			Status string          `json:"status"`
			Amount json.RawMessage `json:"amount"`
		} `json:"charge"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	assert.Equal(t, "authorized", p.Charge.Status)
	assert.Equal(t, `"34.00"`, string(p.Charge.Amount))

	code, out, _ = runSim(t, "", "payload", "edit-plans")
	assert.Equal(t, 0, code)
	want, err := chargedesktest.Payload(chargedesk.ActionEditPlans)
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", out)
}
