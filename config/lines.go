package config

import (
	"strings"
)

// keyLines maps each dotted key of a TOML document ("c2s.listen", and the
// tables "c2s") to the line (from 1) where it is first written. The TOML
// library keeps key positions private, so this is a small scanner that knows
// just enough TOML to find keys: table headers, dotted and quoted keys,
// inline tables, and multi-line strings and arrays whose content it skips.
func keyLines(src string) map[string]int {
	s := &lineScanner{lines: map[string]int{}}
	for i, line := range strings.Split(src, "\n") {
		s.line(i+1, line)
	}
	return s.lines
}

type lineScanner struct {
	lines map[string]int
	table string // current table prefix, "" at top level
	inStr string // closing delimiter of an open multi-line string
	depth int    // open [ of a multi-line array value
}

func (s *lineScanner) add(key string, n int) {
	if _, ok := s.lines[key]; !ok {
		s.lines[key] = n
	}
}

func (s *lineScanner) line(n int, line string) {
	rest := line
	if s.inStr != "" {
		i := strings.Index(rest, s.inStr)
		if i < 0 {
			return
		}
		rest, s.inStr = rest[i+3:], ""
	}
	if s.depth > 0 {
		s.skipValue(rest)
		return
	}
	t := strings.TrimSpace(rest)
	switch {
	case t == "" || t[0] == '#':
		return
	case t[0] == '[':
		inner := strings.TrimPrefix(t, "[")
		inner = strings.TrimPrefix(inner, "[")
		end := strings.Index(inner, "]")
		if end < 0 {
			return
		}
		keys, _ := splitKey(inner[:end])
		s.table = strings.Join(keys, ".")
		s.addPrefixes(keys, "", n)
		return
	}
	keys, after := splitKey(t)
	if len(keys) == 0 || !strings.HasPrefix(strings.TrimSpace(after), "=") {
		return
	}
	s.addPrefixes(keys, s.table, n)
	value := strings.TrimSpace(strings.TrimSpace(after)[1:])
	if strings.HasPrefix(value, "{") {
		s.inline(join(s.table, strings.Join(keys, ".")), value[1:], n)
	}
	s.skipValue(value)
}

// addPrefixes records a.b.c and its parents a.b and a, under prefix.
func (s *lineScanner) addPrefixes(keys []string, prefix string, n int) {
	for i := range keys {
		s.add(join(prefix, strings.Join(keys[:i+1], ".")), n)
	}
}

// inline records the keys of an inline table { a = 1, b = { c = 2 } }.
func (s *lineScanner) inline(prefix, body string, n int) {
	for body != "" {
		keys, after := splitKey(strings.TrimLeft(body, " \t,"))
		after = strings.TrimSpace(after)
		if len(keys) == 0 || !strings.HasPrefix(after, "=") {
			return
		}
		s.addPrefixes(keys, prefix, n)
		value := strings.TrimSpace(after[1:])
		if strings.HasPrefix(value, "{") {
			s.inline(join(prefix, strings.Join(keys, ".")), value[1:], n)
		}
		i := strings.IndexAny(value, ",")
		if i < 0 {
			return
		}
		body = value[i+1:]
	}
}

// skipValue tracks brackets and multi-line strings in a value so that lines
// continuing it are not read as keys.
func (s *lineScanner) skipValue(v string) {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '#':
			return
		case '[':
			s.depth++
		case ']':
			if s.depth > 0 {
				s.depth--
			}
		case '"', '\'':
			delim := strings.Repeat(string(c), 3)
			if strings.HasPrefix(v[i:], delim) {
				end := strings.Index(v[i+3:], delim)
				if end < 0 {
					s.inStr = delim
					return
				}
				i += 3 + end + 2
				continue
			}
			i = skipString(v, i)
		}
	}
}

// skipString returns the index of the quote closing the string opened at i.
func skipString(v string, i int) int {
	q := v[i]
	for j := i + 1; j < len(v); j++ {
		if q == '"' && v[j] == '\\' {
			j++
			continue
		}
		if v[j] == q {
			return j
		}
	}
	return len(v)
}

// splitKey reads a possibly dotted, possibly quoted key from the start of s
// and returns its parts and the text after it.
func splitKey(s string) (keys []string, rest string) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return keys, s
		}
		var k string
		switch s[0] {
		case '"', '\'':
			end := skipString(s, 0)
			if end >= len(s) {
				return nil, ""
			}
			k, s = s[1:end], s[end+1:]
		default:
			j := 0
			for j < len(s) && isBareKeyChar(s[j]) {
				j++
			}
			if j == 0 {
				return keys, s
			}
			k, s = s[:j], s[j:]
		}
		keys = append(keys, k)
		t := strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(t, ".") {
			return keys, s
		}
		s = t[1:]
	}
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// lineOf finds the line of key, or of its nearest written parent table;
// 0 when none is in the file.
func lineOf(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
			return n
		}
		i := strings.LastIndex(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}
