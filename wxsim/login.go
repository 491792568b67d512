package wxsim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	loginWaiting = iota
	loginScanned
	loginConfirmed
)

type pendingLogin struct {
	uuid     string
	push     bool
	state    int // what the phone did
	reported int // what the login poll already told the client
	ticket   string
	session  *session // set once webwxnewloginpage consumed the ticket
}

type session struct {
	sid, skey, passTicket, dataTicket, authTicket string
	push                                          bool
	selfName                                      string
	names                                         map[string]string // contact id -> UserName
	ids                                           map[string]string // UserName -> contact id
	startSeq                                      int64             // log position when the session began
	invalid                                       int               // 0 = valid, else the synccheck retcode
	ready                                         bool              // statusnotify (Code 3) seen: login complete
	clientMsgIDs                                  map[string]string // ClientMsgId -> MsgID, for retry dedupe
}

type baseRequest struct {
	Uin      int64
	Sid      string
	Skey     string
	DeviceID string
}

type baseResponse struct {
	Ret    int
	ErrMsg string
}

func baseResp(ret int, msg string) baseResponse { return baseResponse{Ret: ret, ErrMsg: msg} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8") // what the real service sends
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeText(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/javascript")
	_, _ = w.Write([]byte(text))
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(v); err != nil {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1, "bad request: "+err.Error())})
		return false
	}
	return true
}

// sessionForLocked finds a valid session by BaseRequest.Sid, the sid query
// parameter or the wxsid cookie, in that order.
func (s *Server) sessionForLocked(sid string, r *http.Request) *session {
	if sid == "" {
		sid = r.URL.Query().Get("sid")
	}
	if sid == "" {
		if c, err := r.Cookie("wxsid"); err == nil {
			sid = c.Value
		}
	}
	se := s.sessions[sid]
	if se == nil || se.invalid != 0 {
		return nil
	}
	return se
}

// request is the BaseRequest every JSON endpoint's body carries. A body
// struct embeds it (its field is promoted, in Go and in JSON), so
// decodeSession can read the sid of any body.
type request struct{ BaseRequest baseRequest }

func (q *request) sid() string { return q.BaseRequest.Sid }

// decodeSession decodes the JSON body and then locks the session it names
// (lockSession). On nil the answer is written and s.mu is not held.
func (s *Server) decodeSession(w http.ResponseWriter, r *http.Request, body interface{ sid() string }, fields map[string]any) *session {
	if !decodeJSON(w, r, body) {
		return nil
	}
	return s.lockSession(w, r, body.sid(), fields)
}

// lockSession takes s.mu and finds the request's session
// (sessionForLocked). It returns with s.mu held, or, when there is no valid
// session, releases it, answers ret 1101 with the empty fields the endpoint's
// client expects (fields may be nil) and returns nil.
func (s *Server) lockSession(w http.ResponseWriter, r *http.Request, sid string, fields map[string]any) *session {
	s.mu.Lock()
	se := s.sessionForLocked(sid, r)
	if se == nil {
		s.mu.Unlock()
		resp := map[string]any{"BaseResponse": baseResp(1101, "")}
		maps.Copy(resp, fields)
		writeJSON(w, resp)
	}
	return se
}

// sessionBySkeyLocked serves the GET endpoints that only carry skey.
func (s *Server) sessionBySkeyLocked(skey string, r *http.Request) *session {
	if se := s.sessionForLocked("", r); se != nil {
		return se
	}
	for _, se := range s.sessions {
		if se.invalid == 0 && skey != "" && se.skey == skey {
			return se
		}
	}
	return nil
}

// nameLocked returns (creating on first use) the per-session UserName.
func (s *Server) nameLocked(se *session, c *contact) string {
	if c.kind == kindSelf {
		return se.selfName
	}
	if n, ok := se.names[c.id]; ok {
		return n
	}
	n := "@" + randHex(16)
	if c.kind == kindGroup {
		n = "@@" + randHex(32)
	}
	se.names[c.id] = n
	se.ids[n] = c.id
	return n
}

func (s *Server) contactByNameLocked(se *session, name string) *contact {
	if name == se.selfName {
		return s.self
	}
	if id, ok := se.ids[name]; ok {
		return s.byID[id]
	}
	return nil
}

func newUUID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) newPendingLocked(push bool) *pendingLogin {
	p := &pendingLogin{uuid: newUUID(), push: push}
	s.pendings[p.uuid] = p
	s.newest = p
	s.broadcastLocked()
	return p
}

// handleJSLogin: GET login.wx.qq.com/jslogin -> a fresh QR uuid.
func (s *Server) handleJSLogin(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	p := s.newPendingLocked(false)
	s.mu.Unlock()
	s.log.Info("qr login pending", "uuid", p.uuid)
	writeText(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "`+p.uuid+`";`)
}

// handleLoginPoll is the long-polled login check. Only 408/201/200/400 are
// ever answered: any other code makes the client re-poll in a tight loop.
func (s *Server) handleLoginPoll(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	timer := time.NewTimer(s.opts.LongPollHold)
	defer timer.Stop()
	for {
		s.mu.Lock()
		p := s.pendings[uuid]
		if p == nil {
			s.mu.Unlock()
			writeText(w, "window.code=400;")
			return
		}
		if s.opts.AutoConfirm && p.state < loginConfirmed {
			p.state = loginConfirmed
		}
		if p.state > p.reported || p.reported == loginConfirmed {
			var body string
			if p.reported < loginScanned {
				// The real service always reports the scan (201) before the
				// confirmation (200), in separate poll answers.
				p.reported = loginScanned
				body = "window.code=201;window.userAvatar = 'data:img/jpg;base64,/9j/4AAQSkZJRgABAQ==';"
			} else {
				p.reported = loginConfirmed
				if p.ticket == "" {
					p.ticket = randHex(16) + "@qrticket_0"
					s.tickets[p.ticket] = p
				}
				redirect := "https://" + s.opts.Domain + "/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=" +
					url.QueryEscape(p.ticket) + "&uuid=" + url.QueryEscape(p.uuid) + "&lang=zh_CN&scan=" +
					strconv.FormatInt(time.Now().Unix(), 10)
				body = "window.code=200;\nwindow.redirect_uri=\"" + redirect + "\";"
			}
			s.mu.Unlock()
			writeText(w, body)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			writeText(w, "window.code=408;")
			return
		case <-r.Context().Done():
			return
		}
	}
}

// handleNewLoginPage exchanges the ticket for a new session: new sid/skey,
// new UserNames, cookies, and the previous session is kicked (1101).
func (s *Server) handleNewLoginPage(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	type loginXML struct {
		XMLName     xml.Name `xml:"error"`
		Ret         int      `xml:"ret"`
		Message     string   `xml:"message"`
		Skey        string   `xml:"skey,omitempty"`
		Wxsid       string   `xml:"wxsid,omitempty"`
		Wxuin       int64    `xml:"wxuin,omitempty"`
		PassTicket  string   `xml:"pass_ticket,omitempty"`
		IsGrayscale int      `xml:"isgrayscale"`
	}
	out := func(v loginXML) {
		w.Header().Set("Content-Type", "text/plain")
		b, _ := xml.Marshal(v)
		_, _ = w.Write(b)
	}
	if r.Header.Get("extspam") == "" {
		// Normal (web) mode is refused for most real accounts; only the UOS
		// desktop patch headers get through.
		out(loginXML{Ret: 1203, Message: "当前登录环境异常。为了你的帐号安全，暂时不能登录web微信。你可以通过Windows微信、Mac微信或者手机客户端微信登录。"})
		return
	}
	s.mu.Lock()
	p := s.tickets[ticket]
	if p == nil || p.state != loginConfirmed {
		s.mu.Unlock()
		out(loginXML{Ret: 1, Message: "登录失败，请重新扫码"})
		return
	}
	se := p.session
	if se == nil || se.invalid != 0 {
		se = s.newSessionLocked(p.push)
		p.session = se
	}
	s.mu.Unlock()

	domain := parentCookieDomain(s.opts.Domain)
	exp := time.Now().Add(24 * time.Hour)
	for _, c := range []*http.Cookie{
		{Name: "wxuin", Value: strconv.FormatInt(s.opts.SelfUin, 10)},
		{Name: "wxsid", Value: se.sid},
		{Name: "webwx_auth_ticket", Value: se.authTicket},
		{Name: "mm_lang", Value: "zh_CN"},
		{Name: "webwxuvid", Value: randHexStable(strconv.FormatInt(s.opts.SelfUin, 10)) + randHexStable("uvid")},
		{Name: "wxloadtime", Value: strconv.FormatInt(time.Now().Unix(), 10)},
		// Parent-domain scoped so file.<D> gets it (uploads/downloads need it).
		{Name: "webwx_data_ticket", Value: se.dataTicket, Domain: domain},
	} {
		c.Path = "/"
		c.Expires = exp
		http.SetCookie(w, c)
	}
	out(loginXML{Ret: 0, Skey: se.skey, Wxsid: se.sid, Wxuin: s.opts.SelfUin, PassTicket: se.passTicket, IsGrayscale: 1})
}

func (s *Server) newSessionLocked(push bool) *session {
	if s.current != nil && s.current.invalid == 0 {
		// One web session per account: a new login kicks the old one.
		s.current.invalid = 1101
	}
	se := &session{
		sid:          randB64(12),
		skey:         "@crypt_" + randHex(4) + "_" + randHex(16),
		passTicket:   randB64(48),
		dataTicket:   randB64(40),
		authTicket:   randB64(64),
		push:         push,
		names:        map[string]string{},
		ids:          map[string]string{},
		startSeq:     s.deliveredUpTo,
		clientMsgIDs: map[string]string{},
	}
	se.selfName = "@" + randHex(16)
	s.sessions[se.sid] = se
	s.current = se
	// The first sync of a real session carries a MsgType 51 status notify
	// from self to self; bots must ignore it.
	s.appendLocked(&simMsg{msgType: 51, fromID: "self", statusNotify: true, onlySID: se.sid})
	s.broadcastLocked()
	s.log.Info("new session", "sid", se.sid, "push", push)
	return se
}

// randB64 returns url-safe random text; the real pass_ticket is %-encoded
// base64, which we avoid so the value survives query round trips verbatim.
func randB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}

// handleWebInit serves webwxinit for scan, push and hot login. A hot login
// works as long as the session was not invalidated and the wxsid cookie
// (restored from storage) matches.
func (s *Server) handleWebInit(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest baseRequest }
	if !decodeJSON(w, r, &body) {
		return
	}
	s.mu.Lock()
	se := s.sessions[body.BaseRequest.Sid]
	cookieSid := ""
	if c, err := r.Cookie("wxsid"); err == nil {
		cookieSid = c.Value
	}
	if se == nil || se.invalid != 0 || body.BaseRequest.Uin != s.opts.SelfUin || cookieSid != se.sid {
		s.mu.Unlock()
		s.log.Info("webwxinit refused", "sid", body.BaseRequest.Sid, "cookie_sid", cookieSid)
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101, ""), "Count": 0, "ContactList": []wxUser{}})
		return
	}
	self := s.userJSONLocked(se, s.self, false)
	key := syncKeyJSON(se.startSeq)
	if s.current != se {
		s.current = se
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"BaseResponse":        baseResp(0, ""),
		"Count":               0,
		"ContactList":         []wxUser{},
		"SyncKey":             key,
		"User":                self,
		"ChatSet":             "filehelper,",
		"SKey":                se.skey,
		"ClientVersion":       637863988,
		"SystemTime":          time.Now().Unix(),
		"GrayScale":           1,
		"InviteStartCount":    40,
		"MPSubscribeMsgCount": 0,
		"MPSubscribeMsgList":  []any{},
		"ClickReportInterval": 600000,
	})
}

// handleStatusNotify: Code 3 completes a login (scan, push or hot); Code 1
// is Message.AsRead.
func (s *Server) handleStatusNotify(w http.ResponseWriter, r *http.Request) {
	var body struct {
		request
		Code int
	}
	se := s.decodeSession(w, r, &body, nil)
	if se == nil {
		return
	}
	if body.Code == 3 {
		se.ready = true
		s.current = se
		s.logins++
		s.broadcastLocked()
		s.log.Info("logged in", "sid", se.sid, "logins", s.logins)
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0, ""), "MsgID": strconv.FormatInt(time.Now().UnixNano()/1e3, 10)})
}

// handleLogout: bot.Logout(). The session is dead afterwards (no hot login).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if se := s.sessionBySkeyLocked(r.URL.Query().Get("skey"), r); se != nil {
		se.invalid = 1100
		s.broadcastLocked()
		s.log.Info("client logout", "sid", se.sid)
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0, "")})
}

// handlePushLoginURL starts a push (no-scan) login. Like the real service it
// needs the wxuin cookie of the account, not a live session: push login is
// how a logged-out bot gets back in with one tap on the phone.
func (s *Server) handlePushLoginURL(w http.ResponseWriter, r *http.Request) {
	uin := r.URL.Query().Get("uin")
	c, err := r.Cookie("wxuin")
	if uin != strconv.FormatInt(s.opts.SelfUin, 10) || err != nil || c.Value != uin {
		// ret is a string in this endpoint, unlike everywhere else.
		writeJSON(w, map[string]string{"ret": "1", "msg": "invalid uin or cookie"})
		return
	}
	s.mu.Lock()
	p := s.newPendingLocked(true)
	s.mu.Unlock()
	s.log.Info("push login pending", "uuid", p.uuid)
	writeJSON(w, map[string]string{"ret": "0", "msg": "all ok", "uuid": p.uuid})
}

// --- Go control API for logins ---

func (s *Server) newestPendingLocked() *pendingLogin {
	if p := s.newest; p != nil && p.state < loginConfirmed {
		return p
	}
	return nil
}

// ConfirmLogin makes the phone scan and confirm the newest pending QR or push
// login. Wait for the client's UUIDCallback (or WaitPending) first.
func (s *Server) ConfirmLogin() error { return s.advanceLogin(loginConfirmed) }

// ScanLogin makes the phone scan (201) without confirming yet.
func (s *Server) ScanLogin() error { return s.advanceLogin(loginScanned) }

// advanceLogin moves the newest pending login forward to state (never
// back), as the phone does.
func (s *Server) advanceLogin(state int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.newestPendingLocked()
	if p == nil {
		return ErrNoPendingLogin
	}
	if p.state < state {
		p.state = state
		s.broadcastLocked()
	}
	return nil
}

// PendingUUID is the uuid of the newest unconfirmed QR/push login, or "".
func (s *Server) PendingUUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.newestPendingLocked(); p != nil {
		return p.uuid
	}
	return ""
}

// LoginURL is the phone-scannable content of the pending QR code, or "".
func (s *Server) LoginURL() string {
	if u := s.PendingUUID(); u != "" {
		return "https://login.weixin.qq.com/l/" + u
	}
	return ""
}

// WaitPending waits until a QR or push login is pending and returns its uuid.
func (s *Server) WaitPending(ctx context.Context) (string, error) {
	var uuid string
	err := s.waitChange(ctx, func() bool {
		if p := s.newestPendingLocked(); p != nil {
			uuid = p.uuid
			return true
		}
		return false
	})
	return uuid, err
}

// LoggedIn reports whether a session is live and its login completed.
func (s *Server) LoggedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loggedInLocked()
}

func (s *Server) loggedInLocked() bool {
	return s.current != nil && s.current.invalid == 0 && s.current.ready
}

// Logins counts completed logins (scan, push and hot).
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// WaitLoggedIn waits until LoggedIn is true.
func (s *Server) WaitLoggedIn(ctx context.Context) error {
	return s.waitChange(ctx, s.loggedInLocked)
}

// WaitLogins waits until at least n logins have completed.
func (s *Server) WaitLogins(ctx context.Context, n int) error {
	return s.waitChange(ctx, func() bool { return s.logins >= n && s.loggedInLocked() })
}

// ForceLogout ends the current session as the phone or the service would:
// the next synccheck answers retcode (1100, 1101 or 1102; anything else is
// mapped to 1101 because the client spins on other codes) and hot login with
// the session's storage fails from then on.
func (s *Server) ForceLogout(retcode int) {
	if retcode != 1100 && retcode != 1101 && retcode != 1102 {
		retcode = 1101
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.invalid == 0 {
		s.current.invalid = retcode
		s.log.Info("forced logout", "sid", s.current.sid, "retcode", retcode)
	}
	s.broadcastLocked()
}

// SelfUserName is the bot's UserName in the current session ("" if none).
func (s *Server) SelfUserName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.invalid != 0 {
		return ""
	}
	return s.current.selfName
}

func syncKeyJSON(v int64) map[string]any {
	list := []map[string]int64{{"Key": 1, "Val": v}, {"Key": 2, "Val": v}, {"Key": 3, "Val": v}, {"Key": 1000, "Val": 1700000000}}
	return map[string]any{"Count": len(list), "List": list}
}

func (s *Server) String() string { return fmt.Sprintf("wxsim.Server(%s)", s.url) }

// SessionSecrets returns the current session's secrets as the client holds
// them (sid, skey, pass_ticket, webwx_data_ticket, webwx_auth_ticket, uin),
// for tests that check none of them leaks into logs or the database. Empty
// if no session is valid.
func (s *Server) SessionSecrets() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.current
	if se == nil || se.invalid != 0 {
		return nil
	}
	return map[string]string{
		"sid": se.sid, "skey": se.skey, "pass_ticket": se.passTicket,
		"webwx_data_ticket": se.dataTicket, "webwx_auth_ticket": se.authTicket,
		"uin": fmt.Sprint(s.opts.SelfUin),
	}
}
