package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// tidy writes each go.mod as go mod tidy makes it outside the workspace:
// go test -run TestModulesInstallFromAProxy -tidy (go.sum files are left
// as they are; they must not hold sums of untagged versions).
var tidy = flag.Bool("tidy", false, "write each module's go.mod as go mod tidy makes it outside the workspace")

// releaseVersion is the version every module is tagged at next, and the
// version the modules require one another at.
const releaseVersion = "v0.1.0"

// rootModule is the library's module path; the other modules are below it.
const rootModule = "github.com/chargedesk/chargedesk-go"

// published are the modules a user can go get, by their directory, in the
// order RELEASING.md tags them: a module after the ones it requires.
var published = []string{".", "backend/postgres", "backend/redis", "syncer", "cmd"}

// unpublished are modules of the repository nobody depends on: examples
// and tests. They require the published ones as a user would.
var unpublished = []string{"e2e", "examples/inmemory", "examples/prometheus"}

// TestModulesInstallFromAProxy builds the published modules into a module
// proxy on disk, as they would be tagged, and uses them from outside the
// repository with no network: each module builds on its own from its own
// go.mod, a consumer module go gets every one of them and builds, and the
// commands installed from it run. It finds what a replace directive, a
// missing requirement or a requirement on an untagged version would break
// for users once tagged.
func TestModulesInstallFromAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every module from a proxy on disk; not in -short")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command")
	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	checkModuleFiles(t, repo)

	proxy := t.TempDir()
	for _, dir := range published {
		writeProxyModule(t, proxy, filepath.Join(repo, dir), modulePathOf(t, filepath.Join(repo, dir)))
	}
	upstream := strings.TrimSpace(goRun(t, repo, nil, goBin, "env", "GOPROXY"))
	cache := strings.TrimSpace(goRun(t, repo, nil, goBin, "env", "GOMODCACHE"))

	// Each module resolved on its own from its own go.mod, as go install
	// and a user's build read it, with the repository's modules from the
	// proxy on disk and the others from this machine's module cache, laid
	// out as a proxy, or else the usual proxy (the only step that may use
	// the network). Into a module cache of the test's own: the modules on
	// the proxy on disk are not the tagged ones, and must never be taken
	// for them in this machine's cache.
	fromCache := fileURL(filepath.Join(cache, "cache", "download"))
	resolved := filepath.Join(t.TempDir(), "modcache")
	t.Run("each go.mod is tidy on its own", func(t *testing.T) {
		env := []string{
			"GOPROXY=" + fileURL(proxy) + "," + fromCache + "," + upstream, "GOMODCACHE=" + resolved,
			"GONOSUMDB=" + rootModule, "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod -modcacherw",
		}
		for _, dir := range append(slices.Clone(published), unpublished...) {
			// A copy of its go.mod and go.sum, so that the repository's
			// files are left as they are.
			tmp := t.TempDir()
			for _, name := range []string{"go.mod", "go.sum"} {
				data, err := os.ReadFile(filepath.Join(repo, dir, name))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(tmp, name), data, 0o644))
			}
			modFile := filepath.Join(tmp, "go.mod")
			goRun(t, filepath.Join(repo, dir), env, goBin, "mod", "tidy", "-modfile="+modFile)
			want, err := os.ReadFile(modFile)
			require.NoError(t, err)
			have, err := os.ReadFile(filepath.Join(repo, dir, "go.mod"))
			require.NoError(t, err)
			if *tidy {
				require.NoError(t, os.WriteFile(filepath.Join(repo, dir, "go.mod"), want, 0o644))
				have = want
			}
			assert.Equal(t, string(want), string(have),
				"%s/go.mod is what go mod tidy makes of it outside the workspace (GOWORK=off): a requirement the workspace hid is missing or stale; run this test with -tidy to write it", dir)
			// vet type-checks every package and its tests, and writes nothing.
			goRun(t, filepath.Join(repo, dir), env, goBin, "vet", "-modfile="+modFile, "./...")
		}
	})

	// From here on, no network: the third-party modules come from the
	// module caches, laid out as proxies, into a new module cache.
	offline := []string{
		"GOPROXY=" + fileURL(proxy) + "," + fileURL(filepath.Join(resolved, "cache", "download")) + "," + fromCache,
		"GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod -modcacherw",
		"GOMODCACHE=" + filepath.Join(t.TempDir(), "modcache"),
		"GONOPROXY=", "GONOSUMDB=", "GOPRIVATE=", "GOBIN=" + t.TempDir(),
	}

	t.Run("a consumer gets every module and builds", func(t *testing.T) {
		consumer := t.TempDir()
		goRun(t, consumer, offline, goBin, "mod", "init", "example.com/shop")
		require.NoError(t, os.WriteFile(filepath.Join(consumer, "main.go"), []byte(consumerMain), 0o644))
		get := []string{"get"}
		for _, dir := range published {
			if dir != "cmd" {
				get = append(get, modulePathOf(t, filepath.Join(repo, dir))+"@"+releaseVersion)
			}
		}
		get = append(get, rootModule+"/api@"+releaseVersion, rootModule+"/events@"+releaseVersion)
		goRun(t, consumer, offline, goBin, get...)
		goRun(t, consumer, offline, goBin, "build", "-o", binName("shop"), ".")
		goRun(t, consumer, offline, goBin, "vet", "./...")
		out := goRun(t, consumer, offline, filepath.Join(consumer, binName("shop")))
		assert.Equal(t, `200 {"charge":{"status":"refunded"}}`+"\n", out, "the consumer's handler answers a refund")
	})

	t.Run("the commands install and follow the conventions", func(t *testing.T) {
		gobin := envValue(offline, "GOBIN")
		for _, name := range []string{"chargedesk", "chargedesk-sim"} {
			goRun(t, t.TempDir(), offline, goBin, "install", rootModule+"/cmd/"+name+"@"+releaseVersion)
		}
		out := goRun(t, t.TempDir(), nil, filepath.Join(gobin, binName("chargedesk")), "version")
		assert.Contains(t, out, releaseVersion, "version names the tag it was installed at")
		out = goRun(t, t.TempDir(), nil, filepath.Join(gobin, binName("chargedesk")), "--help")
		assert.Contains(t, out, "Usage:")
		out = goRun(t, t.TempDir(), nil, filepath.Join(gobin, binName("chargedesk-sim")), "send", "--help")
		assert.Contains(t, out, "chargedesk-sim send")
	})
}

// consumerMain is a user's program: a receiver with a Gateway, on the
// shared backends, an API client and an events receiver.
const consumerMain = `package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/backend/postgres"
	redisstore "github.com/chargedesk/chargedesk-go/backend/redis"
	"github.com/chargedesk/chargedesk-go/events"
	"github.com/chargedesk/chargedesk-go/syncer"
)

type shop struct{ chargedesk.UnimplementedGateway }

func (shop) Refund(_ context.Context, req *chargedesk.RefundRequest) (*chargedesk.Response, error) {
	return &chargedesk.Response{Charge: &chargedesk.ChargeUpdate{Status: "refunded"}}, nil
}

var (
	_ = postgres.NewLocker
	_ = redisstore.NewLocker
	_ = api.NewClient
	_ = events.NewReceiver
	_ = syncer.Open
)

func main() {
	h, err := chargedesk.NewHandler(shop{}, chargedesk.Config{
		Headers: []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer 8f0c2b7e4d1a9f3c6e5b"}}},
	})
	if err != nil {
		panic(err)
	}
	body := ` + "`" + `{"refund_amount": "34.00", "charge": {"charge_id": "ch_1", "amount": "34.00", "amount_refunded": "0.00", "currency": "USD"}}` + "`" + `
	req := httptest.NewRequest(http.MethodPost, "/refund", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer 8f0c2b7e4d1a9f3c6e5b")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Print(w.Code, " ", w.Body.String())
}
`

// checkModuleFiles holds every go.mod of the repository to what a user
// of the tagged modules needs: each module is published or listed as not,
// no replace directive, the repository's modules required at
// releaseVersion and only the published ones, and RELEASING.md tagging
// them in order.
func checkModuleFiles(t *testing.T, repo string) {
	t.Helper()
	var dirs []string
	require.NoError(t, filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" {
			rel, err := filepath.Rel(repo, filepath.Dir(path))
			dirs = append(dirs, filepath.ToSlash(rel))
			return err
		}
		return nil
	}))
	paths := map[string]bool{}
	for _, dir := range published {
		paths[modulePathOf(t, filepath.Join(repo, dir))] = true
	}
	releasing, err := os.ReadFile(filepath.Join(repo, "RELEASING.md"))
	require.NoError(t, err)
	last := -1
	for _, dir := range published {
		tag := releaseVersion
		if dir != "." {
			tag = dir + "/" + releaseVersion
		}
		at := bytes.Index(releasing, []byte("`"+tag+"`"))
		assert.Greater(t, at, last, "RELEASING.md tags `%s`, after the modules it requires", tag)
		last = max(last, at)
	}
	for _, dir := range dirs {
		assert.True(t, slices.Contains(published, dir) || slices.Contains(unpublished, dir),
			"the module in %s is listed as published or unpublished in release_test.go", dir)
		data, err := os.ReadFile(filepath.Join(repo, dir, "go.mod"))
		require.NoError(t, err)
		f, err := modfile.Parse(dir+"/go.mod", data, nil)
		require.NoError(t, err)
		for _, r := range f.Replace {
			assert.Fail(t, "a replace directive", "%s/go.mod replaces %s: a user's build ignores it (go.work replaces for the repository)", dir, r.Old.Path)
		}
		for _, r := range f.Require {
			if r.Mod.Path != rootModule && !strings.HasPrefix(r.Mod.Path, rootModule+"/") {
				continue
			}
			assert.True(t, paths[r.Mod.Path], "%s/go.mod requires %s, which is not published", dir, r.Mod.Path)
			assert.Equal(t, releaseVersion, r.Mod.Version, "%s/go.mod requires %s", dir, r.Mod.Path)
		}
	}
}

// writeProxyModule writes the module in dir at releaseVersion into the
// proxy directory, as a GOPROXY serves it: list, info, mod and zip.
func writeProxyModule(t *testing.T, proxy, dir, path string) {
	t.Helper()
	escaped, err := module.EscapePath(path)
	require.NoError(t, err)
	at := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
	require.NoError(t, os.MkdirAll(at, 0o755))
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	info, err := json.Marshal(map[string]any{"Version": releaseVersion, "Time": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(at, "list"), []byte(releaseVersion+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, releaseVersion+".info"), info, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, releaseVersion+".mod"), mod, 0o644))
	var buf bytes.Buffer
	// CreateFromDir leaves out nested modules, vendor directories and
	// what a module zip may not hold, as the proxy would from the tag.
	require.NoError(t, modzip.CreateFromDir(&buf, module.Version{Path: path, Version: releaseVersion}, dir), path)
	_, err = zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(at, releaseVersion+".zip"), buf.Bytes(), 0o644))
}

func modulePathOf(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	path := modfile.ModulePath(data)
	require.NotEmpty(t, path, "%s/go.mod names its module", dir)
	return path
}

// goRun runs a command in dir with extra environment variables and returns
// its standard output; it fails the test with both outputs when the
// command fails or takes more than five minutes.
func goRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s %s in %s:\n%s%s", name, strings.Join(args, " "), dir, stdout.String(), stderr.String())
	return stdout.String()
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

func binName(name string) string {
	if filepath.Separator == '\\' {
		return name + ".exe"
	}
	return name
}
