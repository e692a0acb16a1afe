package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// money decodes itself, as chargedesk.Amount does.
type money struct{ d decimal.Decimal }

func (m *money) UnmarshalJSON(b []byte) error {
	s, err := readString(b)
	if err != nil {
		return err
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return wrongValue("an amount", "is not a decimal amount")
	}
	m.d = d
	return nil
}

func (m money) MarshalJSON() ([]byte, error) { return []byte(m.d.String()), nil }

type status string

type line struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
}

type rec struct {
	ID       string            `json:"id" wire:"id"`
	Status   status            `json:"status"`
	Amount   money             `json:"amount"`
	Paid     bool              `json:"paid"`
	Count    int               `json:"count"`
	When     time.Time         `json:"when"`
	Metadata map[string]string `json:"metadata"`
	Tags     []string          `json:"tags"`
	Statuses []status          `json:"statuses"`
	Lines    []line            `json:"lines"`
	Ref      *line             `json:"ref"`
	Raw      json.RawMessage   `json:"raw"`
	Skipped  string            `json:"-"`
}

// ChargeDesk's PHP variants all decode: numbers as strings and strings as
// numbers, 0/1 booleans, [] for an empty object, unix seconds, a list
// written as an object keyed "0", "1".
func TestDecodeTolerates(t *testing.T) {
	var r rec
	require.NoError(t, Decode([]byte(`{
		"id": 12345, "status": "paid", "amount": 34.5, "paid": "1", "count": "3", "when": "1700000000",
		"metadata": [], "tags": {"0": "a", "1": "b"}, "statuses": ["paid", "void"], "lines": {"0": {"description": "x", "quantity": "2"}},
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
	assert.Equal(t, []status{"paid", "void"}, r.Statuses, "a list of a named string type")
	assert.Equal(t, []line{{"x", 2}}, r.Lines)
	assert.Nil(t, r.Ref)
	assert.JSONEq(t, `{"any": [1, 2]}`, string(r.Raw))
	assert.Empty(t, r.Skipped)

	var iso rec
	require.NoError(t, Decode([]byte(`{"when": "2026-06-13T02:00:00+02:00", "ref": []}`), &iso))
	assert.Equal(t, time.Date(2026, 6, 13, 0, 0, 0, 0, time.UTC), iso.When, "RFC 3339, made UTC")
	assert.Equal(t, &line{}, iso.Ref, "PHP's empty array is an empty record")
}

// An error names the field's path and what was expected, never the value,
// which may be customer data.
func TestDecodeErrorsNameTheField(t *testing.T) {
	cases := map[string]string{
		`{"count": "jane@example.com"}`:                      "count is not a whole number",
		`{"paid": "4111111111111111"}`:                       "paid is not a boolean (true, false, 0 or 1)",
		`{"amount": "jane@example.com"}`:                     "amount is not a decimal amount",
		`{"lines": [{"quantity": 1}, {"quantity": "many"}]}`: "lines[1].quantity is not a whole number",
		`{"lines": [1]}`:                                     "lines[0] is not an object",
		`{"metadata": "jane@example.com"}`:                   "metadata is not an object of strings",
		`{"when": true}`:                                     "when is not a unix timestamp",
		`{"ref": "jane@example.com"}`:                        "ref is not an object",
		`{"id": " 12"}`:                                      "id starts or ends with a space",
		`{"id": 1.5}`:                                        "id is a number that is not a whole number",
	}
	for body, want := range cases {
		var r rec
		err := Decode([]byte(body), &r)
		require.Error(t, err, body)
		assert.Equal(t, want, err.Error(), body)
		assert.NotContains(t, err.Error(), "jane", body)
		assert.NotContains(t, err.Error(), "4111", body)
		var fe *FieldError
		assert.ErrorAs(t, err, &fe)
	}
	assert.Error(t, Decode([]byte(`{}`), rec{}), "not a pointer")
}

// The structure is checked whole, before any value's type: one object of
// valid JSON, no repeated key (in any case), no field's key in another
// case, bounded depth and numbers.
func TestDecodeChecksTheStructure(t *testing.T) {
	cases := map[string]string{
		``:                                      "empty",
		`[1]`:                                   "must be a JSON object",
		"{\"id\":\"\xff\"}":                     "UTF-8",
		`{"id":1,"id":2}`:                       `"id" appears twice`,
		`{"x":1,"X":2}`:                         "appears twice",
		`{"metadata":{"k":1,"K":2}}`:            "appears twice",
		`{"ID":1}`:                              `is "id" spelled in another case or form`,
		`{"id":1,"ID":2}`:                       "appears twice",
		`{"lines":[{"Quantity":1}]}`:            `is "quantity" spelled in another case or form`,
		`{"id":1} {}`:                           "after the JSON object",
		`{"id":1`:                               "ends in the middle",
		`{"count":"1","paid":x}`:                "unexpected",
		`{"n":` + strings.Repeat("1", 65) + `}`: "characters long",
		`{"a":` + strings.Repeat(`[`, 33) + strings.Repeat(`]`, 33) + `}`: "nests deeper than 32",
		`{"count":"many","id":1,"id":2}`:                                  "appears twice", // the structure first
	}
	for body, want := range cases {
		var r rec
		err := Decode([]byte(body), &r)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
}

// Members of the body and of its records reach Collect as written.
func TestDecodeCollects(t *testing.T) {
	type top struct {
		Ref  *line  `json:"ref"`
		Note string `json:"note"`
	}
	got := map[string]string{}
	var v top
	require.NoError(t, DecodeCollect([]byte(`{"note": "n", "ref": {"description": "d", "quantity": 2, "x": [1]}, "other": 1}`), &v,
		func(record, key string, raw []byte) { got[record+"."+key] = string(raw) }))
	assert.Equal(t, map[string]string{".note": `"n"`, "ref.description": `"d"`, "ref.quantity": "2", "ref.x": "[1]",
		".ref": `{"description": "d", "quantity": 2, "x": [1]}`, ".other": "1"}, got)
}

// An embedded struct's fields are the outer struct's; the outer's win.
func TestDecodeEmbedded(t *testing.T) {
	type inner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type outer struct {
		inner
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	var o outer
	require.NoError(t, Decode([]byte(`{"id": "1", "name": "n", "kind": "k"}`), &o))
	assert.Equal(t, outer{inner: inner{ID: "1"}, Name: "n", Kind: "k"}, o)
}

// Encode writes what Decode reads back, times as unix seconds.
func TestEncodeRoundTrip(t *testing.T) {
	in := rec{ID: "7", Status: "paid", Paid: true, Count: 2, When: time.Unix(1700000000, 0).UTC(),
		Metadata: map[string]string{"k": "v"}, Tags: []string{"a"}, Lines: []line{{"x", 1}}, Raw: json.RawMessage(`{"a":1}`)}
	out, err := Encode(in)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"when":1700000000`)
	var back rec
	require.NoError(t, Decode(out, &back))
	back.Amount = in.Amount
	assert.Equal(t, in, back)
}

// unquote reads a string literal as encoding/json does.
func FuzzUnquote(f *testing.F) {
	f.Add(`"https:\/\/x\/y \u00e9 \uD83D\uDE00"`)
	f.Add(`"lone \uD83D high"`)
	f.Fuzz(func(t *testing.T, lit string) {
		if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' || !json.Valid([]byte(lit)) {
			return
		}
		var want string
		if json.Unmarshal([]byte(lit), &want) != nil {
			return
		}
		got, err := unquote([]byte(lit))
		assert.NoError(t, err)
		assert.Equal(t, want, got)
	})
}

// A plan is published only once it is complete: decoders that meet a type
// for the first time at once each see it whole (run with -race).
func TestPlansAreBuiltBeforeUse(t *testing.T) {
	type node struct {
		Name string   `json:"name"`
		Next *node    `json:"next"`
		Kids []node   `json:"kids"`
		Tags []string `json:"tags"`
	}
	done := make(chan node, 8)
	for range 8 {
		go func() {
			var n node
			assert.NoError(t, Decode([]byte(`{"name":"a","next":{"name":"b"},"kids":[{"name":"c"}],"tags":["x"]}`), &n))
			done <- n
		}()
	}
	for range 8 {
		n := <-done
		assert.Equal(t, "b", n.Next.Name)
		assert.Equal(t, "c", n.Kids[0].Name)
	}
}
