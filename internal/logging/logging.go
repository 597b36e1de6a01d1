// Package logging builds the server's zerolog logger: human-readable console
// output when writing to a terminal, JSON lines otherwise.
package logging

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Levels lists the accepted level names, least severe first.
var Levels = []string{"trace", "debug", "info", "warn", "error"}

// ParseLevel turns a level name from Levels into a zerolog level.
func ParseLevel(s string) (zerolog.Level, error) {
	for _, l := range Levels {
		if s == l {
			return zerolog.ParseLevel(s)
		}
	}
	return zerolog.NoLevel, fmt.Errorf("unknown log level %q: expected trace, debug, info, warn or error", s)
}

// New returns a logger writing to w at the named level. When w is a
// terminal the output is coloured console text, otherwise JSON lines with
// RFC 3339 timestamps.
func New(w io.Writer, level string) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	if IsTerminal(w) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
