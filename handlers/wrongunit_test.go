package handlers_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// beforeAfter is a golden of issue 18's observed case: the input, what the
// bot did before, and its reply now.
func beforeAfter(in, old, now string) string {
	return "输入：" + in + "\n旧行为：" + old + "\n新回复：\n" + now
}

// Ensure 反馈 with a file whose name names another unit asks once, in the
// preview, before anything is delivered; the preview also says when the
// unit has no 自查自评报告 yet.
func TestFeedbackFileNamingAnotherUnit(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2027, time.May, 10, 10, 0)
	const name = "关于县财政局履行教育职责情况的书面反馈意见.docx"
	h.File(dir, name, handlerstest.Docx("反馈意见"))
	h.Drain()
	h.Text(dir, "反馈 公安")
	got := one(t, h.Drain())
	golden(t, "feedback_wrong_unit_name", beforeAfter("《"+name+"》，然后“反馈 公安”",
		"直接送达县公安局，没有任何提问", got))
	if !strings.HasPrefix(got, "文件名提到“县财政局”，确认发给“县公安局”吗？") || !strings.Contains(got, "县公安局尚未报送自查自评报告") {
		t.Errorf("preview does not ask about the name or the missing report:\n%s", got)
	}
	if bs, _ := h.Store.Broadcasts(t.Context(), 2027); len(bs) != 0 {
		t.Fatalf("delivered before 确认: %+v", bs)
	}
	h.Text(dir, "取消")
	h.Drain()

	// The right unit, which has sent its report: no question, no note.
	h.File(h.Official("czj"), "县财政局自查自评报告.docx", handlerstest.Docx("县财政局自查"))
	h.Drain()
	h.File(dir, name, handlerstest.Docx("反馈意见"))
	h.Text(dir, "反馈 财政")
	out := h.Drain()
	got = only(out, dir.Remark)[len(only(out, dir.Remark))-1].Text
	if !strings.HasPrefix(got, "即将向县财政局") || strings.Contains(got, "文件名提到") || strings.Contains(got, "尚未报送") {
		t.Errorf("preview for the right unit:\n%s", got)
	}
}

// Ensure 下发 of a file whose name names one unit asks whether it is meant
// for every unit.
func TestBroadcastFileNamingAUnit(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2027, time.March, 10, 10, 0)
	h.File(dir, "县财政局问题清单.docx", handlerstest.Docx("清单"))
	h.Text(dir, "下发")
	got := only(h.Drain(), dir.Remark)
	if text := got[len(got)-1].Text; !strings.HasPrefix(text, "文件名提到“县财政局”，确认下发给全部28个单位吗？") {
		t.Errorf("下发 preview:\n%s", text)
	}
}

// Ensure a file whose content is another unit's, or whose name names
// another unit, is still stored, and its receipt says so politely.
func TestReceiptNotesAnotherUnitsFile(t *testing.T) {
	h := handlerstest.New(t)
	h.At(2027, time.February, 20, 9, 0)
	report := handlerstest.Docx("县卫健委2026年度自查自评报告")
	const name = "县卫健委2026年度自查自评报告.docx"
	h.File(h.Official("wjw"), name, report)
	if got := one(t, h.Drain()); strings.Contains(got, "提示：") {
		t.Fatalf("the owner's own receipt carries a note:\n%s", got)
	}
	h.At(2027, time.February, 21, 9, 0)
	h.File(h.Official("czj"), name, report)
	golden(t, "receipt_same_as_other_unit", beforeAfter("县财政局发送《"+name+"》（与县卫健委的文件相同）",
		"普通回执，作为县财政局的自查自评报告登记", one(t, h.Drain())))
	h.At(2027, time.February, 21, 9, 10)
	h.File(h.Official("gaj"), name, handlerstest.Docx("县公安局自己的报告"))
	got := one(t, h.Drain())
	if !strings.Contains(got, "提示：文件名提到“县卫健委”，不是贵单位（县公安局）。") {
		t.Errorf("receipt for a name naming another unit:\n%s", got)
	}
	subs, _ := h.Store.Submissions(t.Context(), 2027, "")
	stored := 0
	for _, s := range subs {
		if s.Stage == rules.StageSelfAssessment {
			stored++
		}
	}
	if stored != 3 {
		t.Errorf("%d reports stored, want all 3 (a note never refuses)", stored)
	}
}
