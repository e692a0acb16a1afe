package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Encode writes the struct v as ChargeDesk writes its records: a JSON
// object of its json-tagged fields in their order (an embedded struct's
// after its own), times as unix seconds (0 when unset), the rest as
// encoding/json writes them. It is what Decode reads back.
func Encode(v any) ([]byte, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, f := range planOf(rv.Type()).fields {
		fv := fieldOf(rv, f.index)
		raw, err := encodeValue(fv)
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(f.name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(raw)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func encodeValue(fv reflect.Value) ([]byte, error) {
	if fv.Type() == timeType {
		t := fv.Interface().(time.Time)
		if t.IsZero() {
			return []byte("0"), nil
		}
		return strconv.AppendInt(nil, t.Unix(), 10), nil
	}
	return json.Marshal(fv.Interface())
}
