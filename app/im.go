package app

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/offline"
	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/vcard"
)

// registerIM wires the instant messaging modules (RFC 6121 and the IM
// XEPs) into the session core: rosters, presence and subscriptions,
// message delivery with offline storage, vCards and private XML. A
// "roster" notification on the admin socket (adm may be nil) pushes the
// roster changes made in storage to the user's interested resources.
// The per-user limits come from the [im] section of the configuration.
// Call after RegisterServices and before the transports start.
func registerIM(core *server.Core, limits config.IM, adm *admin.Server, log zerolog.Logger) {
	rs := roster.New(core, roster.Options{MaxItems: limits.RosterMaxItems})
	rs.Register()
	ps := presence.New(core, rs)
	ps.Register()
	offline.New(core, offline.Options{Limit: limits.OfflineMaxMessages}).Register(ps)
	vcard.New(core, vcard.Options{MaxSize: limits.VCardMaxBytes}).Register()
	if adm == nil {
		return
	}
	adm.OnRoster(func(user jid.JID) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rs.Sync(ctx, user); err != nil {
			log.Error().Err(err).Str("jid", user.String()).Msg("roster push after admin change failed")
		}
	})
}
