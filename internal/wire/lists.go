package wire

import (
	"reflect"
	"strconv"
)

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
	// Element by element: the slice's element type may be a named string
	// type ([]events.Name), which []string does not convert to.
	list := reflect.MakeSlice(fv.Type(), len(out), len(out))
	for i, s := range out {
		list.Index(i).SetString(s)
	}
	fv.Set(list)
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
