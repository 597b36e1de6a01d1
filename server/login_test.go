package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/offline"
	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/postgres"
	"github.com/parley-xmpp/parley/storage/sqlite"
	"github.com/parley-xmpp/parley/vcard"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The login harness drives the real session core with the IM modules
// wired as the composition root wires them, through a stand-in transport,
// the way a BOSH client logs in: SCRAM-SHA-1, stream restart, resource
// binding, initial presence.

const loginPassword = "load-password"

// loginCreds are the credentials every harness account shares (one
// PBKDF2 run for all of them), and the client's SaltedPassword.
var loginCreds = sync.OnceValues(func() ([]storage.Credential, []byte) {
	salt := []byte("0123456789abcdef")
	var out []storage.Credential
	for _, h := range []string{sasl.SHA256, sasl.SHA1} {
		c, err := sasl.Derive(h, loginPassword, salt, sasl.DefaultIterations)
		if err != nil {
			panic(err)
		}
		out = append(out, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations,
			StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	sp, err := pbkdf2.Key(sha1.New, loginPassword, salt, sasl.DefaultIterations, sha1.Size)
	if err != nil {
		panic(err)
	}
	return out, sp
})

// counting is a storage.Store that counts the calls a login makes.
type counting struct {
	storage.Store
	mu sync.Mutex
	n  map[string]int
}

func (c *counting) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

// take returns the counts so far as "op=n" sorted, and resets them.
func (c *counting) take() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	total := 0
	for op, n := range c.n {
		parts = append(parts, fmt.Sprintf("%s=%d", op, n))
		total += n
	}
	sort.Strings(parts)
	c.n = nil
	return strings.Join(parts, " "), total
}

func (c *counting) Account(ctx context.Context, d, l string) (storage.Account, error) {
	c.count("Account")
	return c.Store.Account(ctx, d, l)
}

func (c *counting) Credentials(ctx context.Context, d, l string) ([]storage.Credential, error) {
	c.count("Credentials")
	return c.Store.Credentials(ctx, d, l)
}

func (c *counting) AccountCredentials(ctx context.Context, d, l string) (storage.Account, []storage.Credential, error) {
	c.count("AccountCredentials")
	return c.Store.AccountCredentials(ctx, d, l)
}

func (c *counting) Roster(ctx context.Context, d, l string) ([]storage.RosterItem, int64, error) {
	c.count("Roster")
	return c.Store.Roster(ctx, d, l)
}

func (c *counting) RosterItem(ctx context.Context, d, l, contact string) (storage.RosterItem, error) {
	c.count("RosterItem")
	return c.Store.RosterItem(ctx, d, l, contact)
}

func (c *counting) RosterVersion(ctx context.Context, d, l string) (int64, error) {
	c.count("RosterVersion")
	return c.Store.RosterVersion(ctx, d, l)
}

func (c *counting) UpdateRosterItem(ctx context.Context, d, l, contact string,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (*storage.RosterItem, int64, error) {
	c.count("UpdateRosterItem")
	return c.Store.UpdateRosterItem(ctx, d, l, contact, fn)
}

func (c *counting) OfflineMessages(ctx context.Context, d, l string) ([]storage.OfflineMessage, error) {
	c.count("OfflineMessages")
	return c.Store.OfflineMessages(ctx, d, l)
}

func (c *counting) DeleteOffline(ctx context.Context, d, l string, upTo int64) error {
	c.count("DeleteOffline")
	return c.Store.DeleteOffline(ctx, d, l, upTo)
}

func (c *counting) StoreOffline(ctx context.Context, d, l, x string, limit int) (int64, error) {
	c.count("StoreOffline")
	return c.Store.StoreOffline(ctx, d, l, x, limit)
}

// The write calls are counted too: a login must not need the SQLite
// writer.

func (c *counting) SetVCard(ctx context.Context, d, l, x string) error {
	c.count("SetVCard")
	return c.Store.SetVCard(ctx, d, l, x)
}

func (c *counting) SetPrivateXML(ctx context.Context, d, l, ns, name, x string) error {
	c.count("SetPrivateXML")
	return c.Store.SetPrivateXML(ctx, d, l, ns, name, x)
}

func (c *counting) SetCredentials(ctx context.Context, d, l string, creds []storage.Credential) error {
	c.count("SetCredentials")
	return c.Store.SetCredentials(ctx, d, l, creds)
}

func (c *counting) VCard(ctx context.Context, d, l string) (string, error) {
	c.count("VCard")
	return c.Store.VCard(ctx, d, l)
}

// loginEnv is a core with the IM modules over a counted store with
// accounts load1, load2, ... on localhost.
type loginEnv struct {
	core  *server.Core
	store *counting
	users int // accounts created so far
}

func newLoginEnv(t testing.TB, backend string) *loginEnv {
	t.Helper()
	ctx := context.Background()
	var st storage.Store
	switch backend {
	case "sqlite":
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "login.db"))
		if err != nil {
			t.Fatal(err)
		}
		st = s
	case "postgres":
		s, err := postgres.Open(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		st = s
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cs := &counting{Store: st}
	core := server.NewCore(cs, server.Options{Domains: []string{"localhost"}, RequireTLS: true,
		Logger: zerolog.Nop()})
	core.RegisterServices()
	rs := roster.New(core, roster.Options{})
	rs.Register()
	ps := presence.New(core, rs)
	ps.Register()
	offline.New(core, offline.Options{}).Register(ps)
	vcard.New(core, vcard.Options{}).Register()
	return &loginEnv{core: core, store: cs}
}

// ensureUsers creates accounts up to loadN.
func (e *loginEnv) ensureUsers(t testing.TB, n int) {
	t.Helper()
	creds, _ := loginCreds()
	for ; e.users < n; e.users++ {
		if err := e.store.CreateAccount(context.Background(), "localhost", fmt.Sprintf("load%d", e.users+1), creds); err != nil {
			t.Fatal(err)
		}
	}
	e.store.take()
}

// standIn is the transport of a harness session: it only records that
// the core closed it.
type standIn struct {
	s      *server.Session
	closed atomic.Bool
}

func (t *standIn) Notify()                          {}
func (t *standIn) OpenStream(stream.ResponseHeader) {}
func (t *standIn) Close(*stream.Error)              { t.closed.Store(true) }

// boshHeader is the stream header a BOSH session creation or restart
// hands to the core (XEP-0206 §3, §5).
var boshHeader = stream.Header{Name: xml.Name{Space: stream.NSBOSH, Local: "body"}, Attrs: []xml.Attr{
	{Name: xml.Name{Local: "xmlns"}, Value: stream.NSBOSH},
	{Name: xml.Name{Space: "xmlns", Local: "xmpp"}, Value: stream.NSXBOSH},
	{Name: xml.Name{Local: "to"}, Value: "localhost"},
	{Name: xml.Name{Space: stream.NSXBOSH, Local: "version"}, Value: "1.0"},
}}

func element(tag, ns, text string, attrs ...string) *etree.Element {
	el := etree.NewElement(tag)
	if ns != "" {
		el.CreateAttr("xmlns", ns)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		el.CreateAttr(attrs[i], attrs[i+1])
	}
	if text != "" {
		el.SetText(text)
	}
	return el
}

// drainText returns the queued output of s as XML.
func drainText(s *server.Session, buf []*etree.Element) (string, []*etree.Element) {
	buf = s.Drain(buf[:0])
	var b strings.Builder
	for _, el := range buf {
		b.WriteString(stream.String(el))
	}
	clear(buf)
	return b.String(), buf
}

// login logs in user (loadN) over a new session and returns it, bound
// and available.
func (e *loginEnv) login(t testing.TB, n int) *standIn {
	t.Helper()
	_, salted := loginCreds()
	tr := &standIn{}
	tr.s = e.core.NewSession(tr, server.TransportInfo{Kind: "bosh", RemoteAddr: "127.0.0.1:40000"})
	s := tr.s
	var buf []*etree.Element
	var out string
	if s.Open(boshHeader) != server.StepContinue {
		t.Fatal("open refused")
	}
	buf = s.Drain(buf)
	clear(buf)
	user := fmt.Sprintf("load%d", n)
	bare := "n=" + user + ",r=cnonce" + user
	first := "n,," + bare
	s.Receive(element("auth", sasl.NS, base64.StdEncoding.EncodeToString([]byte(first)), "mechanism", sasl.SCRAMSHA1))
	out, buf = drainText(s, buf)
	i := strings.Index(out, ">")
	j := strings.LastIndex(out, "<")
	if !strings.HasPrefix(out, "<challenge") || i < 0 || j < i {
		t.Fatalf("no challenge: %s", out)
	}
	sf, err := base64.StdEncoding.DecodeString(out[i+1 : j])
	if err != nil {
		t.Fatal(err)
	}
	serverFirst := string(sf)
	nonce, _, _ := strings.Cut(strings.TrimPrefix(serverFirst, "r="), ",")
	final := "c=biws,r=" + nonce
	auth := bare + "," + serverFirst + "," + final
	clientKey := hmacSHA1(salted, "Client Key")
	stored := sha1.Sum(clientKey)
	proof := hmacSHA1(stored[:], auth)
	subtle.XORBytes(proof, proof, clientKey)
	final += ",p=" + base64.StdEncoding.EncodeToString(proof)
	if st := s.Receive(element("response", sasl.NS, base64.StdEncoding.EncodeToString([]byte(final)))); st != server.StepRestart {
		out, _ = drainText(s, buf)
		t.Fatalf("SCRAM: step %v: %s", st, out)
	}
	buf = s.Drain(buf[:0])
	clear(buf)
	if s.Open(boshHeader) != server.StepContinue {
		t.Fatal("restart refused")
	}
	buf = s.Drain(buf[:0])
	clear(buf)
	iq := element("iq", "", "", "type", "set", "id", "bind1")
	iq.AddChild(element("bind", server.NSBind, ""))
	iq.ChildElements()[0].AddChild(element("resource", "", "r"))
	s.Receive(iq)
	buf = s.Drain(buf[:0])
	if len(buf) != 1 || buf[0].SelectAttrValue("type", "") != "result" {
		out, _ = drainText(s, buf)
		t.Fatalf("bind: %s", out)
	}
	clear(buf)
	s.Receive(element("presence", "", ""))
	buf = s.Drain(buf[:0])
	clear(buf)
	return tr
}

func hmacSHA1(key []byte, msg string) []byte {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// end ends a session as a transport that is gone does.
func (tr *standIn) end() {
	tr.s.Undeliverable(tr.s.Drain(nil))
	tr.s.End(nil)
}

// TestLoginQueries records the storage calls of a login and of the end of
// its session, and keeps them from growing back: a login of a user with
// an empty roster and no offline messages reads the credentials, the
// roster and the offline messages once each, and writes nothing.
func TestLoginQueries(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newLoginEnv(t, backend)
			e.ensureUsers(t, 2)
			tr := e.login(t, 1)
			login, nl := e.store.take()
			tr.end()
			end, ne := e.store.take()
			t.Logf("login: %d calls (%s); end: %d calls (%s)", nl, login, ne, end)
			// One read each: credentials (with the account), the roster
			// (with its version), the offline messages. The end of the
			// session does not read the roster again: it held no contact
			// with a 'from' subscription. Nothing is written.
			if want := "AccountCredentials=1 OfflineMessages=1 Roster=1"; login != want {
				t.Errorf("login calls %s, want %s", login, want)
			}
			if end != "" {
				t.Errorf("end calls %s, want none", end)
			}
		})
	}
}

// cpuTime is the CPU time (user and system) the process used so far:
// with PostgreSQL, the database's own CPU is not in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestIdleSessionMemory measures the heap an idle, logged-in session
// (SCRAM-SHA-1 done, resource bound, initial presence sent, empty roster)
// retains in the core, the IM modules and the stand-in transport.
func TestIdleSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("logs in thousands of sessions")
	}
	const warm, n = 200, 2000
	e := newLoginEnv(t, "sqlite")
	e.ensureUsers(t, warm+n)
	var keep []*standIn
	for i := range warm {
		keep = append(keep, e.login(t, i+1))
	}
	before := heapInUse()
	for i := range n {
		keep = append(keep, e.login(t, warm+i+1))
	}
	after := heapInUse()
	// PARLEY_HEAP_PROFILE=FILE writes the heap profile here (run with
	// -memprofilerate=1 to see every allocation).
	if f := os.Getenv("PARLEY_HEAP_PROFILE"); f != "" {
		w, _ := os.Create(f)
		pprof.WriteHeapProfile(w)
		w.Close()
	}
	per := (int64(after) - int64(before)) / n
	t.Logf("%d bytes of heap per idle session (core, IM modules, stand-in transport)", per)
	runtime.KeepAlive(keep)
	if got := e.core.Registry().Count(); got != warm+n {
		t.Fatalf("%d sessions bound, want %d", got, warm+n)
	}
	// About 440 bytes: the 256-byte Session, the presence module's state,
	// one registry entry and one core map entry per session. The bound
	// keeps it from growing back towards the 2.5 KB it was.
	if per > 1<<10 {
		t.Errorf("%d bytes per idle session, want at most 1 KiB", per)
	}
}

// BenchmarkLogin is a whole login through the core (SCRAM-SHA-1 with
// stored keys, restart, bind, initial presence) and the end of the
// session, with a different account each time, as the load tool's login
// scenario does.
func BenchmarkLogin(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			e := newLoginEnv(b, backend)
			const pool = 2000
			e.ensureUsers(b, pool)
			i := 0
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				i++
				// Beyond the pool, accounts repeat (the credential cache then
				// answers); the pool is large enough for the usual -benchtime.
				e.login(b, (i-1)%pool+1).end()
			}
			cpu := cpuTime() - cpu0
			_, calls := e.store.take()
			b.ReportMetric(float64(calls)/float64(i), "calls/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(i), "cpu-ns/op")
		})
	}
}

// BenchmarkLoginParallel is BenchmarkLogin with 25 logins per CPU at a
// time, as the load tool runs them (50 at a time on two cores).
func BenchmarkLoginParallel(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			e := newLoginEnv(b, backend)
			const pool = 3000
			e.ensureUsers(b, pool)
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(25)
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					e.login(b, int((i-1)%pool)+1).end()
				}
			})
			b.StopTimer()
			n := next.Load()
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
			_, calls := e.store.take()
			b.ReportMetric(float64(calls)/float64(n), "calls/op")
		})
	}
}
