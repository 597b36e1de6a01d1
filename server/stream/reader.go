package stream

import (
	"errors"
	"io"
)

// errTooBig is returned by byteReader.ReadByte once the current budget set
// by setLimit is exhausted. The decoder turns it into a policy-violation
// stream error.
var errTooBig = errors.New("stream: element exceeds the maximum size")

// readChunk is how much byteReader asks of the underlying reader at once.
const readChunk = 4096

// byteReader is the small buffered reader the xml.Decoder reads from.
//
// encoding/xml wraps any reader that is not an io.ByteReader in its own
// bufio.Reader, whose contents would be lost when the transport swaps the
// connection for a TLS one. byteReader implements io.ByteReader itself, so
// encoding/xml takes bytes from it one at a time and never reads ahead of a
// token it returns. The bytes byteReader has taken from the connection but
// not yet handed out are visible through buffered: after <starttls/> a
// client must send nothing before <proceed/> (RFC 6120 §5.4.3.3), so the
// transport may treat leftover bytes there as a protocol violation, and
// Reset on a new reader discards them.
//
// byteReader also counts the bytes it hands out and enforces a budget, so
// an oversized element is refused while it is being read, before
// encoding/xml has buffered more than the limit.
type byteReader struct {
	r     io.Reader
	buf   []byte
	off   int   // next unread byte in buf
	end   int   // end of valid data in buf
	n     int64 // bytes handed out since the reader was set
	limit int64 // n may not exceed limit; <0 means no limit
	err   error // the last error of the underlying reader
	over  bool  // the budget was exceeded
	prev  byte  // the byte handed out before last
	last  byte  // the byte handed out last
}

// reset points b at r. Buffered bytes are kept only when r is the reader b
// already reads from (a stream restart after SASL on the same connection).
func (b *byteReader) reset(r io.Reader) {
	if !sameReader(b.r, r) {
		b.off, b.end = 0, 0
	}
	b.r = r
	b.err = nil
	b.over = false
	b.limit = -1
}

// sameReader reports whether a and b are the same reader, without panicking
// on readers of an incomparable dynamic type.
func sameReader(a, b io.Reader) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// buffered returns the number of bytes read from the underlying reader but
// not yet consumed.
func (b *byteReader) buffered() int { return b.end - b.off }

// setLimit allows max more bytes to be read; max < 0 removes the limit.
func (b *byteReader) setLimit(max int64) {
	if max < 0 {
		b.limit = -1
		return
	}
	b.limit = b.n + max
}

// fill reads more data from the underlying reader into the buffer.
func (b *byteReader) fill() error {
	if b.buf == nil {
		b.buf = make([]byte, chunkFor(b.r))
	}
	b.off, b.end = 0, 0
	for range 100 {
		n, err := b.r.Read(b.buf)
		b.end = n
		if n > 0 {
			return nil
		}
		if err != nil {
			b.err = err
			return err
		}
	}
	b.err = io.ErrNoProgress
	return b.err
}

// chunkFor is the buffer size for reading r: readChunk, or less when r
// tells how much it holds (a BOSH request body already in memory), so that
// decoding a small body does not allocate a full chunk.
func chunkFor(r io.Reader) int {
	if l, ok := r.(interface{ Len() int }); ok {
		return max(min(l.Len(), readChunk), 64)
	}
	return readChunk
}

// peek returns the next byte without consuming it.
func (b *byteReader) peek() (byte, error) {
	if b.off == b.end {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	return b.buf[b.off], nil
}

// ReadByte implements io.ByteReader.
func (b *byteReader) ReadByte() (byte, error) {
	if b.limit >= 0 && b.n >= b.limit {
		b.over = true
		return 0, errTooBig
	}
	c, err := b.peek()
	if err != nil {
		return 0, err
	}
	b.off++
	b.n++
	b.prev, b.last = b.last, c
	return c, nil
}

// Read implements io.Reader; encoding/xml only uses it to hand the input to
// a CharsetReader, which the decoder refuses anyway.
func (b *byteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := b.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}
