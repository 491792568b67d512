package handlers_test

import (
	"strings"
	"testing"
	"time"

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
	golden(t, "talk_observed", c.String())
}
