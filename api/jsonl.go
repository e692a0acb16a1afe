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

	"github.com/chargedesk/chargedesk-go/internal/wire"
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
// object and params, as strictly as the webhook receiver reads a webhook:
// a line that is not valid UTF-8, repeats a key in any object, spells a
// known key in another case or Unicode form (which encoding/json would
// silently match), has an unknown field, or holds an id with a leading or
// trailing space or an invisible or control character is refused with an
// error that names the problem, never the line's values.
func DecodeRecord(line []byte) (object string, params any, err error) {
	if err := wire.Check(line, new(lineHead)); err != nil {
		return "", nil, describeCheckError(err)
	}
	object, ok := leadingObject(line)
	if !ok {
		var head struct {
			Object *string `json:"object"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return "", nil, errors.New(`"object" must be text`)
		}
		if head.Object == nil {
			return "", nil, errors.New(`no "object" (charge, customer, subscription or product)`)
		}
		object = *head.Object
	}
	switch object {
	case "charge":
		var l struct {
			Object string `json:"object"`
			ChargeParams
		}
		if err := decodeLine(line, &l); err != nil {
			return object, nil, err
		}
		p := &l.ChargeParams
		return object, p, checkIDs(idField{"transaction_id", p.TransactionID}, refID("customer", p.Customer),
			refID("product", p.Product), refID("subscription", p.Subscription))
	case "customer":
		var l struct {
			Object string `json:"object"`
			CustomerParams
		}
		if err := decodeLine(line, &l); err != nil {
			return object, nil, err
		}
		p := &l.CustomerParams
		return object, p, checkIDs(idField{"customer_id", p.CustomerID})
	case "subscription":
		var l struct {
			Object string `json:"object"`
			SubscriptionParams
		}
		if err := decodeLine(line, &l); err != nil {
			return object, nil, err
		}
		p := &l.SubscriptionParams
		ids := []idField{{"subscription_id", p.SubscriptionID}, {"customer_id", p.CustomerID}}
		for i, item := range p.Items {
			ids = append(ids, idField{fmt.Sprintf("items[%d]", i), item})
		}
		return object, p, checkIDs(ids...)
	case "product":
		var l struct {
			Object string `json:"object"`
			ProductParams
		}
		if err := decodeLine(line, &l); err != nil {
			return object, nil, err
		}
		p := &l.ProductParams
		return object, p, checkIDs(idField{"product_id", p.ProductID})
	}
	return "", nil, errors.New(`"object" must be charge, customer, subscription or product`)
}

// leadingObject returns the value of "object" when it is the line's first
// member, written plainly, as a platform's export writes it: {"object":
// "charge", ... It is exact on a line wire.Check accepted, where "object"
// appears once; any other line is decoded to find it.
func leadingObject(line []byte) (string, bool) {
	rest := bytes.TrimLeft(line, " \t")
	for _, token := range []string{"{", `"object"`, ":", `"`} {
		var ok bool
		if rest, ok = bytes.CutPrefix(bytes.TrimLeft(rest, " \t"), []byte(token)); !ok {
			return "", false
		}
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// idField is an id of a record and the field it is in.
type idField struct{ field, id string }

func refID(field string, r *Ref) idField {
	if r == nil {
		return idField{}
	}
	return idField{field + ".id", r.ID}
}

// checkIDs refuses an id with a leading or trailing space or an invisible
// or control character: ChargeDesk would keep it as a different record
// than the one meant.
func checkIDs(ids ...idField) error {
	for _, f := range ids {
		if err := wire.CheckID(f.id); err != nil {
			return fmt.Errorf("%s %v", f.field, err)
		}
	}
	return nil
}

// decodeLine checks line against the keys of v, the line's object's struct,
// then decodes it, refusing unknown fields.
func decodeLine(line []byte, v any) error {
	if err := wire.Check(line, v); err != nil {
		return describeCheckError(err)
	}
	return decodeStrict(line, v)
}

// decodeStrict decodes line into v, refusing unknown fields.
func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	return nil
}

// describeCheckError words wire.Check's errors for a line rather than a
// webhook.
func describeCheckError(err error) error {
	switch {
	case errors.Is(err, wire.ErrEmptyBody), errors.Is(err, wire.ErrNotObject):
		return errors.New("not a JSON object")
	case errors.Is(err, wire.ErrBadJSON):
		msg := strings.TrimPrefix(err.Error(), wire.ErrBadJSON.Error()+": ")
		msg = strings.ReplaceAll(msg, "the body", "the line")
		return errors.New(msg)
	}
	return err
}

// lineHead is what every line has: wire.Check holds the line to it first
// (one object of valid JSON, no key twice in any case, bounded depth),
// then to its object's own fields (no known key in another case).
type lineHead struct {
	Object string `json:"object"`
}

// describeJSONError names the field and what was wrong, without the value.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		// The line decodes into a struct embedding the params: drop the
		// embedded struct's name from the path.
		if before, after, ok := strings.Cut(field, "."); ok && strings.HasSuffix(before, "Params") {
			field = after
		}
		return fmt.Errorf("%s must be %s", field, describeGoType(te.Type.String()))
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
