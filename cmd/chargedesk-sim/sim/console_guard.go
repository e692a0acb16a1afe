package sim

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// consoleCSP is the console's Content-Security-Policy: no script at all,
// styles only from its own stylesheet, forms only to itself, and no page
// may frame it.
const consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// guard wraps every console handler. Every answer carries the console's
// security headers (its CSP, X-Frame-Options: DENY, no sniffing, no
// caching, no Referer to other sites). A request whose Host is not the
// address it came in on (its IP, or localhost, 127.0.0.1 or [::1], with
// its port) is refused with 421: a page of another site that has made its
// name resolve to this address (DNS rebinding) sends its own name. A POST
// whose Origin, or when it has none its Referer, is not the console's own
// origin is refused with 403, before its form is read.
func guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !servedHost(r.Host, local) {
			http.Error(w, "This console answers only at its own address: the request's Host names another.",
				http.StatusMisdirectedRequest)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			http.Error(w, "The console takes forms only from its own pages.", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// servedHost reports whether host, a request's Host, names local, the
// address the request's connection came in on: local's IP or a loopback
// name (localhost, 127.0.0.1, [::1]), with local's port (80 when host has
// none). It is false for a missing local address or a malformed host.
func servedHost(host string, local net.Addr) bool {
	tcp, ok := local.(*net.TCPAddr)
	if !ok || host == "" {
		return false
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	if port != strconv.Itoa(tcp.Port) {
		return false
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(name)
	if err != nil || ip.Zone() != "" {
		return false
	}
	ip = ip.Unmap()
	localIP := tcp.AddrPort().Addr().Unmap().WithZone("")
	return ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || ip == netip.IPv6Loopback() || ip == localIP
}

// sameOrigin reports whether a request came from the console's own pages:
// its one Origin is http:// and its Host (checked by servedHost), or it
// has no Origin and its Referer is a URL of that origin. A request with
// neither, with Origin "null", or with two Origins is not.
func sameOrigin(r *http.Request) bool {
	origin := "http://" + r.Host
	switch origins := r.Header.Values("Origin"); len(origins) {
	case 0:
	case 1:
		return strings.EqualFold(origins[0], origin)
	default:
		return false
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Scheme != "http" || ref.User != nil {
		return false
	}
	return strings.EqualFold("http://"+ref.Host, origin)
}
