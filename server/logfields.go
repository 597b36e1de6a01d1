package server

import "github.com/rs/zerolog"

// fieldsHook adds constant string fields to every event a logger writes.
type fieldsHook []string

// Run implements zerolog.Hook.
func (h fieldsHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	for i := 0; i+1 < len(h); i += 2 {
		e.Str(h[i], h[i+1])
	}
}

// LogWith returns l with the string fields kv (key, value, key, value ...)
// on every event. Unlike l.With(), which gives each child logger a
// 500-byte context buffer, the fields are kept as strings and written only
// when an event is actually logged: a per-session logger then costs tens of
// bytes, which matters with tens of thousands of idle sessions.
func LogWith(l zerolog.Logger, kv ...string) zerolog.Logger {
	if l.GetLevel() == zerolog.Disabled {
		return l
	}
	return l.Hook(fieldsHook(kv))
}
