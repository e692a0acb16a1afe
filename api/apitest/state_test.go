package apitest

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// normalized is v as JSON reads it back, so that values of different Go
// types with the same JSON compare equal.
func normalized(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// A state file the first implementation saved (testdata/state-v1.json)
// loads, and each record has every field it had then (what the agent
// console reads), with the same value but where ChargeDesk's documented
// shape writes it otherwise; saved again, it reads back the same.
func TestLoadsAStateTheFirstImplementationSaved(t *testing.T) {
	data, err := os.ReadFile("testdata/state-v1.json")
	require.NoError(t, err)
	s := New(Options{Key: key})
	require.NoError(t, s.Load(data))

	oldJSON, err := os.ReadFile("testdata/records-v1-old.json")
	require.NoError(t, err)
	var old map[string][]map[string]any
	require.NoError(t, json.Unmarshal(oldJSON, &old))
	// Where the documented shape writes a value otherwise than the first
	// implementation did.
	changed := map[string]bool{
		"customers.card_on_file": true, "customers.delinquent": true, // "1", not 1
		"products.chargeable": true, "products.trial_period_days": true, "products.billing_cycles_total": true,
		// At least 1, as ChargeDesk's subscription object shows them.
		"subscriptions.interval_count": true, "subscriptions.billing_cycles_current": true,
	}
	for name, records := range old {
		got := normalized(t, s.Records(name)).([]any)
		require.Len(t, got, len(records), name)
		for i, rec := range records {
			g := got[i].(map[string]any)
			for k, v := range rec {
				require.Contains(t, g, k, "%s %s", name, rec["id"])
				if !changed[name+"."+k] {
					assert.Equal(t, v, g[k], "%s %s: %s", name, rec["id"], k)
				}
			}
		}
	}
	again, err := s.Save()
	require.NoError(t, err)
	restored := New(Options{Key: key})
	require.NoError(t, restored.Load(again))
	for _, name := range resourceNames {
		assert.Equal(t, normalized(t, s.Records(name)), normalized(t, restored.Records(name)), name)
	}
	third, err := restored.Save()
	require.NoError(t, err)
	assert.JSONEq(t, string(again), string(third))
}

func TestLoadRefusesWhatItCannotRead(t *testing.T) {
	s := New(Options{Key: key})
	_, err := s.Seed("customers", map[string]any{"customer_id": "cus_keep"})
	require.NoError(t, err)
	for name, c := range map[string]struct{ state, msg string }{
		"another version": {`{"version": 2, "records": {}}`, "the state has version 2; this ChargeDesk reads version 1"},
		"no version":      {`{"records": {}}`, "no version"},
		"not JSON":        {`{"version": 1, "records": `, "not read"},
		"unknown kind":    {`{"version": 1, "records": {"refunds": []}}`, `unknown records "refunds"`},
		"unknown field":   {`{"version": 1, "records": {"charges": [{"id": "ch-1", "seq": 1, "fields": {"colour": "red"}}]}}`, `unknown field "colour"`},
		"bad value":       {`{"version": 1, "records": {"charges": [{"id": "ch-1", "seq": 1, "fields": {"amount": "lots"}}]}}`, "amount must be an amount"},
		"no id":           {`{"version": 1, "records": {"customers": [{"seq": 1, "fields": {}}]}}`, "no id"},
		"twice":           {`{"version": 1, "records": {"customers": [{"id": "c", "seq": 1}, {"id": "c", "seq": 2}]}}`, "twice"},
	} {
		err := s.Load([]byte(c.state))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.msg, name)
	}
	assert.Equal(t, 1, s.Len("customers"), "a state that does not load changes nothing")
}
