package apitest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveCharges lists the server's charges the plain way: every record,
// filtered one by one and sorted by occurred, then creation, newest first.
func naiveCharges(s *Server, keep func(map[string]any) bool) []string {
	var recs []map[string]any
	for _, r := range s.Records("charges") {
		if keep(r) {
			recs = append(recs, r)
		}
	}
	seq := func(r map[string]any) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(r["id"].(string), "ch-"))
		return n
	}
	slices.SortFunc(recs, func(a, b map[string]any) int {
		if ta, tb := a["occurred"].(int64), b["occurred"].(int64); ta != tb {
			return int(tb - ta)
		}
		return seq(b) - seq(a)
	})
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r["id"].(string)
	}
	return ids
}

// Lists kept by indexes through random writes (new charges, changed
// statuses, customers and times, refunds, deletes) answer every page of
// every filter as the plain scan and sort does, in both shapes.
func TestListsAgreeWithAPlainScan(t *testing.T) {
	for _, shape := range Shapes() {
		t.Run(string(shape), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			s := New(Options{Key: key, Shape: shape, Now: func() time.Time { return time.Unix(1_900_000_000, 0) }})
			statuses := []string{"paid", "refunded", "authorized", "partially refunded"}
			var ids []string
			for i := range 400 {
				id, err := s.Seed("charges", map[string]any{"transaction_id": fmt.Sprintf("tx_%d", i), "amount": "10.00",
					"currency": "USD", "customer": map[string]any{"id": fmt.Sprintf("cus_%d", rng.IntN(8))},
					"status": statuses[rng.IntN(len(statuses))], "occurred": strconv.Itoa(1_900_000_000 + rng.IntN(120)),
					"last_4_digits": fmt.Sprint(rng.IntN(3))})
				require.NoError(t, err)
				ids = append(ids, id)
			}
			for range 300 {
				id := ids[rng.IntN(len(ids))]
				switch rng.IntN(5) {
				case 0:
					do(t, s, "POST", "/v1/charges/"+id, "status="+url.QueryEscape(statuses[rng.IntN(len(statuses))]))
				case 1:
					do(t, s, "POST", "/v1/charges/"+id, "occurred="+strconv.Itoa(1_900_000_000+rng.IntN(120)))
				case 2:
					do(t, s, "POST", "/v1/charges/"+id, fmt.Sprintf("customer[id]=cus_%d", rng.IntN(8)))
				case 3:
					do(t, s, "POST", "/v1/gateway/charges/"+id+"/refund", "amount=1.00")
				case 4:
					do(t, s, "DELETE", "/v1/charges/"+id, "")
				}
			}
			for q := range 150 {
				v := url.Values{}
				keep := []func(map[string]any) bool{}
				if rng.IntN(2) == 0 {
					st := statuses[rng.IntN(len(statuses))]
					v.Set("status", st)
					keep = append(keep, func(r map[string]any) bool { return r["status"] == st })
				}
				if rng.IntN(2) == 0 {
					c := fmt.Sprintf("cus_%d", rng.IntN(8))
					v.Set("customer[id]", c)
					keep = append(keep, func(r map[string]any) bool { return r["customer_id"] == c })
				}
				if rng.IntN(3) == 0 {
					l4 := fmt.Sprint(rng.IntN(3))
					v.Set("last_4_digits", l4)
					keep = append(keep, func(r map[string]any) bool { return r["last_4_digits"] == l4 })
				}
				if rng.IntN(2) == 0 {
					hi := int64(1_900_000_000 + rng.IntN(120))
					v.Set("occurred[max]", strconv.FormatInt(hi, 10))
					keep = append(keep, func(r map[string]any) bool { return r["occurred"].(int64) <= hi })
				}
				if rng.IntN(2) == 0 {
					lo := time.Unix(int64(1_900_000_000+rng.IntN(120)), 0).UTC()
					v.Set("occurred[min]", lo.Format(time.RFC3339))
					keep = append(keep, func(r map[string]any) bool { return r["occurred"].(int64) >= lo.Unix() })
				}
				want := naiveCharges(s, func(r map[string]any) bool {
					for _, k := range keep {
						if !k(r) {
							return false
						}
					}
					return true
				})
				count, offset := 1+rng.IntN(40), rng.IntN(len(want)+2)
				v.Set("count", strconv.Itoa(count))
				v.Set("offset", strconv.Itoa(offset))
				code, body, _ := do(t, s, "GET", "/v1/charges?"+v.Encode(), "")
				require.Equal(t, 200, code, body)
				var page struct {
					Data []struct {
						ID       string `json:"id"`
						ChargeID string `json:"charge_id"`
					} `json:"data"`
					TotalCount *int `json:"total_count"`
				}
				require.NoError(t, json.Unmarshal([]byte(body), &page))
				var got []string
				for _, d := range page.Data {
					got = append(got, d.ID+d.ChargeID)
				}
				end := min(offset+count, len(want))
				var wantPage []string
				if offset < len(want) {
					wantPage = want[offset:end]
				}
				require.Equal(t, wantPage, got, "query %d: %s", q, v.Encode())
				if shape == ShapeSeed {
					require.NotNil(t, page.TotalCount)
					assert.Equal(t, len(want), *page.TotalCount, v.Encode())
				} else {
					assert.Nil(t, page.TotalCount, "ChargeDesk's list is {data} alone")
				}
			}
		})
	}
}
