package sasl

import (
	"errors"
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	b := []ChannelBinding{{Type: TLSExporter, Data: []byte("x")}}
	for _, tc := range []struct {
		b     []ChannelBinding
		plain bool
		want  []string
	}{
		{nil, false, []string{SCRAMSHA256, SCRAMSHA1}},
		{nil, true, []string{SCRAMSHA256, SCRAMSHA1, PLAIN}},
		{b, false, []string{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1}},
		{b, true, []string{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1, PLAIN}},
	} {
		if got := Names(tc.b, tc.plain); !slices.Equal(got, tc.want) {
			t.Errorf("Names(%v, %v) = %v, want %v", tc.b, tc.plain, got, tc.want)
		}
	}
}

func TestNew(t *testing.T) {
	d := newDirectory(t)
	b := d.config(ChannelBinding{Type: TLSExporter})
	for _, name := range Names(b.Bindings, true) {
		m, err := New(name, b)
		if err != nil || m.Name() != name {
			t.Errorf("New(%q) = %v, %v", name, m, err)
		}
	}
	for _, name := range []string{"DIGEST-MD5", "scram-sha-256", "", "SCRAM-SHA-512", "ANONYMOUS"} {
		_, err := New(name, b)
		wantFailure(t, err, InvalidMechanism)
	}
	// -PLUS without channel binding is not offered, hence invalid.
	for _, name := range []string{SCRAMSHA256Plus, SCRAMSHA1Plus} {
		_, err := New(name, d.config())
		wantFailure(t, err, InvalidMechanism)
	}
	if _, err := New(PLAIN, Config{}); err == nil || errors.As(err, new(*Failure)) {
		t.Errorf("New without Lookup: %v", err)
	}
}
