package wxsim

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Delivery model. Inbound messages go into one account-wide log with a
// monotonically increasing seq. The SyncKey value (Key 1) the client sends
// is the seq it has seen; synccheck reports selector 2 while the session has
// log entries beyond it, and webwxsync returns them plus the advanced key.
// So a message is delivered once per synckey advance, exactly like the real
// service: a client that re-sends an old key (hot login from stale storage)
// gets the messages again. UserNames are rendered per session at delivery
// time, so a replay after a re-login carries the new UserNames.

type simMsg struct {
	msgID      string
	newMsgID   int64
	createTime int64
	msgType    int
	appMsgType int
	fromID     string // contact id: friend, group or "self"
	memberID   string // group sender
	text       string // unescaped text (type 1) or title (links)
	fileName   string
	fileSize   string // as put on the wire (may lie)
	totalLen   int64
	fileExt    string
	mediaID    string
	url        string
	media      *mediaFile
	voiceLen   int
	playLen    int64

	statusNotify bool
	onlySID      string // deliver to this session only ("" = any)
}

type logEntry struct {
	seq int64
	msg *simMsg
}

// wxMessage is one AddMsgList item with the exact JSON types the client
// decodes (MsgId and FileSize are strings; a number breaks the whole sync).
type wxMessage struct {
	MsgId                string
	FromUserName         string
	ToUserName           string
	MsgType              int
	Content              string
	Status               int
	ImgStatus            int
	CreateTime           int64
	VoiceLength          int
	PlayLength           int64
	FileName             string
	FileSize             string
	MediaId              string
	Url                  string
	AppMsgType           int
	StatusNotifyCode     int
	StatusNotifyUserName string
	RecommendInfo        wxRecommendInfo
	ForwardFlag          int
	AppInfo              struct {
		AppID string
		Type  int
	}
	HasProductId  int
	Ticket        string
	ImgHeight     int
	ImgWidth      int
	SubMsgType    int
	NewMsgId      int64
	OriContent    string
	EncryFileName string
}

type wxRecommendInfo struct {
	UserName   string
	NickName   string
	QQNum      int64
	Province   string
	City       string
	Content    string
	Signature  string
	Alias      string
	Scene      int
	VerifyFlag int
	AttrStatus int64
	Sex        int
	Ticket     string
	OpCode     int
}

// appendLocked adds a message to the log and wakes synccheck pollers.
func (s *Server) appendLocked(m *simMsg) {
	if m.msgID == "" {
		s.msgCounter++
		m.newMsgID = 7_100_000_000_000_000_000 + s.msgCounter*104729 + s.rng.Int63n(1000)
		m.msgID = strconv.FormatInt(m.newMsgID, 10)
		m.createTime = time.Now().Unix()
		s.msgByID[m.msgID] = m
	}
	s.nextSeq++
	s.msgLog = append(s.msgLog, logEntry{seq: s.nextSeq, msg: m})
	s.broadcastLocked()
}

// pendingLocked returns entries for se beyond seq from (capped at limit) and
// the key the client should move to.
func (s *Server) pendingLocked(se *session, from int64, limit int) ([]*simMsg, int64) {
	if from < se.startSeq {
		from = se.startSeq
	}
	// The log is sorted by seq; find the first entry after from.
	i := len(s.msgLog)
	for i > 0 && s.msgLog[i-1].seq > from {
		i--
	}
	var out []*simMsg
	newKey := from
	for ; i < len(s.msgLog); i++ {
		e := s.msgLog[i]
		if e.msg.onlySID != "" && e.msg.onlySID != se.sid {
			newKey = e.seq
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, e.msg)
		newKey = e.seq
	}
	return out, newKey
}

// parseSyncKey extracts Key 1 from "1_5|2_5|3_5|1000_17".
func parseSyncKey(s string) int64 {
	for _, part := range strings.Split(s, "|") {
		k, v, ok := strings.Cut(part, "_")
		if ok && k == "1" {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// handleSyncCheck is the long poll on webpush.<D>. It needs no cookies
// (after a hot login the client sends none here) and answers only retcode 0
// or, for a dead session, 1100/1101/1102.
func (s *Server) handleSyncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from := parseSyncKey(q.Get("synckey"))
	timer := time.NewTimer(s.opts.LongPollHold)
	defer timer.Stop()
	idle := timer.C
	if s.opts.HoldUntilChange {
		idle = nil // never "nothing new"
	}
	reply := func(ret int, sel string) {
		writeText(w, fmt.Sprintf(`window.synccheck={retcode:"%d",selector:"%s"}`, ret, sel))
	}
	for {
		s.mu.Lock()
		se := s.sessions[q.Get("sid")]
		switch {
		case se == nil || q.Get("uin") != strconv.FormatInt(s.opts.SelfUin, 10):
			s.mu.Unlock()
			reply(1101, "0")
			return
		case se.invalid != 0:
			code := se.invalid
			s.mu.Unlock()
			reply(code, "0")
			return
		}
		if msgs, _ := s.pendingLocked(se, from, 1); len(msgs) > 0 {
			s.mu.Unlock()
			reply(0, "2")
			return
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-idle:
			reply(0, "0")
			return
		case <-r.Context().Done():
			return
		}
	}
}

// handleWebSync returns the pending messages and always a SyncKey object
// (a missing one panics the client).
func (s *Server) handleWebSync(w http.ResponseWriter, r *http.Request) {
	var body struct {
		request
		SyncKey struct {
			Count int
			List  []struct{ Key, Val int64 }
		}
	}
	// Count 0 makes the client keep its key; BaseResponse is not checked.
	se := s.decodeSession(w, r, &body, map[string]any{
		"AddMsgCount": 0, "AddMsgList": []wxMessage{},
		"SyncKey": map[string]any{"Count": 0, "List": []any{}}, "SyncCheckKey": map[string]any{"Count": 0, "List": []any{}},
		"ContinueFlag": 0, "ModContactList": []any{}, "ModContactCount": 0, "DelContactList": []any{},
	})
	if se == nil {
		return
	}
	var from int64
	for _, kv := range body.SyncKey.List {
		if kv.Key == 1 {
			from = kv.Val
		}
	}
	msgs, newKey := s.pendingLocked(se, from, 50)
	out := make([]wxMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, s.renderLocked(se, m))
	}
	if newKey > s.deliveredUpTo {
		s.deliveredUpTo = newKey
	}
	s.mu.Unlock()
	key := syncKeyJSON(newKey)
	writeJSON(w, map[string]any{
		"BaseResponse": baseResp(0, ""), "AddMsgCount": len(out), "AddMsgList": out,
		"ModContactCount": 0, "ModContactList": []any{}, "DelContactCount": 0, "DelContactList": []any{},
		"ModChatRoomMemberCount": 0, "ModChatRoomMemberList": []any{},
		"Profile": map[string]any{}, "ContinueFlag": 0, "SyncKey": key, "SyncCheckKey": key, "SKey": "",
	})
}

// escapeContent mimics how the service puts text into Content: HTML
// escaped, newlines as <br/>.
func escapeContent(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br/>")
}

func (s *Server) renderLocked(se *session, m *simMsg) wxMessage {
	out := wxMessage{
		MsgId: m.msgID, NewMsgId: m.newMsgID, CreateTime: m.createTime, MsgType: m.msgType,
		AppMsgType: m.appMsgType, Status: 3, ImgStatus: 1, ToUserName: se.selfName,
		FileName: m.fileName, FileSize: m.fileSize, MediaId: m.mediaID, Url: m.url,
		VoiceLength: m.voiceLen, PlayLength: m.playLen,
	}
	if m.statusNotify {
		out.FromUserName = se.selfName
		out.StatusNotifyCode = 4
		out.ImgStatus = 1
		out.Status = 3
		out.Content = ""
		out.StatusNotifyUserName = "filehelper"
		return out
	}
	from := s.byID[m.fromID]
	if from == nil {
		from = s.self
	}
	out.FromUserName = s.nameLocked(se, from)
	var content string
	switch m.msgType {
	case 1:
		content = escapeContent(m.text)
	case 3:
		out.ImgStatus = 2
		out.ImgHeight, out.ImgWidth = 100, 100
		content = escapeContent(`<?xml version="1.0"?>` + "\n" + `<msg><img aeskey="` + randHexStable(m.msgID) +
			`" encryver="1" length="` + strconv.FormatInt(m.totalLen, 10) + `" md5="` + randHexStable(m.msgID+"md5") +
			`" hdlength="0" /></msg>`)
	case 34:
		content = escapeContent(`<msg><voicemsg endflag="1" length="` + strconv.FormatInt(m.totalLen, 10) +
			`" voicelength="` + strconv.Itoa(m.voiceLen) + `" /></msg>`)
	case 43, 62:
		out.ImgStatus = 1
		content = escapeContent(`<?xml version="1.0"?>` + "\n" + `<msg><videomsg length="` + strconv.FormatInt(m.totalLen, 10) +
			`" playlength="` + strconv.FormatInt(m.playLen, 10) + `" /></msg>`)
	case 47:
		content = escapeContent(`<msg><emoji fromusername="" tousername="" type="2" md5="` + randHexStable(m.msgID) +
			`" len="` + strconv.FormatInt(m.totalLen, 10) + `" productid="" /></msg>`)
	case 49:
		content = escapeContent(s.appMsgXML(m))
	default:
		content = escapeContent(m.text)
	}
	if from.kind == kindGroup && m.memberID != "" {
		if mem := s.byID[m.memberID]; mem != nil {
			content = s.nameLocked(se, mem) + ":<br/>" + content
		}
	}
	out.Content = content
	if m.fileName != "" && m.msgType == 49 && m.appMsgType == 6 {
		out.EncryFileName = escapeFileName(m.fileName)
	}
	return out
}

func escapeFileName(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// appMsgXML builds the <msg><appmsg> body of a type 49 message the way the
// service does (before HTML escaping).
func (s *Server) appMsgXML(m *simMsg) string {
	esc := html.EscapeString
	if m.appMsgType == 6 {
		return `<msg><appmsg appid="" sdkver="0"><title>` + esc(m.fileName) + `</title><des></des><action></action>` +
			`<type>6</type><showtype>0</showtype><content></content><url></url><lowurl></lowurl>` +
			`<appattach><totallen>` + strconv.FormatInt(m.totalLen, 10) + `</totallen><attachid>` + esc(m.mediaID) +
			`</attachid><fileext>` + esc(m.fileExt) + `</fileext></appattach><extinfo></extinfo></appmsg>` +
			`<appinfo><version>1</version><appname></appname></appinfo></msg>`
	}
	return `<msg><appmsg appid="" sdkver="0"><title>` + esc(m.text) + `</title><des>` + esc(m.text) +
		`</des><action></action><type>` + strconv.Itoa(m.appMsgType) + `</type><showtype>0</showtype>` +
		`<url>` + esc(m.url) + `</url><lowurl></lowurl><appattach><totallen>0</totallen><attachid></attachid>` +
		`<fileext></fileext></appattach><extinfo></extinfo></appmsg><appinfo><version>1</version><appname></appname></appinfo></msg>`
}

// --- Go control API: messages from contacts to the bot ---

func (s *Server) friendLocked(id string) (*contact, error) {
	c := s.byID[id]
	if c == nil || c.kind != kindFriend {
		return nil, fmt.Errorf("%w: %q is not a friend", ErrUnknownContact, id)
	}
	return c, nil
}

func (s *Server) senderLocked(fromID string) (from, member string, err error) {
	c := s.byID[fromID]
	if c == nil {
		return "", "", fmt.Errorf("%w: %q", ErrUnknownContact, fromID)
	}
	switch c.kind {
	case kindFriend:
		return fromID, "", nil
	case kindGroup:
		if len(c.members) == 0 {
			return "", "", fmt.Errorf("%w: group %q has no members", ErrUnknownContact, fromID)
		}
		return fromID, c.members[0], nil
	}
	return "", "", fmt.Errorf("%w: %q cannot send", ErrUnknownContact, fromID)
}

// SendText delivers a text from a friend to the bot. Messages sent while no
// session is logged in are delivered after the next login, like offline
// messages on the real service.
func (s *Server) SendText(fromID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.friendLocked(fromID); err != nil {
		return "", err
	}
	m := &simMsg{msgType: 1, fromID: fromID, text: text}
	s.appendLocked(m)
	return m.msgID, nil
}

// SendGroupText delivers a text posted by memberID in groupID. The Content
// carries the "@member:<br/>" prefix the client strips.
func (s *Server) SendGroupText(groupID, memberID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.byID[groupID]
	if g == nil || g.kind != kindGroup {
		return "", fmt.Errorf("%w: %q is not a group", ErrUnknownContact, groupID)
	}
	isMember := false
	for _, id := range g.members {
		isMember = isMember || id == memberID
	}
	if !isMember {
		return "", fmt.Errorf("%w: %q is not in group %q", ErrUnknownContact, memberID, groupID)
	}
	m := &simMsg{msgType: 1, fromID: groupID, memberID: memberID, text: text}
	s.appendLocked(m)
	return m.msgID, nil
}

// Replay delivers an already sent message again with the same MsgId,
// NewMsgId and CreateTime, as the real service does after reconnects.
func (s *Server) Replay(msgID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgByID[msgID]
	if m == nil {
		return fmt.Errorf("wxsim: replay: unknown MsgId %q", msgID)
	}
	s.appendLocked(m)
	return nil
}
