//go:build !linux

package bosh

// poller is absent off Linux: held requests stay on net/http's goroutines.
type poller struct{}

// watchToken is unused off Linux.
type watchToken struct{}

func newPoller() *poller                              { return nil }
func (p *poller) arm(hc *hconn)                       { go hc.readable() }
func (p *poller) forget(*hconn)                       {}
func (p *poller) peekEOF(*hconn) (eof, spurious bool) { return false, false }
func (p *poller) close()                              {}

func openFileLimit() uint64 { return 0 }
