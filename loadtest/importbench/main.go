// Command importbench measures chargedesk import against the plain loop it
// is held to: it writes a JSON Lines file of records, and it sends that
// file's records as pre-encoded POSTs from a fixed number of goroutines,
// over keep-alive connections, with nothing else in the way. It talks only
// to the URL it is given; point it at a local ChargeDesk on loopback.
//
//	go run ./loadtest/importbench gen -n 100000 > records.jsonl
//	go run ./loadtest/importbench bare -url http://127.0.0.1:8095/v1 -key sk_... -concurrency 8 records.jsonl
//
// gen writes customers and charges (one customer to every four charges,
// each charge with a customer and metadata), the same shape every run. bare
// decodes and encodes every record before its clock starts (with the
// importer's own decoding and PHP form encoding, so the bodies are the
// bytes the importer sends), then sends each as POST /<object>s with
// duplicate=update and prints the records a second, the failures and the
// wall time. It stops after -timeout.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: importbench gen -n N > file.jsonl | importbench bare -url URL -key KEY -concurrency N file.jsonl")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:], os.Stdout)
	case "bare":
		err = bare(os.Args[2:], os.Stdout)
	default:
		err = fmt.Errorf("unknown mode %q: gen or bare", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}

// gen writes n records: a customer, then four charges of it, and so on.
func gen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 10000, "how many records")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for i := range *n {
		cus := i / 5
		if i%5 == 0 {
			fmt.Fprintf(w, `{"object": "customer", "customer_id": "cus_%07d", "email": "customer%d@example.com", "name": "Customer %d", "country": "US", "metadata": {"segment": "s%d"}}`+"\n", cus, cus, cus, cus%7)
			continue
		}
		fmt.Fprintf(w, `{"object": "charge", "transaction_id": "tx_%08d", "amount": "%d.%02d", "currency": "USD", "status": "paid", "description": "Order %d", "customer": {"id": "cus_%07d"}, "metadata": {"order": "%d", "channel": "web"}}`+"\n",
			i, 1+i%500, i%100, i, cus, i)
	}
	return w.Flush()
}

// post is one pre-encoded request.
type post struct {
	path string
	body string
}

func bare(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8090/v1", "the API's base URL (a local ChargeDesk)")
	key := fs.String("key", os.Getenv("CHARGEDESK_API_KEY"), "the API key (default $CHARGEDESK_API_KEY)")
	concurrency := fs.Int("concurrency", 8, "requests in flight")
	timeout := fs.Duration("timeout", 10*time.Minute, "stop after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *concurrency < 1 || *key == "" {
		return errors.New("name one file, a -concurrency of at least 1 and a -key")
	}
	posts, err := encodeFile(fs.Arg(0))
	if err != nil {
		return err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *concurrency
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var next, failed atomic.Int64
	var firstErr atomic.Value
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(posts)) {
					return
				}
				if err := send(ctx, client, *base, *key, posts[i]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	sent := min(next.Load(), int64(len(posts)))
	fmt.Fprintf(stdout, "bare loop: %d records in %s at concurrency %d: %.0f records/s, %d failed, %.1f µs of CPU a record\n",
		sent, wall.Round(time.Millisecond), *concurrency, float64(sent)/wall.Seconds(), failed.Load(),
		float64(cpu.Microseconds())/float64(max(sent, 1)))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(stdout, "first failure: %s\n", e)
	}
	return ctx.Err()
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func send(ctx context.Context, client *http.Client, base, key string, p post) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+p.path, strings.NewReader(p.body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", p.path, resp.StatusCode)
	}
	return nil
}

// encodeFile decodes every record of a JSON Lines file and encodes it as
// the importer does: PHP's form notation with duplicate=update.
func encodeFile(name string) ([]post, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := api.NewJSONLReader(f)
	var posts []post
	for rec := range reader.Records(1) {
		if rec.Err != nil {
			return nil, fmt.Errorf("line %d: %w", rec.Line, rec.Err)
		}
		form, err := phpquery.FromStruct(rec.Params)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", rec.Line, err)
		}
		form = append(form, phpquery.Pair{Key: "duplicate", Value: "update"})
		posts = append(posts, post{path: "/" + rec.Object + "s", body: phpquery.Encode(form, phpquery.Indexed)})
	}
	return posts, reader.Err()
}
