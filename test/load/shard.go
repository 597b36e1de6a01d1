package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// shardAddrs returns the source addresses of shard of shards: its share
// when there are enough for every shard, else one of them.
func shardAddrs(srcs []net.IP, shard, shards int) []net.IP {
	if len(srcs) == 0 || shards <= 1 {
		return srcs
	}
	if len(srcs) < shards {
		return []net.IP{srcs[shard%len(srcs)]}
	}
	var out []net.IP
	for i, ip := range srcs {
		if i%shards == shard {
			out = append(out, ip)
		}
	}
	return out
}

// childArgs returns the command line of shard of shards: every option of
// o spelled out.
func (o *options) childArgs(shard, shards int) []string {
	var cp options
	fs := newFlagSet(&cp, io.Discard) // binds to cp, setting defaults
	cp = *o                           // the flag values now read o's settings
	var args []string
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "procs", "shard", "shards", "selfhost", "json":
			return
		case "cpuprofile":
			if o.CPUProfile != "" {
				args = append(args, fmt.Sprintf("-cpuprofile=%s.%d", o.CPUProfile, shard))
			}
			return
		}
		args = append(args, "-"+f.Name+"="+f.Value.String())
	})
	return append(args, fmt.Sprintf("-shard=%d", shard), fmt.Sprintf("-shards=%d", shards))
}

func writeRaw(w io.Writer, r raw) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "@result %s\n", b)
	return err
}

// child is one shard process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// shardEvent is a line from a child, or its exit.
type shardEvent struct {
	idx     int
	barrier string
	result  *raw
	exited  bool
	err     error
}

// runParent runs -procs shard processes of this program, samples the
// server when all reached a barrier, releases them, and merges their
// measurements.
func runParent(ctx context.Context, o *options, stderr io.Writer) (Result, error) {
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	events := make(chan shardEvent, 4*o.Procs)
	children := make([]*child, o.Procs)
	for i := range children {
		c, err := startChild(self, o.childArgs(i, o.Procs), i, stderr, events)
		if err != nil {
			killAll(children)
			return Result{}, err
		}
		children[i] = c
	}
	defer killAll(children)
	samples := map[string]sample{}
	var merged raw
	arrived := map[string]int{}
	exited, results := 0, 0
	deadline := time.NewTimer(o.Timeout + time.Minute)
	defer deadline.Stop()
	for exited < len(children) {
		var ev shardEvent
		select {
		case ev = <-events:
		case <-deadline.C:
			return Result{}, errors.New("shards did not finish in time")
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		switch {
		case ev.exited:
			exited++
			if ev.err != nil {
				return Result{}, fmt.Errorf("shard %d: %w", ev.idx, ev.err)
			}
		case ev.result != nil:
			results++
			merged.merge(*ev.result)
		default:
			arrived[ev.barrier]++
			if arrived[ev.barrier] < len(children) {
				continue
			}
			s, err := takeSample(o.PID)
			if err != nil {
				return Result{}, fmt.Errorf("sampling pid %d: %w", o.PID, err)
			}
			samples[ev.barrier] = s
			for _, c := range children {
				io.WriteString(c.stdin, "go\n")
			}
		}
	}
	if results != len(children) {
		return Result{}, fmt.Errorf("%d of %d shards reported", results, len(children))
	}
	return finalize(o, merged, samples), nil
}

// startChild starts shard idx and forwards its lines as events.
func startChild(self string, args []string, idx int, stderr io.Writer, events chan<- shardEvent) (*child, error) {
	cmd := exec.Command(self, args...)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 256<<20)
		for sc.Scan() {
			line := sc.Text()
			if name, ok := strings.CutPrefix(line, "@barrier "); ok {
				events <- shardEvent{idx: idx, barrier: name}
			} else if js, ok := strings.CutPrefix(line, "@result "); ok {
				var r raw
				if err := json.Unmarshal([]byte(js), &r); err != nil {
					r = raw{Errors: 1, FirstErr: "bad shard result: " + err.Error()}
				}
				events <- shardEvent{idx: idx, result: &r}
			}
		}
		events <- shardEvent{idx: idx, exited: true, err: cmd.Wait()}
	}()
	return &child{cmd: cmd, stdin: stdin}, nil
}

// killAll kills the shard processes this run started.
func killAll(children []*child) {
	for _, c := range children {
		if c != nil {
			c.stdin.Close()
			c.cmd.Process.Kill() // ErrProcessDone once it has exited
		}
	}
}
