package sasl

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/secure/precis"
)

// testClient is a minimal SCRAM client (RFC 5802 §5) driving the server.
type testClient struct {
	hash     string
	user     string // unescaped
	password string
	authzid  string
	flag     string // "n", "y" or "p=TYPE"
	cbData   []byte // sent in c= after the gs2 header (when flag is p=)
	cnonce   string

	gs2, bare, authMessage string
	serverKey              []byte
}

func (c *testClient) first() string {
	c.gs2 = c.flag + ","
	if c.authzid != "" {
		c.gs2 += "a=" + escapeName(c.authzid)
	}
	c.gs2 += ","
	c.bare = "n=" + escapeName(c.user) + ",r=" + c.cnonce
	return c.gs2 + c.bare
}

// final answers server-first with the client-final-message.
func (c *testClient) final(serverFirst string) (string, error) {
	f := strings.Split(serverFirst, ",")
	if len(f) < 3 || !strings.HasPrefix(f[0], "r="+c.cnonce) {
		return "", fmt.Errorf("bad server-first %q", serverFirst)
	}
	salt, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[1], "s="))
	if err != nil {
		return "", err
	}
	iter, err := strconv.Atoi(strings.TrimPrefix(f[2], "i="))
	if err != nil {
		return "", err
	}
	h := hashFunc(c.hash)
	p, err := precis.OpaqueString.String(c.password)
	if err != nil {
		return "", err
	}
	sp, err := saltedPassword(h, p, salt, iter)
	if err != nil {
		return "", err
	}
	clientKey := hmacSum(h, sp, "Client Key")
	c.serverKey = hmacSum(h, sp, "Server Key")
	cb := base64.StdEncoding.EncodeToString(append([]byte(c.gs2), c.cbData...))
	without := "c=" + cb + "," + f[0]
	c.authMessage = c.bare + "," + serverFirst + "," + without
	proof := hmacSum(h, hashSum(h, clientKey), c.authMessage)
	subtle.XORBytes(proof, proof, clientKey)
	return without + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

// verify checks the server-final-message.
func (c *testClient) verify(serverFinal string) error {
	want := "v=" + base64.StdEncoding.EncodeToString(hmacSum(hashFunc(c.hash), c.serverKey, c.authMessage))
	if !hmac.Equal([]byte(serverFinal), []byte(want)) {
		return errors.New("server signature mismatch")
	}
	return nil
}

// escapeName encodes a saslname (RFC 5802 §5.1).
func escapeName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// wantFailure fails t unless err is a *Failure with condition c.
func wantFailure(t *testing.T, err error, c Condition) {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want *Failure %s", err, c)
	}
	if f.Condition != c {
		t.Fatalf("condition = %s (%q), want %s", f.Condition, f.Text, c)
	}
}
