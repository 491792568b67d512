package e2e_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/bot"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// czjRemark is 县财政局's official in the shipped config.yaml.
const czjRemark = "督导-财政局"

// bindNewColleague starts a bot with a contact "新同事" without remark (and
// no contact carrying 县财政局's official's remark) and binds it to that
// official with a one-time code.
func bindNewColleague(t *testing.T) *apptest.Harness {
	t.Helper()
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 9, 0, 0, 0, shanghai(t))),
		apptest.WithContact("新同事", ""),
		apptest.WithoutContact(czjRemark),
	)
	if h.Unit("czj").Officials[0].WeChatRemark != czjRemark {
		t.Fatalf("config.yaml: 县财政局's official is no longer %s", czjRemark)
	}
	official := h.Unit("czj").Officials[0]
	codes, err := handlers.IssueBindingCodes(context.Background(), h.App.Store, h.App.CodeKey, []rules.Official{official}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := codes[official.WeChatRemark].Code
	h.Say("新同事", "绑定 "+c[:5]+"-"+c[5:]) // as `dudaobot codes` prints it
	expectGolden(t, h, "新同事", "bind_ok")
	expectGolden(t, h, h.Director(), "bind_director")
	return h
}

// Ensure a code binding ends with the WeChat session: after WeChat ends it
// and the bot logs in anew, every UserName changed, so the contact is a
// stranger again until the remark is set.
func TestBindingEndsWithNewSession(t *testing.T) {
	t.Parallel()
	h := bindNewColleague(t)
	n := h.StatusCount()
	h.Sim.ForceLogout(1101)
	on := h.WaitStatus("online again", n, func(s bot.Status) bool { return s.Online })
	if on.SameSession() {
		t.Fatalf("came back by %q: same session", on.Cause)
	}
	h.Say("新同事", "状态")
	expectGolden(t, h, "新同事", "refusal_stranger")

	h.Say("新同事", "状态") // refused once a day
	h.Settle()
	if n := len(h.Messages("新同事")); n != 2 {
		t.Errorf("%d messages to 新同事, want 2 (bind ok, one refusal)", n)
	}
}

// Ensure a binding survives a restart that re-enters the same WeChat
// session by hot login: the contact was told it lasts "本次登录期间".
//
// Bindings are saved in the store, so a process restart that re-enters the
// same WeChat session by hot login (same UserNames) keeps them.
func TestBindingSurvivesHotRestart(t *testing.T) {
	t.Parallel()
	h := bindNewColleague(t)
	if st := h.Restart(); st.Cause != bot.CauseHotLogin {
		t.Fatalf("came back by %q, want a hot login", st.Cause)
	}
	h.Say("新同事", "状态")
	h.WaitFor("新同事", apptest.TextPrefix("县财政局 2027年督导评价情况"))
}

// Ensure the director sees the binding in 绑定列表 (code id, never the
// code), 解绑 asks 确认 and then the contact is a stranger again; all
// through the real client against wxsim.
func TestBindListUnbind(t *testing.T) {
	t.Parallel()
	h := bindNewColleague(t)
	dir := h.Director()
	official := h.Unit("czj").Officials[0]
	h.Say(dir, "绑定列表")
	list := h.WaitFor(dir, apptest.TextPrefix("通过绑定码登记的联系人（1个）"))
	if !strings.Contains(list.Text, official.WeChatRemark) || !strings.Contains(list.Text, "微信昵称“新同事”") || !strings.Contains(list.Text, "绑定码#") {
		t.Errorf("绑定列表 = %s", list.Text)
	}
	h.Say(dir, "解绑 "+official.WeChatRemark)
	h.WaitFor(dir, apptest.TextPrefix("即将解除县财政局"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已解除县财政局"))
	h.Say("新同事", "状态")
	expectGolden(t, h, "新同事", "refusal_stranger")
	h.Say(dir, "绑定列表")
	h.WaitFor(dir, apptest.TextHas("目前没有通过绑定码登记的联系人"))
}

// Ensure a binding ends when the office sets the person's remark on the
// contact: the bot sees it on its next contact refresh, and the binding is
// gone from 绑定列表 while the contact is recognised by the remark.
func TestBindingEndsWhenRemarkSet(t *testing.T) {
	t.Parallel()
	h := bindNewColleague(t)
	official := h.Unit("czj").Officials[0]
	h.Sim.SetRemark(h.Contact("新同事").ID, official.WeChatRemark)
	// A refresh of the contact list, as the periodic one does.
	if _, err := h.App.Bot.Contacts(context.Background()); err != nil {
		t.Fatal(err)
	}
	bs, err := h.App.Store.ActiveBindings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 0 {
		t.Fatalf("bindings still active after the remark was set: %+v", bs)
	}
	h.Say("新同事", "状态")
	h.WaitFor("新同事", apptest.TextPrefix("县财政局 2027年督导评价情况"))
}
