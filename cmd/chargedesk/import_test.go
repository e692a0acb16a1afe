package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

const key = "sk_test_import_command_0123456789"

func writeFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

func startAPI(t *testing.T) (*apitest.Server, string) {
	t.Helper()
	fake := apitest.New(apitest.Options{Key: key, Now: testclock.Clock()})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL + "/v1"
}

func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }, false)
	return code, out.String(), errOut.String()
}

func TestImportCommand(t *testing.T) {
	fake, url := startAPI(t)
	file := writeFile(t,
		`{"object": "customer", "customer_id": "cus_1", "email": "jane@example.com"}`,
		`{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}`,
		`{"object": "charge", "transaction_id": "ch_2", "amount": "oops", "currency": "USD", "customer": {"id": "cus_1"}}`,
		`{"object": "subscription", "subscription_id": "sub_1", "customer_id": "cus_1", "status": "active"}`,
	)
	env := map[string]string{"CHARGEDESK_API_KEY": key}

	code, out, errOut := runCmd(t, env, "import", "--api-url", url, file, "--progress", "lines")
	assert.Equal(t, 1, code, "a failed record makes the exit non-zero")
	assert.Contains(t, out, "imported 4 records in")
	assert.Contains(t, out, "3 upserted, 1 failed")
	assert.Contains(t, out, "failed: line 3: charge: amount must be an amount")
	assert.NotContains(t, out, "oops", "values are not echoed")
	assert.Contains(t, errOut, "progress: 100%, 4 records")
	assert.Equal(t, 1, fake.Len("charges"))

	// Run again from line 4, flags after the file and the URL from the
	// environment: success, and no progress off a terminal.
	env["CHARGEDESK_API_URL"] = url
	code, out, errOut = runCmd(t, env, "import", file, "--from-line", "4")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, "", errOut)
	assert.Contains(t, out, "imported 1 records")
	assert.Contains(t, out, "1 upserted, 0 failed")
}

// --json prints the summary, failures included, as one JSON object.
func TestImportCommandJSON(t *testing.T) {
	_, url := startAPI(t)
	file := writeFile(t,
		`{"object": "customer", "customer_id": "cus_1"}`,
		`{"object": "charge", "transaction_id": "ch_2", "amount": "1.001", "currency": "USD", "customer": {"id": "cus_1"}}`,
		`{"object": "customer", "customer_id": "cus_1", "customer_id": "cus_2"}`,
	)
	code, out, _ := runCmd(t, map[string]string{"CHARGEDESK_API_KEY": key, "CHARGEDESK_API_URL": url}, "import", "--json", file)
	assert.Equal(t, 1, code)
	var s jsonSummary
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	assert.Equal(t, 3, s.Records)
	assert.Equal(t, 1, s.Upserted)
	assert.Equal(t, 2, s.Failed)
	assert.Equal(t, 4, s.ResumeLine)
	assert.Nil(t, s.Stopped)
	require.Len(t, s.Failures, 2)
	assert.Equal(t, jsonFailure{Line: 2, Object: "charge", ID: "ch_2",
		Error: "chargedesk api: amount does not fit currency USD: 1.001 has more decimal places than USD allows (2)"}, s.Failures[0])
	assert.Equal(t, 3, s.Failures[1].Line)
	assert.Contains(t, s.Failures[1].Error, `the key "customer_id" appears twice`)
}

// A refused key, a URL that is not the API's and an unreachable host end
// the import at once with one message and exit 1, not a failure a record.
func TestImportCommandStops(t *testing.T) {
	fake, url := startAPI(t)
	var lines []string
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf(`{"object": "customer", "customer_id": "c%d"}`, i))
	}
	file := writeFile(t, lines...)
	tests := []struct {
		name string
		env  map[string]string
		says string
	}{
		{"wrong key", map[string]string{"CHARGEDESK_API_KEY": "sk_wrong_0123456789", "CHARGEDESK_API_URL": url}, "ChargeDesk refused the API key (chargedesk api: POST /customers: 401"},
		{"no /v1", map[string]string{"CHARGEDESK_API_KEY": key, "CHARGEDESK_API_URL": strings.TrimSuffix(url, "/v1")}, "is not ChargeDesk's API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, asJSON := range []bool{false, true} {
				args := []string{"import", file}
				if asJSON {
					args = append(args, "--json")
				}
				code, out, errOut := runCmd(t, tt.env, args...)
				assert.Equal(t, 1, code)
				assert.Contains(t, errOut, "chargedesk: import stopped: ")
				assert.Contains(t, errOut, tt.says)
				assert.Contains(t, errOut, "resume with --from-line 1")
				assert.Equal(t, 1, strings.Count(errOut, "\n"), "one message: %s", errOut)
				assert.NotContains(t, out+errOut, "sk_wrong")
				if asJSON {
					var s jsonSummary
					require.NoError(t, json.Unmarshal([]byte(out), &s))
					require.NotNil(t, s.Stopped)
					assert.NotEmpty(t, s.Stopped.Reason)
					assert.Zero(t, s.Failed)
				} else {
					assert.Contains(t, out, "imported 0 records")
				}
			}
		})
	}
	assert.Zero(t, fake.Len("customers"))
}

// --max-failures stops after that many failed records.
func TestImportCommandMaxFailures(t *testing.T) {
	_, url := startAPI(t)
	var lines []string
	for range 100 {
		lines = append(lines, `not json`)
	}
	file := writeFile(t, lines...)
	code, out, errOut := runCmd(t, map[string]string{"CHARGEDESK_API_KEY": key}, "import", "--api-url", url, "--max-failures", "5", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "imported 5 records")
	assert.Contains(t, errOut, "import stopped after 5 failed records (--max-failures 5); resume with --from-line 6")
	assert.Equal(t, 5, strings.Count(out, "failed: line"))
}

func TestImportCommandDryRun(t *testing.T) {
	fake, url := startAPI(t)
	file := writeFile(t,
		`{"object": "customer", "customer_id": "cus_1"}`,
		`not json`,
	)
	code, out, _ := runCmd(t, nil, "import", "--dry-run", "--api-url", url, file)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "checked (dry run, nothing sent) 2 records")
	assert.Contains(t, out, "1 valid, 1 failed")
	assert.Contains(t, out, "line 2: not a JSON object")
	assert.Zero(t, fake.Len("customers"))
}

func TestImportCommandUsage(t *testing.T) {
	file := writeFile(t, `{"object": "customer", "customer_id": "c"}`)
	for _, tt := range []struct {
		name string
		args []string
		says string
	}{
		{"no subcommand", nil, "name a command"},
		{"unknown", []string{"export"}, `unknown command "export"`},
		{"mistyped", []string{"improt", file}, "did you mean import?"},
		{"no file", []string{"import"}, "needs one FILE.jsonl"},
		{"bad from-line", []string{"import", "--from-line", "0", file}, "--from-line must be at least 1"},
		{"missing file", []string{"import", filepath.Join(t.TempDir(), "nope.jsonl")}, "no such file"},
		{"bad progress", []string{"import", "--progress", "fancy", file}, "--progress must be"},
		{"no key at all", []string{"import", file}, "no API key"},
		{"two files", []string{"import", file, file}, "takes one FILE.jsonl"},
		{"unknown flag", []string{"import", "--colour", file}, "unknown flag: --colour"},
		{"negative rate", []string{"import", "--rate", "-1", file}, "--rate must not be negative"},
		{"negative concurrency", []string{"import", "--concurrency", "-1", file}, "must not be negative"},
		{"zero in flight", []string{"import", "--max-in-flight", "0", file}, "--max-in-flight at least 1"},
		{"not a number", []string{"import", "--max-failures", "ten", file}, `invalid argument "ten"`},
	} {
		code, out, errOut := runCmd(t, nil, tt.args...)
		assert.Equal(t, 2, code, tt.name)
		assert.Contains(t, errOut, tt.says, tt.name)
		assert.Contains(t, errOut, "--help' for usage", tt.name)
		assert.Empty(t, out, tt.name)
	}
}

// Help is on stdout with exit 0, the command's own for a command, with
// --help in any position; the bare command is a usage error.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runCmd(t, nil, args...)
		assert.Equal(t, 0, code, args)
		assert.Contains(t, out, "Available Commands:", args)
		assert.Contains(t, out, "import ", args)
		assert.Empty(t, errOut, args)
		assert.NotRegexp(t, `(?m)^[Ff]lags:\s*\z`, out, "no empty flags heading")
	}
	for _, args := range [][]string{{"import", "--help"}, {"import", "x.jsonl", "-h"}, {"help", "import"}, {"--help", "import"}} {
		code, out, errOut := runCmd(t, nil, args...)
		assert.Equal(t, 0, code, args)
		assert.Contains(t, out, "chargedesk import <file.jsonl> [flags]", args)
		assert.Contains(t, out, "--max-failures N", args)
		assert.Contains(t, out, "--api-key key", args, "the shared flags too")
		assert.NotContains(t, out, "no-lookup", "a deprecated flag is not shown")
		assert.Empty(t, errOut, args)
	}
	code, out, errOut := runCmd(t, nil)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "Available Commands:")
}

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := runCmd(t, nil, "version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^chargedesk \S+ \(library \S+`, out)
	code, out, _ = runCmd(t, nil, "completion", "bash")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "bash completion")
	code, out, _ = runCmd(t, nil, "__complete", "import", "x.jsonl", "--progress", "")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "bar\n")
}

// --no-lookup, which the import no longer needs, is still accepted.
func TestNoLookupIsAccepted(t *testing.T) {
	_, url := startAPI(t)
	file := writeFile(t, `{"object": "customer", "customer_id": "c"}`)
	code, out, errOut := runCmd(t, map[string]string{"CHARGEDESK_API_KEY": key}, "import", "--no-lookup", "--api-url", url, file)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "1 upserted")
	assert.Contains(t, errOut, "--no-lookup is no longer needed")
}

func TestImportCommandInterrupted(t *testing.T) {
	_, url := startAPI(t)
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf(`{"object": "customer", "customer_id": "c%d"}`, i))
	}
	file := writeFile(t, lines...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // interrupted before it starts
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"import", "--api-url", url, file}, nil, &out, &errOut,
		func(string) string { return key }, false)
	assert.Equal(t, 130, code)
	assert.Contains(t, out.String(), "interrupted: resume with --from-line 1")
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	v := newProgressView(&buf, "bar", 100, func() int64 { return 50 })
	v.draw(true)
	assert.Equal(t, "\r[===============               ]  50% 0 records, 0/s, 0 failed, 0 in flight\x1b[K\n", buf.String())
}
