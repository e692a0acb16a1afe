package phpquery

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chargedesk/chargedesk-go/internal/wire"
)

// DecodeForm turns a PHP-style form into the JSON object PHP would build
// from it: a[b]=1 sets key b of object a, a[0][b]=1 builds a list, and a[]=1
// appends to a list of values. A key given twice, or given both as a value
// and as an object, is refused rather than resolved as PHP would (last one
// wins), since which was meant cannot be known. Keys nest at most maxDepth
// levels. Error messages quote at most 60 bytes of a key, never a value.
func DecodeForm(body []byte, maxDepth int) ([]byte, error) {
	root := map[string]any{}
	for pair := range strings.SplitSeq(string(body), "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("the form field %s is not properly URL-encoded", wire.KeyName(rawKey))
		}
		// json.Marshal would silently turn invalid UTF-8 into U+FFFD; a JSON
		// body with it is refused, so a form body is too.
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return nil, fmt.Errorf("the form field %s is not valid UTF-8", wire.KeyName(rawKey))
		}
		path, err := bracketPath(key, maxDepth)
		if err != nil {
			return nil, err
		}
		if err := setPath(root, path, key, value); err != nil {
			return nil, err
		}
	}
	return json.Marshal(listify(root))
}

// bracketPath splits "plans[0][product_id]" into [plans 0 product_id]; an
// empty last segment ("methods[]") is kept as "" and means append.
func bracketPath(key string, maxDepth int) ([]string, error) {
	bad := func() error {
		return fmt.Errorf("the form field %s has malformed brackets", wire.KeyName(key))
	}
	name, rest, hasBracket := strings.Cut(key, "[")
	if name == "" {
		return nil, bad()
	}
	path := []string{name}
	if !hasBracket {
		return path, nil
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, bad()
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, bad()
		}
		path = append(path, rest[1:end])
		rest = rest[end+1:]
	}
	if len(path) > maxDepth {
		return nil, fmt.Errorf("the form field %s nests deeper than %d levels", wire.KeyName(key), maxDepth)
	}
	for _, seg := range path[1 : len(path)-1] {
		if seg == "" {
			return nil, fmt.Errorf("the form field %s uses [] before its last bracket, which is ambiguous; use indexes such as [0]", wire.KeyName(key))
		}
	}
	return path, nil
}

func setPath(node map[string]any, path []string, key, value string) error {
	conflict := func() error {
		return fmt.Errorf("the form field %s is given twice or conflicts with another field", wire.KeyName(key))
	}
	for i, seg := range path {
		last := i == len(path)-1
		if last && seg == "" {
			return conflict() // handled by the caller's parent below
		}
		if i+1 == len(path)-1 && path[i+1] == "" { // seg[] = value: append
			list, ok := node[seg].([]any)
			if _, exists := node[seg]; exists && !ok {
				return conflict()
			}
			node[seg] = append(list, value)
			return nil
		}
		if last {
			if _, exists := node[seg]; exists {
				return conflict()
			}
			node[seg] = value
			return nil
		}
		child, exists := node[seg]
		if !exists {
			m := map[string]any{}
			node[seg] = m
			node = m
			continue
		}
		m, ok := child.(map[string]any)
		if !ok {
			return conflict()
		}
		node = m
	}
	return nil
}

// listify turns every object whose keys are exactly 0..n-1 into a list, as
// PHP encodes such an array.
func listify(v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]int, 0, len(t))
		for k, child := range t {
			t[k] = listify(child)
			if n, err := strconv.Atoi(k); err == nil && n >= 0 && strconv.Itoa(n) == k {
				keys = append(keys, n)
			}
		}
		if len(keys) == 0 || len(keys) != len(t) {
			return t
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i != k {
				return t
			}
		}
		list := make([]any, len(keys))
		for i := range keys {
			list[i] = t[strconv.Itoa(i)]
		}
		return list
	case []any:
		for i := range t {
			t[i] = listify(t[i])
		}
	}
	return v
}
