package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestRawConn moves 8 MiB each way through a loopback connection dialled
// by netEnv: enough for writes to fill the socket buffer and wait, and
// for reads to wait for data.
func TestRawConn(t *testing.T) {
	addr := serveOne(t, func(c net.Conn) {
		io.Copy(c, c) // echo, until our half-close
	})
	c, err := newNetEnv(nil, "localhost").dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if isLinux && fmt.Sprintf("%T", c) != "*main.rawConn" {
		t.Fatalf("dial returned a %T", c)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, "ping") // WriteString, without a copy
		if err == nil {
			_, err = c.Write(data)
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte("ping"), data...)) {
		t.Fatalf("echoed %d bytes, sent %d", len(got), len(data))
	}
	// A read deadline in the past fails at once, as with net.Conn.
	c.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	c.Close()
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("write on a closed connection")
	}
}

// TestWriteAwait: a request written by writeAwait returns once its answer
// can be read; one larger than the socket buffer is finished by Write.
func TestWriteAwait(t *testing.T) {
	if !isLinux {
		t.Skip("raw system calls on Linux only")
	}
	addr := serveOne(t, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			var want, got int
			n, err := c.Read(buf[:8]) // an 8-digit length, then that many bytes
			if err != nil || n != 8 {
				return
			}
			fmt.Sscanf(string(buf[:8]), "%d", &want)
			for got < want {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				got += n
			}
			fmt.Fprintf(c, "got %d", got)
		}
	})
	c, err := newNetEnv(nil, "localhost").dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	aw := c.(awaiter)
	for _, size := range []int{10, 16 << 20} {
		req := append([]byte(fmt.Sprintf("%08d", size)), bytes.Repeat([]byte("x"), size)...)
		buf := make([]byte, 64)
		n, k, err := aw.writeAwait(req, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n < len(req) {
			if size < 1<<20 || k != 0 {
				t.Fatalf("request of %d: wrote %d of %d, read %d", size, n, len(req), k)
			}
			if _, err := c.Write(req[n:]); err != nil {
				t.Fatal(err)
			}
			if k, err = c.Read(buf); err != nil {
				t.Fatal(err)
			}
		} else if k == 0 {
			t.Fatal("writeAwait returned before the answer")
		}
		if string(buf[:k]) != fmt.Sprintf("got %d", size) {
			t.Fatalf("answer %q", buf[:k])
		}
	}
}

// TestReadLoop: readLoop hands over every byte, lets got write on the
// connection, and ends with got's error or at the end of the stream.
func TestReadLoop(t *testing.T) {
	if !isLinux {
		t.Skip("raw system calls on Linux only")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	second := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 16)
		for i := range 50 { // ping-pong: a line, then wait for the answer
			fmt.Fprintf(c, "line %d\n", i)
			if _, err := io.ReadFull(c, buf[:3]); err != nil {
				return
			}
		}
		c.Write(bytes.Repeat([]byte("z"), 1<<20)) // more than one read
		c.Close()
		if c, err := l.Accept(); err == nil {
			second <- c
		}
	}()
	c, err := newNetEnv(nil, "localhost").dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	var got bytes.Buffer
	lines := 0
	err = c.(loopReader).readLoop(
		func() ([]byte, error) { return buf, nil },
		func(n int) error {
			got.Write(buf[:n])
			for lines < 50 && bytes.Count(got.Bytes(), []byte("\n")) > lines {
				lines++
				if _, err := c.Write([]byte("ok\n")); err != nil {
					return err
				}
			}
			return nil
		})
	if err != io.EOF {
		t.Fatalf("readLoop ended with %v, want io.EOF", err)
	}
	if lines != 50 || got.Len() != len("line 0\n")*10+len("line 10\n")*40+1<<20 {
		t.Fatalf("%d lines, %d bytes", lines, got.Len())
	}
	// got's error ends the loop, the connection still open.
	c2, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	srv := <-second
	defer srv.Close()
	srv.Write([]byte("abc"))
	raw := newRawConn(c2)
	stop := errors.New("stop")
	if err := raw.(loopReader).readLoop(func() ([]byte, error) { return buf, nil }, func(int) error { return stop }); err != stop {
		t.Fatalf("readLoop ended with %v, want got's error", err)
	}
}

// serveOne listens on loopback and runs serve on the first connection,
// closing it afterwards; the listener closes with the test.
func serveOne(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return l.Addr().String()
}
