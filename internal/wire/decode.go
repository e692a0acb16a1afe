package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
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

// recordList reads a list of records into the slice fv.
func (d *decoder) recordList(fv reflect.Value, f *fieldPlan, path string, depth int) error {
	out := reflect.MakeSlice(fv.Type(), 0, 4)
	elemType := fv.Type().Elem()
	err := d.elements(depth, func(i int) error {
		out = reflect.Append(out, reflect.Zero(elemType))
		ev := out.Index(i)
		elemPath := func() string { return path + "[" + strconv.Itoa(i) + "]" }
		switch d.dec.PeekKind() {
		case '{':
			if elemType.Kind() == reflect.Pointer {
				ev.Set(reflect.New(elemType.Elem()))
				ev = ev.Elem()
			}
			return d.object(ev, f.elem, elemPath(), "", depth+1)
		case 'n':
			_, err := d.value(depth)
			return err
		}
		raw, err := d.value(depth)
		if err == nil {
			d.refuse(elemPath(), wrongKind(raw, "an object"))
		}
		return err
	})
	fv.Set(out)
	return err
}

// list reads a list of values that decode themselves into the slice fv.
func (d *decoder) list(fv reflect.Value, f *fieldPlan, path string, depth int) error {
	out := reflect.MakeSlice(fv.Type(), 0, 4)
	err := d.elements(depth, func(i int) error {
		raw, err := d.value(depth)
		if err != nil {
			return err
		}
		out = reflect.Append(out, reflect.Zero(fv.Type().Elem()))
		if err := setValue(out.Index(i), f.item, raw); err != nil {
			d.refuse(path+"["+strconv.Itoa(i)+"]", err)
		}
		return nil
	})
	fv.Set(out)
	return err
}

// collection reads a list of text or a map of text into fv.
func (d *decoder) collection(fv reflect.Value, f *fieldPlan, path string, depth int) error {
	if f.kind == kindMap {
		return d.textMap(fv, path, depth)
	}
	var out []string
	err := d.elements(depth, func(int) error {
		raw, err := d.value(depth)
		if err != nil {
			return err
		}
		s, rerr := readString(raw)
		if rerr != nil {
			d.refuse(path, wrongValue("a list of text", "is not a list of text"))
		}
		out = append(out, s)
		return nil
	})
	if out == nil {
		out = []string{}
	}
	fv.Set(reflect.ValueOf(out).Convert(fv.Type()))
	return err
}

// textMap reads an object, or a list keyed by index, into the map of text
// fv: a value that is not a string keeps its JSON text.
func (d *decoder) textMap(fv reflect.Value, path string, depth int) error {
	out := map[string]string{}
	var err error
	if d.dec.PeekKind() == '[' {
		err = d.elements(depth, func(i int) error {
			raw, err := d.value(depth)
			if err == nil {
				out[strconv.Itoa(i)] = RawText(raw)
			}
			return err
		})
	} else {
		err = d.textObject(out, depth)
	}
	fv.Set(reflect.ValueOf(out).Convert(fv.Type()))
	return err
}

// textObject reads an object's members into out, as text.
func (d *decoder) textObject(out map[string]string, depth int) error {
	if depth > MaxDepth {
		return syntaxError("the body nests deeper than %d levels", MaxDepth)
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.syntax(err, "an object")
	}
	seen := keySet{}
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
		if _, err := seen.add(key); err != nil {
			return err
		}
		k := string(key)
		raw, err := d.value(depth)
		if err != nil {
			return err
		}
		out[k] = RawText(raw)
	}
}

// setValue sets the scalar field fv from raw. null leaves the zero value.
func setValue(fv reflect.Value, f *fieldPlan, raw []byte) error {
	if raw[0] == 'n' {
		return nil
	}
	switch f.kind {
	case kindUnmarshaler:
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				fv.Set(reflect.New(fv.Type().Elem()))
			}
			return fv.Interface().(json.Unmarshaler).UnmarshalJSON(raw)
		}
		return fv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw)
	case kindString:
		s, err := readString(raw)
		if err == nil {
			fv.SetString(s)
		}
		return err
	case kindID:
		s, err := readID(raw)
		if err == nil {
			fv.SetString(s)
		}
		return err
	case kindInt:
		n, err := readInt(raw)
		if err == nil {
			if fv.OverflowInt(n) {
				return wrongValue("a whole number", "is not a whole number in range")
			}
			fv.SetInt(n)
		}
		return err
	case kindBool:
		b, err := readBool(raw)
		if err == nil {
			fv.SetBool(b)
		}
		return err
	case kindTime:
		t, err := readTime(raw)
		if err == nil {
			fv.Set(reflect.ValueOf(t))
		}
		return err
	case kindPointer:
		target := reflect.New(fv.Type().Elem())
		if err := setValue(target.Elem(), f.item, raw); err != nil {
			return err
		}
		fv.Set(target)
		return nil
	case kindRecord, kindRecordPtr:
		if f.kind == kindRecordPtr {
			fv.Set(reflect.New(fv.Type().Elem()))
			fv = fv.Elem()
		}
		if isEmptyPHPArray(raw) { // PHP's empty array: an empty record
			return nil
		}
		// A record that reads other forms of itself (an address sent as
		// one text) is handed the value; any other is refused.
		if u, ok := fv.Addr().Interface().(json.Unmarshaler); ok {
			return u.UnmarshalJSON(raw)
		}
		return wrongKind(raw, "an object")
	case kindRecordList, kindStrings, kindList:
		return wrongKind(raw, "a list")
	case kindMap:
		return wrongKind(raw, "an object of strings")
	}
	return fmt.Errorf("wire: unsupported field kind %d", f.kind)
}

// keySet is the keys of one object. A key of its plan is marked by its
// field's index; any other, folded as encoding/json folds keys, goes to a
// small list, or to a map once the object has many.
type keySet struct {
	plan  *plan
	known [maxFields / 64]uint64
	other []string
	index map[string]struct{}
}

// maxFields bounds the fields of a record's plan.
const maxFields = 256

// add records key and returns its field, or the refusal of a key seen
// before (in any case) or of a plan's key spelled in another case.
func (s *keySet) add(key []byte) (*fieldPlan, error) {
	if s.plan != nil {
		if i, ok := s.plan.byName[string(key)]; ok {
			if s.known[i/64]&(1<<(i%64)) != 0 {
				return nil, syntaxError("the key %s appears twice in one object", KeyName(string(key)))
			}
			s.known[i/64] |= 1 << (i % 64)
			return &s.plan.fields[i], nil
		}
	}
	folded := foldKey(key)
	if s.plan != nil {
		if i, ok := s.plan.byFold[folded]; ok {
			if s.known[i/64]&(1<<(i%64)) != 0 {
				// As encoding/json folds keys, the same one again.
				return nil, syntaxError("the key %s appears twice in one object", KeyName(string(key)))
			}
			return nil, syntaxError("the key %s is %q spelled in another case or form; ChargeDesk's keys are matched exactly",
				KeyName(string(key)), s.plan.fields[i].name)
		}
	}
	if s.index == nil {
		for _, k := range s.other {
			if k == folded {
				return nil, syntaxError("the key %s appears twice in one object", KeyName(string(key)))
			}
		}
		if s.other = append(s.other, folded); len(s.other) > 16 {
			s.index = make(map[string]struct{}, 2*len(s.other))
			for _, k := range s.other {
				s.index[k] = struct{}{}
			}
		}
		return nil, nil
	}
	if _, dup := s.index[folded]; dup {
		return nil, syntaxError("the key %s appears twice in one object", KeyName(string(key)))
	}
	s.index[folded] = struct{}{}
	return nil, nil
}

// foldKey maps every rune to the smallest of its simple case-folding
// orbit, so that two keys fold alike exactly when strings.EqualFold holds
// between them (encoding/json's matching of keys to fields).
func foldKey(key []byte) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range string(key) {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// kind is how a field is decoded.
type kind uint8

const (
	kindUnmarshaler kind = iota + 1
	kindString
	kindID
	kindInt
	kindBool
	kindTime
	kindStrings
	kindList    // a list of values that decode themselves (json.RawMessage, amounts)
	kindPointer // a pointer to a scalar: set when the member is there and not null
	kindMap
	kindRecord
	kindRecordPtr
	kindRecordList
)

// plan is how a struct type is decoded: its fields by json name.
type plan struct {
	fields []fieldPlan
	byName map[string]int
	byFold map[string]int // folded name -> field, to refuse another case
}

type fieldPlan struct {
	name  string
	index []int
	kind  kind
	elem  *plan      // a record's, or a list of records' element's
	item  *fieldPlan // a kindList's element's, a kindPointer's target's
}

// plans holds every complete plan; planMu guards their building.
var (
	plans  sync.Map // reflect.Type -> *plan
	planMu sync.Mutex
)

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// planOf returns t's plan, building it once. A plan is published only
// once it is complete, with those of the types it holds.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	building := map[reflect.Type]*plan{}
	p := buildPlan(t, building)
	for bt, bp := range building {
		plans.Store(bt, bp)
	}
	return p
}

// buildPlan builds t's plan, or returns the one being built for a type
// that holds itself.
func buildPlan(t reflect.Type, building map[reflect.Type]*plan) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &plan{byName: map[string]int{}, byFold: map[string]int{}}
	building[t] = p
	for _, f := range fieldsOf(t, nil, building) {
		if len(p.fields) == maxFields {
			panic("wire: " + t.String() + " has more than the decoder's fields a record may have")
		}
		p.byName[f.name] = len(p.fields)
		p.byFold[foldKey([]byte(f.name))] = len(p.fields)
		p.fields = append(p.fields, f)
	}
	return p
}

// fieldsOf lists the decodable fields of t, those of an embedded struct
// after t's own, unless t has a field of the same name.
func fieldsOf(t reflect.Type, index []int, building map[reflect.Type]*plan) []fieldPlan {
	var fields, embedded []fieldPlan
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			embedded = append(embedded, fieldsOf(sf.Type, idx, building)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := fieldPlan{name: name, index: idx, kind: kindOf(sf)}
		switch f.kind {
		case kindRecord:
			f.elem = buildPlan(sf.Type, building)
		case kindRecordPtr:
			f.elem = buildPlan(sf.Type.Elem(), building)
		case kindRecordList:
			et := sf.Type.Elem()
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			f.elem = buildPlan(et, building)
		case kindList:
			f.item = &fieldPlan{name: name, kind: kindUnmarshaler}
		case kindPointer:
			elem := sf
			elem.Type = sf.Type.Elem()
			f.item = &fieldPlan{name: name, kind: kindOf(elem)}
		}
		fields = append(fields, f)
	}
	for _, e := range embedded {
		if !slicesContainsName(fields, e.name) {
			fields = append(fields, e)
		}
	}
	return fields
}

func slicesContainsName(fields []fieldPlan, name string) bool {
	for _, f := range fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// kindOf decides how the field sf is decoded.
func kindOf(sf reflect.StructField) kind {
	t := sf.Type
	isRecord := func(t reflect.Type) bool { return t.Kind() == reflect.Struct && t != timeType && hasFields(t) }
	switch {
	case t == timeType:
		return kindTime
	case isRecord(t):
		return kindRecord
	case t.Kind() == reflect.Pointer && isRecord(t.Elem()):
		return kindRecordPtr
	case t.Kind() == reflect.Slice && (isRecord(t.Elem()) || t.Elem().Kind() == reflect.Pointer && isRecord(t.Elem().Elem())):
		return kindRecordList
	case t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType):
		return kindUnmarshaler
	case t.Kind() == reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Bool:
			return kindPointer
		}
		if t.Elem() == timeType {
			return kindPointer
		}
	}
	switch t.Kind() {
	case reflect.String:
		if sf.Tag.Get("wire") == "id" {
			return kindID
		}
		return kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Bool:
		return kindBool
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return kindStrings
		}
		if t.Elem().Implements(unmarshalerType) || reflect.PointerTo(t.Elem()).Implements(unmarshalerType) {
			return kindList
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String {
			return kindMap
		}
	}
	panic("wire: field " + sf.Name + " has a type the decoder does not read: " + t.String())
}

// hasFields reports whether the struct t has an exported field: a record,
// rather than a value that decodes itself (an amount).
func hasFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

// fieldOf returns the field at index of the struct v, allocating embedded
// pointers on the way.
func fieldOf(v reflect.Value, index []int) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
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
