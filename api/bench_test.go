package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chargedesk/chargedesk-go/api/apitest"
)

// benchRecords is the import the benchmarks run: charges with a customer
// and metadata.
func benchRecords(b *testing.B, n int) []Record {
	b.Helper()
	recs := make([]Record, n)
	for i := range recs {
		_, p, err := DecodeRecord(fmt.Appendf(nil, `{"object": "charge", "transaction_id": "tx_%06d", "amount": "%d.%02d", "currency": "USD", "customer": {"id": "cus_%d"}, "metadata": {"order": "%d"}}`, i, i%1000, i%100, i/5, i))
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = Record{Line: i + 1, Object: "charge", Params: p}
	}
	return recs
}

// BenchmarkImporter upserts 1,000 charges through the Importer (no lookup,
// 4 in flight) into the in-memory API on loopback; BenchmarkPlainUpsert does
// the same with a hand-written loop of http.PostForm, the baseline.
func BenchmarkImporter(b *testing.B) {
	recs := benchRecords(b, 1000)
	srv := httptest.NewServer(apitest.New(apitest.Options{Key: testKey}))
	defer srv.Close()
	client := NewClient(testKey, WithBaseURL(srv.URL+"/v1"))
	b.ReportAllocs()
	for b.Loop() {
		im := &Importer{Client: client, Concurrency: 4}
		sum, err := im.Run(context.Background(), func(yield func(Record) bool) {
			for _, r := range recs {
				if !yield(r) {
					return
				}
			}
		})
		if err != nil || sum.Failed > 0 {
			b.Fatal(err, sum.Failures)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N*len(recs))*1e6, "µs/record")
}

func BenchmarkPlainUpsert(b *testing.B) {
	recs := benchRecords(b, 1000)
	srv := httptest.NewServer(apitest.New(apitest.Options{Key: testKey}))
	defer srv.Close()
	hc := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		work := make(chan *ChargeParams)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for p := range work {
					form := url.Values{"transaction_id": {p.TransactionID}, "amount": {p.Amount.String()}, "currency": {p.Currency},
						"customer[id]": {p.Customer.ID}, "metadata[order]": {p.Metadata["order"]}, "duplicate": {"update"}}
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/charges", stringsReader(form.Encode()))
					req.SetBasicAuth(testKey, "")
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					resp, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						continue
					}
					drain(resp)
				}
			})
		}
		for _, r := range recs {
			work <- r.Params.(*ChargeParams)
		}
		close(work)
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N*len(recs))*1e6, "µs/record")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
