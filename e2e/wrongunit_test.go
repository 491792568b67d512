package e2e_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
)

// Ensure the wrong-unit checks hold through the real openwechat client
// (issue 18 §3): 反馈 with a file that names another unit asks before it is
// delivered, and a report identical to another unit's is filed with a
// receipt that says so.
func TestWrongUnitThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj, gaj, wjw := h.Director(), h.Official("czj"), h.Official("gaj"), h.Official("wjw")

	// Two units send 卫健委's report: the second receipt says so.
	h.SetTime(2027, time.February, 20, 9, 0)
	report := apptest.Docx("县卫健委2026年度自查自评报告")
	const name = "县卫健委2026年度自查自评报告.docx"
	h.SendFile(wjw, name, report)
	if got := h.WaitFor(wjw, apptest.TextPrefix("【回执】")).Text; strings.Contains(got, "提示：") {
		t.Errorf("the owner's receipt carries a note:\n%s", got)
	}
	h.SetTime(2027, time.February, 21, 9, 0)
	h.SendFile(czj, name, report)
	got := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if !strings.Contains(got, "提示：文件名提到“县卫健委”，且内容与县卫健委报送的文件完全相同。材料已保存") {
		t.Errorf("receipt for 卫健委's report sent by 县财政局:\n%s", got)
	}

	// 反馈 公安 with 财政局's feedback file: a question, nothing delivered.
	h.SetTime(2027, time.May, 10, 10, 0)
	const fb = "关于县财政局履行教育职责情况的书面反馈意见.docx"
	h.SendFile(dir, fb, apptest.Docx("书面反馈意见"))
	h.WaitFor(dir, apptest.TextPrefix("已收到文件《"+fb+"》"))
	h.Say(dir, "反馈 公安")
	preview := h.WaitFor(dir, apptest.TextPrefix("文件名提到“县财政局”，确认发给“县公安局”吗？")).Text
	if !strings.Contains(preview, "县公安局尚未报送自查自评报告") {
		t.Errorf("preview does not say 县公安局 has no report:\n%s", preview)
	}
	h.Say(dir, "取消")
	h.WaitFor(dir, apptest.TextHas("取消"))
	h.Settle()
	for _, m := range h.Messages(gaj) {
		if m.Kind == "file" || strings.Contains(m.Text, "书面反馈意见") {
			t.Fatalf("县公安局 received the feedback before any 确认: %+v", m)
		}
	}
}
