package main

import (
	"bytes"
	"context"
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

	code, out, errOut := runCmd(t, env, "import", "--api-url", url, file)
	assert.Equal(t, 1, code, "a failed record makes the exit non-zero")
	assert.Contains(t, out, "imported 4 records in")
	assert.Contains(t, out, "3 created, 0 updated, 1 failed")
	assert.Contains(t, out, "failed: line 3: charge: amount must be an amount")
	assert.NotContains(t, out, "oops", "values are not echoed")
	assert.Contains(t, errOut, "progress: 100%, 4 records")
	assert.Equal(t, 1, fake.Len("charges"))

	// Run again from line 4: an update, and success.
	code, out, _ = runCmd(t, env, "import", "--api-url", url, "--from-line", "4", file)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "imported 1 records")
	assert.Contains(t, out, "0 created, 1 updated, 0 failed")
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
	for name, args := range map[string][]string{
		"no subcommand":  {},
		"unknown":        {"export"},
		"no file":        {"import"},
		"bad from-line":  {"import", "--from-line", "0", file},
		"missing file":   {"import", filepath.Join(t.TempDir(), "nope.jsonl")},
		"bad progress":   {"import", "--progress", "fancy", file},
		"no key at all":  {"import", file},
		"two files":      {"import", file, file},
		"unknown flag":   {"import", "--colour", file},
		"negative rate":  {"import", "--rate", "-1", file},
		"zero in flight": {"import", "--concurrency", "0", file},
	} {
		code, _, errOut := runCmd(t, nil, args...)
		assert.Equal(t, 2, code, name)
		assert.NotEmpty(t, errOut, name)
	}
	code, _, errOut := runCmd(t, nil, "import", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "-dry-run")
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
	assert.Equal(t, "\r[===============               ]  50% 0 records, 0/s, 0 failed\x1b[K\n", buf.String())
}
