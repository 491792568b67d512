package bot

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/rules"
)

// contactSnap is an immutable view of the session's contact list. We keep
// our own instead of openwechat's Self cache: that cache is unsynchronised
// (Members() even sorts it in place) and is used by the sync goroutine, so
// touching it from Send or a refresh timer would be a data race. The
// snapshot is fetched with the same request Self.Members(true) makes.
type contactSnap struct {
	at      time.Time
	byUser  map[string]*contactInfo
	friends []*contactInfo
	groups  []*contactInfo
}

type contactInfo struct {
	userName, nick, remark string
	friend, group, mp      bool
}

func infoOf(u *openwechat.User) *contactInfo {
	return &contactInfo{
		userName: u.UserName,
		nick:     openwechat.FormatEmoji(u.NickName),
		remark:   openwechat.FormatEmoji(u.RemarkName),
		friend:   u.IsFriend(),
		group:    u.IsGroup(),
		mp:       u.IsMP(),
	}
}

var emptySnap = &contactSnap{byUser: map[string]*contactInfo{}}

func (s *session) snapshot() *contactSnap {
	if p := s.contacts.Load(); p != nil {
		return p
	}
	return emptySnap
}

// refreshContacts fetches the whole contact list (webwxgetcontact, paged).
// Unless force is set, a snapshot younger than 5 s is kept (bursts of
// unknown senders trigger one fetch, not one each).
func (s *session) refreshContacts(ctx context.Context, force bool) error {
	snap, err := s.fetchContacts(ctx, force)
	if err != nil || snap == nil || s.c.o.OnContacts == nil {
		return err
	}
	s.c.o.OnContacts(ctx, snap.contacts())
	return nil
}

// contacts lists the friends as the conversations see them.
func (snap *contactSnap) contacts() []rules.Contact {
	out := make([]rules.Contact, 0, len(snap.friends))
	for _, f := range snap.friends {
		out = append(out, rules.Contact{Remark: f.remark, NickName: f.nick, UserName: f.userName})
	}
	return out
}

// fetchContacts is refreshContacts under the refresh lock; it returns the
// new snapshot, or nil when the current one was fresh enough.
func (s *session) fetchContacts(ctx context.Context, force bool) (*contactSnap, error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if cur := s.contacts.Load(); !force && cur != nil && s.c.now().Sub(cur.at) < 5*time.Second {
		return nil, nil
	}
	members, err := s.bot.Caller.WebWxGetContact(ctx, s.info())
	if err != nil {
		return nil, fmt.Errorf("bot: get contacts: %w", err)
	}
	snap := &contactSnap{at: s.c.now(), byUser: make(map[string]*contactInfo, len(members))}
	for _, u := range members {
		ci := infoOf(u)
		snap.byUser[ci.userName] = ci
		switch {
		case ci.group:
			snap.groups = append(snap.groups, ci)
		case ci.friend:
			snap.friends = append(snap.friends, ci)
		}
	}
	s.contacts.Store(snap)
	s.c.log.Debug("contact list refreshed", "friends", len(snap.friends), "groups", len(snap.groups))
	return snap, nil
}

// fetchOne resolves one UserName with webwxbatchgetcontact.
func (s *session) fetchOne(ctx context.Context, userName string) (*contactInfo, error) {
	list, err := s.bot.Caller.WebWxBatchGetContact(ctx, openwechat.Members{&openwechat.User{UserName: userName}}, s.req())
	if err != nil {
		return nil, fmt.Errorf("bot: batch get contact: %w", err)
	}
	if len(list) == 0 || list[0] == nil || list[0].UserName != userName {
		return nil, fmt.Errorf("bot: batch get contact %s: %w", userName, openwechat.ErrNoSuchUserFound)
	}
	return infoOf(list[0]), nil
}

// refreshLoop refreshes the contact list every ContactRefresh, because
// openwechat ignores ModContactList: a remark set on the phone would
// otherwise never be seen during the session.
func (s *session) refreshLoop() {
	t := time.NewTicker(s.c.o.ContactRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
			if err := s.refreshContacts(ctx, true); err != nil && s.ctx.Err() == nil {
				s.c.log.Warn("periodic contact refresh failed", "err", err)
			}
			cancel()
		}
	}
}

// Contacts returns the current session's friends, freshly fetched (for
// `dudaobot contacts`: check that every official has the expected remark).
// Sorted by remark, then nick name.
func (c *Client) Contacts(ctx context.Context) ([]rules.Contact, error) {
	s := c.current()
	if s == nil {
		return nil, fmt.Errorf("bot: contacts: %w", rules.ErrOffline)
	}
	if err := s.refreshContacts(ctx, true); err != nil {
		return nil, err
	}
	out := s.snapshot().contacts()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Remark != out[j].Remark {
			return out[i].Remark < out[j].Remark
		}
		return out[i].NickName < out[j].NickName
	})
	return out, nil
}
