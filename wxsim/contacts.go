package wxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

const (
	kindFriend = iota
	kindGroup
	kindMember // appears in groups but is not the bot's friend
	kindSelf
)

type contact struct {
	id        string
	nick      string
	remark    string
	kind      int
	members   []string // group members (contact ids), without self
	avatarSeq int
}

// Contact is the simulator's view of a contact. ID is stable for the life of
// the Server; the UserName the client sees changes on every new login.
type Contact struct {
	ID         string   `json:"id"`
	NickName   string   `json:"nickName"`
	RemarkName string   `json:"remarkName,omitempty"`
	IsGroup    bool     `json:"isGroup,omitempty"`
	IsFriend   bool     `json:"isFriend,omitempty"`
	Members    []string `json:"members,omitempty"`
}

func (c *contact) public() Contact {
	return Contact{
		ID: c.id, NickName: c.nick, RemarkName: c.remark,
		IsGroup: c.kind == kindGroup, IsFriend: c.kind == kindFriend,
		Members: append([]string(nil), c.members...),
	}
}

func (s *Server) addContactLocked(nick, remark string, kind int, members []string) *contact {
	s.nextCID++
	prefix := "c"
	if kind == kindGroup {
		prefix = "g"
	} else if kind == kindMember {
		prefix = "m"
	}
	c := &contact{
		id: fmt.Sprintf("%s%d", prefix, s.nextCID), nick: nick, remark: remark, kind: kind,
		members: members, avatarSeq: 600000000 + s.nextCID*7,
	}
	s.contacts = append(s.contacts, c)
	s.byID[c.id] = c
	s.broadcastLocked()
	return c
}

// AddContact adds a friend of the bot account.
func (s *Server) AddContact(nick, remark string) Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addContactLocked(nick, remark, kindFriend, nil).public()
}

// AddMember adds a person who is not the bot's friend but can be a group
// member (group messages may come from strangers).
func (s *Server) AddMember(nick string) Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addContactLocked(nick, "", kindMember, nil).public()
}

// AddGroup adds a group "saved to contacts" whose members are the given
// contact ids plus the bot itself. Unknown ids are ignored (and logged).
func (s *Server) AddGroup(name string, memberIDs ...string) Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	var members []string
	for _, id := range memberIDs {
		c := s.byID[id]
		if c == nil || c.kind == kindGroup || c.kind == kindSelf {
			s.log.Warn("AddGroup: ignoring member", "id", id)
			continue
		}
		members = append(members, id)
	}
	return s.addContactLocked(name, "", kindGroup, members).public()
}

// SetRemark sets a contact's remark name, as a human would on the phone.
func (s *Server) SetRemark(id, remark string) {
	s.updateContact(id, func(c *contact) { c.remark = remark })
}

// SetNickName changes a contact's (or group's) nick name.
func (s *Server) SetNickName(id, nick string) {
	s.updateContact(id, func(c *contact) { c.nick = nick })
}

// updateContact changes a known contact and tells the watchers; an unknown
// id changes nothing.
func (s *Server) updateContact(id string, change func(*contact)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byID[id]; c != nil {
		change(c)
		s.broadcastLocked()
	}
}

// Contacts lists friends, groups and group-only members, in creation order.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, 0, len(s.contacts))
	for _, c := range s.contacts {
		out = append(out, c.public())
	}
	return out
}

// Contact returns one contact by id.
func (s *Server) Contact(id string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byID[id]
	if c == nil || c.kind == kindSelf {
		return Contact{}, false
	}
	return c.public(), true
}

// UserName returns the UserName the current session uses for a contact id
// ("" when nobody is logged in). Useful for assertions in tests.
func (s *Server) UserName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.invalid != 0 || s.byID[id] == nil {
		return ""
	}
	return s.nameLocked(s.current, s.byID[id])
}

// wxUser is the User JSON object; every field has the type openwechat
// decodes into (a wrong type fails the whole response).
type wxUser struct {
	Uin              int64
	UserName         string
	NickName         string
	HeadImgUrl       string
	ContactFlag      int
	MemberCount      int
	MemberList       []wxUser
	RemarkName       string
	HideInputBarFlag int
	Sex              int
	Signature        string
	VerifyFlag       int
	OwnerUin         int
	PYInitial        string
	PYQuanPin        string
	RemarkPYInitial  string
	RemarkPYQuanPin  string
	StarFriend       int
	AppAccountFlag   int
	Statues          int
	AttrStatus       int64
	Province         string
	City             string
	Alias            string
	SnsFlag          int
	UniFriend        int
	DisplayName      string
	ChatRoomId       int
	KeyWord          string
	EncryChatRoomId  string
	IsOwner          int
}

func (s *Server) userJSONLocked(se *session, c *contact, withMembers bool) wxUser {
	name := s.nameLocked(se, c)
	u := wxUser{
		UserName:    name,
		NickName:    c.nick,
		RemarkName:  c.remark,
		ContactFlag: 3,
		MemberList:  []wxUser{},
		HeadImgUrl: "/cgi-bin/mmwebwx-bin/webwxgeticon?seq=" + strconv.Itoa(c.avatarSeq) +
			"&username=" + url.QueryEscape(name) + "&skey=" + url.QueryEscape(se.skey),
		SnsFlag:    1,
		AttrStatus: 33656933,
		Province:   "北京",
		City:       "海淀",
	}
	switch c.kind {
	case kindSelf:
		u.Uin = s.opts.SelfUin
		u.ContactFlag = 0
	case kindGroup:
		u.HeadImgUrl = "/cgi-bin/mmwebwx-bin/webwxgetheadimg?seq=" + strconv.Itoa(c.avatarSeq) +
			"&username=" + url.QueryEscape(name) + "&skey=" + url.QueryEscape(se.skey)
		u.MemberCount = len(c.members) + 1
		u.AttrStatus = 0
		u.SnsFlag = 0
		u.Province, u.City = "", ""
		if withMembers {
			u.EncryChatRoomId = "@" + randHexStable(c.id)
			for _, mid := range c.members {
				if m := s.byID[mid]; m != nil {
					u.MemberList = append(u.MemberList, wxUser{
						UserName: s.nameLocked(se, m), NickName: m.nick,
						AttrStatus: 2147600869, MemberList: []wxUser{},
					})
				}
			}
			u.MemberList = append(u.MemberList, wxUser{
				UserName: se.selfName, NickName: s.self.nick, AttrStatus: 2147600869, MemberList: []wxUser{},
			})
		}
	}
	return u
}

// randHexStable is a stable pseudo id derived from a contact id.
func randHexStable(id string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}

// handleGetContact serves webwxgetcontact with Seq paging: the client keeps
// asking with seq=<returned Seq> until Seq is 0.
func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	se := s.sessionBySkeyLocked(q.Get("skey"), r)
	if se == nil {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101, ""), "MemberCount": 0, "MemberList": []wxUser{}, "Seq": 0})
		return
	}
	var visible []*contact
	for _, c := range s.contacts {
		// The real service lists friends and saved groups, not strangers.
		if c.kind == kindFriend || c.kind == kindGroup {
			visible = append(visible, c)
		}
	}
	start, _ := strconv.Atoi(q.Get("seq"))
	if start < 0 || start > len(visible) {
		start = len(visible)
	}
	end := min(start+s.opts.ContactPageSize, len(visible))
	list := make([]wxUser, 0, end-start)
	for _, c := range visible[start:end] {
		list = append(list, s.userJSONLocked(se, c, false))
	}
	next := 0
	if end < len(visible) {
		next = end
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"BaseResponse": baseResp(0, ""), "MemberCount": len(list), "MemberList": list, "Seq": next,
	})
}

// handleBatchGetContact answers by position: the client writes results back
// by index, so the count and order must match the request.
func (s *Server) handleBatchGetContact(w http.ResponseWriter, r *http.Request) {
	var body struct {
		request
		Count int
		List  []struct{ UserName, EncryChatRoomId string }
	}
	se := s.decodeSession(w, r, &body, map[string]any{"Count": 0, "ContactList": []wxUser{}})
	if se == nil {
		return
	}
	list := make([]wxUser, 0, len(body.List))
	for _, item := range body.List {
		c := s.contactByNameLocked(se, item.UserName)
		if c == nil {
			list = append(list, wxUser{UserName: item.UserName, MemberList: []wxUser{}})
			continue
		}
		list = append(list, s.userJSONLocked(se, c, true))
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0, ""), "Count": len(list), "ContactList": list})
}

// handleOplog stores remark names (CmdId 2) on the contact itself, so they
// persist across sessions like a remark set on the phone; pin (CmdId 3) is
// accepted and ignored.
func (s *Server) handleOplog(w http.ResponseWriter, r *http.Request) {
	var body struct {
		request
		CmdId      int
		RemarkName string
		UserName   string
	}
	se := s.decodeSession(w, r, &body, nil)
	if se == nil {
		return
	}
	defer s.mu.Unlock()
	c := s.contactByNameLocked(se, body.UserName)
	if c == nil {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1, "unknown UserName")})
		return
	}
	if body.CmdId == 2 {
		c.remark = body.RemarkName
		s.broadcastLocked()
	}
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0, "")})
}
