// Package sasl implements the server side of the SASL mechanisms Parley
// offers during XMPP stream negotiation (RFC 6120 §6): PLAIN (RFC 4616),
// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) and their channel
// binding -PLUS variants (tls-exporter, RFC 9266; tls-server-end-point,
// RFC 5929), together with the salted credentials they are verified against
// and the XML elements of the XMPP SASL profile.
//
// No password is ever stored: a password becomes, per hash, a salt, an
// iteration count, a StoredKey and a ServerKey (RFC 5802 §3), which verify
// both PLAIN and SCRAM.
//
// A Mechanism is a state machine fed with the decoded payloads of <auth/>
// and <response/>; its outputs are sent as <challenge/> or, once done, as
// the additional data of <success/>. Every error it returns is a *Failure
// carrying the RFC 6120 §6.5 condition to report.
package sasl
