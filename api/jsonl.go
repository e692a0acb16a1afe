package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync/atomic"
)

// MaxLineBytes bounds one line of a JSON Lines import; a longer line is
// reported as failed and skipped.
const MaxLineBytes = 1 << 20

// JSONLReader reads import records from JSON Lines: one JSON object a
// line, with "object" set to "charge", "customer", "subscription" or
// "product" and the create endpoint's parameters as JSON, nested as the
// form nests them (customer[id] as {"customer": {"id": "cus_1"}}):
//
//	{"object": "charge", "transaction_id": "ch_1", "amount": "34.00", "currency": "USD", "customer": {"id": "cus_1"}}
//
// It streams: memory stays constant however long the input. Blank lines
// are skipped. A line that does not decode (not JSON, an unknown object or
// field, a wrong type) becomes a Record with Err set, naming what is wrong
// but never quoting the line's values.
type JSONLReader struct {
	r    *bufio.Reader
	read atomic.Int64
	err  error
}

// NewJSONLReader reads records from r.
func NewJSONLReader(r io.Reader) *JSONLReader {
	return &JSONLReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Records yields the records from line from (1-based) on; lines before it
// are read and skipped without being decoded.
func (j *JSONLReader) Records(from int) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for line := 1; ; line++ {
			text, tooLong, err := j.readLine()
			if err != nil && !errors.Is(err, io.EOF) {
				j.err = err
				return
			}
			if line >= from && (len(bytes.TrimSpace(text)) > 0 || tooLong) {
				rec := Record{Line: line}
				if tooLong {
					rec.Err = fmt.Errorf("the line is longer than %d bytes", MaxLineBytes)
				} else {
					rec.Object, rec.Params, rec.Err = DecodeRecord(text)
				}
				if !yield(rec) {
					return
				}
			}
			if errors.Is(err, io.EOF) {
				return
			}
		}
	}
}

// readLine returns the next line without its end; a line over
// MaxLineBytes is consumed and reported too long.
func (j *JSONLReader) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := j.r.ReadSlice('\n')
		j.read.Add(int64(len(chunk)))
		if len(buf)+len(chunk) > MaxLineBytes {
			tooLong = true
			buf = buf[:0]
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			return bytes.TrimRight(buf, "\r\n"), tooLong, nil
		}
		if errors.Is(err, io.EOF) && (len(buf) > 0 || tooLong) {
			return buf, tooLong, io.EOF
		}
		return buf, tooLong, err
	}
}

// BytesRead is how much of the input has been read, for progress.
func (j *JSONLReader) BytesRead() int64 { return j.read.Load() }

// Err is the read error that ended the records early, nil at the end of
// the input.
func (j *JSONLReader) Err() error { return j.err }

// DecodeRecord decodes one JSON Lines record (see JSONLReader) into its
// object and params.
func DecodeRecord(line []byte) (object string, params any, err error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil || fields == nil {
		return "", nil, errors.New("not a JSON object")
	}
	raw, ok := fields["object"]
	if !ok {
		return "", nil, errors.New(`no "object" (charge, customer, subscription or product)`)
	}
	if err := json.Unmarshal(raw, &object); err != nil {
		return "", nil, errors.New(`"object" must be text`)
	}
	delete(fields, "object")
	rest, err := json.Marshal(fields)
	if err != nil {
		return "", nil, errors.New("not a JSON object")
	}
	switch object {
	case "charge":
		params, err = decodeParams[ChargeParams](rest)
	case "customer":
		params, err = decodeParams[CustomerParams](rest)
	case "subscription":
		params, err = decodeParams[SubscriptionParams](rest)
	case "product":
		params, err = decodeParams[ProductParams](rest)
	default:
		return "", nil, errors.New(`"object" must be charge, customer, subscription or product`)
	}
	if err != nil {
		return object, nil, err // not a typed nil in params
	}
	return object, params, nil
}

func decodeParams[P any](body []byte) (*P, error) {
	p := new(P)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, describeJSONError(err)
	}
	return p, nil
}

// describeJSONError names the field and what was wrong, without the value.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s must be %s", te.Field, describeGoType(te.Type.String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", rest)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the JSON object ends early")
	}
	// Amount and time errors carry the value; name the problem only.
	return errors.New("a field has a value of the wrong form (amounts are decimal text, times RFC 3339)")
}

func describeGoType(t string) string {
	switch t {
	case "string":
		return "text"
	case "int", "*int":
		return "a whole number"
	case "bool", "*bool":
		return "true or false"
	case "map[string]string":
		return "an object of text"
	case "[]string":
		return "a list of text"
	case "chargedesk.Amount", "*chargedesk.Amount":
		return "an amount (a decimal such as \"34.00\")"
	}
	return "of another type (" + t + ")"
}
