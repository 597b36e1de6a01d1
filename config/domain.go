package config

import (
	"strings"

	"github.com/parley-xmpp/parley/server/jid"
)

// normalizeDomain applies the JID domainpart rules (RFC 7622 §3.2) so that a
// configured domain compares equal to the domainpart of parsed addresses.
func normalizeDomain(d string) (string, error) {
	n, err := jid.NormalizeDomain(d)
	if err != nil {
		return "", err
	}
	return strings.ToLower(n), nil
}
