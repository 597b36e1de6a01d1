package migrations

import (
	"errors"
	"testing"
)

func TestList(t *testing.T) {
	for _, d := range []string{SQLite, Postgres} {
		l, err := List(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(l) == 0 || l[0].Version != 1 || l[0].SQL == "" {
			t.Fatalf("%s: bad list %+v", d, l)
		}
		if Latest(d) != len(l) {
			t.Fatalf("%s: Latest = %d, want %d", d, Latest(d), len(l))
		}
	}
	if _, err := FS("oracle"); err == nil {
		t.Fatal("unknown dialect accepted")
	}
}

func TestPending(t *testing.T) {
	all := []Migration{{Version: 1}, {Version: 2}, {Version: 3}}
	p, err := Pending(all, []int{1})
	if err != nil || len(p) != 2 || p[0].Version != 2 {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	_, err = Pending(all, []int{1, 2, 3, 7})
	var tn *TooNewError
	if !errors.As(err, &tn) || tn.Database != 7 || tn.Known != 3 {
		t.Fatalf("err = %v", err)
	}
	want := "database schema version 7 is newer than this binary (knows up to 3); upgrade parley"
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
}
