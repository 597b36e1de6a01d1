package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// binaries are the paths of the PostgreSQL programs used.
type binaries struct{ initdb, pgCtl string }

// searchGlob is where distributions (Debian, Ubuntu) install PostgreSQL
// without putting it on PATH.
var searchGlob = "/usr/lib/postgresql/*/bin"

// findBinaries looks on PATH, then in searchGlob (newest version first).
// It returns a reason to skip when there is none.
func findBinaries() (binaries, string) {
	initdb, err1 := exec.LookPath("initdb")
	pgCtl, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return binaries{initdb, pgCtl}, ""
	}
	dirs, _ := filepath.Glob(searchGlob)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		b := binaries{filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")}
		if isExec(b.initdb) && isExec(b.pgCtl) {
			return b, ""
		}
	}
	return binaries{}, "initdb/pg_ctl not found on PATH nor in " + searchGlob
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// cluster is a running throwaway PostgreSQL.
type cluster struct {
	bins   binaries
	dir    string   // temporary directory holding everything
	asUser []string // command prefix to run as the postgres user, or nil
	port   int
}

// newCluster runs initdb and starts the server, waiting until it accepts
// connections (pg_ctl -w).
func newCluster(bins binaries) (*cluster, error) {
	dir, err := os.MkdirTemp("", "parley-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bins: bins, dir: dir}
	if err := c.dropRoot(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.run(bins.initdb, "-D", c.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A free port can be taken between probing and binding: retry.
	for range 3 {
		if c.port, err = freePort(); err != nil {
			break
		}
		if err = c.start(); err == nil {
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// dropRoot prepares running as the postgres user when we are root.
func (c *cluster) dropRoot() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root and there is no postgres system user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return err
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return fmt.Errorf("running as root and runuser is missing: %w", err)
	}
	c.asUser = []string{runuser, "-u", "postgres", "--"}
	return nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

func (c *cluster) start() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", c.port, c.dir)
	err := c.run(c.bins.pgCtl, "-D", c.data(), "-l", c.logFile(), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(c.logFile())
		return fmt.Errorf("%w\nserver log:\n%s", err, lastLines(string(log), 20))
	}
	return nil
}

func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// stop shuts the server down and removes its directory.
func (c *cluster) stop() error {
	err := c.run(c.bins.pgCtl, "-D", c.data(), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs a PostgreSQL program, as the postgres user when needed.
func (c *cluster) run(prog string, args ...string) error {
	argv := append(append(append([]string{}, c.asUser...), prog), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, lastLines(out.String(), 20))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
