// Command load is Parley's load generator: it logs XMPP sessions in over
// TCP (RFC 6120) or BOSH (XEP-0124, XEP-0206), holds them idle, or has
// pairs of them exchange messages, and reports throughput, latency
// percentiles and, given the server's PID, the server's CPU and memory
// from /proc. It talks to any XMPP server, on loopback only.
//
//	load -scenario login -transport bosh -n 1000 -c 50 -pid $(pidof parley)
//	load -scenario idle -n 5000 -duration 60s -wait 60s -pid ...
//	load -scenario echo -transport bosh-bosh -pairs 100 -msgs 100 -pid ...
//	load -selfhost bin/parley   # start a server and run a short suite
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "load: %v\n", err)
		return 2
	}
	raiseFileLimit()
	switch {
	case o.Shards > 0:
		err = runShard(ctx, o, stdin, stdout)
	case o.Selfhost != "":
		err = selfhost(ctx, o, stdout, stderr)
	default:
		var res Result
		if res, err = execute(ctx, o, stderr); err == nil || res.Scenario != "" {
			report(stdout, o, res)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "load: %v\n", err)
		return 1
	}
	return 0
}

// report prints the table, and the JSON line when asked.
func report(w io.Writer, o *options, res Result) {
	writeTable(w, res)
	if o.JSON {
		writeJSON(w, res)
	}
}

// execute runs the scenario of o in this process or, with -procs, in
// several.
func execute(ctx context.Context, o *options, stderr io.Writer) (Result, error) {
	if o.PID != 0 {
		if _, err := takeSample(o.PID); err != nil {
			return Result{}, fmt.Errorf("-pid %d: %w", o.PID, err)
		}
	}
	if o.Procs > 1 {
		return runParent(ctx, o, stderr)
	}
	samples := map[string]sample{}
	var serr error
	barrier := func(name string) error {
		s, err := takeSample(o.PID)
		samples[name] = s
		if err != nil && serr == nil {
			serr = fmt.Errorf("sampling pid %d: %w", o.PID, err)
		}
		return nil
	}
	r, err := runShardRange(ctx, o, 0, 1, barrier)
	res := finalize(o, r, samples)
	if err == nil {
		err = serr
	}
	return res, err
}

// runShardRange runs shard of shards in this process.
func runShardRange(ctx context.Context, o *options, shard, shards int, barrier func(string) error) (raw, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	count := o.N
	if o.Scenario == "echo" {
		count = o.Pairs
	}
	env := newNetEnv(shardAddrs(o.srcs, shard, shards), o.Domain)
	r := &runner{
		o: o, env: env, ctx: ctx,
		lo: count * shard / shards, hi: count * (shard + 1) / shards,
		conc:    max(1, (o.C+shards-1)/shards),
		barrier: barrier,
	}
	return r.run()
}

// runShard is a child process of -procs: it runs its share, announces
// each barrier on stdout and waits for the parent's go-ahead on stdin,
// then prints its measurements.
func runShard(ctx context.Context, o *options, stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewScanner(stdin)
	barrier := func(name string) error {
		fmt.Fprintf(stdout, "@barrier %s\n", name)
		if !in.Scan() {
			return errors.New("parent went away")
		}
		return nil
	}
	r, err := runShardRange(ctx, o, o.Shard, o.Shards, barrier)
	if err != nil {
		r.Errors++
		if r.FirstErr == "" {
			r.FirstErr = err.Error()
		}
	}
	return writeRaw(stdout, r)
}
