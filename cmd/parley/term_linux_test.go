package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the controller and terminal ends of a new pseudo-terminal.
func openPTY(t *testing.T) (ctrl, tty *os.File) {
	t.Helper()
	ctrl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ctrl.Close() })
	if err := unix.IoctlSetPointerInt(int(ctrl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ctrl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctrl, tty
}

func TestPasswordPrompt(t *testing.T) {
	cfg := testConfig(t, "")
	ctrl, tty := openPTY(t)
	if !isTerminal(tty) {
		t.Fatal("pts is not a terminal")
	}
	stderr := newLineWriter("Password for alice@localhost: ")
	var stdout strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"user", "add", "--config", cfg, "alice@localhost"}, tty, &stdout, stderr)
	}()
	// The prompt is written once echo is off.
	waitFor(t, stderr.seen, done, stderr)
	state, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || state.Lflag&unix.ECHO != 0 {
		t.Fatalf("echo not disabled: %v", err)
	}
	ctrl.WriteString("s3cret\n")
	waitFor(t, stderr.written("Repeat password: "), done, stderr)
	ctrl.WriteString("s3cret\n")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("user add did not finish")
	}
	if !verify(t, cfg, "localhost", "alice", "s3cret") {
		t.Fatal("password not stored")
	}
	state, err = unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || state.Lflag&unix.ECHO == 0 {
		t.Fatalf("echo not restored: %v", err)
	}
}

func TestPasswordPromptMismatch(t *testing.T) {
	cfg := testConfig(t, "")
	ctrl, tty := openPTY(t)
	stderr := newLineWriter("Repeat password: ")
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"user", "add", "--config", cfg, "alice@localhost"}, tty, &strings.Builder{}, stderr)
	}()
	ctrl.WriteString("one\n")
	waitFor(t, stderr.seen, done, stderr)
	ctrl.WriteString("two\n")
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(stderr.String(), "the passwords do not match") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("user add did not finish")
	}
}

func waitFor(t *testing.T, seen <-chan struct{}, done <-chan int, w *lineWriter) {
	t.Helper()
	select {
	case <-seen:
	case code := <-done:
		t.Fatalf("exited %d early: %s", code, w)
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out: %s", w)
	}
}
