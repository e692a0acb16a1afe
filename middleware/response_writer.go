package middleware

import "net/http"

// responseWriter wraps an http.ResponseWriter to record the status, the
// number of body bytes written and whether the header has been sent. Logger
// and Recoverer share it.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int
	wroteHeader bool
}

// newResponseWriter wraps w with status 200, the status net/http sends when
// the handler never calls WriteHeader.
func newResponseWriter(w http.ResponseWriter) *responseWriter {
	return &responseWriter{ResponseWriter: w, status: http.StatusOK}
}

// WriteHeader records code and passes it on. Informational (1xx) codes other
// than 101 may precede the final status, so they do not count as the header.
func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
			w.ResponseWriter.WriteHeader(code)
			return
		}
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sends the header first if needed, as net/http does, and counts the
// bytes written.
func (w *responseWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// FlushError flushes the wrapped writer through http.ResponseController; a
// flush sends the header, so it is recorded as written.
func (w *responseWriter) FlushError() error {
	w.wroteHeader = true
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}
