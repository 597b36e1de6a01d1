package logging

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestJSONWhenNotTerminal(t *testing.T) {
	var b bytes.Buffer
	log, err := New(&b, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug().Msg("hidden")
	log.Info().Str("k", "v").Msg("shown")
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatalf("not one JSON line: %q: %v", b.String(), err)
	}
	if m["message"] != "shown" || m["k"] != "v" || m["level"] != "info" || m["time"] == nil {
		t.Fatalf("unexpected record %v", m)
	}
}

func TestLevels(t *testing.T) {
	for _, l := range Levels {
		if _, err := ParseLevel(l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	if _, err := New(&bytes.Buffer{}, "loud"); err == nil {
		t.Error("unknown level accepted")
	}
}

func TestFileIsNotTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) || IsTerminal(&bytes.Buffer{}) {
		t.Fatal("a file is not a terminal")
	}
}
