package sasl

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// directory is an in-memory account store for tests.
type directory struct {
	mu       sync.Mutex
	users    map[string][]Credentials
	disabled map[string]bool
	calls    []string
	err      error
}

func newDirectory(t testing.TB) *directory {
	t.Helper()
	d := &directory{users: map[string][]Credentials{}, disabled: map[string]bool{}}
	d.users[rfcUser] = rfcCreds(t)
	d.add(t, "alice", "wonderland", false)
	d.add(t, "mallory", "evil", true)
	d.add(t, "a,b=c", "commas", false)
	c, err := Derive(SHA1, "old", []byte("salt"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	d.users["legacy"] = []Credentials{c} // SHA-1 only
	return d
}

func (d *directory) add(t testing.TB, user, pw string, disabled bool) {
	t.Helper()
	creds, err := NewCredentials(pw, 4096)
	if err != nil {
		t.Fatal(err)
	}
	d.users[user], d.disabled[user] = creds, disabled
}

func (d *directory) lookup(user string) ([]Credentials, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, user)
	if d.err != nil {
		return nil, false, d.err
	}
	c, ok := d.users[user]
	if !ok {
		return nil, false, ErrUnknownUser
	}
	return c, d.disabled[user], nil
}

func (d *directory) config(b ...ChannelBinding) Config {
	return Config{Lookup: d.lookup, Bindings: b}
}

func fixedNonce(s string) func() (string, error) {
	return func() (string, error) { return s, nil }
}

func TestSCRAMRFCVectors(t *testing.T) {
	d := newDirectory(t)
	for _, tc := range []struct {
		mech, snonce, first, sfirst, final, sfinal string
	}{
		{SCRAMSHA1, sha1SNonce, sha1ClientFirst, sha1ServerFirst, sha1ClientFinal, sha1ServerFinal},
		{SCRAMSHA256, sha256SNonce, sha256ClientFirst, sha256ServerFirst, sha256ClientFinal, sha256ServerFinal},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			cfg := d.config()
			cfg.nonce = fixedNonce(tc.snonce)
			m, err := New(tc.mech, cfg)
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := m.Step([]byte(tc.first))
			if err != nil || done || string(out) != tc.sfirst {
				t.Fatalf("server-first = %q, %v, %v; want %q", out, done, err, tc.sfirst)
			}
			out, done, err = m.Step([]byte(tc.final))
			if err != nil || !done || string(out) != tc.sfinal {
				t.Fatalf("server-final = %q, %v, %v; want %q", out, done, err, tc.sfinal)
			}
			if a, z := m.Identity(); a != rfcUser || z != "" {
				t.Errorf("Identity = %q, %q", a, z)
			}
			// The test client reproduces the RFC's client-final exactly.
			c := &testClient{hash: strings.TrimPrefix(tc.mech, "SCRAM-"), user: rfcUser,
				password: rfcPassword, flag: "n", cnonce: tc.first[len("n,,n=user,r="):]}
			if c.first() != tc.first {
				t.Fatalf("client-first = %q", c.first())
			}
			if f, err := c.final(tc.sfirst); err != nil || f != tc.final {
				t.Fatalf("client-final = %q, %v; want %q", f, err, tc.final)
			}
			if err := c.verify(tc.sfinal); err != nil {
				t.Fatal(err)
			}
			if _, _, err := m.Step(nil); err == nil {
				t.Error("Step after success accepted")
			}
		})
	}
}

// exchange runs a SCRAM exchange of c against mechanism name; it returns
// the mechanism and the error of the step that failed (0 first, 1 final).
func exchange(t *testing.T, name string, cfg Config, c *testClient) (Mechanism, int, error) {
	t.Helper()
	m, err := New(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.cnonce == "" {
		c.cnonce = "clientnonce0123"
	}
	sf, _, err := m.Step([]byte(c.first()))
	if err != nil {
		return m, 0, err
	}
	final, err := c.final(string(sf))
	if err != nil {
		t.Fatal(err)
	}
	out, done, err := m.Step([]byte(final))
	if err != nil {
		return m, 1, err
	}
	if !done {
		t.Fatal("not done after client-final")
	}
	if err := c.verify(string(out)); err != nil {
		t.Fatal(err)
	}
	return m, -1, nil
}

func TestSCRAMExchanges(t *testing.T) {
	d := newDirectory(t)
	exp := ChannelBinding{Type: TLSExporter, Data: []byte("exporter-data-32-bytes..........")}
	ep := ChannelBinding{Type: TLSServerEndPoint, Data: []byte("certificate-hash")}
	for _, tc := range []struct {
		mech, flag string
		cb         []byte
		bindings   []ChannelBinding
		user, pw   string
		authzid    string
	}{
		{SCRAMSHA256, "n", nil, nil, "alice", "wonderland", ""},
		{SCRAMSHA1, "n", nil, nil, "alice", "wonderland", ""},
		{SCRAMSHA256, "n", nil, []ChannelBinding{exp}, "alice", "wonderland", ""},
		{SCRAMSHA256, "y", nil, nil, "alice", "wonderland", ""},
		{SCRAMSHA256Plus, "p=tls-exporter", exp.Data, []ChannelBinding{exp, ep}, "alice", "wonderland", ""},
		{SCRAMSHA1Plus, "p=tls-exporter", exp.Data, []ChannelBinding{exp}, "alice", "wonderland", ""},
		{SCRAMSHA256Plus, "p=tls-server-end-point", ep.Data, []ChannelBinding{exp, ep}, "alice", "wonderland", "alice@example.org"},
		{SCRAMSHA1Plus, "p=tls-server-end-point", ep.Data, []ChannelBinding{ep}, "alice", "wonderland", ""},
		{SCRAMSHA256, "n", nil, nil, "a,b=c", "commas", "x=y,z"},
		{SCRAMSHA1, "n", nil, nil, "legacy", "old", ""},
	} {
		t.Run(tc.mech+"/"+tc.flag+"/"+tc.user, func(t *testing.T) {
			c := &testClient{hash: hashOf(tc.mech), user: tc.user, password: tc.pw,
				authzid: tc.authzid, flag: tc.flag, cbData: tc.cb}
			m, step, err := exchange(t, tc.mech, d.config(tc.bindings...), c)
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if a, z := m.Identity(); a != tc.user || z != tc.authzid {
				t.Errorf("Identity = %q, %q", a, z)
			}
			if m.Name() != tc.mech {
				t.Errorf("Name = %q", m.Name())
			}
		})
	}
}

func hashOf(mech string) string {
	if strings.HasPrefix(mech, SCRAMSHA256) {
		return SHA256
	}
	return SHA1
}

func TestSCRAMFailures(t *testing.T) {
	d := newDirectory(t)
	exp := ChannelBinding{Type: TLSExporter, Data: []byte("exporter")}
	ep := ChannelBinding{Type: TLSServerEndPoint, Data: []byte("endpoint")}
	for _, tc := range []struct {
		name     string
		mech     string
		bindings []ChannelBinding
		c        testClient
		step     int
		cond     Condition
	}{
		{"wrong password", SCRAMSHA256, nil, testClient{user: "alice", password: "x", flag: "n"}, 1, NotAuthorized},
		{"unknown user", SCRAMSHA256, nil, testClient{user: "bob", password: "x", flag: "n"}, 1, NotAuthorized},
		{"no SHA-256 credentials", SCRAMSHA256, nil, testClient{user: "legacy", password: "old", flag: "n"}, 1, NotAuthorized},
		{"disabled", SCRAMSHA256, nil, testClient{user: "mallory", password: "evil", flag: "n"}, 1, AccountDisabled},
		{"disabled wrong password", SCRAMSHA256, nil, testClient{user: "mallory", password: "x", flag: "n"}, 1, NotAuthorized},
		{"downgrade y", SCRAMSHA256, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "y"}, 0, NotAuthorized},
		{"p on non-PLUS", SCRAMSHA256, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "p=tls-exporter", cbData: exp.Data}, 0, MalformedRequest},
		{"n on PLUS", SCRAMSHA256Plus, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "n"}, 0, MalformedRequest},
		{"unsupported type", SCRAMSHA256Plus, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "p=tls-server-end-point", cbData: ep.Data}, 0, NotAuthorized},
		{"unknown type", SCRAMSHA1Plus, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "p=tls-unique", cbData: ep.Data}, 0, NotAuthorized},
		{"binding mismatch", SCRAMSHA256Plus, []ChannelBinding{exp}, testClient{user: "alice", password: "wonderland", flag: "p=tls-exporter", cbData: []byte("other")}, 1, NotAuthorized},
		{"binding of other type", SCRAMSHA256Plus, []ChannelBinding{exp, ep}, testClient{user: "alice", password: "wonderland", flag: "p=tls-exporter", cbData: ep.Data}, 1, NotAuthorized},
		{"binding data without flag", SCRAMSHA256, nil, testClient{user: "alice", password: "wonderland", flag: "n", cbData: exp.Data}, 1, NotAuthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.hash = hashOf(tc.mech)
			_, step, err := exchange(t, tc.mech, d.config(tc.bindings...), &c)
			if step != tc.step {
				t.Errorf("failed at step %d (%v), want %d", step, err, tc.step)
			}
			wantFailure(t, err, tc.cond)
		})
	}
}

// TestSCRAMUnknownUserLooksReal: an unknown user gets a stable salt and the
// configured iteration count, and fails at the same step as a wrong password.
func TestSCRAMUnknownUserLooksReal(t *testing.T) {
	d := newDirectory(t)
	first := func(user string, iter int) string {
		cfg := d.config()
		cfg.Iterations = iter
		m, _ := New(SCRAMSHA256, cfg)
		out, _, err := m.Step([]byte("n,,n=" + user + ",r=abc"))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	salt := func(sf string) string { return strings.Split(sf, ",")[1] }
	a, b := first("nobody", 0), first("nobody", 0)
	if salt(a) != salt(b) || !strings.HasSuffix(a, ",i=4096") {
		t.Errorf("decoy not stable: %q vs %q", a, b)
	}
	if salt(first("somebody", 0)) == salt(a) {
		t.Error("decoy salt shared between usernames")
	}
	if sf := first("nobody", 10000); !strings.HasSuffix(sf, ",i=10000") {
		t.Errorf("decoy ignores Config.Iterations: %q", sf)
	}
}

func TestSCRAMMalformed(t *testing.T) {
	d := newDirectory(t)
	for _, first := range []string{
		"", "n", "n,", "x,,n=user,r=abc", "p=,,n=user,r=abc", "p=tls exporter,,n=user,r=abc",
		"n,b=x,n=user,r=abc", "n,a=,n=user,r=abc", "n,a=x=41,n=user,r=abc",
		"n,,m=ext,n=user,r=abc", "n,,n=user", "n,,r=abc,n=user", "n,,n=,r=abc",
		"n,,n=us=2Cer=,r=abc", "n,,n=us=2c,r=abc", "n,,n=user,r=", "n,,n=user,r=a b",
		"n,,n=user,r=abc,", "n,,n=user,r=abc,m=x", "n,,n=user,r=abc,1=x",
		"n,,n=\xff,r=abc", "n,,n=us\x00er,r=abc",
	} {
		m, _ := New(SCRAMSHA256, d.config())
		_, _, err := m.Step([]byte(first))
		wantFailure(t, err, MalformedRequest)
	}
	cfg := d.config()
	cfg.nonce = fixedNonce(sha256SNonce)
	for _, final := range []string{
		"", "c=biws", "c=biws,r=x", "p=abc", "r=x,c=biws,p=abc",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA",
		"c=bi ws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	} {
		m, _ := New(SCRAMSHA256, cfg)
		if _, _, err := m.Step([]byte(sha256ClientFirst)); err != nil {
			t.Fatal(err)
		}
		_, _, err := m.Step([]byte(final))
		wantFailure(t, err, MalformedRequest)
	}
}

func TestSCRAMNonceMismatch(t *testing.T) {
	cfg := newDirectory(t).config()
	cfg.nonce = fixedNonce(sha256SNonce)
	m, _ := New(SCRAMSHA256, cfg)
	m.Step([]byte(sha256ClientFirst))
	final := strings.Replace(sha256ClientFinal, "k0,", "k1,", 1)
	_, _, err := m.Step([]byte(final))
	wantFailure(t, err, NotAuthorized)
}

func TestSCRAMNoInitialResponse(t *testing.T) {
	d := newDirectory(t)
	m, _ := New(SCRAMSHA256, d.config())
	out, done, err := m.Step(nil)
	if err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("Step(nil) = %q, %v, %v; want empty challenge", out, done, err)
	}
	c := &testClient{hash: SHA256, user: "alice", password: "wonderland", flag: "n", cnonce: "r0"}
	sf, _, err := m.Step([]byte(c.first()))
	if err != nil {
		t.Fatal(err)
	}
	final, _ := c.final(string(sf))
	if _, done, err := m.Step([]byte(final)); err != nil || !done {
		t.Fatalf("final: %v %v", done, err)
	}
	// A second empty message is malformed, not another empty challenge.
	m, _ = New(SCRAMSHA256, d.config())
	m.Step(nil)
	_, _, err = m.Step(nil)
	wantFailure(t, err, MalformedRequest)
}

func TestSCRAMServerNonce(t *testing.T) {
	m, _ := New(SCRAMSHA256, newDirectory(t).config())
	out, _, err := m.Step([]byte("n,,n=alice,r=abc"))
	if err != nil {
		t.Fatal(err)
	}
	r := strings.TrimPrefix(strings.Split(string(out), ",")[0], "r=abc")
	if len(mustB64(t, r)) != 24 {
		t.Errorf("server nonce %q is not 24 bytes of base64", r)
	}
}

func TestLookupError(t *testing.T) {
	d := newDirectory(t)
	d.err = errors.New("database down")
	m, _ := New(SCRAMSHA1, d.config())
	_, _, err := m.Step([]byte("n,,n=alice,r=abc"))
	wantFailure(t, err, TemporaryAuthFailure)
	p, _ := New(PLAIN, d.config())
	_, _, err = p.Step([]byte("\x00alice\x00wonderland"))
	wantFailure(t, err, TemporaryAuthFailure)
}

func TestSCRAMUsernameEscaping(t *testing.T) {
	d := newDirectory(t)
	m, _ := New(SCRAMSHA256, d.config())
	if _, _, err := m.Step([]byte("n,,n=a=2Cb=3Dc,r=abc")); err != nil {
		t.Fatal(err)
	}
	if got := d.calls[len(d.calls)-1]; got != "a,b=c" {
		t.Errorf("Lookup got %q, want unescaped a,b=c", got)
	}
}
