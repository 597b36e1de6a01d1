package admin

import (
	"context"

	"github.com/parley-xmpp/parley/storage"
)

// Subscribe applies the requests that arrive as storage notifications
// (storage.Notifier, PostgreSQL LISTEN/NOTIFY) exactly as socket requests,
// until ctx is done. It returns once subscribed; done is closed when the
// listener has stopped.
func (s *Server) Subscribe(ctx context.Context, n storage.Notifier) (done <-chan struct{}, err error) {
	return n.Listen(ctx, func(payload string) {
		if resp := s.Apply([]byte(payload)); !resp.OK {
			s.log.Warn().Str("error", resp.Error).Msg("admin notification refused")
		}
	})
}
