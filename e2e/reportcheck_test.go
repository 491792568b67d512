package e2e_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/handlers"
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
