package chargedesk_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	markerEmail = "jane.marker@example.com"
	markerCard  = "4111111111111111"
)

// Bad input carrying a customer's email and card number in every field of
// every object, in every wrong shape: neither ever appears in an answer or
// a log line. Messages name the field and what it must be.
func TestNoCustomerDataInAnswersOrLogs(t *testing.T) {
	bad := []any{
		map[string]any{"e": markerEmail, "card": markerCard},
		[]any{markerEmail, markerCard},
		markerEmail + " " + markerCard + "\u200b",
	}
	var bodies [][]byte
	for _, action := range []chargedesk.Action{chargedesk.ActionRefund, chargedesk.ActionCancel, chargedesk.ActionEditPlans} {
		var payload map[string]any
		require.NoError(t, json.Unmarshal(readRequest(t, action), &payload))
		var paths [][]string
		for k, v := range payload {
			paths = append(paths, []string{k})
			if obj, ok := v.(map[string]any); ok {
				for field := range obj {
					paths = append(paths, []string{k, field})
				}
			}
		}
		paths = append(paths, []string{"plans", "0", "product_id"}, []string{"plans", "0", "quantity"})
		sort.Slice(paths, func(i, j int) bool { return strings.Join(paths[i], ".") < strings.Join(paths[j], ".") })
		for _, path := range paths {
			if path[0] == "plans" && action != chargedesk.ActionEditPlans {
				continue
			}
			for _, v := range bad {
				bodies = append(bodies, setPath(t, readRequest(t, action), path, v))
			}
		}
		// The marker as a key, twice: a duplicate key in metadata.
		bodies = append(bodies, []byte(strings.Replace(string(readRequest(t, action)), `"metadata": {`,
			`"metadata": {"`+markerEmail+`": 1, "`+markerEmail+`": 2,`, 1)))
	}
	forms := []string{
		"refund_amount=" + markerCard + "x&charge[charge_id]=ch_1&charge[currency]=USD",
		"charge[" + markerEmail + "=1",
		"charge[customer_email]=" + url.QueryEscape(markerEmail) + "&charge[customer_email]=2",
		"charge[" + markerEmail + "][]=1&charge[" + markerEmail + "][0]=2",
	}

	logs := &chargedesk.LogBuffer{}
	gw := &fakeGateway{}
	h := newHandler(t, gw, func(cfg *chargedesk.Config) {
		l := zerolog.New(logs)
		cfg.Logger = &l
		cfg.Middleware = cfg.DefaultMiddleware() // the default stack logs with it
	})
	refused := 0
	check := func(name string, rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code >= 400 {
			refused++
		}
		for _, m := range []string{markerEmail, markerCard, "jane.marker"} {
			assert.NotContains(t, rec.Body.String(), m, name)
		}
	}
	for i, body := range bodies {
		rec := httptest.NewRecorder()
		action := "refund"
		switch {
		case strings.Contains(string(body), `"subscription"`) && strings.Contains(string(body), `"plans"`):
			action = "edit-plans"
		case strings.Contains(string(body), `"subscription"`):
			action = "cancel"
		}
		h.ServeHTTP(rec, webhook("/chargedesk/"+action, body))
		check(string(rune(i)), rec)
	}
	for _, form := range forms {
		r := webhook("/chargedesk/refund", []byte(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		check(form, rec)
	}
	raw, _ := logs.Lines(t)
	require.NotEmpty(t, raw)
	for _, line := range raw {
		for _, m := range []string{markerEmail, markerCard, "jane.marker"} {
			assert.NotContains(t, line, m)
		}
	}
	assert.Greater(t, refused, len(bodies)/2, "most of the catalog is refused")
}
