//go:build linux

package main

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawConn is a TCP connection read and written with raw system calls on
// its non-blocking socket, waiting for readiness through the runtime's
// poller as net.Conn does. A blocking-style system call (syscall.Read,
// net.Conn's) hands the goroutine's P back to the scheduler and the
// runtime's monitor takes it away when the call lasts over 20 µs, as a
// write over loopback often does, since it runs the receiver's side of
// TCP; the load tool then spends as much CPU on thread hand-offs and on
// the monitor waking every 20 µs as on the calls. A raw call on a
// non-blocking socket never blocks, so the P stays with it.
type rawConn struct {
	net.Conn // Close, deadlines, addresses
	rc       syscall.RawConn

	rfn, wfn, afn, lfn func(fd uintptr) bool  // method values, made once
	room               func() ([]byte, error) // readLoop's
	got                func(n int) error
	awrote             bool // writeAwait: the write is done
	rp, wp             []byte
	rn, wn             int
	rerr               error
	werr               error
}

const isLinux = true

// CloseWrite shuts down the writing side (net.TCPConn's).
func (r *rawConn) CloseWrite() error { return r.Conn.(*net.TCPConn).CloseWrite() }

// newRawConn wraps a *net.TCPConn; other connections are returned as
// they are.
func newRawConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawConn{Conn: c, rc: rc}
	r.rfn, r.wfn, r.afn, r.lfn = r.doRead, r.doWrite, r.doAwait, r.doLoop
	return r
}

func (r *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rp, r.rn, r.rerr = p, 0, nil
	err := r.rc.Read(r.rfn)
	n := r.rn
	r.rp = nil
	if err != nil {
		return n, err // a deadline, or the connection closed
	}
	return n, r.rerr
}

// doRead makes one read; false asks the poller to wait for data.
func (r *rawConn) doRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.rp[0])), uintptr(len(r.rp)))
		switch e {
		case 0:
			r.rn = int(n)
			if n == 0 {
				r.rerr = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.rerr = os.NewSyscallError("read", e)
		return true
	}
}

func (r *rawConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.wp, r.wn, r.werr = p, 0, nil
	err := r.rc.Write(r.wfn)
	n := r.wn
	r.wp = nil
	if err != nil {
		return n, err
	}
	return n, r.werr
}

// readLoop reads into room() and hands each read to got until one of them
// or the connection fails, all inside one read operation of the poller.
// A read that did not fill its room drained the socket: the loop then
// waits for readiness without a read attempt first, since readiness is
// not reset between the reads of one operation, and data arriving after
// the read marks it. got may write on the connection.
func (r *rawConn) readLoop(room func() ([]byte, error), got func(n int) error) error {
	r.room, r.got, r.rerr = room, got, nil
	err := r.rc.Read(r.lfn)
	r.room, r.got = nil, nil
	if err != nil {
		return err
	}
	return r.rerr
}

func (r *rawConn) doLoop(fd uintptr) bool {
	for {
		p, err := r.room()
		if err != nil {
			r.rerr = err
			return true
		}
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.rerr = os.NewSyscallError("read", e)
			return true
		}
		if n == 0 {
			r.rerr = io.EOF
			return true
		}
		if err := r.got(int(n)); err != nil {
			r.rerr = err
			return true
		}
		if int(n) < len(p) {
			return false
		}
	}
}

// writeAwait writes p, a request, waits until the connection has
// something to read, its answer, and reads what it can of it into buf.
// The write is made inside the poller's read operation, after it reset
// the read readiness: so the reading needs no first attempt that would
// find nothing (a system call per request saved), and an answer arriving
// before the wait cannot be missed. It returns how much of p it wrote
// (less when the socket buffer was full: the caller writes the rest with
// Write) and how much it read; a failed read is left for the next Read
// to report.
func (r *rawConn) writeAwait(p, buf []byte) (wrote, read int, err error) {
	if len(p) == 0 {
		return 0, 0, nil
	}
	r.wp, r.wn, r.werr, r.awrote = p, 0, nil, false
	r.rp, r.rn = buf, 0
	err = r.rc.Read(r.afn)
	wrote, read = r.wn, r.rn
	r.wp, r.rp = nil, nil
	if err != nil {
		return wrote, read, err
	}
	return wrote, read, r.werr
}

// doAwait writes on its first call, then reads once readable.
func (r *rawConn) doAwait(fd uintptr) bool {
	if r.awrote {
		if len(r.rp) == 0 {
			return true
		}
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.rp[0])), uintptr(len(r.rp)))
		switch e {
		case 0:
			r.rn = int(n)
		case syscall.EAGAIN:
			return false // not readable after all: wait again
		}
		return true
	}
	r.awrote = true
	if r.doWrite(fd) && r.werr == nil && r.wn == len(r.wp) {
		return false // written: wait for the answer
	}
	return true // a full socket buffer or an error: back to the caller
}

// WriteString writes s without copying it (io.WriteString uses it).
func (r *rawConn) WriteString(s string) (int, error) {
	return r.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// doWrite writes what is left of wp; false asks the poller to wait for
// room in the socket buffer.
func (r *rawConn) doWrite(fd uintptr) bool {
	for r.wn < len(r.wp) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&r.wp[r.wn])), uintptr(len(r.wp)-r.wn))
		switch e {
		case 0:
			r.wn += int(n)
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.werr = os.NewSyscallError("write", e)
		return true
	}
	return true
}
