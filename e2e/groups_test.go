package e2e_test

import (
	"context"
	"testing"

	"dudaobot/app/apptest"
	"dudaobot/config"
)

// Ensure a configured group chat works through the real client: commands
// about the sender are answered in the group, files are redirected to a
// private chat, chatter gets silence, and an @mention of the bot works as
// people type it in WeChat.
func TestGroupChat(t *testing.T) {
	t.Parallel()
	const g = "督导工作群"
	h := apptest.Start(t,
		apptest.WithConfig(func(c *config.Config) { c.WeChat.Groups = []string{g} }),
		apptest.WithGroup(g, "督导-财政局", "督导-公安局", "督导办主任"),
		apptest.WithGroup("闲聊群", "督导-财政局"),
	)
	czj := h.Official("czj")
	h.SayInGroup("闲聊群", czj, "帮助")
	h.SayInGroup(g, czj, "大家好")
	h.SayInGroup(g, czj, "帮助")
	h.WaitFor(g, apptest.TextHas("您好，县财政局的同志"))
	h.SayInGroup(g, h.Director(), "总览")
	h.WaitFor(g, apptest.TextHas("请私聊机器人使用“总览”"))
	h.SendFile(g, "自查自评报告.docx", apptest.Docx("群里发的")) // from the group's first member, 县财政局
	h.WaitFor(g, apptest.TextHas("请私聊机器人提交材料"))
	h.Settle()
	if n := len(h.Messages(g)); n != 3 {
		t.Errorf("group got %d messages, want 3 (chatter must get silence)", n)
	}
	if subs, _ := h.App.Store.Submissions(context.Background(), 2027, ""); len(subs) != 0 {
		t.Errorf("a file sent in a group was stored: %+v", subs)
	}
	if n := len(h.Messages("闲聊群")); n != 0 {
		t.Errorf("an unconfigured group got %d messages", n)
	}

}

// Ensure "@<bot nick> 帮助" in a handled group is answered: WeChat users
// address a bot in a group by mentioning it.
// The nick is known only at login: the WeChat client reports it with
// its online status and the app hands it to the conversations.
func TestGroupMentionOfBot(t *testing.T) {
	t.Parallel()
	const g = "督导工作群"
	h := apptest.Start(t,
		apptest.WithConfig(func(c *config.Config) { c.WeChat.Groups = []string{g} }),
		apptest.WithGroup(g, "督导-财政局", "督导办主任"),
	)
	// As WeChat writes a mention: "@<bot nick>" then U+2005 (or a space).
	for _, sep := range []string{"\u2005", " "} {
		h.SayInGroup(g, h.Official("czj"), "@督导办机器人"+sep+"帮助")
		h.WaitFor(g, apptest.TextHas("您好，县财政局的同志"))
	}
}
