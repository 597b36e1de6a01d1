package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
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
	http   *http.Client
}

// newNetEnv returns an environment whose HTTP client shares one transport
// with no per-host connection limit: each parked BOSH request holds one
// connection.
func newNetEnv(srcs []net.IP, domain string, idleConns int) *netEnv {
	n := &netEnv{
		srcs: srcs,
		// Loopback tests only: the server's certificate is self-signed.
		tlsCfg: &tls.Config{InsecureSkipVerify: true, ServerName: domain},
	}
	tr := &http.Transport{
		DialContext:         n.dial,
		TLSClientConfig:     n.tlsCfg,
		MaxIdleConns:        0, // no limit
		MaxIdleConnsPerHost: idleConns,
		MaxConnsPerHost:     0, // no limit
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	n.http = &http.Client{Transport: tr}
	return n
}

// dial connects from the next source address in turn.
func (n *netEnv) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
	if len(n.srcs) > 0 {
		ip := n.srcs[(n.next.Add(1)-1)%uint64(len(n.srcs))]
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d.DialContext(ctx, network, addr)
}

// close drops the idle HTTP connections.
func (n *netEnv) close() {
	n.http.CloseIdleConnections()
}
