package e2e_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/bot"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// bindNewColleague starts a bot with a contact "新同事" without remark and
// binds it to 县财政局's official with a one-time code.
func bindNewColleague(t *testing.T) *apptest.Harness {
	t.Helper()
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 9, 0, 0, 0, shanghai(t))),
		apptest.WithContact("新同事", ""),
	)
	official := h.Unit("czj").Officials[0]
	codes, err := handlers.IssueBindingCodes(context.Background(), h.App.Store, []rules.Official{official}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h.Say("新同事", "绑定 "+codes[official.WeChatRemark])
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
