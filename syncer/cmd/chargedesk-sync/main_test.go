package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/syncer"
)

// runCmd runs the command line with CHARGEDESK_STORE set to store.
func runCmd(t *testing.T, store string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == env {
			return store
		}
		return ""
	}
	code = run(context.Background(), args, &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

// failedStore returns a SQLite store holding two failed pushes: products
// its Source does not sync.
func failedStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	store := "sqlite:" + filepath.Join(t.TempDir(), "sync.db")
	s, err := syncer.Open(ctx, store, syncer.Config{Source: syncer.UnimplementedSource{}, APIKey: "sk_test",
		PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Mark(ctx, syncer.Product, "gold"))
	require.NoError(t, s.Mark(ctx, syncer.Product, "silver"))
	require.NoError(t, s.Start(ctx))
	require.Eventually(t, func() bool {
		f, err := s.Failed(ctx, 10)
		require.NoError(t, err)
		return len(f) == 2
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, s.Stop(ctx))
	return store
}

func TestFailedAndRetry(t *testing.T) {
	store := failedStore(t)

	code, out, errOut := runCmd(t, store, "failed")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "JOB")
	assert.Contains(t, out, "product")
	assert.Contains(t, out, "gold")
	assert.Contains(t, out, "cancelled")

	code, out, errOut = runCmd(t, store, "failed", "--json")
	require.Equal(t, 0, code, errOut)
	var failed []syncer.Failure
	require.NoError(t, json.Unmarshal([]byte(out), &failed))
	require.Len(t, failed, 2)
	assert.Equal(t, syncer.Product, failed[0].Object)
	assert.Contains(t, failed[0].Error, "not synced")

	code, out, errOut = runCmd(t, store, "retry", "--json", jsonID(failed[0].JobID))
	require.Equal(t, 0, code, errOut)
	var done []retried
	require.NoError(t, json.Unmarshal([]byte(out), &done))
	require.Len(t, done, 1)
	assert.Equal(t, failed[0].ID, done[0].ID)
	assert.NotEqual(t, failed[0].JobID, done[0].JobID)

	code, out, errOut = runCmd(t, store, "retry", "--all")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "silver")

	code, out, _ = runCmd(t, store, "failed")
	require.Equal(t, 0, code)
	assert.Equal(t, "No failed pushes.\n", out, "retried pushes wait to be pushed again")

	code, _, errOut = runCmd(t, store, "retry", jsonID(failed[0].JobID))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no failed push")
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store string
		args  []string
		code  int
		out   string
		err   string
	}{
		{"help on stdout", "", []string{"--help"}, 0, "chargedesk-sync lists and retries", ""},
		{"no store", "", []string{"failed"}, 2, "", "set CHARGEDESK_STORE"},
		{"a store of another kind", "redis://127.0.0.1:6379/0", []string{"failed"}, 1, "", "postgres:// or postgresql:// URL, or sqlite:PATH"},
		{"retry names nothing", "sqlite:x.db", []string{"retry"}, 2, "", "name the failed pushes"},
		{"retry names and --all", "sqlite:x.db", []string{"retry", "--all", "3"}, 2, "", "name the failed pushes"},
		{"a bad job id", "sqlite:x.db", []string{"retry", "abc"}, 2, "", `"abc" is not a job id`},
		{"a bad limit", "sqlite:x.db", []string{"failed", "--limit", "0"}, 2, "", "--limit"},
		{"an unknown flag", "sqlite:x.db", []string{"failed", "--nope"}, 2, "", "unknown flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.store, tc.args...)
			assert.Equal(t, tc.code, code, "stdout %q stderr %q", out, errOut)
			assert.Contains(t, out, tc.out)
			assert.Contains(t, errOut, tc.err)
		})
	}
}
