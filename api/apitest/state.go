package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// stateVersion is the format of Save's output. Version 1 has not changed
// since the first: each record is its id, sequence, creation time, log,
// and fields as the API's input takes them. Keys added since (a webhook's
// disabled_at, event_seq, events, deliveries) are optional: a state
// without them loads, and an older reader skips them.
const stateVersion = 1

// stateRecord is one record of a saved state.
type stateRecord struct {
	ID      string         `json:"id"`
	Seq     int64          `json:"seq"`
	Created int64          `json:"created"`
	Fields  map[string]any `json:"fields"`
	Logs    []logEntry     `json:"logs,omitempty"`
}

// stateWebhook is a webhook of a saved state.
type stateWebhook struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	All        int      `json:"all,omitempty"`
	Active     int      `json:"active"`
	Created    int64    `json:"created"`
	DisabledAt int64    `json:"disabled_at,omitempty"`
}

// Save returns every record the server holds, as JSON that Load reads back.
// It writes one record at a time, so that it needs little more memory than
// its output.
func (s *Server) Save() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\n  \"version\": %d,\n  \"seq\": %d,\n  \"records\": {", stateVersion, s.seq)
	names := make([]string, 0, len(s.stores))
	for name := range s.stores {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "\n    %q: [", name)
		st, n := s.stores[name], 0
		var err error
		st.newest(func(r record) bool {
			b := r.meta()
			var line []byte
			line, err = json.Marshal(stateRecord{ID: b.id, Seq: b.seq, Created: int64(b.created), Fields: toInput(st.res, r), Logs: b.entries()})
			if err != nil {
				return false
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n      ")
			buf.Write(line)
			n++
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("apitest: saving %s: %w", name, err)
		}
		buf.WriteString("\n    ]")
	}
	hooks := make([]stateWebhook, 0, len(s.webhooks))
	for _, h := range s.webhooks {
		hooks = append(hooks, stateWebhook{ID: h.ID, Object: "webhook", URL: h.URL, Events: orEmpty(h.Events),
			All: phpBool(h.All), Active: phpBool(h.Disabled == 0), Created: h.Created, DisabledAt: h.Disabled})
	}
	list, err := json.Marshal(hooks)
	if err != nil {
		return nil, err
	}
	buf.WriteString("\n  },\n  \"webhooks\": ")
	buf.Write(list)
	log := s.savedLog()
	for _, kv := range []struct {
		key string
		v   any
	}{{"event_seq", log.EventSeq}, {"events", log.Events}, {"deliveries", log.Deliveries}} {
		line, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, ",\n  %q: ", kv.key)
		buf.Write(line)
	}
	buf.WriteString("\n}\n")
	return buf.Bytes(), nil
}

// toInput writes a record's fields as the input readField reads back,
// leaving out those unset.
func toInput(res *resource, r record) map[string]any {
	out := map[string]any{}
	for _, f := range res.fields {
		switch v := value(r, f).(type) {
		case string:
			if v != "" {
				out[f.name] = v
			}
		case chargedesk.Amount:
			if !v.IsZero() || v.Decimal().Scale() > 0 {
				out[f.name] = v.String()
			}
		case int64:
			if v != 0 {
				out[f.name] = v
			}
		case bool:
			if v {
				out[f.name] = true
			}
		case unix:
			if v != 0 {
				out[f.name] = time.Unix(int64(v), 0).UTC().Format(time.RFC3339)
			}
		case pairs:
			if v != "" {
				out[f.name] = v.toMap()
			}
		case address:
			if v != "" {
				out[f.name] = pairs(v).toMap()
			}
		case ref:
			if v != "" {
				out[f.name] = map[string]any{"id": string(v)}
			}
		case texts:
			if v != "" {
				out[f.name] = v.list()
			}
		}
	}
	if link := r.meta().payLink(); link != "" {
		out["pay_link"] = link
	}
	return out
}

// Load replaces the server's records with those of a Save. It reads the
// records one at a time. A state of another version, or one that does not
// read, is an error that says why, and the server keeps its records.
func (s *Server) Load(data []byte) error {
	stores := newStores()
	var (
		version  int
		seq      int64
		webhooks []*webhook
		log      deliveryLog
		seen     = map[string]bool{}
	)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	bad := func(err error) error { return fmt.Errorf("apitest: the state does not read: %w", err) }
	if err := expectDelim(dec, '{'); err != nil {
		return bad(err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		seen[fmt.Sprint(key)] = true
		switch key {
		case "version":
			if err := dec.Decode(&version); err != nil {
				return bad(err)
			}
			if version != stateVersion {
				return fmt.Errorf("apitest: the state has version %d; this ChargeDesk reads version %d", version, stateVersion)
			}
		case "seq":
			if err := dec.Decode(&seq); err != nil {
				return bad(err)
			}
		case "records":
			if !seen["version"] {
				return errors.New("apitest: the state has no version before its records")
			}
			if err := loadRecords(dec, stores); err != nil {
				return err
			}
		case "webhooks":
			var hooks []stateWebhook
			if err := dec.Decode(&hooks); err != nil {
				return bad(err)
			}
			for _, h := range hooks {
				disabled := h.DisabledAt
				if h.Active == 0 && disabled == 0 {
					disabled = max(h.Created, 1) // disabled, at a time not saved
				}
				webhooks = append(webhooks, &webhook{ID: h.ID, URL: h.URL, Events: h.Events, All: h.All == 1,
					Created: h.Created, Disabled: disabled})
			}
		case "event_seq":
			if err := dec.Decode(&log.EventSeq); err != nil {
				return bad(err)
			}
		case "events":
			if err := dec.Decode(&log.Events); err != nil {
				return bad(err)
			}
		case "deliveries":
			if err := dec.Decode(&log.Deliveries); err != nil {
				return bad(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
		}
	}
	if !seen["version"] {
		return errors.New("apitest: the state has no version")
	}
	deliveries, deliverySeq, err := loadLog(log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stores, s.seq, s.webhooks = stores, seq, webhooks
	s.eventSeq, s.deliveries, s.deliverySeq = log.EventSeq, deliveries, deliverySeq
	for _, d := range deliveries {
		if d.state == DeliveryPending {
			s.startDispatcher()
			break
		}
	}
	return nil
}

// loadRecords reads {"charges": [record, ...], ...} into stores.
func loadRecords(dec *json.Decoder, stores map[string]*store) error {
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("apitest: the state's records do not read: %w", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("apitest: the state's records do not read: %w", err)
		}
		name := fmt.Sprint(tok)
		st, ok := stores[name]
		if !ok {
			return fmt.Errorf("apitest: the state has unknown records %q", name)
		}
		if err := expectDelim(dec, '['); err != nil {
			return fmt.Errorf("apitest: the state's %s do not read: %w", name, err)
		}
		for dec.More() {
			var sr stateRecord
			if err := dec.Decode(&sr); err != nil {
				return fmt.Errorf("apitest: a record of %s does not read: %w", name, err)
			}
			r, err := loadRecord(st, sr)
			if err != nil {
				return fmt.Errorf("apitest: %s %s: %w", name, sr.ID, err)
			}
			if st.byID[sr.ID] != nil {
				return fmt.Errorf("apitest: %s %s is in the state twice", name, sr.ID)
			}
			st.put(r)
		}
		if _, err := dec.Token(); err != nil { // ]
			return err
		}
	}
	_, err := dec.Token() // }
	return err
}

func loadRecord(st *store, sr stateRecord) (record, error) {
	if sr.ID == "" {
		return nil, errors.New("a record has no id")
	}
	r := st.res.make()
	b := r.meta()
	b.id, b.seq, b.created = sr.ID, sr.Seq, unix(sr.Created)
	if len(sr.Logs) > 0 {
		b.rare = &rare{logs: sr.Logs}
	}
	for k, v := range sr.Fields {
		if k == "pay_link" {
			if c, ok := r.(*charge); ok {
				link, _ := v.(string)
				c.setPayLink(link)
				continue
			}
		}
		f, ok := st.res.field(k)
		if !ok {
			return nil, fmt.Errorf("unknown field %q", k)
		}
		val, err := readField(f, v)
		if err != nil {
			return nil, err
		}
		if s, ok := val.(string); ok && (k == "status" || k == "currency" || k == "interval") {
			val = st.intern(s)
		}
		setValue(r, f, val)
	}
	return r, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q", string(want))
	}
	return nil
}
