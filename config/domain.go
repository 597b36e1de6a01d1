package config

import (
	"errors"
	"strings"

	"golang.org/x/net/idna"
)

// normalizeDomain lowercases and IDNA-maps a domain name and strips a
// trailing dot (RFC 7622 §3.2).
func normalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", errors.New("empty domain")
	}
	n, err := idna.Lookup.ToUnicode(d)
	if err != nil {
		return "", err
	}
	return strings.ToLower(n), nil
}
