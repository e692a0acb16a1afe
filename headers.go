package chargedesk

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Header is one header of ChargeDesk's configure page, as the receiver
// expects it on every webhook.
//
// Values lists the accepted values; a request passes when its header equals
// any one of them, so a secret can be rotated by accepting the old and new
// value for a while. A value may hold {field} placeholders, which ChargeDesk
// fills from the webhook's payload ("Bearer {charge_id}"); the receiver
// fills them from the payload it received and compares. See the package doc
// for how a field is looked up.
type Header struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// MinSecretLength is the fewest fixed characters (outside placeholders) a
// header value needs to count as authenticating the webhook.
const MinSecretLength = 16

// headerRule is a configured header, parsed.
type headerRule struct {
	name   string
	values []template
	static bool // no value has a placeholder: checked before the body is read
}

// parseHeaders validates the configured headers.
func parseHeaders(headers []Header, known map[string]bool) (rules []headerRule, authenticating bool, err error) {
	seen := map[string]bool{}
	for i, h := range headers {
		setting := fmt.Sprintf("Headers[%d]", i)
		name := http.CanonicalHeaderKey(strings.TrimSpace(h.Name))
		if !isToken(name) {
			return nil, false, configErrorf(setting+".Name", "%q is not a valid header name", h.Name)
		}
		if seen[name] {
			return nil, false, configErrorf(setting+".Name", "header %s is configured twice; list its accepted values in one entry", name)
		}
		seen[name] = true
		if len(h.Values) == 0 {
			return nil, false, configErrorf(setting+".Values", "header %s has no accepted value", name)
		}
		rule := headerRule{name: name, static: true}
		secret := true
		for j, v := range h.Values {
			vs := fmt.Sprintf("%s.Values[%d]", setting, j)
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, false, configErrorf(vs, "contains a line break or NUL")
			}
			if strings.TrimSpace(v) != v || v == "" {
				return nil, false, configErrorf(vs, "is empty or starts or ends with spaces, which HTTP drops")
			}
			t, err := parseTemplate(v, known)
			if err != nil {
				return nil, false, configErrorf(vs, "%v", err)
			}
			rule.static = rule.static && t.static()
			secret = secret && t.fixedLen() >= MinSecretLength
			rule.values = append(rule.values, t)
		}
		authenticating = authenticating || secret
		rules = append(rules, rule)
	}
	return rules, authenticating, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// equalSecret compares in constant time, without leaking either length: it
// compares digests.
func equalSecret(got, want string) bool {
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// matchHeader reports whether the request's header matches any accepted
// value. Every value is compared, so timing does not tell which matched.
func (r headerRule) match(h http.Header, fields payloadFields) bool {
	got, present := h[r.name]
	if !present {
		return r.matchAbsent(fields)
	}
	if len(got) != 1 {
		return false
	}
	// HTTP drops the spaces and tabs around a field's value (RFC 9110,
	// section 5.5), so a template that renders with some, such as
	// "Charge {transaction_id}" for a payload without a transaction id, is
	// compared without them.
	sent := trimOWS(got[0])
	ok := false
	for _, t := range r.values {
		if t.static() {
			ok = equalSecret(sent, t.parts[0].literal) || ok
			continue
		}
		// A field the payload lacks renders empty; its placeholder spelled
		// out ("{charge_id}") never matches.
		ok = equalSecret(sent, trimOWS(t.render(fields))) || ok
	}
	return ok
}

// matchAbsent reports whether a missing header is what the payload makes
// of it: a header made only of placeholders whose fields are empty renders
// as "", and an HTTP client may drop an empty header rather than send it.
// Such a header holds no secret, so accepting its absence gives nothing
// away; a header with fixed text must always be present.
func (r headerRule) matchAbsent(fields payloadFields) bool {
	for _, t := range r.values {
		if t.fixedLen() == 0 && trimOWS(t.render(fields)) == "" {
			return true
		}
	}
	return false
}

// trimOWS drops the optional whitespace HTTP allows around a field value.
func trimOWS(s string) string { return strings.Trim(s, " \t") }

func unauthorized(detail string) error {
	return &requestError{kind: refusedAuth, message: msgUnauthorized, err: errors.New(detail)}
}

// staticHeadersMatch checks, before the body is read, so that an
// unauthenticated request costs nothing: the headers that hold no
// placeholder in full, and the fixed text that starts and ends each
// templated one (its secret, as often as not).
func (h *Handler) staticHeadersMatch(hdr http.Header) bool {
	ok := true
	for _, rule := range h.headers {
		if rule.static {
			ok = rule.match(hdr, payloadFields{}) && ok
		} else {
			ok = rule.fixedTextMatches(hdr) && ok
		}
	}
	return ok
}

// fixedTextMatches reports whether the header could match one of the
// rule's templates once its placeholders are filled: it starts with the
// template's leading fixed text and ends with its trailing fixed text
// (each compared by digest). An absent header can only be a template made
// of placeholders alone.
func (r headerRule) fixedTextMatches(h http.Header) bool {
	got, present := h[r.name]
	if present && len(got) != 1 {
		return false
	}
	ok := false
	for _, t := range r.values {
		if !present {
			ok = ok || t.fixedLen() == 0
			continue
		}
		ok = t.fixedEndsMatch(trimOWS(got[0])) || ok
	}
	return ok
}

// fixedEndsMatch reports whether sent starts and ends as t's fixed text
// does. Spaces at the inner edge of that text are not required: HTTP drops
// them when the placeholders beside them render empty.
func (t template) fixedEndsMatch(sent string) bool {
	ok := true
	if first := t.parts[0]; first.field == "" {
		ok = hasPrefixSecret(sent, strings.TrimRight(first.literal, " \t")) && ok
	}
	if last := t.parts[len(t.parts)-1]; last.field == "" && len(t.parts) > 1 {
		ok = hasSuffixSecret(sent, strings.TrimLeft(last.literal, " \t")) && ok
	}
	return ok
}

func hasPrefixSecret(s, prefix string) bool {
	if len(s) < len(prefix) {
		return equalSecret(s, prefix) && false
	}
	return equalSecret(s[:len(prefix)], prefix)
}

func hasSuffixSecret(s, suffix string) bool {
	if len(s) < len(suffix) {
		return equalSecret(s, suffix) && false
	}
	return equalSecret(s[len(s)-len(suffix):], suffix)
}

// templatesMatch checks the templated headers and the Base Path's
// placeholders against the payload.
func (h *Handler) templatesMatch(def *actionDef, r *http.Request, fields payloadFields) bool {
	fields.main = def.subject
	ok := true
	for _, rule := range h.headers {
		if !rule.static {
			ok = rule.match(r.Header, fields) && ok
		}
	}
	rctx := chi.RouteContext(r.Context())
	for _, p := range h.routes[def.action].params {
		got := ""
		if rctx != nil {
			got = rctx.URLParam(p.name)
		}
		// An unfilled placeholder never matches, whatever the path says.
		want, present := fields.lookup(p.field)
		ok = equalSecret(unescapePath(got), want) && present && ok
	}
	return ok
}

// unescapePath decodes a path segment, or returns it as sent when it is
// not well-formed.
func unescapePath(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
