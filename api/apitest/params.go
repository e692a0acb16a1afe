package apitest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/chargedesk/chargedesk-go/internal/phpquery"
)

// checkParams refuses, with a 400 naming it, the first parameter of in
// (in sorted order) that accepted does not allow. accepted holds
// parameter names as the spec writes them: "amount", "customer[id]",
// "lines[]" (a list), "plans[][id]" (a list of objects), "metadata[*]"
// (any key). A name also allows itself with no value below it
// (metadata=[] or lines="" to clear).
func checkParams(in map[string]any, accepted []string) error {
	var paths [][2]string // concrete, pattern
	flatten("", "", in, &paths)
	slices.SortFunc(paths, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, p := range paths {
		if !allowed(p[1], accepted) {
			return badParam(p[0], "parameter_unknown", "Unknown parameter %s", p[0])
		}
	}
	return nil
}

// flatten lists the leaves of an input value as bracket paths: the
// concrete one (lines[0]) and its pattern (lines[]).
func flatten(concrete, pattern string, v any, out *[][2]string) {
	join := func(prefix, key string) string {
		if prefix == "" {
			return key
		}
		return prefix + "[" + key + "]"
	}
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 && concrete != "" {
			*out = append(*out, [2]string{concrete, pattern})
		}
		for k, item := range v {
			flatten(join(concrete, k), join(pattern, k), item, out)
		}
	case []any:
		if len(v) == 0 {
			*out = append(*out, [2]string{concrete, pattern})
		}
		for i, item := range v {
			flatten(concrete+"["+strconv.Itoa(i)+"]", pattern+"[]", item, out)
		}
	default:
		*out = append(*out, [2]string{concrete, pattern})
	}
}

func allowed(pattern string, accepted []string) bool {
	for _, a := range accepted {
		if a == pattern || matches(pattern, a) || strings.HasPrefix(a, pattern+"[") {
			return true
		}
	}
	return false
}

// matches reports whether the path matches a with its [*] standing for
// any one key.
func matches(path, a string) bool {
	for {
		i := strings.Index(a, "[*]")
		if i < 0 {
			return path == a
		}
		if !strings.HasPrefix(path, a[:i+1]) {
			return false
		}
		path = path[i+1:]
		end := strings.IndexByte(path, ']')
		if end < 0 || path[:end] == "" {
			return false
		}
		path, a = path[end:], a[i+2:]
	}
}

// decodeInput reads a request's parameters: a JSON object, or a form in
// PHP's bracket notation, merged over the URL's query. Like ChargeDesk, it
// goes by the body, not by its Content-Type.
func decodeInput(body []byte, query string) (map[string]any, error) {
	out := map[string]any{}
	if query != "" {
		if err := mergeForm(out, []byte(query)); err != nil {
			return nil, err
		}
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return out, nil
	}
	if strings.HasPrefix(trimmed, "{") {
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, badParam("", "invalid_json", "the body is not a valid JSON object")
		}
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	}
	return out, mergeForm(out, body) // not a JSON object: a form, whatever its Content-Type says
}

func mergeForm(out map[string]any, form []byte) error {
	js, err := phpquery.DecodeForm(form, 8)
	if err != nil {
		return badParam("", "invalid_form", "%v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return badParam("", "invalid_form", "the form does not decode")
	}
	for k, v := range m {
		out[k] = v
	}
	return nil
}
