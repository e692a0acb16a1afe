package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Collect receives the members of the body and of the records directly
// under it, as written: record is "" for the body's own members, else the
// key of the record (such as "charge").
type Collect func(record, key string, raw []byte)

// Decode reads body, which must be exactly one JSON object, into the
// struct v points to, by the fields' json tags. It is the one decoder of
// ChargeDesk's JSON: webhooks, events and API answers alike.
//
// The body is checked whole: valid UTF-8 and JSON syntax, no key repeated
// within an object (compared exactly everywhere, and as encoding/json
// folds case within a struct's object), no key of a struct spelled in
// another case or form (CHARGE, Charge_ID: refused rather than guessed
// at), nesting at most MaxDepth levels, numbers at most MaxNumberLen
// characters. Its errors wrap ErrEmptyBody, ErrNotObject or ErrBadJSON,
// or are a *FieldError; a body's structure is reported before a value's
// type.
//
// By the field's type: a type with fields of its own (a struct, a pointer
// to one) is a record, decoded member by member, and a slice of them a
// list of records (a record given something else than an object decodes
// it itself when it is a json.Unmarshaler); time.Time takes unix seconds
// or RFC 3339; a string kind
// takes any scalar as its text (tagged wire:"id", the rules of CheckID);
// an integer kind a whole number, also as a string; a bool kind 0/1 and
// "true"/"false"; a slice of strings a list, or PHP's object keyed "0",
// "1", ...; a map of strings an object, its values kept as text; any other
// type that implements json.Unmarshaler (an amount, json.RawMessage)
// decodes itself. null leaves the zero value, and so does PHP's [] for a
// record or a map. Unknown keys are ignored. An embedded struct's fields
// are the outer struct's, as encoding/json has them.
func Decode(body []byte, v any) error { return DecodeCollect(body, v, nil) }

// DecodeCollect is Decode, handing collect, when not nil, the members of
// the body and of its records as they are read.
func DecodeCollect(body []byte, v any, collect Collect) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("wire.Decode: %T is not a pointer to a struct", v)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmptyBody
	}
	if !utf8.Valid(body) {
		return syntaxError("the body is not valid UTF-8")
	}
	// Duplicate keys are the keySets' to refuse, in any case.
	d := decoders.Get().(*decoder)
	defer d.release()
	d.reader.Reset(body)
	// The body is valid UTF-8 (checked above), so invalid UTF-8 can only
	// be a lone surrogate escape, which a field's rules judge.
	d.dec.Reset(&d.reader, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	d.body, d.collect = body, collect
	if k := d.dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := d.dec.ReadToken()
			return d.syntax(err, "the body")
		}
		return ErrNotObject
	}
	if err := d.object(rv.Elem(), planOf(rv.Elem().Type()), "", "", 1); err != nil {
		return err
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return syntaxError("unexpected data after the JSON object at byte %d", d.offset())
	}
	return d.err
}

// decoder is one Decode.
type decoder struct {
	dec     *jsontext.Decoder
	reader  bytes.Reader
	body    []byte
	collect Collect
	// err is the first value that did not fit its field; it is reported
	// once the whole body is known to be well-formed.
	err error
}

// decoders are reused: a jsontext.Decoder and its buffers cost a dozen
// allocations to make (see docs/performance.md).
var decoders = sync.Pool{New: func() any {
	d := &decoder{}
	d.dec = jsontext.NewDecoder(&d.reader)
	return d
}}

// release returns d to the pool, holding nothing of its body.
func (d *decoder) release() {
	d.reader.Reset(nil)
	d.dec.Reset(&d.reader)
	d.body, d.collect, d.err = nil, nil, nil
	decoders.Put(d)
}

func (d *decoder) offset() int64 { return d.dec.InputOffset() }

// syntax words a syntax error of the body for the agent: where, and what
// was read, never a key or value.
func (d *decoder) syntax(err error, what string) error {
	var se *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return syntaxError("the body ends in the middle of %s", what)
	case errors.Is(err, jsontext.ErrDuplicateName):
		name := ""
		if errors.As(err, &se) {
			if i := strings.LastIndexByte(string(se.JSONPointer), '/'); i >= 0 {
				name = strings.NewReplacer("~1", "/", "~0", "~").Replace(string(se.JSONPointer[i+1:]))
			}
		}
		return syntaxError("the key %s appears twice in one object", KeyName(name))
	case errors.As(err, &se):
		at := se.ByteOffset
		if strings.Contains(se.Err.Error(), "escape") {
			return syntaxError("a string escape is not valid, at byte %d, in %s", at, what)
		}
		if at >= 0 && at < int64(len(d.body)) {
			if d.body[at] < 0x20 {
				return syntaxError("a control character at byte %d, in a string", at)
			}
			return syntaxError("unexpected %q at byte %d, in %s", d.body[at], at, what)
		}
		return syntaxError("the body ends in the middle of %s", what)
	}
	return syntaxError("%s", what)
}

// refuse records the first value that does not fit its field.
func (d *decoder) refuse(path string, err error) {
	if d.err != nil {
		return
	}
	var ve *valueError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &ve):
		d.err = &FieldError{Path: path, Want: ve.want, Got: ve.got, Reason: ve.reason}
	case errors.As(err, &te):
		d.err = &FieldError{Path: path, Want: "a valid value", Reason: te.Value}
	default:
		d.err = &FieldError{Path: path, Want: "a valid value", Reason: "is not valid"}
	}
}

// name reads an object's key: its text, without allocating when it needs
// no unescaping.
func (d *decoder) name() ([]byte, error) {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	return b, err
}

// object reads an object into the record v of plan p (v invalid: read and
// checked only). path names it in errors; record is its key when it lies
// directly under the body, for collect.
func (d *decoder) object(v reflect.Value, p *plan, path, record string, depth int) error {
	if depth > MaxDepth {
		return syntaxError("the body nests deeper than %d levels", MaxDepth)
	}
	if _, err := d.dec.ReadToken(); err != nil { // {
		return d.syntax(err, "an object")
	}
	seen := keySet{plan: p}
	for {
		switch d.dec.PeekKind() {
		case '}':
			_, err := d.dec.ReadToken()
			return err
		case 0:
			_, err := d.dec.ReadToken()
			return d.syntax(err, "an object key")
		}
		key, err := d.name()
		if err != nil {
			return d.syntax(err, "an object key")
		}
		f, err := seen.add(key)
		if err != nil {
			return err
		}
		// key lies in the decoder's buffer, which the value's reading
		// overwrites: a field's name stands for it, else a copy.
		collect := d.collect != nil && (path == "" || record != "")
		name := ""
		switch {
		case f != nil:
			name = f.name
		case collect:
			name = string(key)
		}
		start := d.offset()
		if f != nil && v.IsValid() {
			err = d.field(fieldOf(v, f.index), f, path, path == "", depth)
		} else {
			err = d.skip(depth)
		}
		if err != nil {
			return err
		}
		if collect {
			d.collect(record, name, d.span(start))
		}
	}
}

// span is the raw value read since start, an offset just after a key.
func (d *decoder) span(start int64) []byte {
	return bytes.TrimLeft(d.body[start:d.offset()], " \t\r\n:")
}

// field reads a member's value into fv, of the field f, in the object at
// path. top says the member lies directly under the body: a record there
// is collected.
func (d *decoder) field(fv reflect.Value, f *fieldPlan, parent string, top bool, depth int) error {
	kind := d.dec.PeekKind()
	path := func() string { return join(parent, f.name) }
	switch f.kind {
	case kindRecord, kindRecordPtr:
		if kind != '{' {
			break
		}
		if f.kind == kindRecordPtr {
			fv.Set(reflect.New(fv.Type().Elem()))
			fv = fv.Elem()
		}
		record := ""
		if top {
			record = f.name
		}
		return d.object(fv, f.elem, path(), record, depth+1)
	case kindRecordList:
		if kind == '[' || kind == '{' {
			return d.recordList(fv, f, path(), depth+1)
		}
	case kindStrings, kindMap:
		if kind == '[' || kind == '{' {
			return d.collection(fv, f, path(), depth+1)
		}
	case kindList:
		if kind == '[' || kind == '{' {
			return d.list(fv, f, path(), depth+1)
		}
	}
	raw, err := d.value(depth)
	if err != nil {
		return err
	}
	if err := setValue(fv, f, raw); err != nil {
		d.refuse(path(), err)
	}
	return nil
}

// value reads a whole value, checking an object's or a list's structure,
// and returns its raw bytes.
func (d *decoder) value(depth int) ([]byte, error) {
	switch d.dec.PeekKind() {
	case '{', '[':
		start := d.offset()
		if err := d.skip(depth); err != nil {
			return nil, err
		}
		return d.span(start), nil
	case 0:
		_, err := d.dec.ReadToken()
		return nil, d.syntax(err, "a value")
	}
	raw, err := d.dec.ReadValue()
	if err != nil {
		return nil, d.syntax(err, "a value")
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		if len(raw) > MaxNumberLen {
			return nil, syntaxError("a number at byte %d is %d characters long", d.offset()-int64(len(raw)), len(raw))
		}
	}
	return raw, nil
}

// skip reads a value no field holds, checking its structure.
func (d *decoder) skip(depth int) error {
	switch d.dec.PeekKind() {
	case '{':
		return d.object(reflect.Value{}, nil, "", "", depth+1)
	case '[':
		if depth+1 > MaxDepth {
			return syntaxError("the body nests deeper than %d levels", MaxDepth)
		}
		if _, err := d.dec.ReadToken(); err != nil {
			return d.syntax(err, "an array")
		}
		for d.dec.PeekKind() != ']' {
			if d.dec.PeekKind() == 0 {
				_, err := d.dec.ReadToken()
				return d.syntax(err, "an array")
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		_, err := d.dec.ReadToken()
		return err
	}
	_, err := d.value(depth)
	return err
}

// elements reads the elements of a list, or of PHP's object keyed "0",
// "1", ... (a PHP array), calling each with its index.
func (d *decoder) elements(depth int, each func(i int) error) error {
	if depth > MaxDepth {
		return syntaxError("the body nests deeper than %d levels", MaxDepth)
	}
	open, err := d.dec.ReadToken()
	if err != nil {
		return d.syntax(err, "a list")
	}
	end := jsontext.Kind(']')
	if open.Kind() == '{' {
		end = '}'
	}
	seen := keySet{}
	for i := 0; ; i++ {
		switch d.dec.PeekKind() {
		case end:
			_, err := d.dec.ReadToken()
			return err
		case 0:
			_, err := d.dec.ReadToken()
			return d.syntax(err, "a list")
		}
		if end == '}' {
			key, err := d.name()
			if err != nil {
				return d.syntax(err, "an object key")
			}
			if _, err := seen.add(key); err != nil {
				return err
			}
		}
		if err := each(i); err != nil {
			return err
		}
	}
}

// Check checks body's structure as Decode does, against the fields of the
// struct v points to (a key of one spelled in another case is refused),
// and reports only what is wrong with the structure: a value that does not
// fit its field is not its concern. v is left as it was.
func Check(body []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("wire.Check: %T is not a pointer to a struct", v)
	}
	err := Decode(body, reflect.New(t.Elem()).Interface())
	var fe *FieldError
	if errors.As(err, &fe) {
		return nil
	}
	return err
}
