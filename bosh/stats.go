package bosh

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Stats are the binding's counters, in one place for the metrics exporter.
type Stats struct {
	SessionsCreated atomic.Int64 // sessions ever created
	SessionsActive  atomic.Int64 // sessions alive now
	HeldRequests    atomic.Int64 // requests held now
	RespEmpty       atomic.Int64 // empty <body/> responses
	RespPayload     atomic.Int64 // responses carrying payloads
	RespTerminate   atomic.Int64 // type='terminate' responses
	RespError       atomic.Int64 // recoverable type='error' responses
	RespCached      atomic.Int64 // cached responses resent for a repeated rid
	RespLegacy      atomic.Int64 // legacy HTTP error codes (XEP-0124 §17.1)
	ConnsAdopted    atomic.Int64 // HTTP/1.1 connections taken over (adopt.go)
	ConnsReturned   atomic.Int64 // adopted connections handed back to net/http

	mu           sync.Mutex
	terminations map[string]int64
}

// response counts one response by kind.
func (st *Stats) response(r *response) {
	switch {
	case r.status != 200:
		st.RespLegacy.Add(1)
	case r.final:
		st.RespTerminate.Add(1)
	case r.payload:
		st.RespPayload.Add(1)
	default:
		st.RespEmpty.Add(1)
	}
}

// termination counts one session end by its condition ("client",
// "inactivity", "closed", "shutdown" or a binding condition).
func (st *Stats) termination(cond string) {
	st.mu.Lock()
	if st.terminations == nil {
		st.terminations = make(map[string]int64)
	}
	st.terminations[cond]++
	st.mu.Unlock()
}

// Terminations returns a copy of the session-end counts by condition.
func (st *Stats) Terminations() map[string]int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return maps.Clone(st.terminations)
}
