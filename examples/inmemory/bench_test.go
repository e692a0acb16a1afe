package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// BenchmarkRefund serves refunds on new charge ids to the example's
// receiver in-process, as the throughput load test does over the network,
// with the ledger either kept small (a one-second retention on a clock
// that advances a millisecond per refund) or full (its default limit of
// objects), as it is under that test's load with the default settings.
// The difference is what the garbage collector spends marking the
// pretend platform's memory (docs/performance.md):
//
//	go test -run='^$' -bench=Refund -benchmem -cpu=1 -count=5 ./examples/inmemory
func BenchmarkRefund(b *testing.B) {
	for _, tc := range []struct {
		name    string
		prefill int
	}{{"small-ledger", 0}, {"full-ledger", defaultLimit}} {
		b.Run(tc.name, func(b *testing.B) {
			clock := time.Unix(1_800_000_000, 0)
			b2 := newMemoryBook(func() time.Time { clock = clock.Add(time.Millisecond); return clock })
			if tc.prefill == 0 {
				b2.retention = time.Second
			}
			l := newLedger(b2, "http://pay.test/pay/", b2.now)
			log := zerolog.New(io.Discard).With().Timestamp().Logger()
			h, err := chargedesk.NewHandler(l, chargedesk.Config{
				BasePath: basePath,
				Headers:  []chargedesk.Header{{Name: "Authorization", Values: []string{"Bearer " + loadSecret}}},
				Logger:   &log,
			})
			require.NoError(b, err)
			parts := refundTemplate(b)
			var body []byte
			n := int64(0)
			refund := func() {
				n++
				body = appendRefund(body[:0], parts, n)
				req := httptest.NewRequest(http.MethodPost, basePath+"/refund", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+loadSecret)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("refund %d: %d %s", n, rec.Code, rec.Body)
				}
			}
			for range tc.prefill {
				refund()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				refund()
			}
		})
	}
}
