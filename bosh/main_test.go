package bosh

import (
	"flag"
	"os"
	"testing"
)

// TestMain raises -test.parallel: the conformance tests mostly wait on
// timers (wait, inactivity, pause), not on the CPU.
func TestMain(m *testing.M) {
	flag.Parse()
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == f.DefValue && !fuzzing {
		_ = f.Value.Set("16")
	}
	os.Exit(m.Run())
}
