package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
)

var rosterCmd = &command{
	name: "roster",
	subs: []*command{
		{name: "list", summary: "show a user's roster: roster list JID", run: runRosterList},
		{name: "add", summary: "add or update a contact: roster add JID CONTACT [--name N] [--group G ...] [--subscription S]", run: runRosterAdd},
		{name: "del", summary: "remove a contact: roster del JID CONTACT", run: runRosterDel},
	},
}

func runRosterList(e *env, args []string) error {
	fs := e.flags("JID", "Shows the roster of JID: contact, name, subscription, pending\n"+
		"subscription requests (ask) and groups.")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		items, ver, err := u.store.Roster(e.ctx, u.j.Domainpart(), u.j.Localpart())
		if err != nil {
			return noSuchUser(u.j, err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CONTACT\tNAME\tSUBSCRIPTION\tASK\tGROUPS")
		var pending []string
		n := 0
		for _, it := range items {
			if it.PendingOnly { // a request, not yet a roster item (RFC 6121 §3.1.3)
				pending = append(pending, it.Contact)
				continue
			}
			n++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Contact, orDash(it.Name), it.Subscription,
				askState(it), orDash(strings.Join(it.Groups, ", ")))
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d contact(s), roster version %d\n", n, ver)
		if len(pending) > 0 {
			fmt.Fprintf(e.stdout, "subscription requests awaiting an answer: %s\n", strings.Join(pending, ", "))
		}
		return nil
	})
}

// askState describes pending subscription requests (RFC 6121 §3.1):
// "subscribe" for an outbound request (ask='subscribe'), "pending-in" for
// an inbound one awaiting the user's answer.
func askState(it storage.RosterItem) string {
	var s []string
	if it.Ask {
		s = append(s, "subscribe")
	}
	if it.PendingIn {
		s = append(s, "pending-in")
	}
	return orDash(strings.Join(s, ","))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runRosterAdd(e *env, args []string) error {
	fs := e.flags("JID CONTACT", "Adds CONTACT to the roster of JID, or updates it: the flags given\n"+
		"replace the item's name, groups or subscription; others are kept. When\n"+
		"CONTACT has an account here, --subscription also sets the contact's side\n"+
		"(both is mutual; to on one side is from on the other).")
	name := fs.String("name", "", "display `name` of the contact")
	var groups stringList
	fs.Var(&groups, "group", "`group` of the contact; repeat for several")
	sub := fs.String("subscription", "none", "subscription `state`: none, to, from or both (RFC 6121 §2.1.2.5)")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch storage.Subscription(*sub) {
	case storage.SubNone, storage.SubTo, storage.SubFrom, storage.SubBoth:
	default:
		return usagef("--subscription must be none, to, from or both, got %q", *sub)
	}
	for _, g := range groups {
		if strings.TrimSpace(g) == "" {
			return usagef("--group must not be empty")
		}
	}
	contact, err := contactJID(pos[1])
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		_, ver, err := u.store.UpdateRosterItem(e.ctx, u.j.Domainpart(), u.j.Localpart(), contact,
			func(cur *storage.RosterItem) (*storage.RosterItem, error) {
				it := storage.RosterItem{Subscription: storage.SubNone}
				if cur != nil {
					it = *cur
				}
				if set["name"] {
					it.Name = *name
				}
				if set["group"] {
					it.Groups = groups
				}
				if set["subscription"] || cur == nil {
					it.Subscription = storage.Subscription(*sub)
					settle(&it)
				}
				it.PendingOnly = false // an administrator's item is a roster item
				return &it, nil
			})
		if err != nil {
			return noSuchUser(u.j, err)
		}
		u.kick("roster")
		fmt.Fprintf(e.stdout, "%s in the roster of %s (roster version %d)\n", contact, u.j, ver)
		if set["subscription"] {
			return mirror(u, contact, storage.Subscription(*sub))
		}
		return nil
	})
}

// settle clears the pending requests a subscription state already grants
// (RFC 6121 §3: an outbound request is answered once the user has 'to',
// an inbound one once the contact has 'from').
func settle(it *storage.RosterItem) {
	if it.Subscription == storage.SubTo || it.Subscription == storage.SubBoth {
		it.Ask = false
	}
	if it.Subscription == storage.SubFrom || it.Subscription == storage.SubBoth {
		it.PendingIn, it.PendingInStanza = false, ""
	}
}

// mirrorOf is the contact's side of a subscription: the user's 'to' is the
// contact's 'from' and the other way round (RFC 6121 §3, Appendix A).
var mirrorOf = map[storage.Subscription]storage.Subscription{
	storage.SubNone: storage.SubNone, storage.SubTo: storage.SubFrom,
	storage.SubFrom: storage.SubTo, storage.SubBoth: storage.SubBoth,
}

// mirror keeps a local contact's roster consistent with the subscription
// just set: --subscription both makes the subscription mutual, so that
// presence flows both ways. A contact on another domain, or one without
// an account here, is left alone. The contact's live sessions get the push.
func mirror(u *userCtx, contact string, sub storage.Subscription) error {
	cj, err := jid.Parse(contact)
	if err != nil || !u.cfg.Serves(cj.Domainpart()) || cj.Localpart() == "" {
		return nil
	}
	if _, err := u.store.Account(u.e.ctx, cj.Domainpart(), cj.Localpart()); errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	want := mirrorOf[sub]
	_, ver, err := u.store.UpdateRosterItem(u.e.ctx, cj.Domainpart(), cj.Localpart(), u.j.Bare().String(),
		func(cur *storage.RosterItem) (*storage.RosterItem, error) {
			if cur == nil && want == storage.SubNone {
				return nil, nil
			}
			it := storage.RosterItem{}
			if cur != nil {
				it = *cur
			}
			it.Subscription, it.PendingOnly = want, false
			settle(&it)
			return &it, nil
		})
	if err != nil {
		return err
	}
	kick(u.e.ctx, u.log, u.cfg, u.store, cj, "roster")
	fmt.Fprintf(u.e.stdout, "%s in the roster of %s with subscription %s (roster version %d)\n", u.j.Bare(), cj, want, ver)
	return nil
}

// errNoContact is returned by the roster del update function.
var errNoContact = errors.New("no such contact")

func runRosterDel(e *env, args []string) error {
	fs := e.flags("JID CONTACT", "Removes CONTACT from the roster of JID.")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	contact, err := contactJID(pos[1])
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		_, ver, err := u.store.UpdateRosterItem(e.ctx, u.j.Domainpart(), u.j.Localpart(), contact,
			func(cur *storage.RosterItem) (*storage.RosterItem, error) {
				if cur == nil {
					return nil, errNoContact
				}
				return nil, nil
			})
		if errors.Is(err, errNoContact) {
			return fmt.Errorf("%s is not in the roster of %s", contact, u.j)
		} else if err != nil {
			return noSuchUser(u.j, err)
		}
		u.kick("roster")
		fmt.Fprintf(e.stdout, "removed %s from the roster of %s (roster version %d)\n", contact, u.j, ver)
		return nil
	})
}

// contactJID normalises a roster contact: a bare JID, any domain.
func contactJID(s string) (string, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid contact JID %q: %s", s, strings.TrimPrefix(err.Error(), "jid: "))
	}
	if !j.IsBare() {
		return "", fmt.Errorf("invalid contact JID %q: expected a bare JID, without /resource", s)
	}
	return j.String(), nil
}
