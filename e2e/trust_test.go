package e2e_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
)

// Ensure through the real openwechat client (issue 10): prose that starts
// with 下发 is never broadcast; 下发 shows a preview and nothing reaches the
// units before 确认; 收到 names the notice; 撤回 within 30 minutes
// withdraws a file, and the resubmission is version 1 again, judged late
// on its own time; 撤回 after 30 minutes is refused. (The text 整改方案
// with 确认 runs in TestWholeYearThroughWeChat.)
func TestConfirmAndWithdrawThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 27, 9, 0, 0, 0, shanghai(t))))
	dir, czj, gaj := h.Director(), h.Official("czj"), h.Official("gaj")

	h.Say(dir, "下发的通知大家都收到了吗")
	h.WaitFor(dir, apptest.TextHas("您的消息未下发（不是命令格式）"))
	h.Say(dir, "下发 请于3月1日前报送自查自评报告。")
	preview := h.WaitFor(dir, apptest.TextPrefix("即将向28个单位的28位联系人下发通知")).Text
	if !strings.HasSuffix(preview, "回复“确认”发送 / “取消”放弃") {
		t.Errorf("preview does not end with the 确认/取消 line:\n%s", preview)
	}
	h.Settle()
	if n := countPrefix(h.Messages(czj), "【督导办通知】"); n != 0 {
		t.Fatalf("a notice reached 县财政局 before 确认 (%d)", n)
	}
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已向28个单位的28位联系人下发通知"))
	for _, who := range []string{czj, gaj} {
		h.WaitFor(who, apptest.TextPrefix("【督导办通知】\n请于3月1日前报送自查自评报告。"))
	}
	h.Say(czj, "收到")
	h.WaitText(czj, "已登记县财政局确认收到：2月27日通知。")

	// 28 February 17:00: a wrong file, withdrawn 20 minutes later.
	h.SetTime(2027, time.February, 28, 17, 0)
	h.SendFile(czj, "误发的文件.docx", apptest.Docx("wrong"))
	if r := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text; !strings.Contains(r, "自查自评报告（第1版）") || !strings.Contains(r, "结果：按时") {
		t.Fatalf("first receipt:\n%s", r)
	}
	h.SetTime(2027, time.February, 28, 17, 20)
	h.Say(czj, "撤回")
	h.WaitText(czj, "已撤回：县财政局 自查自评报告（第1版）《误发的文件.docx》")

	// 3 March: the real report is version 1 again, and late.
	h.SetTime(2027, time.March, 3, 9, 0)
	h.SendFile(czj, "县财政局自查自评报告.docx", apptest.Docx("right"))
	r := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	for _, want := range []string{"材料：自查自评报告（第1版）", "结果：逾期2天（截止2027年3月1日）"} {
		if !strings.Contains(r, want) {
			t.Errorf("resubmission receipt lacks %q:\n%s", want, r)
		}
	}
	h.Say(czj, "状态")
	if s := h.WaitFor(czj, apptest.TextPrefix("县财政局 2027年")).Text; !strings.Contains(s, "自查自评报告：截止2027年3月1日；逾期2天提交（共1版）") {
		t.Errorf("状态 after the resubmission:\n%s", s)
	}

	// 31 minutes later: refused, nothing withdrawn.
	h.SetTime(2027, time.March, 3, 9, 31)
	h.Say(czj, "撤回")
	h.WaitText(czj, "已超过30分钟，不能撤回")
}
