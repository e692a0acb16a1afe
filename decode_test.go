package chargedesk

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// mustDecode decodes body as the handler does and fails the test on error.
func mustDecode(t *testing.T, body string) *envelope {
	t.Helper()
	env, err := decodeEnvelope([]byte(body))
	require.NoError(t, err, "body: %s", body)
	return env
}

func TestTolerantScalars(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, env *envelope)
	}{
		{"refund_amount as string", `{"refund_amount":"12.34"}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, MustParseAmount("12.34"), env.RefundAmount)
		}},
		{"refund_amount as number", `{"refund_amount":12.34}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, MustParseAmount("12.34"), env.RefundAmount)
		}},
		{"refund_amount as whole number", `{"refund_amount":12}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "12", env.RefundAmount.String())
		}},
		{"refund_amount empty string", `{"refund_amount":""}`, func(t *testing.T, env *envelope) {
			assert.True(t, env.RefundAmount.IsZero())
		}},
		{"amount as number", `{"charge":{"amount":34}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "34", env.Charge.Amount.String())
		}},
		{"amount as string keeps scale", `{"charge":{"amount":"34.00"}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "34.00", env.Charge.Amount.String())
		}},
		{"amount with exponent", `{"charge":{"amount":3.4e1}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 0, env.Charge.Amount.Cmp(MustParseAmount("34")))
		}},
		{"charge_id as number", `{"charge":{"charge_id":12345}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "12345", env.Charge.ChargeID)
		}},
		{"large id as number keeps every digit", `{"charge":{"charge_id":123456789012345678901234567890}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "123456789012345678901234567890", env.Charge.ChargeID)
		}},
		{"subscription_id as number", `{"subscription":{"subscription_id":7}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "7", env.Subscription.SubscriptionID)
		}},
		{"product_id as number in plan", `{"plans":[{"product_id":42,"quantity":1}]}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, []Plan{{ProductID: "42", Quantity: 1}}, []Plan(env.Plans))
		}},
		{"text as boolean", `{"charge":{"description":true}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "true", env.Charge.Description)
		}},
		{"interval_count as string", `{"subscription":{"interval_count":"1"}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 1, env.Subscription.IntervalCount)
		}},
		{"quantity as string", `{"subscription":{"quantity":"2"}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 2, env.Subscription.Quantity)
		}},
		{"plan quantity as string", `{"plans":[{"product_id":"p","quantity":"2"}]}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 2, env.Plans[0].Quantity)
		}},
		{"whole number written 2.0", `{"subscription":{"quantity":2.0}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 2, env.Subscription.Quantity)
		}},
		{"whole number empty string", `{"subscription":{"charges":""}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, 0, env.Subscription.Charges)
		}},
		{"timestamp as string", `{"charge":{"occurred":"1732181492"}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, time.Unix(1732181492, 0).UTC(), env.Charge.Occurred)
		}},
		{"timestamp as RFC 3339", `{"charge":{"occurred":"2024-11-21T09:31:32Z"}}`, func(t *testing.T, env *envelope) {
			assert.True(t, time.Unix(1732181492, 0).Equal(env.Charge.Occurred))
		}},
		{"timestamp as RFC 3339 with an offset becomes UTC", `{"charge":{"occurred":"2024-11-21T10:31:32+01:00"}}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, time.Unix(1732181492, 0).UTC(), env.Charge.Occurred)
		}},
		{"timestamp 0 as string", `{"charge":{"occurred":"0"}}`, func(t *testing.T, env *envelope) {
			assert.True(t, env.Charge.Occurred.IsZero())
		}},
		{"timestamp empty string", `{"charge":{"occurred":""}}`, func(t *testing.T, env *envelope) {
			assert.True(t, env.Charge.Occurred.IsZero())
		}},
		{"action as number", `{"action_reason":42}`, func(t *testing.T, env *envelope) {
			assert.Equal(t, "42", string(env.ActionReason))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustDecode(t, tt.body))
		})
	}
}

func TestTolerantBooleans(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{`true`, true},
		{`false`, false},
		{`1`, true},
		{`0`, false},
		{`"1"`, true},
		{`"0"`, false},
		{`"true"`, true},
		{`"false"`, false},
		{`"TRUE"`, true},
		{`""`, false},
		{`null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := mustDecode(t, `{"charge":{"is_paid":`+tt.value+`},"subscription":{"has_items":`+tt.value+`}}`)
			assert.Equal(t, tt.want, env.Charge.IsPaid)
			assert.Equal(t, tt.want, env.Subscription.HasItems)
		})
	}
}

func TestEmptyObjectAsArray(t *testing.T) {
	t.Run("top-level metadata field is ignored", func(t *testing.T) {
		mustDecode(t, `{"metadata":[]}`)
	})
	t.Run("charge metadata []", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"charge_id":"ch_1","metadata":[]}}`)
		assert.Equal(t, "ch_1", env.Charge.ChargeID)
		assert.Empty(t, env.Charge.Metadata)
	})
	t.Run("subscription metadata []", func(t *testing.T) {
		env := mustDecode(t, `{"subscription":{"metadata":[]}}`)
		assert.Empty(t, env.Subscription.Metadata)
	})
	t.Run("methods {} for an empty list", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"methods_supported":{}}}`)
		assert.Empty(t, env.Charge.MethodsSupported)
	})
	t.Run("plans {}", func(t *testing.T) {
		env := mustDecode(t, `{"plans":{}}`)
		assert.Empty(t, env.Plans)
	})
	t.Run("charge []", func(t *testing.T) {
		env := mustDecode(t, `{"charge":[]}`)
		require.NotNil(t, env.Charge)
		assert.Equal(t, Charge{}, *env.Charge)
	})
	t.Run("text [] is empty", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"description":[]}}`)
		assert.Equal(t, "", env.Charge.Description)
	})
	t.Run("metadata as a list keeps its entries", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"metadata":["a","b"]}}`)
		assert.Equal(t, map[string]string{"0": "a", "1": "b"}, env.Charge.Metadata)
	})
	t.Run("metadata values that are not text keep their JSON", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"metadata":{"n":12,"b":true,"z":null,"o":{"x":1}}}}`)
		assert.Equal(t, map[string]string{"n": "12", "b": "true", "z": "", "o": `{"x":1}`}, env.Charge.Metadata)
	})
}

// exampleKeys returns the keys of the named object in an example payload.
func exampleKeys(t *testing.T, action Action, object string) []string {
	t.Helper()
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(payloadFixture(t, action), &top))
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(top[object], &fields))
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	require.NotEmpty(t, keys)
	return keys
}

// nullObject returns a JSON object with every key set to null.
func nullObject(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = `"` + k + `":null`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestNullFields(t *testing.T) {
	t.Run("every top-level field", func(t *testing.T) {
		env := mustDecode(t, `{"refund_amount":null,"action_reason":null,"action":null,"refund":null,"plans":null,"charge":null,"subscription":null}`)
		assert.Equal(t, envelope{}, *env)
		c, s := requestFor(env, ActionCancel, Raw{}).objects()
		assert.Nil(t, c, "charge null is nil, for validation to refuse")
		assert.Nil(t, s)
	})
	t.Run("every charge field", func(t *testing.T) {
		env := mustDecode(t, `{"charge":`+nullObject(exampleKeys(t, ActionRefund, "charge"))+`}`)
		require.NotNil(t, env.Charge)
		assert.Equal(t, Charge{}, *env.Charge)
	})
	t.Run("every subscription field", func(t *testing.T) {
		env := mustDecode(t, `{"subscription":`+nullObject(exampleKeys(t, ActionCancel, "subscription"))+`}`)
		require.NotNil(t, env.Subscription)
		assert.Equal(t, Subscription{}, *env.Subscription)
	})
	t.Run("plan fields", func(t *testing.T) {
		env := mustDecode(t, `{"plans":[{"product_id":null,"quantity":null}]}`)
		assert.Equal(t, []Plan{{}}, []Plan(env.Plans))
	})
	t.Run("json.Unmarshal of null into values", func(t *testing.T) {
		c := Charge{ChargeID: "old"}
		require.NoError(t, json.Unmarshal([]byte("null"), &c))
		assert.Equal(t, Charge{}, c)
		var s Subscription
		require.NoError(t, json.Unmarshal([]byte("null"), &s))
		var p Plan
		require.NoError(t, json.Unmarshal([]byte("null"), &p))
		var list []Charge
		require.NoError(t, json.Unmarshal([]byte(`[null,{"charge_id":7}]`), &list))
		assert.Equal(t, []Charge{{}, {ChargeID: "7"}}, list)
	})
	t.Run("plans object with a null entry", func(t *testing.T) {
		env := mustDecode(t, `{"plans":{"0":null}}`)
		assert.Equal(t, []Plan{{}}, []Plan(env.Plans))
	})
	t.Run("list entries and plan entries", func(t *testing.T) {
		env := mustDecode(t, `{"plans":[null],"charge":{"methods_supported":[null,"email"]}}`)
		assert.Equal(t, []Plan{{}}, []Plan(env.Plans))
		assert.Equal(t, []string{"", "email"}, env.Charge.MethodsSupported)
	})
}

func TestUnknownFields(t *testing.T) {
	body := `{
		"new_top": {"deep": [1, {"x": null}]},
		"refund_amount": "1.00",
		"charge": {"charge_id": "ch_1", "new_charge_field": [1, 2], "metadata": {"k": "v"}, "future": {"a": {"b": "c"}}},
		"subscription": {"subscription_id": "sub_1", "new_sub_field": true},
		"plans": [{"product_id": "p", "quantity": 1, "price": "9.99"}]
	}`
	env := mustDecode(t, body)
	assert.Equal(t, "1.00", env.RefundAmount.String())
	assert.Equal(t, "ch_1", env.Charge.ChargeID)
	assert.Equal(t, map[string]string{"k": "v"}, env.Charge.Metadata)
	assert.Equal(t, "sub_1", env.Subscription.SubscriptionID)
	assert.Equal(t, []Plan{{ProductID: "p", Quantity: 1}}, []Plan(env.Plans))

	// The unknown fields survive in the raw body the gateway receives.
	raw := Raw{Body: []byte(body)}
	r, ok := requestFor(env, ActionRefund, raw).(*RefundRequest)
	require.True(t, ok)
	var kept map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Raw.Body, &kept))
	assert.Contains(t, kept, "new_top")
}

func TestListsAsObjects(t *testing.T) {
	t.Run("methods", func(t *testing.T) {
		env := mustDecode(t, `{"charge":{"methods_supported":{"0":"edit","1":"email"},"methods_active":{"0":"email"}}}`)
		assert.Equal(t, []string{"edit", "email"}, env.Charge.MethodsSupported)
		assert.Equal(t, []string{"email"}, env.Charge.MethodsActive)
	})
	t.Run("methods keep the order sent", func(t *testing.T) {
		env := mustDecode(t, `{"subscription":{"methods_supported":{"1":"email","0":"edit"}}}`)
		assert.Equal(t, []string{"email", "edit"}, env.Subscription.MethodsSupported)
	})
	t.Run("plans", func(t *testing.T) {
		env := mustDecode(t, `{"plans":{"0":{"product_id":"a","quantity":1},"1":{"product_id":"b","quantity":"3"}}}`)
		assert.Equal(t, []Plan{{ProductID: "a", Quantity: 1}, {ProductID: "b", Quantity: 3}}, []Plan(env.Plans))
	})
	t.Run("plans as object decode like plans as list", func(t *testing.T) {
		var asList, asObject EditPlansRequest
		require.NoError(t, json.Unmarshal([]byte(`{"plans":[{"product_id":"a","quantity":2}]}`), &asList))
		require.NoError(t, json.Unmarshal([]byte(`{"plans":{"0":{"product_id":"a","quantity":2}}}`), &asObject))
		assert.Equal(t, asList, asObject)
	})
}

func TestWhitespace(t *testing.T) {
	env := mustDecode(t, " \r\n\t{ \"refund_amount\" :\n\"12.34\" , \"charge\" : { \"charge_id\" : \"ch\" } }\n\n ")
	assert.Equal(t, "12.34", env.RefundAmount.String())
	assert.Equal(t, "ch", env.Charge.ChargeID)
}

func TestNestingLimit(t *testing.T) {
	nested := func(depth int) string {
		// The top-level object is level 1; the rest nest inside an unknown field.
		return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
	}
	mustDecode(t, nested(wire.MaxDepth))
	_, err := decodeEnvelope([]byte(nested(wire.MaxDepth + 1)))
	require.ErrorIs(t, err, errBadJSON)
	assert.Contains(t, err.Error(), "nests deeper than 32")

	arrays := `{"a":` + strings.Repeat("[", wire.MaxDepth) + strings.Repeat("]", wire.MaxDepth) + `}`
	_, err = decodeEnvelope([]byte(arrays))
	require.ErrorIs(t, err, errBadJSON, "arrays count towards the depth")
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		want    string // substring of the message; names the field when there is one
	}{
		{"malformed", `{"charge": {"amount": "34.00",}}`, errBadJSON, "unexpected"},
		{"truncated", `{"charge": {"amount": "34.00"`, errBadJSON, "ends in the middle"},
		{"empty", ``, errEmptyBody, "empty"},
		{"only spaces", `   `, errEmptyBody, "empty"},
		{"only newlines", "\n\r\n\t", errEmptyBody, "empty"},
		{"two objects", `{}{}`, errBadJSON, "after the JSON object"},
		{"trailing text", `{} x`, errBadJSON, "after the JSON object"},
		{"trailing comma", `{},`, errBadJSON, "after the JSON object"},
		{"top-level array", `[{"charge":{}}]`, errNotObject, "JSON object"},
		{"top-level string", `"refund"`, errNotObject, "JSON object"},
		{"top-level number", `12.34`, errNotObject, "JSON object"},
		{"top-level null", `null`, errNotObject, "JSON object"},
		{"charge as string", `{"charge":"ch_1"}`, errBadJSON, "charge"},
		{"subscription as number", `{"subscription":5}`, errBadJSON, "subscription"},
		{"amount as object", `{"charge":{"amount":{"value":1}}}`, errBadJSON, "charge.amount"},
		{"amount as boolean", `{"charge":{"amount_refunded":true}}`, errBadJSON, "charge.amount_refunded"},
		{"refund_amount as list", `{"refund_amount":[12]}`, errBadJSON, "refund_amount"},
		{"is_paid maybe", `{"charge":{"is_paid":"maybe"}}`, errBadJSON, "charge.is_paid"},
		{"is_paid 2", `{"charge":{"is_paid":2}}`, errBadJSON, "charge.is_paid"},
		{"occurred yesterday", `{"charge":{"occurred":"yesterday"}}`, errBadJSON, "charge.occurred"},
		{"occurred boolean", `{"charge":{"occurred":true}}`, errBadJSON, "charge.occurred"},
		{"occurred past year 9999", `{"charge":{"occurred":253402300800}}`, errBadJSON, "charge.occurred"},
		{"RFC 3339 time past year 9999 in UTC", `{"charge":{"occurred":"9999-12-31T23:59:59-23:59"}}`, errBadJSON, "charge.occurred"},
		{"RFC 3339 time without a zone", `{"charge":{"occurred":"2024-11-21T09:31:32"}}`, errBadJSON, "charge.occurred"},
		{"interval_count 1.5", `{"subscription":{"interval_count":1.5}}`, errBadJSON, "subscription.interval_count"},
		{"interval_count text", `{"subscription":{"interval_count":"one"}}`, errBadJSON, "subscription.interval_count"},
		{"quantity beyond int", `{"subscription":{"quantity":99999999999999999999}}`, errBadJSON, "subscription.quantity"},
		{"plan quantity text", `{"plans":[{"product_id":"p","quantity":"two"}]}`, errBadJSON, "quantity"},
		{"plans as string", `{"plans":"p"}`, errBadJSON, "plans"},
		{"metadata as string", `{"charge":{"metadata":"k=v"}}`, errBadJSON, "charge.metadata"},
		{"methods as string", `{"charge":{"methods_supported":"edit"}}`, errBadJSON, "charge.methods_supported"},
		{"methods entry an object", `{"charge":{"methods_supported":[{"a":1}]}}`, errBadJSON, "charge.methods_supported"},
		{"charge_id as object", `{"charge":{"charge_id":{"id":1}}}`, errBadJSON, "charge.charge_id"},
		{"action as object", `{"action":{"a":1}}`, errBadJSON, "action"},
		{"duplicate key top level", `{"refund_amount":"1.00","refund_amount":"30.00"}`, errBadJSON, `"refund_amount" appears twice`},
		{"duplicate key nested", `{"charge":{"amount":"1.00","amount":"34.00"}}`, errBadJSON, `"amount" appears twice`},
		{"duplicate key in a plan", `{"plans":[{"quantity":1,"quantity":2}]}`, errBadJSON, `"quantity" appears twice`},
		{"duplicate key case variant", `{"charge":{"charge_id":"a","CHARGE_ID":"b"}}`, errBadJSON, "appears twice"},
		{"duplicate key escaped variant", `{"charge":{"charge_id":"a","charge\u005fid":"b"}}`, errBadJSON, `"charge_id" appears twice`},
		{"invalid UTF-8", "{\"action_reason\":\"caf\xe9\"}", errBadJSON, "UTF-8"},
		{"invalid UTF-8 in a key", "{\"\xff\":1}", errBadJSON, "UTF-8"},
		{"control character in a string", "{\"action_reason\":\"a\nb\"}", errBadJSON, "in a string"},
		{"bad escape", `{"action_reason":"\q"}`, errBadJSON, "escape"},
		{"single quotes", `{'refund_amount': 1}`, errBadJSON, "unexpected"},
		{"NaN literal", `{"refund_amount":NaN}`, errBadJSON, "unexpected"},
		{"NaN as string", `{"refund_amount":"NaN"}`, errBadJSON, "refund_amount"},
		{"Infinity as string", `{"refund_amount":"Infinity"}`, errBadJSON, "refund_amount"},
		{"-Infinity as string", `{"charge":{"amount":"-Infinity"}}`, errBadJSON, "charge.amount"},
		{"hex amount", `{"refund_amount":"0x10"}`, errBadJSON, "refund_amount"},
		{"amount with thousands separator", `{"charge":{"amount":"1,000.00"}}`, errBadJSON, "charge.amount"},
		{"1e400", `{"refund_amount":1e400}`, errBadJSON, "refund_amount"},
		{"amount too precise to hold", `{"refund_amount":"1.0000000000000000000001"}`, errBadJSON, "refund_amount"},
		{"65-digit number", `{"refund_amount":` + strings.Repeat("9", 65) + `}`, errBadJSON, "65 characters"},
		{"leading zero", `{"refund_amount":012}`, errBadJSON, "unexpected"},
		{"plus sign", `{"refund_amount":+1}`, errBadJSON, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := decodeEnvelope([]byte(tt.body))
			require.Error(t, err)
			assert.Nil(t, env)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestBadFixtures decodes every file in testdata/bad; each is named for what
// is wrong with it and must be refused with 400 and the message below.
func TestBadFixtures(t *testing.T) {
	want := map[string]string{
		"malformed.json":                     "unexpected",
		"truncated.json":                     "ends in the middle",
		"empty.json":                         "empty",
		"whitespace-only.json":               "empty",
		"two-objects.json":                   "after the JSON object",
		"trailing-text.json":                 "after the JSON object",
		"top-level-array.json":               "must be a JSON object",
		"top-level-string.json":              "must be a JSON object",
		"charge-as-string.json":              "charge",
		"amount-as-object.json":              "charge.amount",
		"is-paid-maybe.json":                 "charge.is_paid",
		"occurred-yesterday.json":            "charge.occurred",
		"interval-count-fraction.json":       "subscription.interval_count",
		"duplicate-key-top-level.json":       `"refund_amount" appears twice`,
		"duplicate-key-nested.json":          `"amount" appears twice`,
		"duplicate-key-case-variant.json":    "appears twice",
		"duplicate-key-escaped-variant.json": `"charge_id" appears twice`,
		"invalid-utf8.json":                  "UTF-8",
		"depth-33.json":                      "nests deeper than 32",
		"amount-nan-string.json":             "refund_amount",
		"amount-infinity-string.json":        "refund_amount",
		"amount-1e400.json":                  "refund_amount",
		"number-65-digits.json":              "65 characters",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 12)
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			substr, ok := want[name]
			require.True(t, ok, "testdata/bad/%s has no expectation in this test", name)
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = decodeEnvelope(body)
			require.Error(t, err)
			assert.True(t, errors.Is(err, errBadJSON) || errors.Is(err, errEmptyBody) || errors.Is(err, errNotObject),
				"a 400 error, got %v", err)
			assert.Contains(t, err.Error(), substr)
		})
	}
	for name := range want {
		assert.True(t, seen[name], "testdata/bad/%s is missing", name)
	}
}

// TestDecodeErrorsNeverEchoLongInput checks that a refused value is quoted
// only in part, so a huge body cannot make a huge message.
func TestDecodeErrorsNeverEchoLongInput(t *testing.T) {
	long := strings.Repeat("x", 10000)
	_, err := decodeEnvelope([]byte(`{"charge":{"amount":"` + long + `"}}`))
	require.ErrorIs(t, err, errBadJSON)
	assert.Less(t, len(err.Error()), 300)

	_, err = decodeEnvelope([]byte(`{"charge":{"is_paid":"` + long + `"}}`))
	require.ErrorIs(t, err, errBadJSON)
	assert.Less(t, len(err.Error()), 300)
}

// TestPlanErrorsNameTheEntry checks that a bad plan is named by its index,
// so the agent can tell which of several plans is wrong.
func TestPlanErrorsNameTheEntry(t *testing.T) {
	for name, body := range map[string]string{
		"list":   `{"plans":[{"product_id":"a","quantity":1},{"product_id":"b","quantity":"x"}]}`,
		"object": `{"plans":{"0":{"product_id":"a","quantity":1},"1":{"product_id":"b","quantity":"x"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeEnvelope([]byte(body))
			require.ErrorIs(t, err, errBadJSON)
			assert.Contains(t, err.Error(), `plans[1].quantity is not a whole number`)
		})
	}
}
