package chargedesktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// MaxAnswerBytes bounds the answer Send reads; a longer one is cut there
// and reported as a problem.
const MaxAnswerBytes = 1 << 20

// Integration is a Custom Integration's configure page as ChargeDesk uses
// it: where each action is sent and with which headers. Enter the same
// values as in the receiver's chargedesk.Config. The zero value sends every
// action to its default path below "/" with no header.
type Integration struct {
	// BasePath is the Base Path: an absolute http(s) URL
	// ("http://127.0.0.1:8080/chargedesk"), or a path alone ("/chargedesk")
	// for requests given to Serve. It may hold {field} placeholders.
	BasePath string

	// Paths maps an action to its path below BasePath; a missing action
	// gets its default ("/refund", see chargedesk.Action.DefaultPath).
	// Paths may hold placeholders.
	Paths map[chargedesk.Action]string

	// Header holds the headers sent with every webhook, such as
	// Authorization: Bearer <secret>. Values may hold placeholders.
	Header http.Header
}

// URL returns where action's webhook with body is sent: BasePath and the
// action's path, with their placeholders filled from body (path-escaped).
func (in Integration) URL(action chargedesk.Action, body []byte) (string, error) {
	if !action.Valid() {
		return "", fmt.Errorf("chargedesktest: %q is not a ChargeDesk action; the actions are %v", action, chargedesk.Actions())
	}
	p, ok := in.Paths[action]
	if !ok {
		p = action.DefaultPath()
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("chargedesktest: the path of %s, %q, must start with /", action, p)
	}
	base := strings.TrimRight(in.BasePath, "/")
	full := chargedesk.FillPlaceholders(action, body, base+p, url.PathEscape)
	u, err := url.Parse(full)
	if err != nil {
		return "", fmt.Errorf("chargedesktest: the URL of %s: %w", action, err)
	}
	if u.Scheme != "" && ((u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return "", fmt.Errorf("chargedesktest: the Base Path %q must be an http(s) URL or a path", in.BasePath)
	}
	if u.Scheme == "" && !strings.HasPrefix(full, "/") {
		return "", fmt.Errorf("chargedesktest: the Base Path %q must be an http(s) URL or a path", in.BasePath)
	}
	return full, nil
}

// NewRequest returns the POST ChargeDesk sends for action with body: to
// [Integration.URL], with Content-Type application/json and the
// integration's headers, placeholders filled from body. The request
// remembers its action, for [Send] and [Serve].
func (in Integration) NewRequest(ctx context.Context, action chargedesk.Action, body []byte) (*http.Request, error) {
	target, err := in.URL(action, body)
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, actionKey{}, action)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("chargedesktest: %w", err)
	}
	if req.URL.Host == "" {
		req.Host = "chargedesk.test" // a path alone: the request is for Serve
	}
	req.Header.Set("Content-Type", "application/json")
	for name, values := range in.Header {
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, chargedesk.FillPlaceholders(action, body, v, nil))
		}
	}
	return req, nil
}

type actionKey struct{}

// actionOf returns the action NewRequest recorded in req, or the one its
// path ends with.
func actionOf(req *http.Request) chargedesk.Action {
	if a, ok := req.Context().Value(actionKey{}).(chargedesk.Action); ok {
		return a
	}
	last := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]
	if a := chargedesk.Action(last); a.Valid() {
		return a
	}
	return ""
}

// Send sends req with client (http.DefaultClient when nil) and reads the
// answer as ChargeDesk would. It fails only when no answer came (the
// connection failed or timed out); every answer, error statuses included,
// is an Outcome.
func Send(client *http.Client, req *http.Request) (*Outcome, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("chargedesktest: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	if err != nil {
		return nil, fmt.Errorf("chargedesktest: reading the answer: %w", err)
	}
	out := ReadOutcome(actionOf(req), resp.StatusCode, body)
	if len(body) > MaxAnswerBytes {
		out.Problems = append(out.Problems, fmt.Sprintf("the answer is longer than %d bytes; only that much was read", MaxAnswerBytes))
	}
	return out, nil
}

// Serve runs req through h, as a unit test would with
// httptest.NewRecorder, and reads the answer as ChargeDesk would.
func Serve(h http.Handler, req *http.Request) *Outcome {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return ReadOutcome(actionOf(req), rec.Code, rec.Body.Bytes())
}

// IntegrationFor returns the Integration that matches a receiver's
// configuration, as its configure page in ChargeDesk would be filled in:
// cfg's Base Path (a path is joined to origin, such as
// "http://127.0.0.1:8080"), its paths, and the first accepted value of each
// of its headers.
func IntegrationFor(cfg chargedesk.Config, origin string) Integration {
	in := Integration{BasePath: cfg.BasePath, Paths: cfg.Paths, Header: http.Header{}}
	if !strings.HasPrefix(cfg.BasePath, "http://") && !strings.HasPrefix(cfg.BasePath, "https://") {
		in.BasePath = strings.TrimRight(origin, "/") + "/" + strings.TrimLeft(cfg.BasePath, "/")
	}
	for _, h := range cfg.Headers {
		if len(h.Values) > 0 {
			in.Header.Add(h.Name, h.Values[0])
		}
	}
	return in
}
