package chargedesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chargedesk/chargedesk-go/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckJSONAccepts(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty object", `{}`},
		{"empty object with spaces", " {\n\t} \r\n"},
		{"every kind of value", `{"s":"x","n":-1.5e-3,"z":0,"t":true,"f":false,"u":null,"a":[1,"2",[],{}],"o":{"k":[]}}`},
		{"escapes", `{"s":"\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00"}`},
		{"UTF-8 text", `{"action_reason":"Kunde möchte Rückerstattung 日本"}`},
		{"same key in different objects", `{"charge":{"amount":1},"subscription":{"amount":2},"amount":3}`},
		{"same key in sibling list entries", `{"plans":[{"quantity":1},{"quantity":2}]}`},
		{"keys differing by more than case", `{"charge_id":1,"charge_ids":2,"chargeid":3}`},
		{"64-character number", `{"n":` + strings.Repeat("1", 64) + `}`},
		{"the documented examples", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.body == "" {
				for _, action := range Actions() {
					assert.NoError(t, checkJSON(payloadFixture(t, action)), action)
				}
				return
			}
			assert.NoError(t, checkJSON([]byte(tt.body)))
		})
	}
}

func TestCheckJSONRefuses(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		want    string
	}{
		{"empty", "", errEmptyBody, ""},
		{"spaces", " \t\r\n", errEmptyBody, ""},
		{"array", `[]`, errNotObject, ""},
		{"true", `true`, errNotObject, ""},
		{"byte order mark", "\xef\xbb\xbf{}", errNotObject, ""},
		{"unclosed object", `{`, errBadJSON, "ends in the middle"},
		{"unclosed string", `{"a`, errBadJSON, "ends in the middle"},
		{"unclosed array", `{"a":[1,2`, errBadJSON, "ends in the middle"},
		{"missing colon", `{"a" 1}`, errBadJSON, "unexpected"},
		{"missing value", `{"a":}`, errBadJSON, "unexpected"},
		{"missing comma", `{"a":1 "b":2}`, errBadJSON, "unexpected"},
		{"trailing comma in object", `{"a":1,}`, errBadJSON, "unexpected"},
		{"trailing comma in array", `{"a":[1,]}`, errBadJSON, "unexpected"},
		{"unquoted key", `{a:1}`, errBadJSON, "unexpected"},
		{"number key", `{1:1}`, errBadJSON, "unexpected"},
		{"misspelled literal", `{"a":tru}`, errBadJSON, "unexpected"},
		{"capitalised literal", `{"a":True}`, errBadJSON, "unexpected"},
		{"point without fraction", `{"a":1.}`, errBadJSON, "unexpected"},
		{"fraction without integer", `{"a":.5}`, errBadJSON, "unexpected"},
		{"exponent without digits", `{"a":1e}`, errBadJSON, "unexpected"},
		{"minus alone", `{"a":-}`, errBadJSON, "unexpected"},
		{"leading zero", `{"a":01}`, errBadJSON, "unexpected"},
		{"short unicode escape", `{"a":"\u12"}`, errBadJSON, "escape"},
		{"non-hex unicode escape", `{"a":"\u12G4"}`, errBadJSON, "escape"},
		{"unknown escape", `{"a":"\x41"}`, errBadJSON, "escape"},
		{"tab inside a string", "{\"a\":\"\t\"}", errBadJSON, "in a string"},
		{"NUL inside a string", "{\"a\":\"\x00\"}", errBadJSON, "in a string"},
		{"comment", `{"a":1 /* c */}`, errBadJSON, "unexpected"},
		{"second value", `{"a":1} {"a":2}`, errBadJSON, "after the JSON object"},
		{"65-character number", `{"n":` + strings.Repeat("1", 65) + `}`, errBadJSON, "65 characters"},
		{"long exponent", `{"n":1e` + strings.Repeat("9", 70) + `}`, errBadJSON, "characters long"},
		{"invalid UTF-8", "{\"a\":\"\xc3\x28\"}", errBadJSON, "UTF-8"},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", errBadJSON, "UTF-8"},
		{"UTF-16 surrogate in UTF-8", "{\"a\":\"\xed\xa0\x80\"}", errBadJSON, "UTF-8"},
		{"duplicate key", `{"a":1,"a":2}`, errBadJSON, `"a" appears twice`},
		{"duplicate key, different case", `{"Note":1,"note":2}`, errBadJSON, "appears twice"},
		{"a known key in another case", `{"Refund_Amount":1}`, errBadJSON, `is "refund_amount" spelled in another case or form`},
		{"duplicate key, escaped", `{"a":1,"\u0061":2}`, errBadJSON, `"a" appears twice`},
		{"duplicate key, escaped upper case", `{"ab":1,"\u0041B":2}`, errBadJSON, "appears twice"},
		{"duplicate key deep in a list", `{"x":[{"y":{"k":1,"k":2}}]}`, errBadJSON, `"k" appears twice`},
		{"duplicate empty key", `{"":1,"":2}`, errBadJSON, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSON([]byte(tt.body))
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestCheckJSONManyKeys covers objects past the key set's small array,
// where keys move to a hash table.
func TestCheckJSONManyKeys(t *testing.T) {
	object := func(n int, extra string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"key_%d":%d`, i, i)
		}
		if extra != "" {
			parts = append(parts, extra)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	for _, n := range []int{7, 8, 9, 15, 16, 17, 64, 100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			assert.NoError(t, checkJSON([]byte(object(n, ""))))

			for _, dup := range []string{
				`"key_0":0`, `"KEY_0":0`, fmt.Sprintf(`"key_%d":0`, n-1), fmt.Sprintf(`"Key_%d":0`, n-1),
				`"\u212Aey_0":0`,    // KELVIN SIGN, which encoding/json matches to k
				`"keyſ":0,"keys":0`, // LONG S, which encoding/json matches to s
			} {
				err := checkJSON([]byte(object(n, dup)))
				assert.ErrorIs(t, err, errBadJSON, dup)
				assert.ErrorContains(t, err, "appears twice", dup)
			}
		})
	}
}

// TestCheckJSONFoldsKeysAsEncodingJSON checks the duplicate rule against
// what it protects: two keys are refused together exactly when
// encoding/json would let the second overwrite the first field, in a small
// object and in one as large as a real charge.
func TestCheckJSONFoldsKeysAsEncodingJSON(t *testing.T) {
	filler := make([]string, 40)
	for i := range filler {
		filler[i] = fmt.Sprintf(`"x%d":1`, i)
	}
	for _, variant := range []string{"IS_PAID", "Is_Paid", "iſ_paid", "\u0069s_paid"} {
		for _, size := range []string{"small", "large"} {
			t.Run(variant+" "+size, func(t *testing.T) {
				fields := `"is_paid":false,"` + variant + `":true`
				if size == "large" {
					fields = strings.Join(filler, ",") + "," + fields
				}
				body := `{"charge":{` + fields + `}}`

				var c struct {
					IsPaid bool `json:"is_paid"`
				}
				require.NoError(t, json.Unmarshal([]byte(`{`+fields+`}`), &c))
				require.True(t, c.IsPaid, "encoding/json takes %q for is_paid", variant)

				_, err := decodeEnvelope([]byte(body))
				assert.ErrorIs(t, err, errBadJSON)
				assert.ErrorContains(t, err, "appears twice")
			})
		}
	}
}

func TestCheckJSONDepth(t *testing.T) {
	objects := func(depth int) string {
		return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
	}
	mixed := func(depth int) string { // an object holding depth-1 levels of arrays
		return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
	}
	for _, build := range []func(int) string{objects, mixed} {
		assert.NoError(t, checkJSON([]byte(build(wire.MaxDepth))))
		err := checkJSON([]byte(build(wire.MaxDepth + 1)))
		assert.ErrorIs(t, err, errBadJSON)
		assert.ErrorContains(t, err, "nests deeper than 32 levels")
	}

	t.Run("hostile depth is refused quickly, without a stack overflow", func(t *testing.T) {
		body := `{"a":` + strings.Repeat("[", 1_000_000)
		assert.ErrorIs(t, checkJSON([]byte(body)), errBadJSON)
	})
}

func TestCheckJSONErrorQuotesAtMostPartOfAKey(t *testing.T) {
	long := strings.Repeat("k", 5000)
	err := checkJSON([]byte(`{"` + long + `":1,"` + long + `":2}`))
	require.ErrorIs(t, err, errBadJSON)
	assert.Less(t, len(err.Error()), 200)
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "abc", wire.Truncate([]byte("abc"), 3))
	assert.Equal(t, "ab...", wire.Truncate([]byte("abcd"), 2))
	// A cut never splits a UTF-8 sequence.
	assert.Equal(t, "a...", wire.Truncate([]byte("aé"), 2))
	assert.Equal(t, "aé...", wire.Truncate([]byte("aéb"), 3))
}

// checkJSON is the structure check the handler runs while it decodes:
// the errors of a body's structure, not those of a value's type.
func checkJSON(body []byte) error {
	err := wire.Decode(body, new(envelope))
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		return nil
	}
	return err
}
