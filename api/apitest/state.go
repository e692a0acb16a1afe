package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chargedesk/chargedesk-go"
)

// stateVersion is the format of Save's output.
const stateVersion = 1

type stateFile struct {
	Version  int                      `json:"version"`
	Seq      int64                    `json:"seq"`
	Records  map[string][]stateRecord `json:"records"`
	Webhooks []map[string]any         `json:"webhooks"`
}

type stateRecord struct {
	ID      string           `json:"id"`
	Seq     int64            `json:"seq"`
	Created int64            `json:"created"`
	Fields  map[string]any   `json:"fields"`
	Logs    []map[string]any `json:"logs,omitempty"`
}

// Save returns every record the server holds, as JSON that Load reads back.
func (s *Server) Save() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := stateFile{Version: stateVersion, Seq: s.seq, Records: map[string][]stateRecord{}, Webhooks: s.webhooks}
	for name, store := range s.stores {
		list := []stateRecord{}
		for _, r := range store.newest() {
			fields := make(map[string]any, len(r.f))
			for k, v := range r.f {
				if f, _ := store.field(k); f.kind == kRef {
					v = map[string]any{"id": v}
				}
				fields[k] = toInput(v)
			}
			list = append(list, stateRecord{ID: r.id, Seq: r.seq, Created: r.created.Unix(), Fields: fields, Logs: r.logs})
		}
		st.Records[name] = list
	}
	return json.MarshalIndent(st, "", "  ")
}

// Load replaces the server's records with those of a Save.
func (s *Server) Load(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var st stateFile
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("apitest: the state is not valid JSON: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("apitest: the state has version %d, not %d", st.Version, stateVersion)
	}
	stores := map[string]*store{}
	for name, res := range resources {
		stores[name] = newStore(res)
	}
	for name, list := range st.Records {
		store, ok := stores[name]
		if !ok {
			return fmt.Errorf("apitest: the state has unknown records %q", name)
		}
		for _, sr := range list {
			r := &record{id: sr.ID, seq: sr.Seq, created: time.Unix(sr.Created, 0).UTC(), f: map[string]any{}, logs: sr.Logs}
			for k, v := range sr.Fields {
				if k == "pay_link" {
					r.f[k], _ = v.(string)
					continue
				}
				f, ok := store.field(k)
				if !ok {
					return fmt.Errorf("apitest: %s %s has unknown field %q", name, sr.ID, k)
				}
				val, err := readField(f, v)
				if err != nil {
					return fmt.Errorf("apitest: %s %s: %w", name, sr.ID, err)
				}
				r.f[k] = val
			}
			if r.id == "" {
				return fmt.Errorf("apitest: a record of %s has no id", name)
			}
			store.put(r)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stores, s.seq, s.webhooks = stores, st.Seq, st.Webhooks
	return nil
}

// toInput writes a stored value as the input readField reads back.
func toInput(v any) any {
	switch v := v.(type) {
	case chargedesk.Amount:
		return v.String()
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Format(time.RFC3339)
	case int64:
		return json.Number(fmt.Sprint(v))
	}
	return v
}
