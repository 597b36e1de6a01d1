package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// raw is what one process measured: counts and latency samples in
// microseconds. Shards send it to the parent, which merges them.
type raw struct {
	OK        int     `json:"ok"`
	Errors    int     `json:"errors"`
	FirstErr  string  `json:"first_error,omitempty"`
	LoginUS   []int64 `json:"login_us"`
	MsgUS     []int64 `json:"msg_us"`
	ClientCPU float64 `json:"client_cpu_ms"`
}

// merge adds o into r.
func (r *raw) merge(o raw) {
	r.OK += o.OK
	r.Errors += o.Errors
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
	r.LoginUS = append(r.LoginUS, o.LoginUS...)
	r.MsgUS = append(r.MsgUS, o.MsgUS...)
	r.ClientCPU += o.ClientCPU
}

func toUS(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.Microseconds()
	}
	return out
}

func fromUS(us []int64) []time.Duration {
	out := make([]time.Duration, len(us))
	for i, u := range us {
		out[i] = time.Duration(u) * time.Microsecond
	}
	return out
}

// Result is the report of one scenario run, printed as a table and as
// one JSON line.
type Result struct {
	Scenario    string       `json:"scenario"`
	Transport   string       `json:"transport"`
	Sessions    int          `json:"sessions"`
	Concurrency int          `json:"concurrency"`
	Pairs       int          `json:"pairs,omitempty"`
	Msgs        int          `json:"msgs_per_pair,omitempty"`
	HoldS       float64      `json:"hold_s,omitempty"`
	Mech        string       `json:"mech"`
	TLS         bool         `json:"tls"`
	Procs       int          `json:"procs"`
	OK          int          `json:"ok"`
	Errors      int          `json:"errors"`
	FirstErr    string       `json:"first_error,omitempty"`
	ElapsedS    float64      `json:"elapsed_s"`
	Rate        float64      `json:"rate_per_s"`
	Login       Latency      `json:"login_latency"`
	Message     *Latency     `json:"message_latency,omitempty"`
	Server      *ServerStats `json:"server,omitempty"`
	ClientCPUMs float64      `json:"client_cpu_ms"`
}

// ServerStats are what /proc says about the server during the measured
// window.
type ServerStats struct {
	PID        int     `json:"pid"`
	CPUMs      float64 `json:"cpu_ms"`
	CPUPerOpUS float64 `json:"cpu_per_op_us,omitempty"` // per login (login) or message (echo)
	IdleCPUPct float64 `json:"idle_cpu_pct,omitempty"`  // idle: CPU % of one core while held
	RSSStartKB int64   `json:"rss_before_kb"`
	RSSEndKB   int64   `json:"rss_after_kb"`
	RSSPerSess float64 `json:"rss_per_session_kb,omitempty"` // idle
}

// finalize computes the result from what the processes measured and the
// barrier samples: the measured window runs from "start" to "end"; idle
// also has "before" (before any login) for the RSS baseline.
func finalize(o *options, r raw, s map[string]sample) Result {
	res := Result{
		Scenario: o.Scenario, Transport: o.Transport, Sessions: o.sessions(),
		Concurrency: o.C, Mech: o.Mech, TLS: o.TLS, Procs: o.Procs,
		OK: r.OK, Errors: r.Errors, FirstErr: r.FirstErr,
		Login: summarize(fromUS(r.LoginUS)), ClientCPUMs: round3(r.ClientCPU),
	}
	start, end := s["start"], s["end"]
	elapsed := end.At.Sub(start.At)
	res.ElapsedS = round3(elapsed.Seconds())
	if elapsed > 0 {
		res.Rate = round3(float64(r.OK) / elapsed.Seconds())
	}
	if o.Scenario == "echo" {
		m := summarize(fromUS(r.MsgUS))
		res.Message = &m
		res.Pairs, res.Msgs = o.Pairs, o.Msgs
	}
	if o.Scenario == "idle" {
		res.HoldS = o.Duration.Seconds()
		res.Rate = 0
	}
	if o.PID == 0 {
		return res
	}
	cpu := end.CPU - start.CPU
	st := &ServerStats{PID: o.PID, CPUMs: ms(cpu), RSSStartKB: start.RSSKB, RSSEndKB: end.RSSKB}
	switch o.Scenario {
	case "login", "echo":
		if r.OK > 0 {
			st.CPUPerOpUS = round3(float64(cpu.Microseconds()) / float64(r.OK))
		}
	case "idle":
		before := s["before"]
		st.RSSStartKB = before.RSSKB
		if r.OK > 0 {
			st.RSSPerSess = round3(float64(end.RSSKB-before.RSSKB) / float64(r.OK))
		}
		if elapsed > 0 {
			st.IdleCPUPct = round3(100 * cpu.Seconds() / elapsed.Seconds())
		}
	}
	res.Server = st
	return res
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// writeJSON prints r as one line.
func writeJSON(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeTable prints r for people.
func writeTable(w io.Writer, r Result) {
	fmt.Fprintf(w, "== %s over %s ==\n", r.Scenario, r.Transport)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, f string, a ...any) { fmt.Fprintf(tw, "  %s\t"+f+"\n", append([]any{k}, a...)...) }
	row("sessions", "%d (%d at a time, %d process(es), %s%s)", r.Sessions, r.Concurrency, r.Procs, r.Mech, map[bool]string{true: ", TLS"}[r.TLS])
	switch r.Scenario {
	case "login":
		row("logins ok / failed", "%d / %d", r.OK, r.Errors)
		row("logins per second", "%.1f", r.Rate)
	case "idle":
		row("sessions held / failed", "%d / %d for %.0f s", r.OK, r.Errors, r.HoldS)
	case "echo":
		row("pairs × messages", "%d × %d", r.Pairs, r.Msgs)
		row("messages ok / errors", "%d / %d", r.OK, r.Errors)
		row("messages per second", "%.1f", r.Rate)
	}
	row("elapsed (measured)", "%.3f s", r.ElapsedS)
	lat := func(name string, l Latency) {
		row(name, "p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms (%d samples)", l.P50, l.P90, l.P99, l.Max, l.Count)
	}
	lat("login latency", r.Login)
	if r.Message != nil {
		lat("one-way latency", *r.Message)
	}
	if s := r.Server; s != nil {
		row("server CPU (measured)", "%.0f ms", s.CPUMs)
		switch r.Scenario {
		case "login":
			row("server CPU per login", "%.1f µs", s.CPUPerOpUS)
		case "echo":
			row("server CPU per message", "%.1f µs", s.CPUPerOpUS)
		case "idle":
			row("server idle CPU", "%.2f %% of a core", s.IdleCPUPct)
			row("server RSS per session", "%.2f KB (%d → %d KB)", s.RSSPerSess, s.RSSStartKB, s.RSSEndKB)
		}
		if r.Scenario != "idle" {
			row("server RSS", "%d → %d KB", s.RSSStartKB, s.RSSEndKB)
		}
	}
	row("client CPU (measured)", "%.0f ms", r.ClientCPUMs)
	if r.FirstErr != "" {
		row("first error", "%s", r.FirstErr)
	}
	tw.Flush()
}
