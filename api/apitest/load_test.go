package apitest

// The local ChargeDesk under many records: memory, lists at any offset, and
// the first list after a write. This file uses only the package's exported
// API (New, Seed, Len, ServeHTTP), so that the same file measures an
// earlier implementation too (see docs/performance.md).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const loadKey = "sk_test_load_0123456789"

// loadServer returns a Server holding n records, one customer for every
// four charges, each charge with a customer, a description and metadata,
// and one in ten refunded, as an import leaves them; the charges occurred
// one second apart.
func loadServer(tb testing.TB, n int) *Server {
	tb.Helper()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{Key: loadKey, Now: func() time.Time { return start }})
	customers := n / 5
	for i := range customers {
		if _, err := s.Seed("customers", map[string]any{"customer_id": fmt.Sprintf("cus_%07d", i),
			"email": fmt.Sprintf("c%d@example.com", i), "name": fmt.Sprintf("Customer %d", i)}); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range n - customers {
		p := map[string]any{"transaction_id": fmt.Sprintf("tx_%07d", i), "amount": "34.00", "currency": "USD",
			"customer":    map[string]any{"id": fmt.Sprintf("cus_%07d", i%max(customers, 1))},
			"description": "Order " + strconv.Itoa(i), "metadata": map[string]any{"order": strconv.Itoa(i)},
			"occurred": strconv.FormatInt(start.Unix()+int64(i), 10)}
		if i%10 == 0 {
			p["status"], p["amount_refunded"] = "refunded", "34.00"
		}
		if _, err := s.Seed("charges", p); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// get serves one GET and fails the test unless it answers 200.
func loadGet(tb testing.TB, s http.Handler, target string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.SetBasicAuth(loadKey, "")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", target, w.Code, w.Body.String())
	}
}

func loadPost(tb testing.TB, s http.Handler, target, form string) {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form))
	req.SetBasicAuth(loadKey, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		tb.Fatalf("POST %s: %d %s", target, w.Code, w.Body.String())
	}
}

// rss reads the process's resident and peak resident memory, in MiB.
func rss() (now, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			now = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return now, peak
}

// timeEach returns the median and the 99th percentile of f's time over
// n calls.
func timeEach(n int, f func(i int)) (p50, p99 time.Duration) {
	times := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		f(i)
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	return times[n/2], times[n*99/100]
}

// TestLoadManyRecords fills a local ChargeDesk with
// CHARGEDESK_LOAD_RECORDS records (default 1,000,000) and logs its memory,
// the time of a list of 100 at several offsets and filters, and of the
// first list after a write. It runs only with CHARGEDESK_LOAD=1.
func TestLoadManyRecords(t *testing.T) {
	if os.Getenv("CHARGEDESK_LOAD") == "" {
		t.Skip("a load test: set CHARGEDESK_LOAD=1 to run it")
	}
	n := 1_000_000
	if v := os.Getenv("CHARGEDESK_LOAD_RECORDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("CHARGEDESK_LOAD_RECORDS=%q is not a count of at least 100", v)
		}
	}
	rounds := 200
	begin := time.Now()
	s := loadServer(t, n)
	seeded := time.Since(begin)
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	now, peak := rss()
	charges := s.Len("charges")
	t.Logf("%d records (%d charges) seeded in %s (%.0f/s)", n, charges, seeded.Round(time.Millisecond), float64(n)/seeded.Seconds())
	t.Logf("heap in use after GC: %.0f MiB; RSS %.0f MiB, peak %.0f MiB", float64(m.HeapAlloc)/(1<<20), now, peak)

	mid := min(25_000, charges/2)
	last := min(50_000, charges-100)
	for _, c := range []struct{ name, target string }{
		{"offset 0", "/v1/charges?count=100&offset=0"},
		{"offset " + strconv.Itoa(mid), "/v1/charges?count=100&offset=" + strconv.Itoa(mid)},
		{"offset " + strconv.Itoa(last), "/v1/charges?count=100&offset=" + strconv.Itoa(last)},
		{"status=refunded, offset " + strconv.Itoa(last/10), "/v1/charges?count=100&status=refunded&offset=" + strconv.Itoa(last/10)},
		{"one customer's charges", "/v1/charges?count=100&customer%5Bid%5D=cus_0000007"},
		{"occurred window, offset 1000", fmt.Sprintf("/v1/charges?count=100&offset=1000&occurred%%5Bmax%%5D=%d&occurred%%5Bmin%%5D=%d",
			time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()+int64(charges/2), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()+int64(charges/4))},
		{"transaction_id", "/v1/charges?count=1&transaction_id=tx_0000042"},
		{"customers, offset " + strconv.Itoa(min(50_000, n/5-100)), "/v1/customers?count=100&offset=" + strconv.Itoa(min(50_000, n/5-100))},
	} {
		p50, p99 := timeEach(rounds, func(int) { loadGet(t, s, c.target) })
		t.Logf("list of 100, %s: p50 %s, p99 %s", c.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond))
	}
	p50, p99 := timeEach(20, func(i int) {
		loadPost(t, s, "/v1/charges/tx_"+fmt.Sprintf("%07d", i), "description=Changed+"+strconv.Itoa(i))
		loadGet(t, s, "/v1/charges?count=100&offset=0")
	})
	t.Logf("a write, then the first list after it: p50 %s, p99 %s", p50.Round(time.Microsecond), p99.Round(time.Microsecond))
	now, peak = rss()
	t.Logf("after the lists: RSS %.0f MiB, peak %.0f MiB", now, peak)
}

// benchServer is a Server holding 30,000 records, the size at which the
// first implementation served about 870 lists a second.
func benchServer(b *testing.B) *Server {
	b.Helper()
	return loadServer(b, 30_000)
}

// BenchmarkList is a list of 100 charges at a random offset among 24,000.
func BenchmarkList(b *testing.B) {
	s := benchServer(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		loadGet(b, s, "/v1/charges?count=100&offset="+strconv.Itoa((i*7919)%23_900))
		i++
	}
}

// BenchmarkListFiltered is a list of 100 refunded charges.
func BenchmarkListFiltered(b *testing.B) {
	s := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		loadGet(b, s, "/v1/charges?count=100&status=refunded&offset=1000")
	}
}

// BenchmarkWriteThenList is an update of a charge then a list: the first
// list after a write.
func BenchmarkWriteThenList(b *testing.B) {
	s := benchServer(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		loadPost(b, s, "/v1/charges/tx_"+fmt.Sprintf("%07d", i%24_000), "description=Changed")
		loadGet(b, s, "/v1/charges?count=100&offset=0")
		i++
	}
}
