package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// suite is the default scenario list of -selfhost: short, for a smoke run.
func suite(o *options) []*options {
	variant := func(scenario, transport string, n, pairs, msgs int, d time.Duration) *options {
		v := *o
		v.Scenario, v.Transport = scenario, transport
		if !o.set["n"] && n != 0 {
			v.N = n
		}
		if !o.set["c"] {
			v.C = 50
		}
		if !o.set["pairs"] && pairs != 0 {
			v.Pairs = pairs
		}
		if !o.set["msgs"] && msgs != 0 {
			v.Msgs = msgs
		}
		if !o.set["duration"] && d != 0 {
			v.Duration = d
		}
		return &v
	}
	if o.set["scenario"] || o.set["transport"] {
		v := *o
		return []*options{&v}
	}
	return []*options{
		variant("login", "tcp", 200, 0, 0, 0),
		variant("login", "bosh", 200, 0, 0, 0),
		variant("echo", "tcp-tcp", 0, 20, 50, 0),
		variant("echo", "bosh-bosh", 0, 20, 50, 0),
		variant("idle", "bosh", 200, 0, 0, 10*time.Second),
	}
}

// selfhost starts the parley binary at o.Selfhost on loopback with a
// temporary data directory, creates the accounts, runs the suite against
// it, and stops it.
func selfhost(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	bin, err := filepath.Abs(o.Selfhost)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("-selfhost: %w", err)
	}
	dir, err := os.MkdirTemp("", "parley-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	o.Domain = "localhost"
	o.C2S = fmt.Sprintf("127.0.0.1:%d", ports[0])
	o.BOSH = fmt.Sprintf("http://127.0.0.1:%d/http-bind", ports[1])
	cfg := filepath.Join(dir, "parley.toml")
	if err := os.WriteFile(cfg, []byte(selfhostConfig(dir, ports[0], ports[1])), 0o600); err != nil {
		return err
	}
	runs := suite(o)
	accounts := o.Accounts
	for _, r := range runs {
		if o.CPUProfile != "" && len(runs) > 1 {
			r.CPUProfile = o.CPUProfile + "." + r.Scenario + "-" + r.Transport
		}
		if err := r.validate(); err != nil {
			return err
		}
		if o.Accounts == 0 {
			accounts = max(accounts, r.sessions())
		}
	}
	if err := addAccounts(ctx, bin, cfg, o, accounts, stderr); err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, cfg, filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer srv.stop(stderr)
	if err := srv.waitReady(ctx, 30*time.Second, o.C2S, fmt.Sprintf("127.0.0.1:%d", ports[1])); err != nil {
		srv.tail(stderr)
		return err
	}
	fmt.Fprintf(stdout, "parley (pid %d) on c2s %s, BOSH %s; %d accounts %s1..%s%d\n\n",
		srv.cmd.Process.Pid, o.C2S, o.BOSH, accounts, o.Prefix, o.Prefix, accounts)
	var errs []error
	for _, r := range runs {
		r.PID = srv.cmd.Process.Pid
		r.JSON = true
		res, err := execute(ctx, r, stderr)
		report(stdout, r, res)
		fmt.Fprintln(stdout)
		if err == nil && res.Errors > 0 {
			err = fmt.Errorf("%d errors, first: %s", res.Errors, res.FirstErr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s over %s: %w", r.Scenario, r.Transport, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) > 0 {
		srv.tail(stderr)
	}
	return errors.Join(errs...)
}

// selfhostConfig is a loopback-only configuration with a temporary
// SQLite database, plaintext allowed and no authentication rate limit.
func selfhostConfig(dir string, c2s, http int) string {
	data := filepath.Join(dir, "data")
	return fmt.Sprintf(`domains = ["localhost"]
data_dir = %q

[storage]
driver = "sqlite"
dsn = %q

[c2s]
listen = ["127.0.0.1:%d"]
require_tls = false

[http]
listen = ["127.0.0.1:%d"]
tls_listen = []

[log]
level = "warn"

[auth]
max_failures = 0
`, data, filepath.Join(data, "parley.db"), c2s, http)
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// addAccounts runs `parley user add-bulk PREFIX COUNT --password-stdin`.
func addAccounts(ctx context.Context, bin, cfg string, o *options, n int, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", cfg, "user", "add-bulk", o.Prefix, fmt.Sprint(n), "--password-stdin")
	cmd.Stdin = strings.NewReader(o.Password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("parley user add-bulk: %w: %s", err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(stderr, "%s", out)
	return nil
}

// server is a parley process started by -selfhost.
type server struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startServer(ctx context.Context, bin, cfg, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfg, "serve")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	return s, nil
}

// waitReady waits until every address accepts connections.
func (s *server) waitReady(ctx context.Context, d time.Duration, addrs ...string) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("server not listening on %s after %v: %w", a, d, err)
			}
			select {
			case <-s.done:
				return fmt.Errorf("server exited before listening on %s: %v", a, s.err)
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
	}
	return nil
}

// stop sends SIGTERM and waits up to 15 s before killing.
func (s *server) stop(stderr io.Writer) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(15 * time.Second)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		fmt.Fprintln(stderr, "load: server did not stop within 15 s; killing it")
		s.cmd.Process.Kill()
		<-s.done
	}
}

// tail prints the end of the server log.
func (s *server) tail(w io.Writer) {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	fmt.Fprintf(w, "--- end of the server log ---\n%s\n", b)
}
