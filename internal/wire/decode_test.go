package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/govalues/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type money struct{ d decimal.Decimal }

func (m *money) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	d, err := ParseDecimal(string(s))
	if err != nil {
		return TypeErrorMsg(b, err.Error(), m)
	}
	m.d = d
	return nil
}

type status string

type line struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
}

type rec struct {
	ID       string            `json:"id"`
	Status   status            `json:"status"`
	Amount   money             `json:"amount"`
	Paid     bool              `json:"paid"`
	Count    int               `json:"count"`
	When     time.Time         `json:"when"`
	Metadata map[string]string `json:"metadata"`
	Tags     []string          `json:"tags"`
	Lines    []line            `json:"lines"`
	Ref      *line             `json:"ref"`
	Raw      json.RawMessage   `json:"raw"`
	Skipped  string            `json:"-"`
}

// ChargeDesk's PHP variants all decode: numbers as strings and strings as
// numbers, 0/1 booleans, [] for an empty object, unix seconds, a list
// written as an object keyed "0", "1", and keys in another case.
func TestDecodeTolerates(t *testing.T) {
	var r rec
	require.NoError(t, Decode([]byte(`{
		"id": 12345, "STATUS": "paid", "amount": 34.5, "paid": "1", "count": "3", "when": "1700000000",
		"metadata": [], "tags": {"0": "a", "1": "b"}, "lines": {"0": {"description": "x", "quantity": "2"}},
		"ref": null, "raw": {"any": [1, 2]}, "unknown": {"deep": true}, "Skipped": "no"
	}`), &r))
	assert.Equal(t, "12345", r.ID)
	assert.Equal(t, status("paid"), r.Status)
	assert.Equal(t, "34.5", r.Amount.d.String())
	assert.True(t, r.Paid)
	assert.Equal(t, 3, r.Count)
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), r.When)
	assert.Equal(t, map[string]string{}, r.Metadata)
	assert.Equal(t, []string{"a", "b"}, r.Tags)
	assert.Equal(t, []line{{"x", 2}}, r.Lines)
	assert.Nil(t, r.Ref)
	assert.JSONEq(t, `{"any": [1, 2]}`, string(r.Raw))
	assert.Empty(t, r.Skipped)

	var empty rec
	require.NoError(t, Decode([]byte(`[]`), &empty), "PHP's empty array is an empty object")
	require.NoError(t, Decode([]byte(`null`), &empty))
}

// An error names the field's path and what was expected, never the value,
// which may be customer data.
func TestDecodeErrorsNameTheField(t *testing.T) {
	cases := map[string]string{
		`{"count": "jane@example.com"}`:                      "count: expected a whole number",
		`{"paid": "4111111111111111"}`:                       "paid: expected a boolean",
		`{"amount": "jane@example.com"}`:                     "amount: expected a valid value",
		`{"lines": [{"quantity": 1}, {"quantity": "many"}]}`: "lines[1].quantity: expected a whole number",
		`{"metadata": "jane@example.com"}`:                   "metadata: expected an object of strings",
		`{"when": true}`:                                     "when: expected a unix timestamp",
		`"jane@example.com"`:                                 "body: expected an object",
	}
	for body, want := range cases {
		var r rec
		err := Decode([]byte(body), &r)
		require.Error(t, err, body)
		assert.Equal(t, want, err.Error(), body)
		assert.NotContains(t, err.Error(), "jane", body)
		assert.NotContains(t, err.Error(), "4111", body)
		var pe *PathError
		assert.ErrorAs(t, err, &pe)
	}
	assert.Error(t, Decode([]byte(`{}`), rec{}), "not a pointer")
}
