package phpquery

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vectors were written by PHP itself (testdata/gen.php): each case's
// input went through http_build_query, and its lists-of-scalars form was
// checked to read back through parse_str as the same array.
func TestVectorsFromPHP(t *testing.T) {
	var cases []struct {
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	}
	var vectors struct {
		PHP     string `json:"php"`
		Vectors []struct {
			Name     string          `json:"name"`
			Query    string          `json:"query"`
			Brackets string          `json:"brackets"`
			Parsed   json.RawMessage `json:"parsed"`
		} `json:"vectors"`
	}
	readJSON(t, "testdata/cases.json", &cases)
	readJSON(t, "testdata/vectors.json", &vectors)
	require.Len(t, vectors.Vectors, len(cases))
	for i, c := range cases {
		want := vectors.Vectors[i]
		require.Equal(t, c.Name, want.Name)
		t.Run(c.Name, func(t *testing.T) {
			o := orderedObject(t, c.Input)
			assert.Equal(t, want.Query, Encode(o, Indexed), "http_build_query (PHP %s)", vectors.PHP)
			assert.Equal(t, want.Brackets, Encode(o, Brackets), "key[] form")
			// The receiver reads a form as PHP's parse_str does. A key[] form
			// that mixes appends with indexes it refuses rather than guess.
			js, err := DecodeForm([]byte(want.Query), 32)
			require.NoError(t, err)
			assert.JSONEq(t, string(want.Parsed), string(js), "parse_str(%s)", want.Query)
			if js, err := DecodeForm([]byte(want.Brackets), 32); err == nil {
				assert.JSONEq(t, string(want.Parsed), string(js), "parse_str(%s)", want.Brackets)
			}
		})
	}
}

type ref struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

type money string

func (m money) MarshalText() ([]byte, error) { return []byte(m), nil }

type params struct {
	Amount     *money            `json:"amount"`
	Currency   string            `json:"currency"`
	Customer   *ref              `json:"customer"`
	Delinquent *bool             `json:"delinquent"`
	Chargeable *bool             `json:"chargeable"`
	Quantity   *int              `json:"quantity"`
	TrialEnd   *time.Time        `json:"trial_end"`
	Lines      []string          `json:"lines"`
	Plans      []ref             `json:"plans"`
	Metadata   map[string]string `json:"metadata"`
	Skipped    string            `json:"-"`
	Empty      string            `json:"empty"`
}

func TestFromStruct(t *testing.T) {
	amount, no, zero := money("34.00"), false, 0
	end := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	o, err := FromStruct(&params{
		Amount: &amount, Currency: "USD", Customer: &ref{ID: "cus 1"}, Delinquent: &no, Quantity: &zero,
		TrialEnd: &end, Lines: []string{"a", "b"}, Plans: []ref{{ID: "gold"}},
		Metadata: map[string]string{"z": "1", "a": "2"}, Skipped: "x",
	})
	require.NoError(t, err)
	assert.Equal(t, "amount=34.00&currency=USD&customer%5Bid%5D=cus+1&delinquent=0&quantity=0"+
		"&trial_end=1796113800&lines%5B0%5D=a&lines%5B1%5D=b&plans%5B0%5D%5Bid%5D=gold"+
		"&metadata%5Ba%5D=2&metadata%5Bz%5D=1", Encode(o, Indexed))

	o, err = FromStruct(params{})
	require.NoError(t, err)
	assert.Empty(t, Encode(o, Indexed), "an empty struct sends nothing")

	_, err = FromStruct(struct{ F float64 }{1.5})
	assert.ErrorContains(t, err, "cannot encode a float64", "floats are refused: money is never a float")
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// orderedObject decodes a JSON object keeping its keys' order, as PHP's
// json_decode does.
func orderedObject(t *testing.T, raw []byte) Object {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := orderedValue(dec)
	require.NoError(t, err)
	return v.(Object)
}

func orderedValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			list := []any{}
			for dec.More() {
				v, err := orderedValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		o := Object{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := orderedValue(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, Pair{key.(string), v})
		}
		_, err := dec.Token()
		return o, err
	case json.Number:
		return tok.Int64()
	default:
		return tok, nil // string, bool, nil
	}
}
