package wire

import (
	"strings"
	"unicode"
)

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
