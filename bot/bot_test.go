package bot_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestLoginQRTextInOut: a QR login drawn to QRWriter and confirmed on the
// "phone"; a text in reaches the Intake with the friend's remark; Send text
// by remark reaches the contact; group and system messages are filtered.
func TestLoginQRTextInOut(t *testing.T) {
	sim := newSim(t, wxsim.Options{})
	zhang := sim.AddContact("张三", "czj-zhang")
	li := sim.AddContact("李四", "")
	sim.AddContact("王五", "dup")
	sim.AddContact("赵六", "dup")
	group := sim.AddGroup("督导工作群", zhang.ID, li.ID)
	other := sim.AddGroup("闲聊群", zhang.ID)

	r := startClient(t, sim, nil, clientOpts{hotFile: filepath.Join(t.TempDir(), "hot.json")})
	ctx := ctxT(t)
	uuid, err := sim.WaitPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.c.Online() {
		t.Fatal("online before the scan")
	}
	if err := sim.ConfirmLogin(); err != nil {
		t.Fatal(err)
	}
	st := r.waitStatus(t, true)
	if st.Cause != "qr login" {
		t.Errorf("status cause = %q", st.Cause)
	}
	qr := r.qr.String()
	if !strings.Contains(qr, "https://login.weixin.qq.com/l/"+uuid) || !strings.Contains(qr, "▀") {
		t.Errorf("QR output lacks the URL or the drawing:\n%s", qr)
	}

	// Text in, with HTML-significant characters and a newline.
	text := "你好 <b>&amp; 第一行\n第二行"
	id, err := sim.SendText(zhang.ID, text)
	if err != nil {
		t.Fatal(err)
	}
	got := r.in.waitMsg(t, id, 1)
	if got.Kind != rules.MsgText || got.Text != text {
		t.Errorf("got kind=%s text=%q", got.Kind, got.Text)
	}
	if got.From.Remark != "czj-zhang" || got.From.NickName != "张三" || !strings.HasPrefix(got.From.UserName, "@") {
		t.Errorf("from = %+v", got.From)
	}
	if got.Key.Sender != "czj-zhang" || got.Key.CreateTime == 0 || got.Group != "" || got.ReceivedAt.IsZero() {
		t.Errorf("key/group = %+v %q", got.Key, got.Group)
	}

	// No remark: the sender key is the session handle.
	id2, _ := sim.SendText(li.ID, "无备注")
	got2 := r.in.waitMsg(t, id2, 1)
	if got2.From.Remark != "" || got2.Key.Sender != got2.From.UserName || !strings.HasPrefix(got2.Key.Sender, "@") {
		t.Errorf("no-remark sender: %+v %+v", got2.From, got2.Key)
	}

	// Groups: the configured one is delivered with the member's remark,
	// the other ignored; then an "other" kind.
	if _, err := sim.SendGroupText(other.ID, zhang.ID, "闲聊"); err != nil {
		t.Fatal(err)
	}
	gid, err := sim.SendGroupText(group.ID, zhang.ID, "群里提交")
	if err != nil {
		t.Fatal(err)
	}
	gm := r.in.waitMsg(t, gid, 1)
	if gm.Group != "督导工作群" || gm.From.Remark != "czj-zhang" || gm.Text != "群里提交" || gm.Key.Sender != "czj-zhang" {
		t.Errorf("group message: %+v", gm)
	}
	vid, _ := sim.SendOther(zhang.ID, 34)
	if m := r.in.waitMsg(t, vid, 1); m.Kind != rules.MsgOther {
		t.Errorf("voice kind = %s", m.Kind)
	}
	for _, m := range r.in.all() {
		if m.Text == "闲聊" {
			t.Error("message from an unconfigured group was delivered")
		}
		if m.From.UserName == sim.SelfUserName() {
			t.Error("self/status-notify message delivered")
		}
	}
	if n := len(r.in.all()); n != 4 {
		t.Errorf("intake got %d messages, want 4", n)
	}

	// Text out by remark, by UserName and to a group.
	if err := r.c.Send(ctx, rules.Outgoing{Key: "t1", To: rules.Recipient{Remark: "czj-zhang"}, Text: "收到，谢谢！"}); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "t2", To: rules.Recipient{UserName: got2.From.UserName}, Text: "请先绑定"}); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "t3", To: rules.Recipient{Group: "督导工作群"}, Text: "请私聊机器人提交"}); err != nil {
		t.Fatal(err)
	}
	sent, err := sim.WaitSent(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if sent[0].ToID != zhang.ID || sent[0].Text != "收到，谢谢！" || sent[1].ToID != li.ID || sent[2].ToID != group.ID {
		t.Errorf("sent = %+v", sent)
	}

	// Recipient errors.
	if err := r.c.Send(ctx, rules.Outgoing{Key: "e1", To: rules.Recipient{Remark: "nobody"}, Text: "x"}); !errors.Is(err, rules.ErrNoRecipient) {
		t.Errorf("unknown remark: %v", err)
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "e2", To: rules.Recipient{Remark: "dup"}, Text: "x"}); !errors.Is(err, rules.ErrAmbiguousRecipient) {
		t.Errorf("duplicate remark: %v", err)
	}

	// Contacts: friends of this session, sorted by remark.
	cs, err := r.c.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var remarks []string
	for _, c := range cs {
		remarks = append(remarks, c.Remark)
	}
	if strings.Join(remarks, ",") != ",czj-zhang,dup,dup" {
		t.Errorf("contacts remarks = %q", remarks)
	}

	// A remark set on the phone during the session is found on Send (one
	// refresh), and on the next inbound message via the periodic refresh.
	sim.SetRemark(li.ID, "gaj-li")
	if err := r.c.Send(ctx, rules.Outgoing{Key: "t4", To: rules.Recipient{Remark: "gaj-li"}, Text: "您好"}); err != nil {
		t.Fatalf("send to a new remark: %v", err)
	}
	r.stop()
	if r.c.Online() {
		t.Error("still online after stop")
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "t5", To: rules.Recipient{Remark: "czj-zhang"}, Text: "x"}); !errors.Is(err, rules.ErrOffline) {
		t.Errorf("send while stopped: %v", err)
	}
}
