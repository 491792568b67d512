package e2e_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/handlers"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../extract/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goldenLine(t *testing.T, name string) string {
	return strings.TrimSpace(string(fixture(t, "golden/"+name+".txt")))
}

// TestReportCheckInReceipt (issue 17): a self-assessment report sent
// through the real client gets its content check in the receipt; a new
// version is checked again and its check is what counts; 检查详情 and 查询
// show it; an official cannot read another unit's.
func TestReportCheckInReceipt(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	czj, gaj, dir := h.Official("czj"), h.Official("gaj"), h.Director()

	h.SendFile(czj, "财政局自查自评报告.docx", fixture(t, "complete.docx"))
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if want := goldenLine(t, "complete.docx"); !strings.HasSuffix(receipt, "\n"+want) {
		t.Fatalf("receipt lacks the check line %q:\n%s", want, receipt)
	}

	h.SendFile(czj, "财政局自查自评报告（修改）.docx", fixture(t, "missing-problems.docx"))
	receipt = h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if !strings.Contains(receipt, "第2版") || !strings.HasSuffix(receipt, "\n"+goldenLine(t, "missing-problems.docx")) {
		t.Fatalf("version 2 receipt:\n%s", receipt)
	}

	h.Say(czj, "检查详情")
	detail := h.WaitText(czj, "内容检查详情")
	for _, want := range []string{"第2版", "五个部分：已有基本情况、经验做法、工作成效、改进措施；缺存在的问题", "指标覆盖：9/30", "说明：检查仅供参考"} {
		if !strings.Contains(detail, want) {
			t.Errorf("检查详情 lacks %q:\n%s", want, detail)
		}
	}
	h.Say(czj, "检查详情 公安局")
	h.WaitText(czj, "您只能查看本单位（县财政局）的检查详情")
	h.Say(gaj, "检查详情")
	h.WaitText(gaj, "县公安局的自查自评报告尚未收到或尚未检查")

	h.Say(dir, "查询 财政局")
	h.WaitText(dir, "自查报告（第2版）"+goldenLine(t, "missing-problems.docx"))
	h.Say(dir, "检查详情 财政局")
	h.WaitText(dir, "县财政局自查自评报告（第2版")
}

// TestReportCheckFollowsReceipt (issue 17): when the check takes longer
// than the receipt's budget (here: no budget), the receipt goes first and
// the check follows as a second short message; a crafted file ends with
// 内容未自动检查, and the file is still received.
func TestReportCheckFollowsReceipt(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))),
		apptest.WithHandlerOptions(func(o *handlers.Options) { o.ReportCheckBudget = -1 }))
	czj := h.Official("czj")
	h.SendFile(czj, "自查自评报告.docx", fixture(t, "bomb.docx"))
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if strings.Contains(receipt, "内容") {
		t.Fatalf("receipt waited for the check:\n%s", receipt)
	}
	follow := h.WaitFor(czj, func(s wxsim.Sent) bool { return strings.Contains(s.Text, "内容未自动检查") }).Text
	if want := "内容未自动检查（文件结构异常或内容过大）"; !strings.HasSuffix(follow, want) || !strings.HasPrefix(follow, "回执号 R-") {
		t.Fatalf("follow-up %q, want 回执号 … %s", follow, want)
	}
	subs, err := h.App.Store.Submissions(t.Context(), 2027, "czj")
	if err != nil || len(subs) != 1 {
		t.Fatalf("submissions: %d, %v; want 1", len(subs), err)
	}
}

// TestReportCheckUnitIndicators (issue 17): with the scoring config's unit
// → indicator map naming the unit (scoring.unit_indicators), the receipt's
// coverage counts only that unit's indicators, not all 30.
func TestReportCheckUnitIndicators(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))),
		apptest.WithHandlerOptions(func(o *handlers.Options) {
			m := *o.Scoring
			m.UnitIndicators = map[string][]string{"czj": {"5", "13", "14", "27", "28"}}
			o.Scoring = &m
		}))
	czj := h.Official("czj")
	h.SendFile(czj, "财政局自查自评报告.docx", fixture(t, "complete.docx"))
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if want := "\n内容检查：五个部分齐全；涉及指标 3/5，未涉及：14、28"; !strings.HasSuffix(receipt, want) {
		t.Fatalf("receipt lacks %q:\n%s", want, receipt)
	}
}

// TestReportPartsReminder (issue 17 §4): through the real client, a report
// lacking 存在的问题 gets the receipt's check line, and before the due date
// the unit's next reminder names the missing part. The claim is re-checked
// at send time: a reminder queued before a complete version came is not
// sent, and once the complete version is checked no reminder follows.
func TestReportPartsReminder(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	czj := h.Official("czj")
	h.SendFile(czj, "财政局自查自评报告.docx", fixture(t, "missing-problems.docx"))
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	if want := goldenLine(t, "missing-problems.docx"); !strings.HasSuffix(receipt, "\n"+want) {
		t.Fatalf("receipt lacks the check line %q:\n%s", want, receipt)
	}
	waitCheckedVersion(t, h, 1)

	// 22 February 10:00, seven days before 1 March.
	h.SetTime(2027, time.February, 22, 10, 0)
	h.Sweep()
	got := h.WaitFor(czj, apptest.TextPrefix(reminderPrefix))
	golden(t, "reminder_report_parts", got.Text)

	// 26 February: the reminder is queued while the outbox is paused, then
	// a complete version comes and is checked before the reminder's turn.
	h.SetTime(2027, time.February, 26, 10, 0)
	h.PauseOutbox()
	h.Sweep()
	h.WaitQueued(func(m rules.Outgoing) bool {
		return m.Kind == "reminder" && m.To.Remark == czj && strings.Contains(m.Text, "尚缺")
	})
	h.SendFile(czj, "财政局自查自评报告（补充）.docx", fixture(t, "complete.docx"))
	waitCheckedVersion(t, h, 2)
	h.ResumeOutbox()
	h.WaitFor(czj, func(s wxsim.Sent) bool { return strings.Contains(s.Text, "第2版") })
	h.Settle()
	if n := countPrefix(h.Messages(czj), reminderPrefix); n != 1 {
		t.Errorf("县财政局 got %d reminders, want only the one before its complete version", n)
	}
	superseded, err := h.App.Store.Outbox(t.Context(), rules.OutboxSuperseded)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(superseded, func(m rules.Outgoing) bool { return m.Kind == "reminder" && m.To.Remark == czj }) {
		t.Error("the queued reminder naming the part was not superseded at send time")
	}

	// 28 February: nothing is missing any more, no reminder.
	h.SetTime(2027, time.February, 28, 10, 0)
	h.Sweep()
	h.Settle()
	if n := countPrefix(h.Messages(czj), reminderPrefix); n != 1 {
		t.Errorf("县财政局 got %d reminders after its complete version, want 1", n)
	}
}

// waitCheckedVersion waits until 县财政局's report check of version v is
// saved (the check runs beside the receipt).
func waitCheckedVersion(t *testing.T, h *apptest.Harness, v int) {
	t.Helper()
	ok := testutil.WaitFor(testutil.HangGuard(t), func() bool {
		cs, err := h.App.Store.ReportChecks(context.Background(), 2027)
		return err == nil && cs["czj"].Version == v
	})
	if !ok {
		t.Fatalf("the check of version %d was never saved", v)
	}
}
