package bosh

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

var h1Seeds = []string{
	"POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	"POST /http-bind?a=b HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /p%20q HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	"POST / HTTP/1.1\r\nHost : x\r\n\r\n",
	"POST / HTTP/1.1\r\n\r\n",
	"POST / HTTP/2.0\r\nHost: x\r\n\r\n",
	"POST  / HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST / HTTP/1.1\nHost: x\nX-Custom-thing: v  \n\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
}

// TestReadH1 checks the seeds against net/http and a few exact results.
func TestReadH1(t *testing.T) {
	for _, s := range h1Seeds {
		compareH1(t, []byte(s))
	}
	hr, err := readH1(bufio.NewReader(strings.NewReader(h1Seeds[1])))
	if err != nil || hr.req.Method != "POST" || hr.req.URL.Path != "/http-bind" || hr.req.URL.RawQuery != "a=b" ||
		!hr.req.Close || hr.req.Header.Get("Content-Length") != "0" {
		t.Fatalf("%v %+v", err, hr)
	}
	big := "POST / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n"
	if _, err := readH1(bufio.NewReaderSize(strings.NewReader(big), 4096)); err != errHeaderTooLarge {
		t.Fatal(err)
	}
}

// FuzzReadH1: what readH1 accepts, net/http reads the same way.
func FuzzReadH1(f *testing.F) {
	for _, s := range h1Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { compareH1(t, raw) })
}

func compareH1(t *testing.T, raw []byte) {
	t.Helper()
	hr, err := readH1(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return
	}
	defer hr.release()
	got := &hr.req
	want, werr := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if werr != nil {
		t.Fatalf("%q: accepted, net/http says %v", raw, werr)
	}
	if got.Method != want.Method || got.URL.Path != want.URL.Path || got.URL.RawQuery != want.URL.RawQuery ||
		got.ProtoMinor != want.ProtoMinor || got.Host != want.Host || got.Close != want.Close ||
		got.ContentLength != want.ContentLength || got.RequestURI != want.RequestURI {
		t.Fatalf("%q:\ngot  %s %v %q %d %v %d\nwant %s %v %q %d %v %d", raw,
			got.Method, got.URL, got.Host, got.ProtoMinor, got.Close, got.ContentLength,
			want.Method, want.URL, want.Host, want.ProtoMinor, want.Close, want.ContentLength)
	}
	for k, vs := range want.Header {
		if k == "Host" {
			continue
		}
		if strings.Join(got.Header[k], "\x00") != strings.Join(vs, "\x00") {
			t.Fatalf("%q: header %s: %q, net/http %q", raw, k, got.Header[k], vs)
		}
	}
	gb, gerr := io.ReadAll(got.Body)
	wb, _ := io.ReadAll(want.Body)
	if gerr == nil && !bytes.Equal(gb, wb) {
		t.Fatalf("%q: body %q, net/http %q", raw, gb, wb)
	}
}
