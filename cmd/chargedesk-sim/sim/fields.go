package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// setPath returns the field path a --set override writes.
func setPath(o chargedesktest.Override) (string, bool) {
	text := o.String()
	if strings.HasPrefix(text, "-") {
		return "", false
	}
	path, _, _ := strings.Cut(text, "=")
	return path, true
}

// pathExists reports whether body has a field at path (charge.amount,
// plans.0.quantity).
func pathExists(body []byte, path string) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return true // not ours to judge: Apply reports it
	}
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return false
			}
			v = node[i]
		default:
			return false
		}
	}
	return true
}

// warnNewField warns that --set adds a field the payload lacks, which is
// most often a typo, and names the closest field that exists.
func warnNewField(w io.Writer, body []byte, path string) {
	msg := fmt.Sprintf("chargedesk-sim: warning: --set %s adds a field the payload does not have", path)
	if near := nearestField(body, path); near != "" {
		msg += "; did you mean " + near + "?"
	}
	fmt.Fprintln(w, msg)
}

// nearestField is the existing field beside path whose name is within two
// edits of path's last part.
func nearestField(body []byte, path string) string {
	parent, name := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if parent != "" {
		for _, part := range strings.Split(parent, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[part]
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	best, bestDist := "", 3
	for k := range m {
		if d := editDistance(k, name); d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	if parent != "" {
		return parent + "." + best
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
