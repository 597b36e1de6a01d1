package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
)

// adminSocket is the unix socket a running server listens on, in data_dir.
const adminSocket = "parley.sock"

// notifyTimeout bounds the whole exchange with a running server.
const notifyTimeout = 2 * time.Second

// kick tells running servers that the account j changed (reason:
// "deleted", "password", "disabled" or "roster") so they end that user's
// sessions: through the admin socket of a server on this data directory,
// and, when the database carries notifications (PostgreSQL), to every
// server using it (a server reached both ways just kicks twice). No socket
// means no server runs on this data directory. Failures only log at debug
// level, since storage already holds the change.
func kick(ctx context.Context, log zerolog.Logger, cfg *config.Config, store storage.Store, j jid.JID, reason string) {
	line, _ := json.Marshal(map[string]string{"op": "kick", "jid": j.String(), "reason": reason})
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	if n, ok := store.(storage.Notifier); ok {
		if err := n.Notify(ctx, string(line)); err != nil {
			log.Debug().Err(err).Msg("could not notify through the database")
		}
	}
	notifySocket(ctx, log, cfg, line)
}

// notifySocket sends line to the admin socket in data_dir, if any.
func notifySocket(ctx context.Context, log zerolog.Logger, cfg *config.Config, line []byte) {
	path := filepath.Join(cfg.DataDir, adminSocket)
	if _, err := os.Stat(path); err != nil {
		return
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		log.Debug().Err(err).Str("socket", path).Msg("no running server to notify")
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(notifyTimeout))
	if _, err := conn.Write(append(line, '\n')); err != nil {
		log.Debug().Err(err).Str("socket", path).Msg("could not notify the running server")
		return
	}
	log.Debug().Str("socket", path).Msg("notified the running server")
}
