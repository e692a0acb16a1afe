package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IsTerminal reports whether w is a terminal (a *os.File on a TTY).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Palette colours text for a terminal; its zero value leaves text as is.
type Palette struct{ on bool }

// NewPalette colours when terminal is true and NO_COLOR is unset or empty
// (no-color.org); getenv reads the environment.
func NewPalette(terminal bool, getenv func(string) string) Palette {
	return Palette{on: terminal && getenv("NO_COLOR") == ""}
}

func (p Palette) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}

// Green is success.
func (p Palette) Green(s string) string { return p.paint("32", s) }

// Red is failure.
func (p Palette) Red(s string) string { return p.paint("31", s) }

// Yellow is a warning.
func (p Palette) Yellow(s string) string { return p.paint("33", s) }

// Bold is emphasis.
func (p Palette) Bold(s string) string { return p.paint("1", s) }
