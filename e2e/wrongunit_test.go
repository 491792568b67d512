package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/rules"
)

// Ensure the wrong-unit checks hold through the real openwechat client
// (issue 18 §3): 反馈 with a file that names another unit asks before it is
// delivered, and a report identical to another unit's is filed with a
// receipt that says so, and the director's next digest lists its senders.
func TestWrongUnitThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj, gaj, mzj, wjw := h.Director(), h.Official("czj"), h.Official("gaj"), h.Official("mzj"), h.Official("wjw")

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
	h.SendFile(mzj, name, report)
	h.WaitFor(mzj, apptest.TextHas("提示：文件名提到“县卫健委”，且内容与县财政局、县卫健委报送的文件完全相同"))

	// The next digest lists both senders for the director to verify, each
	// once; 卫健委, whose report it is, is not listed. The digest after it
	// does not list them again.
	h.SetTime(2027, time.February, 22, 17, 30)
	if err := h.App.Scheduler.SendDigest(context.Background()); err != nil {
		t.Fatal(err)
	}
	digest := h.WaitFor(dir, apptest.TextPrefix("【督导日报】2027年2月22日")).Text
	for _, want := range []string{
		"\n需核实：县财政局交来的文件名提到县卫健委，且内容与县卫健委的相同",
		"\n需核实：县民政局交来的文件名提到县卫健委，且内容与县财政局、县卫健委的相同",
	} {
		if strings.Count(digest, want) != 1 {
			t.Errorf("digest lacks (once) %q:\n%s", want, digest)
		}
	}
	golden(t, "digest_wrong_unit", digest)
	if strings.Count(digest, "需核实") != 2 || rules.PhoneLines(digest) > rules.PhoneLineBudget {
		t.Errorf("digest: want two 需核实 lines within %d phone lines:\n%s", rules.PhoneLineBudget, digest)
	}
	h.SetTime(2027, time.February, 23, 17, 30)
	if err := h.App.Scheduler.SendDigest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if next := h.WaitFor(dir, apptest.TextPrefix("【督导日报】2027年2月23日")).Text; strings.Contains(next, "需核实") {
		t.Errorf("the next day's digest lists the same files again:\n%s", next)
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
