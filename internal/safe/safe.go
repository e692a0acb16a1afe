// Package safe describes values that may misbehave: a panic value or an
// error from user code whose Error, String or MarshalJSON may panic again.
package safe

import (
	"fmt"
	"strings"
)

// Describe returns v as text (%v), or, when formatting it panics, its type
// and a note saying so. It never panics.
func Describe(v any) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("a %T whose description panicked", v)
		}
	}()
	s = fmt.Sprintf("%v", v)
	if strings.HasPrefix(s, "%!v(PANIC=") { // fmt caught it: do not echo what it said
		return fmt.Sprintf("a %T whose description panicked", v)
	}
	return s
}

// Error returns err.Error(), or Describe's note when it panics.
func Error(err error) (s string) {
	if err == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("a %T whose Error method panicked", err)
		}
	}()
	return err.Error()
}
