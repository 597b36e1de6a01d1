package main

import (
	"bytes"
	"errors"
	"fmt"
)

// Parsing of response heads (RFC 9112 §2-§6) for the HTTP client of
// httpc.go: pure functions over the bytes read.

// headLen returns the length of the response head at the start of b, up
// to and including the empty line (CRLF or LF line ends), or 0 when b has
// no empty line yet.
func headLen(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
	return 0
}

// framing is how a response body is delimited.
type framing struct {
	chunked bool
	length  int64 // -1: none given
}

// parseHead parses a status line and header fields (RFC 9112 §4, §5).
func parseHead(head []byte) (httpResponse, framing, error) {
	var resp httpResponse
	fr := framing{length: -1}
	line, rest := cutLine(head)
	proto, status, _ := bytes.Cut(line, []byte(" "))
	var http10 bool
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		http10 = true
	default:
		return resp, fr, fmt.Errorf("HTTP: malformed status line %.60q", line)
	}
	code, reason, _ := bytes.Cut(status, []byte(" "))
	if len(code) != 3 || !isDigits(code) || code[0] == '0' {
		return resp, fr, fmt.Errorf("HTTP: malformed status line %.60q", line)
	}
	n := int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	resp.status = n
	if n != 200 {
		resp.reason = string(reason)
	}
	if n == 101 {
		return resp, fr, errors.New("HTTP: unexpected 101 Switching Protocols")
	}
	keepAlive := !http10
	var te []byte
	for k := 0; ; k++ {
		if k > maxHeaders {
			return resp, fr, fmt.Errorf("HTTP: more than %d header fields", maxHeaders)
		}
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.IndexByte(line[:colon], ' ') >= 0 || bytes.IndexByte(line[:colon], '\t') >= 0 {
			return resp, fr, fmt.Errorf("HTTP: malformed header line %.60q", line)
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		switch len(name) { // only these fields matter
		case len("Content-Length"):
			if !asciiEqualFold(name, "Content-Length") {
				break
			}
			v, ok := parseLength(value)
			if !ok || fr.length >= 0 && fr.length != v {
				return resp, fr, fmt.Errorf("HTTP: bad Content-Length %q", value)
			}
			fr.length = v
		case len("Transfer-Encoding"):
			if !asciiEqualFold(name, "Transfer-Encoding") {
				break
			}
			if te != nil {
				te = append(append(te, ','), value...)
			} else {
				te = append([]byte{}, value...)
			}
		case len("Connection"):
			if !asciiEqualFold(name, "Connection") {
				break
			}
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = trimOWS(tok)
				if asciiEqualFold(tok, "close") {
					resp.close = true
				} else if asciiEqualFold(tok, "keep-alive") {
					keepAlive = true
				}
			}
		case len("Content-Encoding"):
			if asciiEqualFold(name, "Content-Encoding") && !asciiEqualFold(value, "identity") {
				return resp, fr, fmt.Errorf("HTTP: unsupported Content-Encoding %q (the load tool asks for none)", value)
			}
		}
	}
	if te != nil {
		if !asciiEqualFold(trimOWS(te), "chunked") {
			return resp, fr, fmt.Errorf("HTTP: unsupported Transfer-Encoding %q", te)
		}
		fr.chunked = true
		if fr.length >= 0 { // RFC 9112 §6.1: the length is ignored, the connection closed after
			fr.length = -1
			resp.close = true
		}
	}
	if !keepAlive {
		resp.close = true
	}
	return resp, fr, nil
}

// trimOWS trims the optional white space (spaces and tabs) around b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// parseLength parses a Content-Length: decimal digits, at most 18.
func parseLength(b []byte) (int64, bool) {
	if !isDigits(b) || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// cutLine splits b after its first line, without the line's CRLF or LF.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, rest
}

// asciiEqualFold compares b with the ASCII string s, ignoring case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
