package chargedesktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// This file holds a small JSON tree that keeps the order of an object's keys
// and the exact text of its numbers, so that a payload with one field
// changed still reads like ChargeDesk's and 5.00 stays 5.00.
//
// A value is one of: *object, []any, json.Number, string, bool or nil.

// object is a JSON object whose keys keep their order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

func (o *object) set(key string, v any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

func (o *object) del(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// decodeTree decodes exactly one JSON value.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string) // the decoder only yields string keys
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(key, v)
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ']'
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // json.Number, string, bool or nil
	}
}

// encodeTree writes v as compact JSON.
func encodeTree(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := encodeTree(b, t.vals[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeTree(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case json.Number:
		b.WriteString(t.String())
	case string:
		writeString(b, t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

// writeString writes s as a JSON string, without encoding/json's HTML
// escaping.
func writeString(b *bytes.Buffer, s string) {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(sb.Bytes(), []byte("\n")))
}

// plain turns a tree into maps and slices (numbers stay json.Number), for
// callers that read values rather than edit them.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			m[k] = plain(t.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// splitPath splits a field path ("charge.amount", "plans.0.quantity").
func splitPath(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("empty field path")
	}
	parts := strings.Split(path, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("field path %q has an empty part", path)
		}
	}
	return parts, nil
}

// setPath sets the field at path in root to v. The field's parent must
// exist: an object (the field is added when missing) or a list (the index
// must be within it, or one past its end to append).
func setPath(root any, path string, v any) error {
	parts, err := splitPath(path)
	if err != nil {
		return err
	}
	parent, err := walk(root, parts[:len(parts)-1], path)
	if err != nil {
		return err
	}
	last := parts[len(parts)-1]
	switch p := parent.container.(type) {
	case *object:
		p.set(last, v)
		return nil
	case []any:
		i, err := strconv.Atoi(last)
		switch {
		case err != nil || i < 0 || i > len(p):
			return fmt.Errorf("%s: %q is not an index of the list %s (length %d)", path, last, parent.name, len(p))
		case i == len(p):
			return parent.replace(append(p, v))
		default:
			p[i] = v
			return nil
		}
	}
	return fmt.Errorf("%s: %s is not an object or a list", path, parent.name)
}

// unsetPath removes the field at path; it is an error if there is none.
func unsetPath(root any, path string) error {
	parts, err := splitPath(path)
	if err != nil {
		return err
	}
	parent, err := walk(root, parts[:len(parts)-1], path)
	if err != nil {
		return err
	}
	last := parts[len(parts)-1]
	switch p := parent.container.(type) {
	case *object:
		if _, ok := p.get(last); !ok {
			return fmt.Errorf("%s: the payload has no such field", path)
		}
		p.del(last)
		return nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return fmt.Errorf("%s: %q is not an index of the list %s (length %d)", path, last, parent.name, len(p))
		}
		return parent.replace(append(p[:i:i], p[i+1:]...))
	}
	return fmt.Errorf("%s: %s is not an object or a list", path, parent.name)
}

// located is a container found by walk, with a way to replace it in its
// own parent (lists change identity when they grow or shrink).
type located struct {
	container any
	name      string
	replace   func(any) error
}

func walk(root any, parts []string, path string) (located, error) {
	cur := located{container: root, name: "the payload", replace: func(any) error {
		return fmt.Errorf("%s: cannot replace the whole payload", path)
	}}
	for i, part := range parts {
		name := strings.Join(parts[:i+1], ".")
		switch c := cur.container.(type) {
		case *object:
			v, ok := c.get(part)
			if !ok {
				return located{}, fmt.Errorf("%s: the payload has no field %s", path, name)
			}
			cur = located{container: v, name: name, replace: func(nv any) error { c.set(part, nv); return nil }}
		case []any:
			idx, err := strconv.Atoi(part)
			if err != nil || idx < 0 || idx >= len(c) {
				return located{}, fmt.Errorf("%s: %q is not an index of the list %s (length %d)", path, part, cur.name, len(c))
			}
			cur = located{container: c[idx], name: name, replace: func(nv any) error { c[idx] = nv; return nil }}
		default:
			return located{}, fmt.Errorf("%s: %s is not an object or a list", path, cur.name)
		}
	}
	return cur, nil
}
