package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Error is one problem in a configuration file. Error() reads
// "FILE:LINE: KEY: MESSAGE"; the line is left out when unknown and the file
// when the configuration did not come from a file.
type Error struct {
	File string // path of the file, "" for a configuration built in code
	Line int    // line from 1, 0 when unknown
	Key  string // dotted key such as "c2s.listen", "" for syntax errors
	Msg  string // what is wrong and what is expected
}

// Error formats the problem as "FILE:LINE: KEY: MESSAGE".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the TOML file at path over Default and validates the result.
// An empty path returns the validated defaults. Every problem found is
// reported as an *Error (several are joined with errors.Join).
func Load(path string) (*Config, error) {
	cfg := Default()
	if path == "" {
		return cfg, cfg.Validate()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.decode(path, string(data)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse is Load for a document already in memory; name is used in errors.
func Parse(name, doc string) (*Config, error) {
	cfg := Default()
	if err := cfg.decode(name, doc); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) decode(file, doc string) error {
	var raw map[string]any
	if _, err := toml.Decode(doc, &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &Error{File: file, Line: pe.Position.Line, Msg: pe.Message}
		}
		return &Error{File: file, Msg: err.Error()}
	}
	lines := keyLines(doc)
	var errs []error
	checkTable(raw, reflect.TypeOf(*c), "", func(key, msg string) {
		errs = append(errs, &Error{File: file, Line: lineOf(lines, key), Key: key, Msg: msg})
	})
	if len(errs) > 0 {
		return sortErrors(errs)
	}
	md, err := toml.Decode(doc, c)
	if err != nil { // checkTable should have caught it; report as is
		return &Error{File: file, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return &Error{File: file, Line: lineOf(lines, k), Key: k, Msg: "unknown key"}
	}
	if err := c.Validate(); err != nil {
		return withFile(err, file, lines)
	}
	return nil
}

// withFile puts file and line into the *Error values inside err.
func withFile(err error, file string, lines map[string]int) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ce *Error
		if errors.As(e, &ce) {
			ce.File, ce.Line = file, lineOf(lines, ce.Key)
		}
	}
	return sortErrors(list)
}

func sortErrors(errs []error) error {
	line := func(e error) int {
		var ce *Error
		if errors.As(e, &ce) {
			return ce.Line
		}
		return 0
	}
	sort.SliceStable(errs, func(i, j int) bool { return line(errs[i]) < line(errs[j]) })
	return errors.Join(errs...)
}

var durationType = reflect.TypeOf(Duration{})

// checkTable compares a decoded TOML table with the struct type t and
// reports unknown keys and values of the wrong type.
func checkTable(raw map[string]any, t reflect.Type, prefix string, report func(key, msg string)) {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name := strings.Split(f.Tag.Get("toml"), ",")[0]; name != "" {
			fields[name] = f
		}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := join(prefix, k)
		f, ok := fields[k]
		if !ok {
			report(key, "unknown key"+suggest(k, fields))
			continue
		}
		checkValue(raw[k], f.Type, key, report)
	}
}

func checkValue(v any, t reflect.Type, key string, report func(key, msg string)) {
	want := describe(t)
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			report(key, fmt.Sprintf("expected %s, got %s", want, tomlType(v)))
			return
		}
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			report(key, err.Error())
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			report(key, fmt.Sprintf("expected %s, got %s", want, tomlType(v)))
			return
		}
		checkTable(m, t, key, report)
	case t.Kind() == reflect.Map: // free-form table passed through
		if _, ok := v.(map[string]any); !ok {
			report(key, fmt.Sprintf("expected %s, got %s", want, tomlType(v)))
		}
	case t.Kind() == reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			report(key, fmt.Sprintf("expected %s, got %s", want, tomlType(v)))
			return
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				report(key, fmt.Sprintf("expected %s, got an array holding %s", want, tomlType(e)))
				return
			}
		}
	default:
		if !sameKind(v, t.Kind()) {
			report(key, fmt.Sprintf("expected %s, got %s", want, tomlType(v)))
		}
	}
}

func sameKind(v any, k reflect.Kind) bool {
	switch v.(type) {
	case string:
		return k == reflect.String
	case bool:
		return k == reflect.Bool
	case int64:
		return k == reflect.Int
	}
	return false
}

// describe says in words what a TOML value for Go type t looks like.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration string such as "30s"`
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "a table"
	case t.Kind() == reflect.Slice:
		return `an array of strings such as ["a", "b"]`
	case t.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case t.Kind() == reflect.Int:
		return "an integer"
	}
	return "a string"
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	}
	return "a date/time"
}

// suggest returns ` (did you mean "x"?)` for a near miss of a known key.
func suggest(k string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	for name := range fields {
		if d := distance(k, name); d < bestD || d == bestD && best != "" && name < best {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
