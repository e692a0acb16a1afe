package apitest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chargedesk/chargedesk-go/events"
)

// webhook is a webhook registered through the API: where the Server
// delivers its event notifications (see deliver.go).
type webhook struct {
	ID      string
	URL     string
	Events  []string // the events it asked for; none, or All, is every one
	All     bool
	Created int64
	// Disabled is when a delivery was answered 410, in unix seconds; 0
	// while the webhook is active. A disabled webhook is sent nothing.
	Disabled int64
}

// wants reports whether the webhook is active and asked for the event:
// with all, with no events listed (ChargeDesk's page says a webhook takes
// every event or a chosen few; url alone is required, so a webhook that
// chose none is taken to want them all), or by name.
func (h *webhook) wants(name events.Name) bool {
	if h.Disabled != 0 {
		return false
	}
	if h.All || len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == string(name) {
			return true
		}
	}
	return false
}

// webhookByID is the registered webhook with the id; nil when none. The
// caller holds s.mu.
func (s *Server) webhookByID(id string) *webhook {
	for _, h := range s.webhooks {
		if h.ID == id {
			return h
		}
	}
	return nil
}

func (s *Server) renderWebhook(h *webhook) map[string]any {
	if s.opts.Shape.seed() {
		return map[string]any{"id": h.ID, "object": "webhook", "url": h.URL, "events": orEmpty(h.Events),
			"active": h.Disabled == 0, "created": dateTime(unix(h.Created))}
	}
	return map[string]any{"webhook_id": h.ID, "url": h.URL, "events": orEmpty(h.Events), "all": phpBool(h.All),
		"active": phpBool(h.Disabled == 0), "created": h.Created}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := make([]any, 0, len(s.webhooks))
	for _, h := range s.webhooks {
		data = append(data, s.renderWebhook(h))
	}
	if s.opts.Shape.seed() {
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// createWebhook registers a webhook. Its url must be an http(s) URL with a
// host; each of its events must be an event's name as ChargeDesk spells
// them (lower case and underscores: charge_refunded, not another vendor's
// charge.refunded). A name the local ChargeDesk never sends is taken, as
// ChargeDesk's list of events is longer than what its page shows.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, in map[string]any) {
	raw := text(in, "url")
	if raw == "" {
		writeParamError(w, badParam("url", "parameter_missing", "Missing required parameter url"))
		return
	}
	if err := checkWebhookURL(raw); err != nil {
		writeParamError(w, badParam("url", "parameter_invalid", "%s", err.Error()))
		return
	}
	list, err := readField(field{name: "events", kind: kList}, orList(in["events"]))
	if err != nil {
		writeParamError(w, err)
		return
	}
	names := list.(texts).list()
	for i, n := range names {
		if err := checkEventName(n); err != nil {
			writeParamError(w, badParam(fmt.Sprintf("events[%d]", i), "parameter_invalid", "%s", err.Error()))
			return
		}
	}
	all, err := readField(field{name: "all", kind: kBool}, in["all"])
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	h := &webhook{ID: fmt.Sprintf("wh-%06d", s.seq), URL: raw, Events: names, All: all.(bool),
		Created: s.opts.Now().Unix()}
	s.webhooks = append(s.webhooks, h)
	writeJSON(w, http.StatusOK, s.renderWebhook(h))
}

// checkWebhookURL refuses a URL events cannot be delivered to: one that is
// not http or https, or has no host.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url must be an http(s) URL, such as https://example.com/chargedesk-events/<secret>")
	}
	return nil
}

// checkEventName refuses an event name that is not spelled as ChargeDesk
// spells them: lower-case letters, digits and underscores, at most 64.
func checkEventName(n string) error {
	if strings.Contains(n, ".") {
		return fmt.Errorf("%q is not a ChargeDesk event: ChargeDesk's names use underscores (%s)", n,
			strings.ReplaceAll(n, ".", "_"))
	}
	ok := n != "" && len(n) <= 64
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%q is not a ChargeDesk event name, such as %s", n, events.ChargeRefunded)
	}
	return nil
}

func orList(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

// deleteWebhook removes a webhook; its deliveries still pending are
// canceled (an attempt under way ends as it will).
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := chi.URLParam(r, "id")
	for i, h := range s.webhooks {
		if h.ID != id {
			continue
		}
		s.webhooks = append(s.webhooks[:i], s.webhooks[i+1:]...)
		s.endPending(id, DeliveryCanceled)
		if s.opts.Shape.seed() {
			writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "webhook", "deleted": true})
		} else {
			writeJSON(w, http.StatusOK, map[string]any{"webhook_id": id, "deleted": 1})
		}
		return
	}
	notFound(w, "webhook")
}

// resendEvent is POST /events/{id}/resend, the local ChargeDesk's own: it
// delivers an event of the delivery log again, now, to the webhook named
// by the webhook parameter, or to every webhook it went to. The answer is
// {"event_id", "resent_to": [webhook ids]}; an event the log does not hold
// is a 404, one whose webhooks are deleted or disabled a 400.
func (s *Server) resendEvent(w http.ResponseWriter, r *http.Request, in map[string]any) {
	id := chi.URLParam(r, "id")
	to, err := s.Resend(id, text(in, "webhook"))
	switch {
	case errors.Is(err, ErrNoEvent):
		notFound(w, "event")
	case err != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "event_not_resendable", "",
			"The event's webhooks are deleted or disabled")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"event_id": id, "resent_to": to})
	}
}
