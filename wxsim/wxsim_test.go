package wxsim_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/wxsim"
)

func TestScanLoginAutoConfirm(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	if !sim.LoggedIn() || sim.Logins() != 1 {
		t.Fatalf("LoggedIn=%v Logins=%d", sim.LoggedIn(), sim.Logins())
	}
	self, err := cb.bot.GetCurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	if self.NickName != "督导办机器人" || self.Uin != 2100000001 || self.UserName != sim.SelfUserName() {
		t.Fatalf("self = %q %d %q", self.NickName, self.Uin, self.UserName)
	}
}

func TestScanLoginManualConfirm(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{})
	cb := newClientBot(t, sim)
	errc := make(chan error, 1)
	go func() { errc <- cb.bot.Login() }()
	uuid := recv(t, cb.uuids)
	if got, err := sim.WaitPending(ctxT(t)); err != nil || got != uuid {
		t.Fatalf("WaitPending = %q, %v; want %q", got, err, uuid)
	}
	if !strings.HasSuffix(sim.LoginURL(), "/l/"+uuid) {
		t.Fatalf("LoginURL = %q", sim.LoginURL())
	}
	if err := sim.ScanLogin(); err != nil {
		t.Fatal(err)
	}
	recv(t, cb.scanned) // the client saw 201
	if sim.LoggedIn() {
		t.Fatal("logged in before confirm")
	}
	if err := sim.ConfirmLogin(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := sim.WaitLoggedIn(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := sim.ConfirmLogin(); !errors.Is(err, wxsim.ErrNoPendingLogin) {
		t.Fatalf("second ConfirmLogin = %v", err)
	}
}

func TestContactsAndRemarks(t *testing.T) {
	t.Parallel()
	// Page size 2 makes the client walk several webwxgetcontact pages.
	sim := newSim(t, wxsim.Options{AutoConfirm: true, ContactPageSize: 2})
	a := sim.AddContact("张三", "县教育局-张三")
	b := sim.AddContact("李四", "")
	sim.AddContact("王五", "乡镇中学-王五")
	stranger := sim.AddMember("路人")
	g := sim.AddGroup("督导工作群", a.ID, b.ID, stranger.ID)
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)

	f := friendByRemark(t, cb, "县教育局-张三")
	if f.NickName != "张三" || f.UserName != sim.UserName(a.ID) || !strings.HasPrefix(f.UserName, "@") {
		t.Fatalf("friend = %+v", f.User)
	}
	self, _ := cb.bot.GetCurrentUser()
	friends, _ := self.Friends()
	if friends.Count() != 3 {
		t.Fatalf("friends = %d, want 3", friends.Count())
	}
	groups, err := self.Groups(true)
	if err != nil || groups.Count() != 1 {
		t.Fatalf("groups = %d, %v", groups.Count(), err)
	}
	grp := groups.First()
	if grp.NickName != "督导工作群" || grp.UserName != sim.UserName(g.ID) || !strings.HasPrefix(grp.UserName, "@@") {
		t.Fatalf("group = %+v", grp.User)
	}
	members, err := grp.Members()
	if err != nil || members.Count() != 4 { // 3 + self
		t.Fatalf("members = %d, %v", members.Count(), err)
	}
	if members.SearchByNickName(1, "路人").Count() != 1 {
		t.Fatal("stranger not in group member list")
	}

	// webwxoplog persists on the account (next refresh sees it).
	fb := friendByRemark(t, cb, "")
	if err := fb.SetRemarkName("某校-李四"); err != nil {
		t.Fatal(err)
	}
	if c, _ := sim.Contact(b.ID); c.RemarkName != "某校-李四" {
		t.Fatalf("remark after oplog = %q", c.RemarkName)
	}
	sim.SetRemark(a.ID, "新备注")
	_ = friendByRemark(t, cb, "新备注")
}

func TestTextInAndOut(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)

	id, err := sim.SendText(c.ID, "收到<通知>了 & 正在办理\n第二行")
	if err != nil {
		t.Fatal(err)
	}
	r := cb.next(t)
	m := r.msg
	if !m.IsText() || m.MsgId != id || m.FromUserName != sim.UserName(c.ID) || m.ToUserName != sim.SelfUserName() {
		t.Fatalf("msg = %+v", m)
	}
	if m.Content != "收到<通知>了 & 正在办理\n第二行" {
		t.Fatalf("content = %q", m.Content)
	}

	f := friendByRemark(t, cb, "县教育局-张三")
	sm, err := f.SendText("请于周五前提交自查报告")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := sim.WaitSent(ctxT(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	s := sent[0]
	if s.Kind != "text" || s.ToID != c.ID || s.ToRemark != "县教育局-张三" || s.Text != "请于周五前提交自查报告" || s.MsgID != sm.MsgId {
		t.Fatalf("sent = %+v", s)
	}
	if len(sim.SentTo(c.ID)) != 1 {
		t.Fatal("SentTo")
	}
}

func TestFileFromFriend(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)

	data := randomBytes(t, 1<<20)
	if _, err := sim.SendFile(c.ID, "自查自评报告.docx", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r := cb.next(t)
	if !r.msg.HasAttachment() || r.msg.FileName != "自查自评报告.docx" || r.msg.FileSize != "1048576" {
		t.Fatalf("msg = %+v", r.msg)
	}
	if r.fileErr != nil || !bytes.Equal(r.file, data) {
		t.Fatalf("download: err=%v len=%d", r.fileErr, len(r.file))
	}
	md, err := r.msg.MediaData()
	if err != nil || md.AppMsg.Title != "自查自评报告.docx" || md.AppMsg.AppAttach.FileExt != "docx" || md.AppMsg.AppAttach.TotalLen != "1048576" {
		t.Fatalf("media data = %+v, %v", md, err)
	}

	// A lying FileSize: the bytes are what they are.
	if _, err := sim.SendFileClaimingSize(c.ID, "小文件.xlsx", bytes.NewReader(data[:100]), 999999999); err != nil {
		t.Fatal(err)
	}
	r = cb.next(t)
	if r.msg.FileSize != "999999999" || len(r.file) != 100 {
		t.Fatalf("claimed size msg: FileSize=%s downloaded=%d", r.msg.FileSize, len(r.file))
	}
}

func TestBotSendsFiles(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	f := friendByRemark(t, cb, "县教育局-张三")

	for i, tc := range []struct {
		name string
		size int
	}{
		{"督导通知.pdf", 3 << 20},
		{"汇总表.zip", 26 << 20}, // > 25 MiB: checkupload + 52 chunks
	} {
		data := randomBytes(t, tc.size)
		fh, err := os.Open(writeTemp(t, tc.name, data))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.SendFile(fh)
		_ = fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sum := sha256.Sum256(data)
		sent, err := sim.WaitSent(ctxT(t), i+1)
		if err != nil {
			t.Fatal(err)
		}
		s := sent[i]
		if s.Kind != "file" || s.ToID != c.ID || s.FileName != tc.name || s.Size != int64(tc.size) || s.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("sent = %+v", s)
		}
		rc, err := sim.OpenSentFile(s.Seq)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, _ = io.Copy(h, rc)
		_ = rc.Close()
		if hex.EncodeToString(h.Sum(nil)) != s.SHA256 {
			t.Fatal("OpenSentFile content differs")
		}
	}

	// A picture goes through webwxsendmsgimg.
	png := writeTemp(t, "shot.png", append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(t, 2000)...))
	fh, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	if _, err := f.SendImage(fh); err != nil {
		t.Fatal(err)
	}
	sent, err := sim.WaitSent(ctxT(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	if sent[2].Kind != "image" || sent[2].Size != 2008 {
		t.Fatalf("image sent = %+v", sent[2])
	}
}

func TestHotLoginKeepsSession(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	path := filepath.Join(t.TempDir(), "storage.json")

	cb1 := newClientBot(t, sim)
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st1.Close() }()
	loginScan(t, sim, cb1, st1) // no storage yet: falls back to scan login
	name1 := sim.UserName(c.ID)
	cb1.stop(t) // process "dies" without logging out

	cb2 := newClientBot(t, sim)
	st2 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st2.Close() }()
	if err := cb2.bot.HotLogin(st2); err != nil {
		t.Fatalf("hot login: %v", err)
	}
	if sim.Logins() != 2 || sim.UserName(c.ID) != name1 {
		t.Fatalf("logins=%d name %q -> %q", sim.Logins(), name1, sim.UserName(c.ID))
	}
	f := friendByRemark(t, cb2, "县教育局-张三")
	if f.UserName != name1 {
		t.Fatalf("UserName changed across hot login: %q -> %q", name1, f.UserName)
	}
	if _, err := sim.SendText(c.ID, "在吗"); err != nil {
		t.Fatal(err)
	}
	if r := cb2.next(t); r.msg.Content != "在吗" || r.msg.FromUserName != name1 {
		t.Fatalf("msg after hot login = %+v", r.msg)
	}
	if _, err := f.SendText("在"); err != nil {
		t.Fatal(err)
	}

	// openwechat's defect stays visible: restored cookies only reach
	// wx.qq.com, so the upload fails client-side.
	fh, err := os.Open(writeTemp(t, "a.txt", []byte("hello world")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	if _, err := f.SendFile(fh); !errors.Is(err, openwechat.ErrWebWxDataTicketNotFound) {
		t.Fatalf("upload after hot login: %v, want webwx_data_ticket not found", err)
	}
}

// The storage workaround (copy the wx.qq.com cookies to the file. and
// webpush. keys before HotLogin) makes uploads work after a hot login.
func TestHotLoginCookieWorkaround(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	path := filepath.Join(t.TempDir(), "storage.json")
	cb1 := newClientBot(t, sim)
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st1.Close() }()
	loginScan(t, sim, cb1, st1)
	cb1.stop(t)

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fixed := fixJar(t, raw)
	cb2 := newClientBot(t, sim)
	if err := cb2.bot.HotLogin(&memStorage{data: fixed}); err != nil {
		t.Fatalf("hot login: %v", err)
	}
	f := friendByRemark(t, cb2, "县教育局-张三")
	fh, err := os.Open(writeTemp(t, "回执.txt", []byte("已收到")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	if _, err := f.SendFile(fh); err != nil {
		t.Fatalf("upload with workaround: %v", err)
	}
	if s := sim.SentTo(c.ID); len(s) != 1 || s[0].FileName != "回执.txt" {
		t.Fatalf("sent = %+v", s)
	}
}

func TestPushLoginNewUserNames(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{})
	c := sim.AddContact("张三", "县教育局-张三")
	path := filepath.Join(t.TempDir(), "storage.json")

	cb1 := newClientBot(t, sim)
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st1.Close() }()
	go func() {
		<-cb1.uuids
		_ = sim.ConfirmLogin()
	}()
	loginScan(t, sim, cb1, st1)
	name1 := sim.UserName(c.ID)
	cb1.stop(t)

	cb2 := newClientBot(t, sim)
	st2 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st2.Close() }()
	errc := make(chan error, 1)
	go func() { errc <- cb2.bot.PushLogin(st2) }()
	if _, err := sim.WaitPending(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := sim.ConfirmLogin(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc); err != nil {
		t.Fatalf("push login: %v", err)
	}
	name2 := sim.UserName(c.ID)
	if name2 == name1 || name2 == "" {
		t.Fatalf("UserName not regenerated: %q -> %q", name1, name2)
	}
	f := friendByRemark(t, cb2, "县教育局-张三")
	if f.UserName != name2 {
		t.Fatalf("client sees %q, sim %q", f.UserName, name2)
	}
	if _, err := sim.SendText(c.ID, "推送登录后"); err != nil {
		t.Fatal(err)
	}
	if r := cb2.next(t); r.msg.FromUserName != name2 {
		t.Fatalf("msg from %q", r.msg.FromUserName)
	}
}

func TestForceLogout(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	path := filepath.Join(t.TempDir(), "storage.json")
	cb1 := newClientBot(t, sim)
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st1.Close() }()
	loginScan(t, sim, cb1, st1)

	sim.ForceLogout(1101)
	cb1.waitLogout(t)
	if err := cb1.bot.CrashReason(); !errors.Is(err, openwechat.Ret(1101)) {
		t.Fatalf("crash reason = %v", err)
	}
	if sim.LoggedIn() {
		t.Fatal("still logged in")
	}

	cb2 := newClientBot(t, sim)
	st2 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st2.Close() }()
	err := cb2.bot.HotLogin(st2)
	if err == nil || !strings.Contains(err.Error(), "init user info") {
		t.Fatalf("hot login after forced logout: %v", err)
	}
}

func TestClientLogout(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	// bot.Logout would call Exit on this goroutine while the sync goroutine
	// reads Bot.self (an openwechat race), so call the endpoint directly; the
	// next synccheck reports 1100 and the bot exits on its own goroutine.
	_ = cb.bot.Caller.Logout(cb.bot.Context(), cb.bot.Storage.LoginInfo)
	if sim.LoggedIn() {
		t.Fatal("still logged in after webwxlogout")
	}
	cb.waitLogout(t) // the next synccheck reports 1100
}

func TestFault5xxOnSendMsg(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	f := friendByRemark(t, cb, "县教育局-张三")

	remove := sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultHTTP5xx})
	if _, err := f.SendText("失败"); err == nil {
		t.Fatal("send succeeded despite 5xx")
	}
	remove()
	if _, err := f.SendText("成功"); err != nil {
		t.Fatal(err)
	}
	if s := sim.SentTo(c.ID); len(s) != 1 || s[0].Text != "成功" {
		t.Fatalf("sent = %+v", s)
	}

	sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultRet1205, Count: 1})
	if _, err := f.SendText("太频繁"); !errors.Is(err, openwechat.Ret(1205)) {
		t.Fatalf("ret1205: %v", err)
	}
}

// The response is lost after the server processed the send: the client
// retries the identical body and the ClientMsgId dedupe keeps one record.
func TestDropAfterIsDeduplicated(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	f := friendByRemark(t, cb, "县教育局-张三")

	sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultDropAfter, Count: 1})
	sm, err := f.SendText("只发一次")
	if err != nil {
		t.Fatal(err)
	}
	s := sim.SentTo(c.ID)
	if len(s) != 1 || s[0].MsgID != sm.MsgId {
		t.Fatalf("sent = %+v", s)
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)

	id, err := sim.SendText(c.ID, "重复消息")
	if err != nil {
		t.Fatal(err)
	}
	first := cb.next(t).msg
	if err := sim.Replay(id); err != nil {
		t.Fatal(err)
	}
	again := cb.next(t).msg
	if again.MsgId != first.MsgId || again.NewMsgId != first.NewMsgId || again.CreateTime != first.CreateTime || again.Content != "重复消息" {
		t.Fatalf("replay = %+v, first %+v", again, first)
	}
	if err := sim.Replay("nope"); err == nil {
		t.Fatal("replay of unknown id succeeded")
	}
}

func TestGroupMessage(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	a := sim.AddContact("张三", "县教育局-张三")
	m := sim.AddMember("李老师")
	g := sim.AddGroup("督导工作群", a.ID, m.ID)
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	self, _ := cb.bot.GetCurrentUser()
	if _, err := self.Groups(true); err != nil {
		t.Fatal(err)
	}

	if _, err := sim.SendGroupText(g.ID, m.ID, "材料已上传"); err != nil {
		t.Fatal(err)
	}
	msg := cb.next(t).msg
	if !msg.IsSendByGroup() || msg.FromUserName != sim.UserName(g.ID) || msg.Content != "材料已上传" {
		t.Fatalf("msg = %+v", msg)
	}
	if !strings.HasPrefix(msg.RawContent, sim.UserName(m.ID)+":<br/>") {
		t.Fatalf("raw content = %q", msg.RawContent)
	}
	sender, err := msg.SenderInGroup()
	if err != nil || sender.NickName != "李老师" {
		t.Fatalf("sender = %v, %v", sender, err)
	}
	if _, err := msg.ReplyText("收到"); err != nil {
		t.Fatal(err)
	}
	if s := sim.SentTo(g.ID); len(s) != 1 || s[0].Text != "收到" {
		t.Fatalf("sent to group = %+v", s)
	}
}

func TestOtherMessageTypes(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "")
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)

	img := append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(t, 500)...)
	if _, err := sim.SendImage(c.ID, img); err != nil {
		t.Fatal(err)
	}
	r := cb.next(t)
	if !r.msg.IsPicture() || r.fileErr != nil || !bytes.Equal(r.file, img) {
		t.Fatalf("image: %+v err=%v len=%d", r.msg, r.fileErr, len(r.file))
	}
	for _, typ := range []int{34, 43, 47, 49, 48, 10000} {
		if _, err := sim.SendOther(c.ID, typ); err != nil {
			t.Fatal(err)
		}
		r := cb.next(t)
		if int(r.msg.MsgType) != typ {
			t.Fatalf("type %d arrived as %d", typ, r.msg.MsgType)
		}
		if r.msg.HasFile() && (r.fileErr != nil || len(r.file) == 0) {
			t.Fatalf("type %d download: %v (%d bytes)", typ, r.fileErr, len(r.file))
		}
		if typ == 49 && (!r.msg.IsArticle() || r.msg.Url == "") {
			t.Fatalf("link msg = %+v", r.msg)
		}
	}
}

// Messages sent while the bot is offline arrive after the next login.
func TestOfflineMessagesArriveAfterLogin(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "")
	if _, err := sim.SendText(c.ID, "离线消息"); err != nil {
		t.Fatal(err)
	}
	cb := newClientBot(t, sim)
	loginScan(t, sim, cb, nil)
	if r := cb.next(t); r.msg.Content != "离线消息" {
		t.Fatalf("msg = %+v", r.msg)
	}
}

// openwechat's second hot-login defect: the storage dumped after a hot
// login has "Jar":{} (the jar's host index is not rebuilt on load), so the
// next HotLogin from it has no cookies and the simulator refuses it, as the
// real service would. Bots need a storage wrapper that keeps the last
// non-empty Jar.
func TestSecondHotLoginLosesCookies(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	c := sim.AddContact("张三", "")
	path := filepath.Join(t.TempDir(), "storage.json")
	cb1 := newClientBot(t, sim)
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st1.Close() }()
	loginScan(t, sim, cb1, st1)
	cb1.stop(t)

	cb2 := newClientBot(t, sim)
	st2 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st2.Close() }()
	if err := cb2.bot.HotLogin(st2); err != nil {
		t.Fatalf("first hot login: %v", err)
	}
	// Make cb2 sync (and dump its storage) once, then kill it.
	if _, err := sim.SendText(c.ID, "同步一次"); err != nil {
		t.Fatal(err)
	}
	cb2.next(t)
	cb2.cancel()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"Jar":{}`)) {
		t.Fatalf("expected the defect's empty jar, storage = %s", raw)
	}

	cb3 := newClientBot(t, sim)
	st3 := openwechat.NewFileHotReloadStorage(path)
	defer func() { _ = st3.Close() }()
	if err := cb3.bot.HotLogin(st3); err == nil {
		t.Fatal("second hot login from a cookie-less storage succeeded")
	}
}

// A hung request times out on the client, which retries the identical body.
func TestHangFaultClientRetries(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{AutoConfirm: true, LongPollHold: 300 * time.Millisecond})
	c := sim.AddContact("张三", "县教育局-张三")
	cb := newClientBot(t, sim)
	cb.bot.Caller.Client.HTTPClient().Timeout = 1500 * time.Millisecond // before login: the client is shared with the sync goroutine
	loginScan(t, sim, cb, nil)
	f := friendByRemark(t, cb, "县教育局-张三")
	sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultHang, Count: 1})
	if _, err := f.SendText("慢"); err != nil {
		t.Fatal(err)
	}
	if s := sim.SentTo(c.ID); len(s) != 1 {
		t.Fatalf("sent = %+v", s)
	}
}
