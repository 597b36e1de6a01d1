package main

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// netEnv dials every client connection, spreading them over the loopback
// source addresses given with -source-addrs so that the client side is not
// limited by the ephemeral ports of one address.
type netEnv struct {
	srcs   []net.IP
	next   atomic.Uint64
	tlsCfg *tls.Config
}

// newNetEnv returns an environment dialing from srcs. BOSH sessions keep
// their own HTTP connections (httpc.go), one per request in flight.
func newNetEnv(srcs []net.IP, domain string) *netEnv {
	return &netEnv{
		srcs: srcs,
		// Loopback tests only: the server's certificate is self-signed.
		tlsCfg: &tls.Config{InsecureSkipVerify: true, ServerName: domain},
	}
}

// dial connects from the next source address in turn. The connection
// does its reads and writes with raw system calls (rawio_linux.go).
func (n *netEnv) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
	if len(n.srcs) > 0 {
		ip := n.srcs[(n.next.Add(1)-1)%uint64(len(n.srcs))]
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return newRawConn(c), nil
}
