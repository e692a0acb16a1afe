package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
)

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
