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
)

// adminSocket is the unix socket a running server listens on, in data_dir.
const adminSocket = "parley.sock"

// notifyTimeout bounds the whole exchange with a running server.
const notifyTimeout = 2 * time.Second

// kick tells a running server, through its admin socket, that the account
// j changed (reason: "deleted", "password", "disabled" or "roster") so it
// ends that user's sessions. No socket means no server is running on this
// data directory: nothing to do. Other failures only log at debug level,
// since storage already holds the change.
func kick(ctx context.Context, log zerolog.Logger, cfg *config.Config, j jid.JID, reason string) {
	path := filepath.Join(cfg.DataDir, adminSocket)
	if _, err := os.Stat(path); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		log.Debug().Err(err).Str("socket", path).Msg("no running server to notify")
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(notifyTimeout))
	line, _ := json.Marshal(map[string]string{"op": "kick", "jid": j.String(), "reason": reason})
	if _, err := conn.Write(append(line, '\n')); err != nil {
		log.Debug().Err(err).Str("socket", path).Msg("could not notify the running server")
		return
	}
	log.Debug().Str("jid", j.String()).Str("reason", reason).Msg("notified the running server")
}
