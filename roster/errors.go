package roster

// Condition is an RFC 6120 §8.3.3 stanza error condition.
type Condition string

// The conditions this package returns.
const (
	CondBadRequest    Condition = "bad-request"
	CondNotAcceptable Condition = "not-acceptable"
	CondNotAllowed    Condition = "not-allowed"
	CondJIDMalformed  Condition = "jid-malformed"
)

// Error is a roster request the server refuses: the caller answers the IQ
// with a stanza error of this condition (RFC 6121 §2.3.3).
type Error struct {
	Condition Condition
	Text      string
}

func newError(c Condition, text string) *Error { return &Error{Condition: c, Text: text} }

// Error returns "roster: condition: text".
func (e *Error) Error() string { return "roster: " + string(e.Condition) + ": " + e.Text }

// Is reports whether target is an *Error with the same condition.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Condition == e.Condition
}
