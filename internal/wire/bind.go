package wire

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Overlay registers T as a record Decode decodes in place (a charge, a
// subscription): overlay returns, for a *T, the struct whose fields, each a
// pointer into the record with a json tag, receive the record's members.
func Overlay[T any](s *Schema, overlay func(*T) any) {
	s.overlays[reflect.TypeFor[*T]()] = func(p any) any { return overlay(p.(*T)) }
}

// CheckDecode checks body as Check does and, in the same pass, decodes it into
// v, a pointer to a struct with json tags: a member whose field is a
// pointer to a record registered with Overlay is decoded in place as it is
// scanned; any
// other field is a json.Unmarshaler given the member's bytes as written.
// It decodes what encoding/json would, with the same null rules (null
// leaves a pointer field unset, and reaches an Unmarshaler that is not a
// pointer), and its errors name the field as encoding/json's do: a
// *json.UnmarshalTypeError whose Field is the member's path. An error in
// the body's structure wins over one in a member's value. collect, when
// set, receives every member of the top level and of the records, as
// written.
func CheckDecode(body []byte, schema *Schema, v any, collect func(record, key string, raw []byte)) error {
	rv := reflect.ValueOf(v).Elem()
	return check(body, schema, &binding{v: rv, fields: schema.fieldsFor(rv.Type())}, collect)
}

// binding is a struct being decoded, with where it lies in the body.
type binding struct {
	v      reflect.Value // addressable
	fields *fieldTable
	path   string // for errors: "" at the top level, "charge" in the charge
	record string // for collect: "" at the top level, else the record's key
}

// fieldTable is how a struct's members are decoded: by the bit of a key
// the schema knows, else by name.
type fieldTable struct {
	byBit  [keyBits]field
	byName map[string]field
}

// lookup returns the field of the member key, whose keyInfo is info.
func (t *fieldTable) lookup(key []byte, info keyInfo) (field, bool) {
	if info.known {
		f := t.byBit[info.bit]
		if f.bound && f.name == string(key) {
			return f, true
		}
	}
	f, ok := t.byName[string(key)]
	return f, ok
}

type field struct {
	name    string
	bound   bool // a field of the struct holds the member
	index   int
	record  bool // a pointer to an Overlay: decoded in place
	pointer bool // the field is a pointer: null leaves it unset
}

// fieldsFor maps the json names of t's fields to how each is decoded.
func (s *Schema) fieldsFor(t reflect.Type) *fieldTable {
	if f, ok := s.fieldCache.Load(t); ok {
		return f.(*fieldTable)
	}
	fields := &fieldTable{byName: map[string]field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name := tagName(sf)
		if name == "" || !sf.IsExported() {
			continue
		}
		f := field{name: name, bound: true, index: i, pointer: sf.Type.Kind() == reflect.Pointer}
		switch {
		case s.overlays[sf.Type] != nil:
			f.record = true
		case sf.Type.Implements(unmarshalerType), reflect.PointerTo(sf.Type).Implements(unmarshalerType):
		default:
			panic("wire: field " + t.String() + "." + sf.Name + " is neither a record nor a json.Unmarshaler")
		}
		fields.byName[name] = f
		if info, ok := s.keys[name]; ok && !fields.byBit[info.bit].bound {
			fields.byBit[info.bit] = f
		}
	}
	s.fieldCache.Store(t, fields)
	return fields
}

// member scans the value of the member key of b's struct and decodes it.
func (c *checker) member(depth int, sc scope, b *binding, key []byte, info keyInfo) error {
	c.space()
	start := c.pos
	f, bound := b.fields.lookup(key, info)
	if bound && f.record && c.pos < len(c.data) && c.data[c.pos] == '{' {
		fv := b.v.Field(f.index)
		rec := reflect.New(fv.Type().Elem())
		fv.Set(rec)
		ov := reflect.ValueOf(c.schema.overlays[fv.Type()](rec.Interface())).Elem()
		name := string(key)
		child := &binding{v: ov, fields: c.schema.fieldsFor(ov.Type()), path: join(b.path, name), record: name}
		if err := c.object(depth+1, sc, child); err != nil {
			return err
		}
		c.collectMember(b, key, start)
		return nil
	}
	if err := c.value(depth, sc); err != nil {
		return err
	}
	c.collectMember(b, key, start)
	if !bound || c.err != nil {
		return nil // a member no field holds, or decoding has already failed
	}
	raw := c.data[start:c.pos]
	if raw[0] == 'n' && f.pointer {
		return nil // null leaves a pointer unset
	}
	fv := b.v.Field(f.index)
	var u json.Unmarshaler
	switch {
	case f.record: // not an object: the record's own decoding says why, or reads [] as empty
		rec := reflect.New(fv.Type().Elem())
		fv.Set(rec)
		u = rec.Interface().(json.Unmarshaler)
	case f.pointer:
		u = fv.Interface().(json.Unmarshaler)
	default:
		u = fv.Addr().Interface().(json.Unmarshaler)
	}
	if err := u.UnmarshalJSON(raw); err != nil {
		c.err = fieldError(join(b.path, string(key)), err)
	}
	return nil
}

func (c *checker) collectMember(b *binding, key []byte, start int) {
	if c.collect != nil && (b.path == "" || b.record != "") {
		c.collect(b.record, string(key), c.data[start:c.pos])
	}
}

// fieldError puts the member's path in a type error, as encoding/json
// does: "charge" and "amount" make "charge.amount".
func fieldError(path string, err error) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field != "" {
			path += "." + te.Field
		}
		te.Field = path
	}
	return err
}

// tagName is the json name of a field: its tag's, or its Go name.
func tagName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return sf.Name
	}
	return name
}
