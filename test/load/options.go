package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// options are the command line of the load tool.
type options struct {
	C2S, BOSH     string
	Domain        string
	Prefix        string
	Password      string
	First         int
	Accounts      int
	PID           int
	Scenario      string
	Transport     string
	N, C          int
	Pairs, Msgs   int
	Duration      time.Duration
	Wait          time.Duration
	Timeout       time.Duration
	LoginTimeout  time.Duration
	SourceAddrs   string
	JSON          bool
	TLS           bool
	Mech          string
	Presence      bool
	Procs         int
	Shard, Shards int
	Selfhost      string
	CPUProfile    string
	set           map[string]bool // flags given on the command line
	srcs          []net.IP
}

// Bounds of the numeric flags: every loop of the tool is bounded.
const (
	maxSessions = 200_000
	maxConc     = 20_000
	maxPairs    = 50_000
	maxMsgs     = 1_000_000
	maxProcs    = 64
)

// newFlagSet declares every flag into o.
func newFlagSet(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.C2S, "c2s", "127.0.0.1:5222", "c2s `host:port` (loopback only)")
	fs.StringVar(&o.BOSH, "bosh", "http://127.0.0.1:5280/http-bind", "BOSH `URL` (loopback only)")
	fs.StringVar(&o.Domain, "domain", "localhost", "XMPP `domain` of the accounts")
	fs.StringVar(&o.Prefix, "prefix", "load", "account localparts are PREFIX1, PREFIX2, ...")
	fs.StringVar(&o.Password, "password", "load-password", "`password` of every account")
	fs.IntVar(&o.First, "first", 1, "number of the first account")
	fs.IntVar(&o.Accounts, "accounts", 0, "accounts that exist from -first (0: one per session); sessions beyond reuse them with other resources")
	fs.IntVar(&o.PID, "pid", 0, "server `PID` whose CPU (/proc/PID/stat) and RSS (/proc/PID/status) are sampled")
	fs.StringVar(&o.Scenario, "scenario", "login", "login, idle or echo")
	fs.StringVar(&o.Transport, "transport", "", "tcp or bosh (login, idle); tcp-tcp, bosh-bosh or bosh-tcp (echo); default tcp, bosh, tcp-tcp")
	fs.IntVar(&o.N, "n", 200, "sessions (login, idle)")
	fs.IntVar(&o.C, "c", 50, "logins in flight at once")
	fs.IntVar(&o.Pairs, "pairs", 20, "pairs of sessions (echo)")
	fs.IntVar(&o.Msgs, "msgs", 50, "messages per pair, one in flight per pair (echo)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long idle sessions are held (idle)")
	fs.DurationVar(&o.Wait, "wait", 60*time.Second, "BOSH 'wait': how long the server holds a poll")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "bound of the whole run")
	fs.DurationVar(&o.LoginTimeout, "login-timeout", 30*time.Second, "bound of one login")
	fs.StringVar(&o.SourceAddrs, "source-addrs", "", "comma-separated loopback source `addresses` to spread connections over, e.g. 127.0.0.2,127.0.0.3")
	fs.BoolVar(&o.JSON, "json", false, "also print the result as one JSON line")
	fs.BoolVar(&o.TLS, "tls", false, "TCP: STARTTLS (certificate not verified; loopback tests)")
	fs.StringVar(&o.Mech, "mech", mechSCRAMSHA1, "SASL mechanism: SCRAM-SHA-1, SCRAM-SHA-256 or PLAIN")
	fs.BoolVar(&o.Presence, "presence", true, "send initial presence after login")
	fs.IntVar(&o.Procs, "procs", 1, "run as this many processes, each with its share of sessions and source addresses")
	fs.IntVar(&o.Shard, "shard", 0, "internal: index of this process among -shards")
	fs.IntVar(&o.Shards, "shards", 0, "internal: number of processes (set by -procs)")
	fs.StringVar(&o.Selfhost, "selfhost", "", "`path` of a parley binary: start it on loopback with a temporary config and run the default suite (or -scenario when given) against it")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the load tool's measured window to `file` (go tool pprof)")
	fs.Usage = func() { usage(fs, out) }
	return fs
}

// hiddenFlags are left out of the usage text: tools for working on the
// load tool itself.
var hiddenFlags = map[string]bool{"cpuprofile": true}

// usage prints the flags of fs except the hidden ones.
func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, "Usage of %s:\n", fs.Name())
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	shown.SetOutput(out)
	fs.VisitAll(func(f *flag.Flag) {
		if !hiddenFlags[f.Name] {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	shown.PrintDefaults()
}

// parseOptions parses and validates args.
func parseOptions(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, out)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// defaultTransport is the transport of scenario when -transport is empty.
func defaultTransport(scenario string) string {
	switch scenario {
	case "idle":
		return "bosh"
	case "echo":
		return "tcp-tcp"
	}
	return "tcp"
}

func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Transport == "" {
		o.Transport = defaultTransport(o.Scenario)
	}
	switch o.Scenario {
	case "login", "idle":
		if o.Transport != "tcp" && o.Transport != "bosh" {
			bad("-transport %q: %s takes tcp or bosh", o.Transport, o.Scenario)
		}
	case "echo":
		if o.Transport != "tcp-tcp" && o.Transport != "bosh-bosh" && o.Transport != "bosh-tcp" {
			bad("-transport %q: echo takes tcp-tcp, bosh-bosh or bosh-tcp", o.Transport)
		}
	default:
		bad("-scenario %q: expected login, idle or echo", o.Scenario)
	}
	inRange := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			bad("-%s %d: expected %d to %d", name, v, lo, hi)
		}
	}
	inRange("n", o.N, 1, maxSessions)
	inRange("c", o.C, 1, maxConc)
	inRange("pairs", o.Pairs, 1, maxPairs)
	inRange("msgs", o.Msgs, 1, maxMsgs)
	inRange("procs", o.Procs, 1, maxProcs)
	inRange("first", o.First, 0, 1<<30)
	inRange("accounts", o.Accounts, 0, 1<<30)
	if o.Shards != 0 && (o.Shard < 0 || o.Shard >= o.Shards || o.Shards > maxProcs) {
		bad("-shard %d of -shards %d out of range", o.Shard, o.Shards)
	}
	if o.Duration < 0 || o.Duration > 24*time.Hour {
		bad("-duration %v: expected 0 to 24h", o.Duration)
	}
	if o.Timeout <= 0 || o.Timeout > 24*time.Hour {
		bad("-timeout %v: expected more than 0, at most 24h", o.Timeout)
	}
	if o.LoginTimeout <= 0 || o.LoginTimeout > 10*time.Minute {
		bad("-login-timeout %v: expected more than 0, at most 10m", o.LoginTimeout)
	}
	if o.Wait < time.Second || o.Wait > 10*time.Minute || o.Wait%time.Second != 0 {
		bad("-wait %v: expected whole seconds from 1s to 10m", o.Wait)
	}
	if o.Mech != mechPLAIN && o.Mech != mechSCRAMSHA1 && o.Mech != mechSCRAMSHA256 {
		bad("-mech %q: expected SCRAM-SHA-1, SCRAM-SHA-256 or PLAIN", o.Mech)
	}
	if o.Domain == "" || o.Prefix == "" || o.Password == "" {
		bad("-domain, -prefix and -password must not be empty")
	}
	if o.PID < 0 {
		bad("-pid %d: expected a process id", o.PID)
	}
	if err := checkHostPort("-c2s", o.C2S); err != nil {
		errs = append(errs, err)
	}
	if err := checkURL("-bosh", o.BOSH); err != nil {
		errs = append(errs, err)
	}
	if units := o.N; o.Scenario == "echo" && o.Pairs < o.Procs || o.Scenario != "echo" && units < o.Procs {
		bad("-procs %d: more processes than sessions (pairs for echo)", o.Procs)
	}
	srcs, err := parseSourceAddrs(o.SourceAddrs)
	if err != nil {
		errs = append(errs, err)
	}
	o.srcs = srcs
	return errors.Join(errs...)
}

// isLoopback reports whether host is "localhost" or a loopback IP
// (127.0.0.0/8, ::1). Other names are not resolved: they are refused.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// checkHostPort accepts only a loopback host:port.
func checkHostPort(flagName, hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil || port == "" {
		return fmt.Errorf("%s %q: expected host:port", flagName, hp)
	}
	if !isLoopback(host) {
		return fmt.Errorf("%s %q: refusing a non-loopback target; the load tool only talks to 127.0.0.0/8, ::1 or localhost", flagName, hp)
	}
	return nil
}

// checkURL accepts only an http(s) URL on a loopback host.
func checkURL(flagName, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: expected an http:// or https:// URL", flagName, s)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s %q: refusing a non-loopback target; the load tool only talks to 127.0.0.0/8, ::1 or localhost", flagName, s)
	}
	return nil
}

// parseSourceAddrs parses a comma-separated list of loopback IPs.
func parseSourceAddrs(s string) ([]net.IP, error) {
	if s == "" {
		return nil, nil
	}
	var out []net.IP
	for f := range strings.SplitSeq(s, ",") {
		ip := net.ParseIP(strings.TrimSpace(f))
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("-source-addrs: %q is not a loopback IP address", f)
		}
		out = append(out, ip)
	}
	return out, nil
}

// sessions returns how many XMPP sessions the scenario opens in total.
func (o *options) sessions() int {
	if o.Scenario == "echo" {
		return 2 * o.Pairs
	}
	return o.N
}

// account returns the account of the global session index i.
func (o *options) account(i int) account {
	n := o.Accounts
	if n == 0 {
		n = o.sessions()
	}
	return account{
		user:     fmt.Sprintf("%s%d", o.Prefix, o.First+i%n),
		domain:   o.Domain,
		password: o.Password,
		resource: fmt.Sprintf("load-%d", i),
	}
}
