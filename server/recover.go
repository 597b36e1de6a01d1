package server

import (
	"fmt"
	"runtime/debug"

	"github.com/parley-xmpp/parley/server/stream"
)

// Panics returns how many panics the core recovered from (in Open,
// Receive or a session hook). It is 0 in a correct server: tests assert
// it, so that the last line of defence below never hides a bug.
func (c *Core) Panics() int64 { return c.panics.Load() }

// recoverSession is the last line of defence of one session: deferred in
// Open and Receive, it turns a panic (a bug in the core or in a handler
// it called) into an error log with the stack, a counted panic and the
// end of that session with <internal-server-error/> (RFC 6120 §4.9.3.8),
// instead of the end of the process and of every other session.
func (s *Session) recoverSession(step *Step) {
	v := recover()
	if v == nil {
		return
	}
	s.core.panics.Add(1)
	s.logError().Str("panic", fmt.Sprint(v)).Bytes("stack", debug.Stack()).Msg("recovered from a panic: closing the session")
	s.Close(stream.NewError(stream.InternalServerError, ""))
	*step = StepClose
}

// safely runs a hook, recovering and counting a panic in it so that the
// remaining hooks and the session's end still run.
func (c *Core) safely(what string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			c.panics.Add(1)
			c.log.Error().Str("panic", fmt.Sprint(v)).Str("in", what).Bytes("stack", debug.Stack()).Msg("recovered from a panic")
		}
	}()
	fn()
}
