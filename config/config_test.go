package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func writeFile(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "parley.toml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultIsValid(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("validated defaults changed: %+v", c)
	}
	if c.DefaultDomain() != "localhost" || c.Storage.Driver != "sqlite" || c.Storage.DSN != "data/parley.db" ||
		c.C2S.Listen[0] != "0.0.0.0:5222" || c.HTTP.Listen[0] != "127.0.0.1:5280" || !c.C2S.RequireTLS {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

// The example file documents every key with its default value.
func TestExampleMatchesDefault(t *testing.T) {
	const path = "../configs/parley.example.toml"
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("example differs from Default():\n%+v\n%+v", c, Default())
	}
	var raw map[string]any
	md, err := toml.DecodeFile(path, &raw)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	for _, k := range md.Keys() {
		written[k.String()] = true
	}
	for _, k := range leafKeys(reflect.TypeOf(Config{}), "") {
		if !written[k] {
			t.Errorf("key %s is not documented in %s", k, path)
		}
	}
}

func leafKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		k := join(prefix, f.Tag.Get("toml"))
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			keys = append(keys, leafKeys(f.Type, k)...)
		} else if f.Type.Kind() != reflect.Map { // free-form tables are shown commented out
			keys = append(keys, k)
		}
	}
	return keys
}

func TestLoadOverrides(t *testing.T) {
	p := writeFile(t, `domains = ["Example.COM", "chat.example.com."]
[storage]
driver = "postgres"
dsn = "postgres://parley@localhost/parley"
[c2s]
listen = ["127.0.0.1:0"]
require_tls = false
handshake_timeout = "5s"
[http]
listen = []
trusted_proxies = ["10.0.0.0/8", "::1"]
[bosh]
cors_origins = ["*", "https://chat.example.com"]
[debug]
pprof_listen = "127.0.0.1:6060"
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Domains; !reflect.DeepEqual(got, []string{"example.com", "chat.example.com"}) {
		t.Errorf("domains = %q", got)
	}
	if c.C2S.RequireTLS || c.C2S.HandshakeTimeout.Duration != 5*time.Second || len(c.HTTP.Listen) != 0 {
		t.Errorf("overrides not applied: %+v", c)
	}
	if c.C2S.OutQueue != 1000 || c.BOSH.Path != "/http-bind" {
		t.Errorf("defaults lost: %+v", c)
	}
	if !c.Serves("example.com") || c.Serves("other.org") {
		t.Error("Serves wrong")
	}
}

func TestWebOptions(t *testing.T) {
	c, err := Load(writeFile(t, "[web]\ntitle = \"Chat\"\n[web.options]\nshow_controlbox_by_default = true\nauto_away = 300\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Web.Options()); got != `{"auto_away":300,"show_controlbox_by_default":true}` || c.Web.Title != "Chat" || !c.Web.Enabled {
		t.Fatalf("web = %+v, options %s", c.Web, got)
	}
	if Default().Web.Options() != nil {
		t.Fatal("default options not nil")
	}
	if _, err := Load(writeFile(t, "[web]\noptions = 3\n")); err == nil || !strings.Contains(err.Error(), ":2: web.options: expected a table") {
		t.Fatalf("err = %v", err)
	}
}

func TestSQLiteEmptyDSNUsesDataDir(t *testing.T) {
	c, err := Load(writeFile(t, "data_dir = \"/var/lib/parley\"\n[storage]\ndsn = \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.DSN != "/var/lib/parley/parley.db" {
		t.Fatalf("dsn = %q", c.Storage.DSN)
	}
}

func TestStrictErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string // substrings of the error text
	}{
		{"unknown top key", "domains = [\"a.example\"]\nfoo = 1\n", []string{":2: foo: unknown key"}},
		{"unknown table key", "[storage]\ndriver = \"sqlite\"\n\n[c2s]\nlisten = []\nlisen = []\n",
			[]string{":6: c2s.lisen: unknown key (did you mean \"listen\"?)"}},
		{"unknown table", "[nope]\nx = 1\n", []string{":1: nope: unknown key"}},
		{"dotted unknown", "c2s.bogus = true\n", []string{":1: c2s.bogus: unknown key"}},
		{"inline table unknown", "c2s = { listen = [], bogus = 1 }\n", []string{":1: c2s.bogus: unknown key"}},
		{"wrong type bool", "[c2s]\nrequire_tls = \"yes\"\n",
			[]string{":2: c2s.require_tls: expected a boolean (true or false), got a string"}},
		{"wrong type list", "[c2s]\nlisten = \"0.0.0.0:5222\"\n",
			[]string{":2: c2s.listen: expected an array of strings"}},
		{"wrong elem type", "[c2s]\nlisten = [\n  5222,\n]\n", []string{":2: c2s.listen: expected an array of strings", "an integer"}},
		{"wrong type int", "[bosh]\nmax_hold = 1.5\n", []string{":2: bosh.max_hold: expected an integer, got a float"}},
		{"table as value", "storage = 3\n", []string{":1: storage: expected a table, got an integer"}},
		{"bad duration", "[c2s]\nhandshake_timeout = \"soon\"\n",
			[]string{":2: c2s.handshake_timeout: expected a duration such as \"30s\""}},
		{"duration as int", "[bosh]\nmax_wait = 60\n", []string{":2: bosh.max_wait: expected a duration string"}},
		{"syntax", "data_dir = \"x\"\ndomains = [\"a\" \"b\"]\n", []string{"parley.toml:2: "}},
		{"bad driver", "[storage]\ndriver = \"mysql\"\n", []string{":2: storage.driver: expected \"sqlite\" or \"postgres\", got \"mysql\""}},
		{"bad policy", "[c2s]\n# comment = 1\nconflict_policy = \"kick\"\n", []string{":3: c2s.conflict_policy: expected \"replace\" or \"reject\""}},
		{"bad domain", "domains = [\"exa mple..com\"]\n", []string{":1: domains: expected domain names"}},
		{"no domains", "domains = []\n", []string{":1: domains: expected at least one domain"}},
		{"dup domains", "domains = [\"a.example\", \"A.example\"]\n", []string{"listed twice"}},
		{"iterations", "[auth]\nscram_iterations = 1000\n", []string{":2: auth.scram_iterations: expected an integer from 4096"}},
		{"pprof public", "[debug]\npprof_listen = \"0.0.0.0:6060\"\n", []string{":2: debug.pprof_listen: expected a loopback"}},
		{"listen addr", "[http]\nlisten = [\"5280\"]\n", []string{":2: http.listen: expected host:port"}},
		{"proxies", "[http]\ntrusted_proxies = [\"example.com\"]\n", []string{":2: http.trusted_proxies:"}},
		{"tls half", "[tls]\ncert = \"a.pem\"\n", []string{"tls.key: expected tls.cert and tls.key"}},
		{"log level", "[log]\nlevel = \"loud\"\n", []string{":2: log.level: expected \"trace\""}},
		{"bosh path", "[bosh]\npath = \"http-bind\"\n", []string{":2: bosh.path:"}},
		{"cors", "[bosh]\ncors_origins = [\"example.com\"]\n", []string{":2: bosh.cors_origins:"}},
		{"stanza size", "[c2s]\nmax_stanza_size = 100\n", []string{":2: c2s.max_stanza_size: expected at least 10000"}},
		{"roster items", "[im]\nroster_max_items = 0\n", []string{":2: im.roster_max_items: expected 1 to 100000 items, got 0"}},
		{"offline messages", "[im]\noffline_max_messages = 100001\n", []string{":2: im.offline_max_messages: expected 1 to 100000 messages"}},
		{"vcard bytes", "[im]\nvcard_max_bytes = -1\n", []string{":2: im.vcard_max_bytes: expected 1 to 16777216 bytes, got -1"}},
		{"im unknown", "[im]\nroster_items = 5\n", []string{":2: im.roster_items: unknown key"}},
		{"two problems", "[c2s]\nout_queue = 0\n[log]\nlevel = \"x\"\n", []string{":2: c2s.out_queue", ":4: log.level"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.doc)
			_, err := Load(p)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), p) {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.toml")); err == nil {
		t.Fatal("no error for a missing file")
	}
}

func TestKeyLines(t *testing.T) {
	doc := `# top
a = """
b = 1
"""
[t]
x = [
  "[not.a.table]",
  1,
]
"q k".y = 2  # comment
[[arr]]
z = { m = 1, n = { o = 2 } }
`
	got := keyLines(doc)
	want := map[string]int{"a": 2, "t": 5, "t.x": 6, "t.q k": 10, "t.q k.y": 10, "arr": 11, "arr.z": 12, "arr.z.m": 12, "arr.z.n": 12, "arr.z.n.o": 12}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keyLines = %v, want %v", got, want)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Key: "c2s.listen", Msg: "bad"}
	if e.Error() != "c2s.listen: bad" {
		t.Fatal(e.Error())
	}
	e.File, e.Line = "f.toml", 3
	if e.Error() != "f.toml:3: c2s.listen: bad" {
		t.Fatal(e.Error())
	}
}
