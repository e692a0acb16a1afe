// Package phpquery writes form bodies exactly as PHP's http_build_query
// does, the notation ChargeDesk's REST API reads: nested keys in brackets
// (customer[id]=cus_1, metadata[plan]=pro, plans[0][id]=gold), booleans as
// 1 and 0, nulls left out, and PHP's urlencode (space as +, every byte but
// A-Z a-z 0-9 - _ . percent-encoded in upper case).
package phpquery

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pair is one key and value of an Object.
type Pair struct {
	Key   string
	Value any
}

// Object is an ordered PHP array with string keys. A Value is nil (left
// out, as PHP leaves out null), a string, a bool, an integer, an Object or a
// []any (a list, keyed 0, 1, ...).
type Object []Pair

// Lists says how a list of scalars is written.
type Lists int

const (
	// Indexed writes a list as http_build_query does: lines[0]=a&lines[1]=b.
	Indexed Lists = iota
	// Brackets writes a list of scalars as lines[]=a&lines[]=b, which PHP's
	// parse_str reads to the same array. A list of objects is always
	// indexed: plans[][id]=a&plans[][quantity]=1 would read as two entries.
	Brackets
)

// Encode returns o in http_build_query's notation.
func Encode(o Object, lists Lists) string {
	var b strings.Builder
	for _, p := range o {
		encodeValue(&b, urlencode(p.Key), p.Value, lists)
	}
	return b.String()
}

func encodeValue(b *strings.Builder, key string, v any, lists Lists) {
	switch v := v.(type) {
	case nil:
	case Object:
		for _, p := range v {
			encodeValue(b, key+"%5B"+urlencode(p.Key)+"%5D", p.Value, lists)
		}
	case []any:
		for i, item := range v {
			_, scalar := scalarText(item)
			if lists == Brackets && scalar {
				encodeValue(b, key+"%5B%5D", item, lists)
				continue
			}
			encodeValue(b, key+"%5B"+strconv.Itoa(i)+"%5D", item, lists)
		}
	default:
		text, ok := scalarText(v)
		if !ok {
			panic(fmt.Sprintf("phpquery: unsupported value %T", v))
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(urlencode(text))
	}
}

func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// urlencode is PHP's urlencode.
func urlencode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// FromStruct turns the struct v (or a pointer to one) into an Object,
// field by field in declaration order, keyed by the fields' json tags. A
// nil pointer, an empty string, a nil or empty map or slice, and a field
// tagged "-" are left out; a time is written as unix seconds, as
// ChargeDesk's API takes it (the zero time as 0, ChargeDesk's "none"); a value
// implementing encoding.TextMarshaler (an amount) is written as its text; a
// map's keys are written in sorted order. Anything else is an error.
func FromStruct(v any) (Object, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("phpquery: %T is not a struct", v)
	}
	val, err := fromValue(rv)
	if err != nil {
		return nil, err
	}
	o, _ := val.(Object)
	return o, nil
}

var (
	timeType = reflect.TypeFor[time.Time]()
	textType = reflect.TypeFor[encoding.TextMarshaler]()
)

func fromValue(v reflect.Value) (any, error) {
	t := v.Type()
	switch {
	case t == timeType:
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return "0", nil
		}
		return strconv.FormatInt(tm.Unix(), 10), nil
	case t.Implements(textType) && t.Kind() != reflect.Pointer:
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		return string(text), err
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return fromValue(v.Elem())
	case reflect.String:
		if v.String() == "" {
			return nil, nil
		}
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Struct:
		return fromStruct(v)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("phpquery: map keys of %s are not strings", t)
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		o := make(Object, 0, len(keys))
		for _, k := range keys {
			item, err := fromValue(v.MapIndex(reflect.ValueOf(k).Convert(t.Key())))
			if err != nil {
				return nil, err
			}
			o = append(o, Pair{k, item})
		}
		if len(o) == 0 {
			return nil, nil
		}
		return o, nil
	case reflect.Slice:
		if v.Len() == 0 {
			return nil, nil
		}
		list := make([]any, v.Len())
		for i := range v.Len() {
			item, err := fromValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			list[i] = item
		}
		return list, nil
	}
	return nil, fmt.Errorf("phpquery: cannot encode a %s", t)
}

func fromStruct(v reflect.Value) (any, error) {
	t := v.Type()
	o := make(Object, 0, t.NumField())
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
			// An embedded struct's fields are the outer struct's, as in JSON.
			inner, err := fromStruct(v.Field(i))
			if err != nil {
				return nil, err
			}
			if inner != nil {
				o = append(o, inner.(Object)...)
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		item, err := fromValue(v.Field(i))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if item != nil {
			o = append(o, Pair{name, item})
		}
	}
	if len(o) == 0 {
		return nil, nil
	}
	return o, nil
}
