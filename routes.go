package chargedesk

import (
	"fmt"
	"strings"
)

// route is an action's path, with the fields its placeholders name.
type route struct {
	pattern string
	params  []pathParam
}

type pathParam struct {
	name  string // chi's name for it
	field string
}

// basePath returns the path part of a Base Path, without a trailing slash.
func basePath(raw string) (string, error) {
	p := strings.TrimSpace(raw)
	if i := strings.Index(p, "://"); i >= 0 {
		scheme := strings.ToLower(p[:i])
		if scheme != "http" && scheme != "https" {
			return "", configErrorf("BasePath", "must be a path or an http(s) URL")
		}
		rest := p[i+3:]
		slash := strings.IndexByte(rest, '/')
		host := rest
		p = "/"
		if slash >= 0 {
			host, p = rest[:slash], rest[slash:]
		}
		if host == "" || strings.ContainsAny(host, "{}") {
			return "", configErrorf("BasePath", "needs a host without placeholders; placeholders may appear in its path only")
		}
	}
	if p == "" {
		p = "/"
	}
	if !strings.HasPrefix(p, "/") {
		return "", configErrorf("BasePath", "must start with / or be a full http(s) URL")
	}
	if strings.ContainsAny(p, "?#") {
		return "", configErrorf("BasePath", "must not have a query or fragment: ChargeDesk appends each action's path to it")
	}
	if strings.Contains(p, "*") {
		return "", configErrorf("BasePath", "must not contain *")
	}
	return strings.TrimRight(p, "/"), nil
}

// buildRoute turns base+path into a chi pattern whose parameters stand for
// the placeholders.
func buildRoute(base, path string, known map[string]bool, setting string) (*route, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, configErrorf(setting, "must start with /")
	}
	if strings.ContainsAny(path, "?#*") {
		return nil, configErrorf(setting, "must not contain ?, # or *")
	}
	full := base + path
	t, err := parseTemplate(full, known)
	if err != nil {
		return nil, configErrorf(setting, "%v", err)
	}
	rt := &route{}
	var b strings.Builder
	for _, part := range t.parts {
		if part.field == "" {
			if strings.ContainsAny(part.literal, "{}") {
				return nil, configErrorf(setting, "has a brace that is not a {field} placeholder")
			}
			b.WriteString(part.literal)
			continue
		}
		name := fmt.Sprintf("p%d", len(rt.params))
		rt.params = append(rt.params, pathParam{name: name, field: part.field})
		b.WriteString("{" + name + "}")
	}
	rt.pattern = b.String()
	return rt, nil
}
