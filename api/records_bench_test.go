package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chargedesk/chargedesk-go"
)

// BenchmarkDecodeChargePage decodes a page of 100 charges in each shape
// into api.Charge, as a list does; BenchmarkDecodeChargePage/receiver
// decodes the documented page into the receiver's own chargedesk.Charge,
// the baseline: the work any tolerant reading of those 50 fields does.
func BenchmarkDecodeChargePage(b *testing.B) {
	pageOf := func(name string) []byte {
		one := strings.TrimSpace(string(answer(b, name)))
		items := make([]string, 100)
		for i := range items {
			items[i] = one
		}
		return []byte(fmt.Sprintf(`{"data": [%s]}`, strings.Join(items, ",")))
	}
	for _, c := range []struct{ name, file string }{
		{"documented", "charge-documented.json"}, {"seed", "charge-seed.json"},
	} {
		body := pageOf(c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var pg page[Charge]
				if err := json.Unmarshal(body, &pg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	body := pageOf("charge-documented.json")
	b.Run("receiver", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var pg struct {
				Data []chargedesk.Charge `json:"data"`
			}
			if err := json.Unmarshal(body, &pg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
