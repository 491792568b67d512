package handlers_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// transcript records a conversation for a golden file: each message as
// 「> 谁：文字」 and every reply to its sender below it.
type transcript struct {
	t *testing.T
	h *handlerstest.Harness
	b strings.Builder
}

func (c *transcript) say(from rules.Contact, who, text string) string {
	c.t.Helper()
	c.h.Text(from, text)
	return c.replies(from, who+"："+text)
}

func (c *transcript) file(from rules.Contact, who, name string, content []byte) string {
	c.t.Helper()
	c.h.File(from, name, content)
	return c.replies(from, who+"：［文件］"+name)
}

func (c *transcript) replies(from rules.Contact, line string) string {
	got := texts(only(c.h.Drain(), from.Remark))
	c.b.WriteString("> " + line + "\n" + got + "\n\n")
	return got
}

func (c *transcript) String() string { return strings.TrimSuffix(c.b.String(), "\n\n") }

// Ensure the observed cases of issue 18 §1–2 (ordinary phrasing, 收到 in
// other words, an unclear answer to 1/2, dates as 4.30, a mistyped unit)
// are pinned as one conversation: the golden file's history is the
// before and after.
func TestObservedPhrasings(t *testing.T) {
	h := handlerstest.New(t)
	c := &transcript{t: t, h: h}
	dir, mzj, czj := h.Director(), h.Official("mzj"), h.Official("czj")

	h.At(2027, time.January, 10, 9, 0)
	for _, s := range []string{"你好", "怎么交材料", "我们单位交了吗", "查看状态"} {
		c.say(mzj, "县民政局", s)
	}
	h.Text(dir, "下发 请各单位对照指标体系开展自查自评，于3月1日前报送自查自评报告。")
	h.Text(dir, "确认")
	h.Drain()
	h.At(2027, time.January, 10, 9, 30)
	c.say(mzj, "县民政局", "好的，收到")
	c.say(czj, "县财政局", "已收到")
	c.say(h.Official("gaj"), "县公安局", "已收到，谢谢")
	c.say(dir, "主任", "未回复")

	h.At(2027, time.February, 20, 9, 0)
	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	h.Drain()
	c.file(czj, "县财政局", "材料.docx", handlerstest.Docx("x"))
	c.say(czj, "县财政局", "是自查报告")

	h.At(2027, time.April, 30, 18, 0)
	c.say(dir, "主任", "督导结束 4.30")
	c.say(dir, "主任", "取消")
	c.say(dir, "主任", "整改期限 财政 6.30")
	c.say(dir, "主任", "取消")
	c.say(dir, "主任", "查询 卫建委")
	c.say(dir, "主任", "1")
	golden(t, "talk_observed", c.String())
}

// Ensure a mistyped unit is matched to the closest unit by edit distance
// over names and aliases, and a tie or nothing close is no guess.
func TestClosestUnits(t *testing.T) {
	units := handlerstest.Config(t).Units()
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"卫建委", []string{"wjw"}},
		{"县卫建委", []string{"wjw"}},
		{"公按局", []string{"gaj"}},
		{"财正局", []string{"czj"}},
		{"县人设局", []string{"rsj"}},
		{"住房和城乡建没局", []string{"zjj"}},
		{"公政局", []string{"gaj", "mzj", "czj"}}, // a tie: no guess
		{"交通局", nil},
		{"卫", nil},
	} {
		got := handlers.ClosestUnits(units, tc.q)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("closest to %q = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// Ensure 「您是指“…”吗？回复1确认」: 1 runs the original command with the
// unit (here 催办, which reminds the unit), a tie lists the close units, a
// name close to nothing keeps the plain hint, and a guess older than ten
// minutes runs nothing.
func TestUnitGuess(t *testing.T) {
	h := handlerstest.New(t)
	c := &transcript{t: t, h: h}
	dir := h.Director()
	h.At(2027, time.March, 3, 9, 0)
	c.say(dir, "主任", "催办 卫建委")
	h.Text(dir, "1")
	out := h.Drain()
	c.b.WriteString("> 主任：1\n" + texts(only(out, dir.Remark)) + "\n\n")
	if n := len(only(out, h.Official("wjw").Remark)); n != 1 {
		t.Errorf("1 after the guess reminded 县卫健委 %d times, want 1", n)
	}
	c.say(dir, "主任", "1") // the guess is used up
	c.say(dir, "主任", "查询 公政局")
	c.say(dir, "主任", "查询 交通局")
	c.say(dir, "主任", "查询卫建委") // glued: the same guess
	c.say(dir, "主任", "1")
	c.say(dir, "主任", "查询 财正局")
	h.At(2027, time.March, 3, 9, 11)
	c.say(dir, "主任", "1")
	golden(t, "unit_guess", c.String())
}

// Ensure an answer in words to 「请回复 1 … / 2 …」 files the file, and an
// unclear one asks again instead of the menu.
func TestChoiceInWords(t *testing.T) {
	for _, tc := range []struct{ answer, want string }{
		{"是自查报告", "材料：自查自评报告（第1版）"},
		{"自查", "材料：自查自评报告（第1版）"},
		{"自查自评报告吧", "材料：自查自评报告（第1版）"},
		{"第一个", "材料：自查自评报告（第1版）"},
		{"整改", "材料：整改方案（第1版）"},
		{"整改方案", "材料：整改方案（第1版）"},
		{"这是整改方案", "材料：整改方案（第1版）"},
		{"不知道", "没能确定是哪项材料。请回复 1 自查自评报告 / 2 整改方案（也可以回复“自查”或“整改”）。"},
		{"嗯嗯，好", "没能确定是哪项材料。"},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			h := handlerstest.New(t)
			dir, czj := h.Director(), h.Official("czj")
			h.At(2027, time.February, 20, 9, 0)
			h.Text(dir, "反馈 财政")
			h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
			h.Text(dir, "确认")
			h.File(czj, "材料.docx", handlerstest.Docx("x"))
			h.Drain()
			h.Text(czj, tc.answer)
			if got := one(t, only(h.Drain(), czj.Remark)); !strings.Contains(got, tc.want) {
				t.Errorf("%q → %s\nwant %s", tc.answer, got, tc.want)
			}
		})
	}
}

// Ensure words @mentioning the bot in a group are answered only where
// nothing about a unit is said: 收到 in words acknowledges, thanks get a
// short reply, a greeting or a question is asked in a private chat (it
// used to answer 「请私聊机器人使用“\aunknown”」), and chatter without a
// mention gets silence.
func TestIntentsInGroups(t *testing.T) {
	h := handlerstest.New(t, func(o *handlers.Options) { o.Groups = []string{"督导工作群"} })
	czj, dir := h.Official("czj"), h.Director()
	h.Text(dir, "下发 请各单位对照指标体系开展自查自评。")
	h.Text(dir, "确认")
	h.Drain()
	for _, tc := range []struct{ text, want string }{
		{"好的，收到", ""},
		{"@督导办机器人 你好", "为保护各单位信息，请私聊机器人。发送“帮助”查看全部。"},
		{"@督导办机器人 我们单位交了吗", "为保护各单位信息，请私聊机器人。发送“帮助”查看全部。"},
		{"@督导办机器人 好的，收到", "已登记县财政局确认收到：1月10日通知。谢谢！"},
		{"@督导办机器人 谢谢", "不客气，有需要随时发消息。"},
	} {
		h.Send(rules.Inbound{From: czj, Group: "督导工作群", Kind: rules.MsgText, Text: tc.text})
		out := h.Drain()
		if tc.want == "" {
			if len(out) != 0 {
				t.Errorf("%q without a mention → %s", tc.text, texts(out))
			}
			continue
		}
		if got := one(t, out); got != tc.want || out[0].To.Group != "督导工作群" {
			t.Errorf("%q → %q to %+v, want %q", tc.text, got, out[0].To, tc.want)
		}
	}
}
