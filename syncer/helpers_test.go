package syncer

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// The tests' shared pieces: a platform (the Source), a local ChargeDesk
// that counts what it is sent, and the two stores.

const testKey = "sk_test_sync_0123456789"

// platform is an in-memory payment platform: charges and customers, each
// with a version that every change increments and that its state carries
// (metadata v), so that ChargeDesk's copy says which state it is.
type platform struct {
	UnimplementedSource
	mu        sync.Mutex
	charges   map[string]*testCharge
	customers map[string]int
	reads     int
}

type testCharge struct {
	v        int
	refunded int  // cents
	bad      bool // carries a field ChargeDesk refuses (see chargeDesk.refuse)
	noCust   bool // lacks its customer: the api package refuses to send it
	gone     bool
}

func newPlatform() *platform {
	return &platform{charges: map[string]*testCharge{}, customers: map[string]int{}}
}

// change applies f to the charge (created if new) and increments its
// version; it returns the new version.
func (p *platform) change(id string, f func(c *testCharge)) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.charges[id]
	if c == nil {
		c = &testCharge{}
		p.charges[id] = c
	}
	if f != nil {
		f(c)
	}
	c.v++
	return c.v
}

func (p *platform) version(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.charges[id]; c != nil {
		return c.v
	}
	return 0
}

func (p *platform) Charge(_ context.Context, id string) (*api.ChargeParams, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	c := p.charges[id]
	if c == nil || c.gone {
		return nil, ErrGone
	}
	refunded := chargedesk.MustParseAmount(fmt.Sprintf("%d.%02d", c.refunded/100, c.refunded%100))
	params := &api.ChargeParams{
		TransactionID: id, Amount: new(chargedesk.MustParseAmount("100.00")), Currency: "USD",
		AmountRefunded: &refunded, Customer: &api.Ref{ID: "cus_1"},
		Metadata: map[string]string{"v": strconv.Itoa(c.v)},
	}
	if c.bad {
		params.Metadata["bad"] = "1"
	}
	if c.noCust {
		params.Customer = nil
	}
	return params, nil
}

func (p *platform) Customer(_ context.Context, id string) (*api.CustomerParams, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.customers[id]
	if !ok {
		return nil, ErrGone
	}
	return &api.CustomerParams{Metadata: map[string]string{"v": strconv.Itoa(v)}}, nil
}

// chargeDesk is the local ChargeDesk (apitest) behind a handler that
// counts requests, and the concurrency and order of the states it applies
// per object, and injects faults. It serves on a loopback port it can stop
// and start again (ChargeDesk down).
type chargeDesk struct {
	api  *apitest.Server
	addr string

	mu          sync.Mutex
	srv         *http.Server
	requests    map[string]int   // object id -> requests
	statuses    map[int]int      // status -> answers
	applied     map[string][]int // object id -> v of each state applied, in order
	inFlight    map[string]int
	maxInFlight map[string]int
	refuse      bool                // answer 400 naming metadata[bad] to states that carry it
	unauthUntil time.Time           // answer 401 until then
	slow        map[string]slowSpec // object id -> a delay for its next requests
	arrived     chan string         // when set, receives the id of each request held by hold
	hold        chan struct{}       // when set, requests wait for it to close, then are dropped
	gate        chan struct{}       // when set, requests wait for it to close, then are served
}

type slowSpec struct {
	delay time.Duration
	times int
}

func newChargeDesk(t *testing.T, opts apitest.Options) *chargeDesk {
	t.Helper()
	opts.Key = testKey
	if opts.Now == nil {
		opts.Now = testclock.Clock()
	}
	cd := &chargeDesk{api: apitest.New(opts), requests: map[string]int{}, statuses: map[int]int{},
		applied: map[string][]int{}, inFlight: map[string]int{}, maxInFlight: map[string]int{}, slow: map[string]slowSpec{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cd.addr = ln.Addr().String()
	cd.serve(ln)
	t.Cleanup(cd.stop)
	return cd
}

func (cd *chargeDesk) url() string { return "http://" + cd.addr + "/v1" }

func (cd *chargeDesk) serve(ln net.Listener) {
	srv := &http.Server{Handler: cd, ReadHeaderTimeout: 5 * time.Second}
	cd.mu.Lock()
	cd.srv = srv
	cd.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop takes ChargeDesk down: its port refuses connections.
func (cd *chargeDesk) stop() {
	cd.mu.Lock()
	srv := cd.srv
	cd.srv = nil
	cd.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// start brings it back on the same port.
func (cd *chargeDesk) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	require.Eventually(t, func() bool {
		var err error
		ln, err = net.Listen("tcp", cd.addr)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
	cd.serve(ln)
}

func (cd *chargeDesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form, _ := url.ParseQuery(string(body))
	id := form.Get("transaction_id") + form.Get("customer_id")
	v, _ := strconv.Atoi(form.Get("metadata[v]"))
	cd.mu.Lock()
	cd.requests[id]++
	cd.inFlight[id]++
	cd.maxInFlight[id] = max(cd.maxInFlight[id], cd.inFlight[id])
	slow := cd.slow[id]
	if slow.times > 0 {
		slow.times--
		cd.slow[id] = slow
	}
	refuse := cd.refuse && form.Get("metadata[bad]") != ""
	unauth := time.Now().Before(cd.unauthUntil)
	arrived, hold, gate := cd.arrived, cd.hold, cd.gate
	cd.mu.Unlock()
	defer func() {
		cd.mu.Lock()
		cd.inFlight[id]--
		cd.mu.Unlock()
	}()
	if hold != nil {
		arrived <- id
		<-hold
		return // the client is gone: nothing is applied
	}
	if gate != nil {
		<-gate
	}
	if slow.delay > 0 {
		time.Sleep(slow.delay) // ChargeDesk applies the request even if its client gave up
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	switch {
	case unauth:
		writeAPIError(rec, http.StatusUnauthorized, "authentication_error", "", "Invalid API key provided.")
	case refuse:
		writeAPIError(rec, http.StatusBadRequest, "invalid_request_error", "metadata[bad]", "metadata[bad] is not allowed")
	default:
		r2 := r.Clone(context.WithoutCancel(r.Context()))
		r2.Body = io.NopCloser(bytes.NewReader(body))
		cd.api.ServeHTTP(rec, r2)
	}
	cd.mu.Lock()
	defer cd.mu.Unlock()
	cd.statuses[rec.status]++
	if rec.status == http.StatusOK && id != "" {
		cd.applied[id] = append(cd.applied[id], v)
	}
}

func writeAPIError(w http.ResponseWriter, status int, typ, param, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	p := ""
	if param != "" {
		p = fmt.Sprintf(`,"incorrect_parameter":%q`, param)
	}
	fmt.Fprintf(w, `{"error":{"message":%q,"type":%q%s}}`, msg, typ, p)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (cd *chargeDesk) set(f func(cd *chargeDesk)) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	f(cd)
}

func (cd *chargeDesk) get(f func(cd *chargeDesk)) { cd.set(f) }

// pushedV is the version ChargeDesk holds for the charge, 0 if none.
func (cd *chargeDesk) pushedV(id string) int {
	rec, ok := cd.api.Record("charges", id)
	if !ok {
		return 0
	}
	m, _ := rec["metadata"].(map[string]string)
	v, _ := strconv.Atoi(m["v"])
	return v
}

// converged reports whether ChargeDesk holds every charge at the
// platform's version.
func converged(p *platform, cd *chargeDesk) bool {
	p.mu.Lock()
	want := map[string]int{}
	for id, c := range p.charges {
		if !c.gone {
			want[id] = c.v
		}
	}
	p.mu.Unlock()
	for id, v := range want {
		if cd.pushedV(id) != v {
			return false
		}
	}
	return true
}

// store is one of the stores a test runs on.
type store struct {
	name string
	// open returns a new Syncer on the store: each call a new instance,
	// as another process would be, sharing the same database.
	open func(t *testing.T, cfg Config) testSyncer
}

// testSyncer is a Syncer of either store, with what the tests need.
type testSyncer interface {
	Runner
	markRollback(ctx context.Context, kind Kind, id string) error
	jobsFor(ctx context.Context, kind Kind, id string) (int, error)
}

func (s *Syncer[TTx]) markRollback(ctx context.Context, kind Kind, id string) error {
	errRollback := errors.New("rolled back")
	err := s.db.inTx(ctx, func(tx TTx) error {
		if err := s.MarkTx(ctx, tx, kind, id); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// jobsFor counts the push jobs of the object, in any state.
func (s *Syncer[TTx]) jobsFor(ctx context.Context, kind Kind, id string) (int, error) {
	res, err := s.river.JobList(ctx, riverAllJobs())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range res.Jobs {
		var args pushArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			return 0, err
		}
		if args == (pushArgs{Object: kind, ID: id}) {
			n++
		}
	}
	return n, nil
}

// stores returns SQLite, and PostgreSQL when CHARGEDESK_TEST_POSTGRES is
// set (each test in a schema of its own).
func stores(t *testing.T) []store {
	t.Helper()
	out := []store{{name: "sqlite", open: sqliteStore(t)}}
	if u := os.Getenv("CHARGEDESK_TEST_POSTGRES"); u != "" {
		out = append(out, store{name: "postgres", open: postgresStore(t, u)})
	} else {
		t.Log("CHARGEDESK_TEST_POSTGRES is not set: the PostgreSQL cases are skipped")
	}
	return out
}

func sqliteStore(t *testing.T) func(t *testing.T, cfg Config) testSyncer {
	path := filepath.Join(t.TempDir(), "sync.db")
	var db *sql.DB // shared by the instances, as one process's
	return func(t *testing.T, cfg Config) testSyncer {
		if db == nil {
			var err error
			db, err = OpenSQLite(path)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
		}
		s, err := NewSQLite(context.Background(), db, cfg)
		require.NoError(t, err)
		return s
	}
}

// postgresSchema creates a schema of its own for the test and returns a
// URL whose connections use it.
func postgresSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "sync_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err, "CHARGEDESK_TEST_POSTGRES")
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = conn.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func postgresStore(t *testing.T, base string) func(t *testing.T, cfg Config) testSyncer {
	u := postgresSchema(t, base)
	return func(t *testing.T, cfg Config) testSyncer {
		pool, err := pgxpool.New(context.Background(), u)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		s, err := NewPostgres(context.Background(), pool, cfg)
		require.NoError(t, err)
		return s
	}
}

// testConfig is a Config for tests: a fast rate, short timeouts and
// backoff, frequent polls.
func testConfig(p Source, cd *chargeDesk, log *zerolog.Logger) Config {
	return Config{
		Source: p, APIKey: testKey, APIOptions: []api.Option{api.WithBaseURL(cd.url())},
		Rate: 1000, Burst: 50, Workers: 4,
		RequestTimeout: time.Second, JobTimeout: 3 * time.Second, SettleTime: 500 * time.Millisecond,
		RescueAfter: 5 * time.Second, MaxBackoff: 200 * time.Millisecond, AuthPause: 300 * time.Millisecond,
		PollInterval: 50 * time.Millisecond, Logger: log,
	}
}

// start starts s and stops it when the test ends.
func start(t *testing.T, s Runner) {
	t.Helper()
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*zerolog.Logger, *logBuffer) {
	b := &logBuffer{}
	l := zerolog.New(b).Level(zerolog.DebugLevel)
	return &l, b
}

func riverAllJobs() *river.JobListParams {
	return river.NewJobListParams().Kinds(pushKind).First(MaxFailedList)
}
