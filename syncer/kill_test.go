package syncer

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

var (
	workerOnce sync.Once
	workerBin  string
	workerErr  error
)

// workerBinary builds internal/syncworker once per test run.
func workerBinary(t *testing.T) string {
	t.Helper()
	workerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chargedesk-syncworker-")
		if err != nil {
			workerErr = err
			return
		}
		workerBin = filepath.Join(dir, "syncworker")
		out, err := exec.Command("go", "build", "-o", workerBin, "./internal/syncworker").CombinedOutput()
		if err != nil {
			workerErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, workerErr)
	return workerBin
}

// worker is a running syncworker process.
type worker struct {
	cmd *exec.Cmd
	log *logBuffer
}

func startWorker(t *testing.T, store string, cd *chargeDesk) *worker {
	t.Helper()
	cmd := exec.Command(workerBinary(t))
	cmd.Env = append(os.Environ(), "SYNC_STORE="+store, "SYNC_API_URL="+cd.url(), "SYNC_API_KEY="+testKey)
	w := &worker{cmd: cmd, log: &logBuffer{}}
	cmd.Stderr = w.log
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("worker %d's log:\n%s", cmd.Process.Pid, w.log.String())
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ready <- sc.Scan() && sc.Text() == "ready"
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "the worker did not start: %s", w.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker did not start in 30s: %s", w.log.String())
	}
	return w
}

// killPlatform is the platform table both the test and the workers use,
// and a Syncer that marks in the same transactions as the changes.
type killPlatform struct {
	store  string
	change func(t *testing.T, id string, v int) // updates the row and marks the charge, in one transaction
}

func killPlatforms(t *testing.T) []killPlatform {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sync.db")
	db, err := OpenSQLite(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.ExecContext(ctx, "CREATE TABLE platform_charges (id text PRIMARY KEY, v integer NOT NULL)")
	require.NoError(t, err)
	sq, err := NewSQLite(ctx, db, Config{})
	require.NoError(t, err)
	out := []killPlatform{{store: "sqlite:" + path, change: func(t *testing.T, id string, v int) {
		require.NoError(t, sq.db.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO platform_charges (id, v) VALUES (?, ?)
				ON CONFLICT (id) DO UPDATE SET v = excluded.v`, id, v); err != nil {
				return err
			}
			return sq.MarkTx(ctx, tx, Charge, id)
		}))
	}}}
	base := os.Getenv("CHARGEDESK_TEST_POSTGRES")
	if base == "" {
		t.Log("CHARGEDESK_TEST_POSTGRES is not set: the PostgreSQL case is skipped")
		return out
	}
	u := postgresSchema(t, base)
	pool, err := pgxpool.New(ctx, u)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, "CREATE TABLE platform_charges (id text PRIMARY KEY, v integer NOT NULL)")
	require.NoError(t, err)
	pg, err := NewPostgres(ctx, pool, Config{})
	require.NoError(t, err)
	return append(out, killPlatform{store: u, change: func(t *testing.T, id string, v int) {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO platform_charges (id, v) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET v = excluded.v`, id, v); err != nil {
				return err
			}
			return pg.MarkTx(ctx, tx, Charge, id)
		}))
	}})
}

// TestKilledWorker: a worker process killed (SIGKILL) in the middle of its
// pushes leaves them running in the queue; a new worker process rescues
// them (RescueAfter) and ChargeDesk ends equal to the platform, newer
// changes made meanwhile included.
func TestKilledWorker(t *testing.T) {
	for i, kp := range killPlatforms(t) {
		t.Run([]string{"sqlite", "postgres"}[i], func(t *testing.T) {
			cd := newChargeDesk(t, apitest.Options{})
			want := map[string]int{}
			for i := range 8 {
				id := fmt.Sprintf("ch_%d", i)
				want[id] = 1
				kp.change(t, id, 1)
			}
			arrived, hold := make(chan string, 100), make(chan struct{})
			cd.set(func(cd *chargeDesk) { cd.arrived, cd.hold = arrived, hold })

			first := startWorker(t, kp.store, cd)
			<-arrived // a push is in flight
			require.NoError(t, first.cmd.Process.Kill())
			_, _ = first.cmd.Process.Wait()
			cd.set(func(cd *chargeDesk) { cd.arrived, cd.hold = nil, nil })
			close(hold) // the killed worker's requests end unanswered, unapplied
			for _, id := range []string{"ch_0", "ch_7"} {
				want[id] = 2
				kp.change(t, id, 2)
			}

			began := time.Now()
			startWorker(t, kp.store, cd)
			require.Eventually(t, func() bool {
				for id, v := range want {
					if cd.pushedV(id) != v {
						return false
					}
				}
				return true
			}, 60*time.Second, 50*time.Millisecond)
			t.Logf("converged %s after the restart", time.Since(began).Round(100*time.Millisecond))
			assertOrdered(t, cd)
		})
	}
}
