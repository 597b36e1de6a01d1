//go:build linux

package bosh

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// poller watches parked and idle adopted connections with one epoll
// instance and one goroutine, so that a waiting connection costs no
// goroutine of its own. Each arming is one-shot: an event hands the
// connection to a goroutine (hconn.readable) and disarms it.
type poller struct {
	epfd int
	file *os.File // epfd, registered with the runtime's poller

	mu     sync.Mutex // guards fds and closed
	fds    map[int32]*hconn
	closed bool
}

// watchToken is a connection's registration with the poller.
type watchToken struct {
	fd         int
	registered bool
}

// newPoller starts the poller; nil when epoll is unavailable, which turns
// adoption off. The epoll descriptor is itself non-blocking and handed to
// the Go runtime's own poller, so that waiting for events parks a
// goroutine instead of holding a thread in a system call.
func newPoller() *poller {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil
	}
	f := os.NewFile(uintptr(fd), "bosh-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil
	}
	p := &poller{epfd: fd, file: f, fds: make(map[int32]*hconn)}
	go p.run(rc)
	return p
}

const watchEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// arm watches hc for one event. The caller holds hc.mu. When the
// connection cannot be watched, a goroutine reads it instead.
func (p *poller) arm(hc *hconn) {
	if !hc.watch.registered {
		fd, ok := rawFD(hc.conn)
		if !ok {
			go hc.readable()
			return
		}
		hc.watch.fd = fd
	}
	ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(hc.watch.fd)}
	p.mu.Lock()
	defer p.mu.Unlock()
	op := syscall.EPOLL_CTL_MOD
	if !hc.watch.registered {
		op = syscall.EPOLL_CTL_ADD
	}
	if p.closed || syscall.EpollCtl(p.epfd, op, hc.watch.fd, &ev) != nil {
		go hc.readable()
		return
	}
	hc.watch.registered = true
	p.fds[int32(hc.watch.fd)] = hc
}

// forget stops watching hc; call it before the connection is closed or
// handed on, so that its descriptor number is not confused with a later
// one's.
func (p *poller) forget(hc *hconn) {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if !hc.watch.registered {
		return
	}
	hc.watch.registered = false
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fds[int32(hc.watch.fd)] == hc {
		delete(p.fds, int32(hc.watch.fd))
	}
	if !p.closed {
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, hc.watch.fd, nil)
	}
}

// peekEOF looks at a parked connection without reading from it: eof when
// the client closed it (or it failed), spurious when nothing is there.
// The caller holds hc.mu.
func (p *poller) peekEOF(hc *hconn) (eof, spurious bool) {
	if !hc.watch.registered {
		return false, false
	}
	var b [1]byte
	n, _, err := syscall.Recvfrom(hc.watch.fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return false, true
	case err != nil:
		return true, false
	default:
		return n == 0, false
	}
}

// close stops the poller's goroutine.
func (p *poller) close() {
	p.mu.Lock()
	was := p.closed
	p.closed = true
	p.mu.Unlock()
	if !was {
		// Not under mu: Close waits for run, which may be in dispatch.
		_ = p.file.Close()
	}
}

// run dispatches events until close: each wakeup of the runtime's poller
// drains what epoll has, without blocking.
func (p *poller) run(rc syscall.RawConn) {
	var events [128]syscall.EpollEvent
	for {
		err := rc.Read(func(fd uintptr) bool {
			for {
				n, err := syscall.EpollWait(int(fd), events[:], 0)
				if err == syscall.EINTR {
					continue
				}
				if err != nil {
					return true
				}
				p.dispatch(events[:n])
				if n < len(events) {
					return false // wait for the next readiness of epfd
				}
			}
		})
		if err != nil {
			return
		}
	}
}

// dispatch hands each event's connection to a worker.
func (p *poller) dispatch(evs []syscall.EpollEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range evs {
		if hc := p.fds[ev.Fd]; hc != nil {
			hc.h.work.do(hc.readable)
		}
	}
}

// rawFD returns the descriptor of a TCP connection.
func rawFD(c net.Conn) (int, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}

// openFileLimit returns the process's soft limit on open files, 0 when
// unknown.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return 0
	}
	return rl.Cur
}
