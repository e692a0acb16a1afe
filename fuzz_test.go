package chargedesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chargedesk/chargedesk-go/internal/wire"
	"github.com/go-chi/chi/v5"
	"github.com/govalues/decimal"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets below run their seeds as ordinary tests with `go test`;
// `go test -run=^$ -fuzz=FuzzDecode -fuzztime=60s .` fuzzes one of them (Go
// fuzzes one target per package per run). Inputs that failed are kept under
// testdata/fuzz/<target>/ and run as regression tests from then on.

// fuzzFileSeeds returns the example requests and, when present, the files of
// testdata/bad: the bodies ChargeDesk really sends and known bad ones.
func fuzzFileSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for _, pattern := range []string{"chargedesktest/payloads/*.json", "testdata/bad/*"} {
		paths, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, p := range paths {
			if st, err := os.Stat(p); err != nil || st.IsDir() {
				continue
			}
			b, err := os.ReadFile(p)
			require.NoError(f, err)
			seeds = append(seeds, b)
		}
	}
	require.NotEmpty(f, seeds, "no seed under chargedesktest/payloads")
	return seeds
}

// fuzzJSONSeeds are hand-picked bodies at the edges of the decoder.
var fuzzJSONSeeds = []string{
	`{}`, `[]`, `null`, `"x"`, `{"a":1}{}`, ` {"refund_amount": 1 } `,
	`{"refund_amount":"12.34","charge":{"charge_id":"ch_1","currency":"USD","amount":"34.00"}}`,
	`{"refund_amount":"NaN","charge":{"amount":"Infinity","currency":"usd"}}`,
	`{"refund_amount":-0.0e-0,"charge":[]}`,
	`{"refund_amount":1e400}`, `{"refund_amount":12345678901234567890.5}`,
	`{"refund_amount":1,"REFUND_AMOUNT":2}`, `{"refund\u005famount":1,"refund_amount":2}`,
	`{"charge":{"metadata":[1,{"a":[]},null,true],"methods_supported":{"1":"a","0":"b"}}}`,
	`{"plans":{"1":{"product_id":7,"quantity":"2.0"},"0":{"product_id":"p","quantity":true}}}`,
	`{"subscription":{"interval_count":"2e0","has_items":"TRUE","trial_end":"2024-01-02T03:04:05Z"}}`,
	`{"subscription":{"current_period_end":"0001-01-01T00:00:00Z","ended_at":253402300800}}`,
	`{"charge":{"occurred":"9999-12-31T23:59:59-23:59","logs":[[[[]]]]}}`,
	`{"a":"\ud800\udc00\u0000","b":"` + "\xff" + `"}`,
	`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
	`{"n":` + strings.Repeat("9", 70) + `}`,
}

// fuzzFormSeeds are form-encoded bodies in PHP's bracket notation.
var fuzzFormSeeds = []string{
	"refund_amount=12.34&action_reason=x&charge[charge_id]=ch_1&charge[currency]=USD&charge[amount]=34.00",
	"plans[0][product_id]=p1&plans[0][quantity]=2&plans[1][product_id]=p2&plans[1][quantity]=1&subscription[subscription_id]=s",
	"charge[methods_supported][]=edit&charge[methods_supported][]=email&charge[metadata][k]=v",
	"a[]=1&a[]=2&a[x]=3", "a=1&a=2", "a[b]=1&a=2", "[x]=1", "a[b=1", "a[][b]=1", "a=%zz", "=&&=",
	"charge[" + strings.Repeat("[a]", 40) + "]=1",
}

// FuzzDecode decodes arbitrary bytes as a JSON or form-encoded webhook and,
// when they decode, builds and validates every action's request from them
// and encodes it again. Nothing may panic, a decoded charge or subscription
// must encode to JSON that decodes again, and decoding may not allocate
// more than a bounded multiple of the input.
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzFileSeeds(f) {
		f.Add(false, b)
	}
	for _, s := range fuzzJSONSeeds {
		f.Add(false, []byte(s))
	}
	for _, s := range fuzzFormSeeds {
		f.Add(true, []byte(s))
	}
	f.Fuzz(func(t *testing.T, form bool, body []byte) {
		contentType := "application/json"
		if form {
			contentType = "application/x-www-form-urlencoded; charset=UTF-8"
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		env, _, err := decodeEnv(contentType, body, false)
		runtime.ReadMemStats(&ms)
		// Linear in the input with a generous factor: a quadratic or
		// exponential blow-up on a few kilobytes goes far past it.
		limit := uint64(1<<20 + 256*len(body))
		assert.LessOrEqual(t, ms.TotalAlloc-before, limit, "decoding %d bytes allocated too much", len(body))
		if err != nil {
			assert.Nil(t, env)
			assert.True(t, errors.Is(err, errBadJSON) || errors.Is(err, errEmptyBody) || errors.Is(err, errNotObject),
				"decode error %v is not one of the body errors", err)
			return
		}
		require.NotNil(t, env)
		for _, action := range Actions() {
			req := requestFor(env, action, Raw{Body: body, Header: http.Header{}})
			require.NotNil(t, req, action)
			// In the handler's order: the log line is annotated before the
			// request is validated; the locks and the duplicate guard see only
			// a valid request.
			annotate(fuzzLogger(), req)
			if validateRequest(req) == nil {
				assert.NotEmpty(t, lockKeys(req))
				assert.NotEmpty(t, duplicateKey(action, req))
			}
			_, err := json.Marshal(req)
			assert.NoError(t, err, "encoding the %s request", action)
		}
		if env.Charge != nil {
			out, err := json.Marshal(env.Charge)
			require.NoError(t, err)
			require.True(t, json.Valid(out), "charge encoded as invalid JSON: %s", out)
			var again Charge
			assert.NoError(t, json.Unmarshal(out, &again), "a decoded charge does not decode again after encoding: %s", out)
		}
		if env.Subscription != nil {
			out, err := json.Marshal(env.Subscription)
			require.NoError(t, err)
			var again Subscription
			assert.NoError(t, json.Unmarshal(out, &again), "a decoded subscription does not decode again after encoding: %s", out)
		}
	})
}

func fuzzLogger() *zerolog.Logger {
	l := zerolog.New(io.Discard)
	return &l
}

// FuzzTemplate parses arbitrary header and path templates, renders them
// from arbitrary payloads, and builds a Handler whose Base Path, action path
// and header value are the arbitrary text. Nothing may panic: a bad setting
// is a *ConfigError from NewHandler.
func FuzzTemplate(f *testing.F) {
	payloads := fuzzFileSeeds(f)
	templates := []string{
		"", "/", "/chargedesk", "https://pay.example.com/chargedesk/", "http://h", "ftp://x/y",
		"Bearer {charge_id}", "{customer_id}-{refund_amount}-0123456789abcdef", "{nope}", "{", "}", "{}",
		"{{charge_id}}", "/a/{subscription_id}/b", "/a/*", "/a?b", "/x#y", "/{charge_id:[0-9]+}",
		"/a/{charge_id}{customer_id}", "https://{charge_id}.example.com/", "/%7Bcharge_id%7D", " /x ",
		"/\x00", "Bearer 0123456789abcdef\r\nX: y",
	}
	for i, tpl := range templates {
		f.Add(tpl, payloads[i%len(payloads)], uint8(i))
	}
	known := knownFields()
	gw := UnimplementedGateway{}
	nop := zerolog.Nop()
	f.Fuzz(func(t *testing.T, tpl string, payload []byte, actionIndex uint8) {
		action := Actions()[int(actionIndex)%len(Actions())]
		if tp, err := parseTemplate(tpl, known); err == nil {
			fields := newPayloadFields(definition(action).subject, payload)
			rendered := tp.render(fields)
			assert.LessOrEqual(t, tp.fixedLen(), len(tpl))
			if tp.static() {
				assert.Equal(t, tpl, rendered, "a template without placeholders renders as itself")
			}
			assert.Len(t, tp.render(payloadFields{}), tp.fixedLen(), "with every field absent, a template renders as its fixed text")
		}

		if base, err := basePath(tpl); err == nil {
			assert.False(t, strings.HasSuffix(base, "/"), "base path %q ends with /", base)
			assert.True(t, base == "" || strings.HasPrefix(base, "/"), "base path %q does not start with /", base)
			if rt, err := buildRoute(base, action.DefaultPath(), known, "Paths"); err == nil {
				chi.NewRouter().Post(rt.pattern, func(http.ResponseWriter, *http.Request) {})
			}
		}
		if rt, err := buildRoute("/chargedesk", tpl, known, "Paths"); err == nil {
			chi.NewRouter().Post(rt.pattern, func(http.ResponseWriter, *http.Request) {})
		}

		secret := Header{Name: "Authorization", Values: []string{"Bearer 0123456789abcdef"}}
		for _, cfg := range []Config{
			{BasePath: tpl, Headers: []Header{secret}},
			{Paths: map[Action]string{action: tpl}, Headers: []Header{secret}},
			{Headers: []Header{{Name: "X-Fuzz", Values: []string{tpl}}}, AllowUnauthenticated: true},
			{Headers: []Header{{Name: tpl, Values: []string{"0123456789abcdef"}}}},
		} {
			cfg.Logger = &nop
			h, err := NewHandler(gw, cfg)
			if err != nil {
				var ce *ConfigError
				assert.ErrorAs(t, err, &ce)
				assert.Nil(t, h)
			}
		}
	})
}

// FuzzParseAmount parses arbitrary text as an amount. Nothing may panic; an
// accepted amount's String and JSON parse back to an equal amount, and its
// minor units, when it has them, are exactly the amount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "+0", "12.34", "34.00", "-5", "1.5e2", "1E-2", "0.0000000000000000001",
		"9999999999999999999", "99999999999999999999", "12345678901234567890.5", "9223372036854775807",
		"-9223372036854775808", "922337203685477.5807", "1e19", "1e-19", "1e-20", "0e-30", "1e400",
		"NaN", "Infinity", "-Infinity", "inf", "0x10", "1_000", " 1", "1 ", "", ".", "-.5", "5.", "1e",
		"1e+", "١٢", strings.Repeat("1", 65), "0." + strings.Repeat("0", 60) + "1",
		"1e99999999999999999999", "0e-99999999999999999999",
	} {
		f.Add(s)
	}
	currencies := []string{"USD", "JPY", "KWD", "CLF", "usd", "XXX", "", "US"}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		var fromJSON Amount
		_ = fromJSON.UnmarshalJSON([]byte(s))
		_ = fromJSON.UnmarshalJSON([]byte(`"` + s + `"`))
		if err != nil {
			assert.True(t, a.IsZero(), "a refused amount is zero")
			return
		}
		again, err := ParseAmount(a.String())
		require.NoError(t, err, "String() of %q is %q, which does not parse", s, a.String())
		assert.Zero(t, a.Cmp(again), "%q parsed to %s, which parses to %s", s, a, again)

		out, err := a.MarshalJSON()
		require.NoError(t, err)
		var decoded Amount
		require.NoError(t, json.Unmarshal(out, &decoded), "%s", out)
		assert.Zero(t, a.Cmp(decoded), "%q encodes as %s, which decodes to %s", s, out, decoded)

		for _, cur := range currencies {
			units, err := a.MinorUnits(cur)
			if err != nil {
				continue
			}
			scale, ok := currencyScale(cur)
			require.True(t, ok, "MinorUnits accepted currency %q", cur)
			d, err := decimal.New(units, int(scale))
			require.NoError(t, err)
			assert.Zero(t, a.Decimal().Cmp(d), "%s %s is %d minor units, which is %s", a, cur, units, d)
		}
	})
}

// FuzzCheckJSON compares checkJSON with encoding/json. Whatever checkJSON
// accepts, json.Valid accepts and has none of the features checkJSON
// documents that it refuses; whatever json.Valid accepts without those
// features, checkJSON accepts.
func FuzzCheckJSON(f *testing.F) {
	for _, b := range fuzzFileSeeds(f) {
		f.Add(b)
	}
	for _, s := range fuzzJSONSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		"", " ", "{", "}", `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":[1,]}`, `{"a":01}`, `{"a":-}`,
		`{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		"{\"a\":\"\t\"}", `{"a":"b"} x`, "\ufeff{}", `{"a":{"b":1,"B":2}}`, `{"é":1,"É":2}`,
		`{"k":1,"` + "\u212a" + `":2}`, `{"s":1,"` + "\u017f" + `":2}`,
		// More than 16 keys: the checker's set switches from a scan to a map.
		`{"a0":0,"a1":0,"a2":0,"a3":0,"a4":0,"a5":0,"a6":0,"a7":0,"a8":0,"a9":0,"b0":0,"b1":0,"b2":0,"b3":0,"b4":0,"b5":0,"b6":0,"s":1,"` + "\u017f" + `":2}`,
		`{"a":` + strings.Repeat(`{"a":`, 31) + `1` + strings.Repeat(`}`, 32),
		`{"a":` + strings.Repeat(`{"a":`, 32) + `1` + strings.Repeat(`}`, 33),
		`{"n":` + strings.Repeat("1", 64) + `}`, `{"n":-` + strings.Repeat("1", 64) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkJSON(body)
		valid := json.Valid(body)
		refusal := fuzzJSONRefusal(body)
		if err == nil {
			assert.True(t, valid, "checkJSON accepted what encoding/json calls invalid: %q", body)
			assert.Empty(t, refusal, "checkJSON accepted a body that must be refused: %q", body)
			return
		}
		if valid && refusal == "" {
			t.Errorf("checkJSON refused a valid body (%v): %q", err, body)
		}
	})
}

// fuzzJSONRefusal returns why checkJSON must refuse a body that
// encoding/json calls valid, or "" when it must not: not valid UTF-8, not
// an object, a key repeated in one object as encoding/json matches keys
// (case folded), a key of the body's, the charge's, the subscription's or a
// plan's fields spelled in another case or folding there, nesting deeper than wire.MaxDepth, a number longer than
// wire.MaxNumberLen. It is written independently of checkJSON, on json.Decoder.
func fuzzJSONRefusal(body []byte) string {
	if !utf8.Valid(body) {
		return "invalid UTF-8"
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "not an object"
	}
	type frame struct {
		object  bool
		wantKey bool
		keys    []string
		lastKey string
		scope   string // "top", "record", "plans", "plan" or ""
	}
	// The keys of each struct: where a key of its is spelled in another
	// case, the body is refused.
	keysOf := func(v any) []string {
		var keys []string
		tt := reflect.TypeOf(v)
		for i := range tt.NumField() {
			if name, _, _ := strings.Cut(tt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
		return keys
	}
	knownIn := map[string][]string{"top": keysOf(envelope{}), "charge": keysOf(Charge{}),
		"subscription": keysOf(Subscription{}), "plan": keysOf(Plan{})}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			return "syntax" // json.Valid has refused it too
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			key := tok.(string)
			for _, k := range top.keys {
				if strings.EqualFold(k, key) { // how encoding/json matches a key to a field
					return "repeated key"
				}
			}
			if known, checked := knownIn[top.scope]; checked {
				for _, k := range known {
					if k != key && strings.EqualFold(k, key) && !slices.Contains(known, key) {
						return "a known key in another case"
					}
				}
			}
			top.keys = append(top.keys, key)
			top.lastKey = key
			top.wantKey = false
			continue
		}
		if top != nil && top.object {
			top.wantKey = true
		}
		switch t := tok.(type) {
		case json.Delim:
			scope := ""
			switch {
			case top == nil:
				scope = "top"
			case top.scope == "top" && top.object && (top.lastKey == "charge" || top.lastKey == "subscription"):
				scope = top.lastKey
			case top.scope == "top" && top.object && top.lastKey == "plans":
				scope = "plans"
			case top.scope == "plans":
				scope = "plan"
			}
			if t != '{' && scope != "plans" {
				scope = ""
			}
			stack = append(stack, &frame{object: t == '{', wantKey: t == '{', scope: scope})
			if len(stack) > wire.MaxDepth {
				return "too deep"
			}
		case json.Number:
			if len(t) > wire.MaxNumberLen {
				return "long number"
			}
		}
	}
}
