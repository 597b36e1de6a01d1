package sasl

import (
	"reflect"
	"strings"
	"testing"
)

func TestPLAIN(t *testing.T) {
	d := newDirectory(t)
	for _, tc := range []struct {
		name, msg     string
		cond          Condition // "" for success
		authcid, azid string
	}{
		{"ok", "\x00alice\x00wonderland", "", "alice", ""},
		{"authzid", "alice@example.org\x00alice\x00wonderland", "", "alice", "alice@example.org"},
		{"RFC user SHA-256", "\x00user\x00pencil", "", "user", ""},
		{"SHA-1 only", "\x00legacy\x00old", "", "legacy", ""},
		{"wrong password", "\x00alice\x00Wonderland", NotAuthorized, "", ""},
		{"unknown user", "\x00bob\x00wonderland", NotAuthorized, "", ""},
		{"disabled", "\x00mallory\x00evil", AccountDisabled, "", ""},
		{"disabled wrong password", "\x00mallory\x00good", NotAuthorized, "", ""},
		{"no NUL", "alice", MalformedRequest, "", ""},
		{"one NUL", "alice\x00wonderland", MalformedRequest, "", ""},
		{"three NULs", "\x00alice\x00wonder\x00land", MalformedRequest, "", ""},
		{"empty authcid", "\x00\x00wonderland", MalformedRequest, "", ""},
		{"empty password", "\x00alice\x00", MalformedRequest, "", ""},
		{"empty", "", MalformedRequest, "", ""},
		{"bad UTF-8", "\x00al\xffice\x00wonderland", MalformedRequest, "", ""},
		{"long password", "\x00alice\x00" + strings.Repeat("x", 256), MalformedRequest, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(PLAIN, d.config())
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := m.Step([]byte(tc.msg))
			if tc.cond != "" {
				wantFailure(t, err, tc.cond)
				return
			}
			if err != nil || !done || out != nil {
				t.Fatalf("Step = %q, %v, %v", out, done, err)
			}
			if a, z := m.Identity(); a != tc.authcid || z != tc.azid {
				t.Errorf("Identity = %q, %q", a, z)
			}
		})
	}
}

func TestPLAINNoInitialResponse(t *testing.T) {
	m, _ := New(PLAIN, newDirectory(t).config())
	out, done, err := m.Step(nil)
	if err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("Step(nil) = %q, %v, %v; want empty challenge", out, done, err)
	}
	if _, done, err := m.Step([]byte("\x00alice\x00wonderland")); err != nil || !done {
		t.Fatalf("Step = %v, %v", done, err)
	}
	if _, _, err := m.Step([]byte("\x00alice\x00wonderland")); err == nil {
		t.Error("Step after success accepted")
	}
	// An empty initial response ("=") is malformed.
	m, _ = New(PLAIN, newDirectory(t).config())
	_, _, err = m.Step([]byte{})
	wantFailure(t, err, MalformedRequest)
}

// TestUnknownUserSameAsWrongPassword: an unknown user and a wrong password
// produce the very same failure at the same step, for every mechanism.
func TestUnknownUserSameAsWrongPassword(t *testing.T) {
	d := newDirectory(t)
	_, s1, e1 := exchange(t, SCRAMSHA256, d.config(), &testClient{hash: SHA256, user: "alice", password: "nope", flag: "n"})
	_, s2, e2 := exchange(t, SCRAMSHA256, d.config(), &testClient{hash: SHA256, user: "nobody", password: "nope", flag: "n"})
	if s1 != s2 || !reflect.DeepEqual(e1, e2) || e1 == nil {
		t.Errorf("SCRAM: wrong password step %d %v, unknown user step %d %v", s1, e1, s2, e2)
	}
	p1, _ := New(PLAIN, d.config())
	_, _, e1 = p1.Step([]byte("\x00alice\x00nope"))
	p2, _ := New(PLAIN, d.config())
	_, _, e2 = p2.Step([]byte("\x00nobody\x00nope"))
	if !reflect.DeepEqual(e1, e2) || e1 == nil {
		t.Errorf("PLAIN: wrong password %v, unknown user %v", e1, e2)
	}
}
