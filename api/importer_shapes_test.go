package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/internal/testclock"
)

// The importer against the local ChargeDesk in each answer shape: the same
// lines give the same summary, with its lookups (a charge by transaction_id,
// the others by id) reading either shape, and leave the same records.
func TestImporterInEachShape(t *testing.T) {
	apitest.EachShape(t, apitest.Options{Key: testKey, Now: testclock.Clock()}, func(t *testing.T, fake *apitest.Server, baseURL string) {
		client := NewClient(testKey, WithBaseURL(baseURL))
		im := &Importer{Client: client, Concurrency: 3}
		sum, err := im.Run(context.Background(), NewJSONLReader(strings.NewReader(sampleJSONL)).Records(1))
		require.NoError(t, err)
		assert.Equal(t, 10, sum.Done)
		assert.Equal(t, 5, sum.Upserted, "ch_1 twice: one request a record, an upsert each")
		assert.Equal(t, 5, sum.Failed)

		ch, err := client.Charges.Get(context.Background(), "ch_1")
		require.NoError(t, err)
		assert.Equal(t, "ch_1", ch.TransactionID)
		assert.NotEmpty(t, ch.ID, "ChargeDesk's id, whichever shape answered")
		assert.Equal(t, ch.ID, ch.ChargeID)
		assert.Equal(t, "cus_1", ch.Customer.ID)
		assert.Equal(t, "jane@example.com", ch.Customer.Email)
		assert.Equal(t, "refunded", string(ch.Status))
		sub, err := client.Subscriptions.Get(context.Background(), "sub_1")
		require.NoError(t, err)
		assert.True(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Equal(sub.TrialEnd))
		assert.Equal(t, 1, fake.Len("charges"))
	})
}

// Importing occurred and lines: fields the seed's ChargeInput lacks, that
// ChargeDesk's charge carries, reach the local ChargeDesk through the
// importer.
func TestImporterSendsOccurredAndLines(t *testing.T) {
	apitest.EachShape(t, apitest.Options{Key: testKey, Now: testclock.Clock()}, func(t *testing.T, fake *apitest.Server, baseURL string) {
		lines := `{"object": "charge", "transaction_id": "tx_old", "amount": "5.00", "currency": "USD", "customer": {"id": "cus_1"}, "occurred": "2021-03-04T05:06:07Z", "lines": ["Seat", "Setup"]}` + "\n"
		sum, err := (&Importer{Client: NewClient(testKey, WithBaseURL(baseURL))}).Run(context.Background(),
			NewJSONLReader(strings.NewReader(lines)).Records(1))
		require.NoError(t, err)
		require.Zero(t, sum.Failed, sum.Failures)
		rec, ok := fake.Record("charges", "tx_old")
		require.True(t, ok)
		assert.EqualValues(t, time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC).Unix(), rec["occurred"])
		require.Len(t, rec["lines"], 2)
	})
}
