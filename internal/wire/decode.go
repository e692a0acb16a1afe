package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Decode decodes the JSON object raw into the struct v points to, field by
// field with the tolerant rules of this package, as named by the fields'
// json tags (matched as encoding/json matches them: exactly, else without
// regard to case). It is how the REST client reads ChargeDesk's records
// without a hand-written overlay per type.
//
// By the field's type: a type whose pointer implements json.Unmarshaler
// decodes itself (Amount, json.RawMessage); time.Time is a UnixTime;
// string kinds are String, integer kinds Int, bool kinds Bool, []string is
// Strings, map[string]string is Map; a struct, a pointer to one and a slice
// of them decode recursively, a list also from PHP's object keyed "0", "1",
// .... Unknown keys are ignored. null, [] and {} decode as an empty object.
// An error names the field's path (lines[1].amount).
//
// An embedded struct without a json tag is decoded from the same object,
// as encoding/json promotes its fields, before the outer struct's own
// fields; when it decodes itself (a json.Unmarshaler), it is handed the
// whole object. A field of the outer struct with the same name as one of
// the embedded struct's is decoded into both.
func Decode(raw []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("wire.Decode: %T is not a pointer to a struct", v)
	}
	return decodeStruct(raw, rv.Elem(), "")
}

type fieldInfo struct {
	name  string
	index int
	// inline marks an untagged embedded struct, decoded from the whole
	// object.
	inline bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var fields []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" && sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			fields = append(fields, fieldInfo{index: i, inline: true})
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, fieldInfo{name: name, index: i})
	}
	fieldCache.Store(t, fields)
	return fields
}

func decodeStruct(raw []byte, v reflect.Value, path string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case 'n':
		return nil
	case '[':
		if IsEmptyPHPArray(raw) {
			return nil
		}
		return pathError(path, TypeError(raw, "an object", v.Addr().Interface()))
	case '{':
	default:
		return pathError(path, TypeError(raw, "an object", v.Addr().Interface()))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return pathError(path, err)
	}
	fields := fieldsOf(v.Type())
	for _, f := range fields {
		if f.inline {
			if err := decodeValue(raw, v.Field(f.index), path); err != nil {
				return err
			}
		}
	}
	for _, f := range fields {
		if f.inline {
			continue
		}
		val, ok := members[f.name]
		if !ok {
			for k, m := range members {
				if strings.EqualFold(k, f.name) {
					val, ok = m, true
					break
				}
			}
		}
		if !ok {
			continue
		}
		if err := decodeValue(val, v.Field(f.index), join(path, f.name)); err != nil {
			return err
		}
	}
	return nil
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func decodeValue(raw []byte, v reflect.Value, path string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	t := v.Type()
	if t == timeType {
		return pathError(path, (*UnixTime)(v.Addr().Interface().(*time.Time)).UnmarshalJSON(raw))
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return pathError(path, v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw))
	}
	switch t.Kind() {
	case reflect.String:
		var s String
		if err := s.UnmarshalJSON(raw); err != nil {
			return pathError(path, err)
		}
		v.SetString(string(s))
	case reflect.Int, reflect.Int64, reflect.Int32:
		var n Int
		if err := n.UnmarshalJSON(raw); err != nil {
			return pathError(path, err)
		}
		if v.OverflowInt(int64(n)) {
			return pathError(path, TypeError(raw, "a whole number in range", v.Addr().Interface()))
		}
		v.SetInt(int64(n))
	case reflect.Bool:
		var b Bool
		if err := b.UnmarshalJSON(raw); err != nil {
			return pathError(path, err)
		}
		v.SetBool(bool(b))
	case reflect.Struct:
		return decodeStruct(raw, v, path)
	case reflect.Pointer:
		if raw[0] == 'n' {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeValue(raw, v.Elem(), path)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
			return fmt.Errorf("wire.Decode: %s has unsupported type %s", path, t)
		}
		var m Map
		if err := m.UnmarshalJSON(raw); err != nil {
			return pathError(path, err)
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, s := range m {
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), reflect.ValueOf(s).Convert(t.Elem()))
		}
		v.Set(out)
	case reflect.Slice:
		return decodeSlice(raw, v, path)
	default:
		return fmt.Errorf("wire.Decode: %s has unsupported type %s", path, t)
	}
	return nil
}

func decodeSlice(raw []byte, v reflect.Value, path string) error {
	var values []json.RawMessage
	var err error
	switch raw[0] {
	case 'n':
		v.SetZero()
		return nil
	case '[':
		err = json.Unmarshal(raw, &values)
	case '{':
		values, err = ObjectValues(raw)
	default:
		return pathError(path, TypeError(raw, "a list", v.Addr().Interface()))
	}
	if err != nil {
		return pathError(path, err)
	}
	out := reflect.MakeSlice(v.Type(), len(values), len(values))
	for i, item := range values {
		if err := decodeValue(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

// PathError is a decoding error at a field of a record. Its message names
// the field and what was expected, never the value received, which may be
// customer data.
type PathError struct {
	Path string
	Want string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": expected " + e.Want }

func (e *PathError) Unwrap() error { return e.Err }

func pathError(path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *PathError
	if errors.As(err, &pe) {
		return err
	}
	if path == "" {
		path = "body"
	}
	want := "a valid value"
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want = describe(te.Type)
	}
	return &PathError{Path: path, Want: want, Err: err}
}

// describe names what a value of type t must be, for an error message.
func describe(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType || t == reflect.TypeFor[UnixTime]():
		return "a unix timestamp"
	case t.Name() == "Amount":
		return "an amount"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Map:
		return "an object of strings"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			return "a valid value" // a type that decodes itself
		}
		return "an object"
	}
	return "a valid value"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
