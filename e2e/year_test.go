package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/app/apptest"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// Ensure one unit's whole year runs in conversation through the real
// openwechat client (issue #4 "Done when"): notice → 收到 → self-assessment
// file → receipt → 督导结束 → feedback file → plan as text → 总览 → 导出,
// with the ledger's content checked in the .xlsx the director downloads.
func TestWholeYearThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj := h.Director(), h.Official("czj")
	units := h.Cfg.Units()

	// 10 January: the office's notice to every unit.
	h.SetTime(2027, time.January, 10, 9, 0)
	h.Say(dir, "下发 请各单位对照指标体系开展自查自评，于3月1日前报送自查自评报告。")
	expectGolden(t, h, dir, "broadcast_preview")
	h.Say(dir, "确认")
	expectGolden(t, h, dir, "broadcast_confirmation")
	notice := handlersGolden(t, "broadcast_notice")
	for _, u := range units {
		h.WaitFor(u.Officials[0].WeChatRemark, func(s wxsim.Sent) bool { return s.Kind == "text" && s.Text == notice })
	}

	h.SetTime(2027, time.January, 10, 9, 30)
	h.Say(czj, "收到")
	expectGolden(t, h, czj, "ack")
	h.Say(dir, "未回复")
	got := expectGolden(t, h, dir, "unacknowledged")
	if strings.Contains(got, "县财政局") {
		t.Errorf("未回复 still lists 县财政局: %s", got)
	}

	// 20 February: the self-assessment report, with a Chinese file name.
	h.SetTime(2027, time.February, 20, 10, 15)
	report := apptest.Docx("县财政局2026年度自查自评报告")
	const reportName = "县财政局2026年度自查自评报告.docx"
	h.SendFile(czj, reportName, report)
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	want := fmt.Sprintf(`【回执】回执号 R-1
单位：县财政局
材料：自查自评报告（第1版）
文件：%s（%.1f KB）
收到时间：2027年2月20日 10:15
结果：按时（截止2027年3月1日）
内容检查：未见五个部分（基本情况、经验做法、工作成效、存在的问题、改进措施）的标题；篇幅较短（16字）；涉及指标 0/30，未涉及：1、2、3、4、5、6、7、8等30项`, reportName, float64(len(report))/1024)
	if receipt != want {
		t.Errorf("receipt:\n%s\nwant:\n%s", receipt, want)
	}

	// 30 April: the field inspection ends.
	h.SetTime(2027, time.April, 30, 18, 0)
	h.Say(dir, "督导结束 2027-04-30")
	expectGolden(t, h, dir, "inspection_end_preview")
	h.Say(dir, "确认")
	expectGolden(t, h, dir, "inspection_end")

	// 10 May: the director sends the feedback file, then 反馈 财政.
	h.SetTime(2027, time.May, 10, 10, 0)
	feedback := apptest.PDF("县财政局书面反馈意见")
	const feedbackName = "县财政局书面反馈意见.pdf"
	h.SendFile(dir, feedbackName, feedback)
	expectGolden(t, h, dir, "director_file_held")
	h.SetTime(2027, time.May, 10, 10, 3)
	h.Say(dir, "反馈 财政")
	expectGolden(t, h, dir, "feedback_preview")
	h.Say(dir, "确认")
	expectGolden(t, h, dir, "feedback_confirmation")
	fwd := h.WaitFor(czj, apptest.FileNamed(feedbackName))
	if fwd.SHA256 != sha(feedback) || fwd.Size != int64(len(feedback)) {
		t.Errorf("forwarded feedback: sha %s size %d, want %s %d", fwd.SHA256, fwd.Size, sha(feedback), len(feedback))
	}
	if body := h.OpenSent(fwd); !bytes.Equal(body, feedback) {
		t.Errorf("forwarded feedback content differs: %q", body)
	}
	expectGolden(t, h, czj, "feedback_notice") // names the due date 2027年5月17日 (7 days)

	// 12 May: the rectification plan, typed in chat.
	h.SetTime(2027, time.May, 12, 16, 0)
	const plan = "一、加强教育经费保障，确保“两个只增不减”；二、按时足额拨付生均公用经费，由预算科负责，6月底前完成；三、建立经费拨付台账，每季度向县督导办报告。"
	h.Say(czj, "整改方案 "+plan)
	h.WaitFor(czj, apptest.TextPrefix("即将以文字报送县财政局的整改方案"))
	h.Say(czj, "确认")
	planReceipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	golden(t, "receipt_text_plan", planReceipt)
	subs, _ := h.App.Store.Submissions(context.Background(), 2027, "czj")
	if !slices.ContainsFunc(subs, func(s rules.Submission) bool { return s.IsText && s.SHA256 == sha([]byte(plan)) }) {
		t.Errorf("the plan is not stored with the SHA-256 of its text: %+v", subs)
	}

	// 20 May: the director's views.
	h.SetTime(2027, time.May, 20, 9, 0)
	h.Say(dir, "总览")
	overview := h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览")).Text
	golden(t, "overview", overview)
	if line := lineWith(overview, "自查自评报告："); !strings.HasPrefix(line, "自查自评报告：已交1，") || strings.Contains(overview, "县财政局") {
		t.Errorf("总览 does not count 县财政局 as submitted (and not among those owing): %s", line)
	}
	h.Say(dir, "查询 财政")
	query := h.WaitFor(dir, apptest.TextPrefix("县财政局 2027年")).Text
	golden(t, "query", query)
	for _, want := range []string{"1. 自查自评报告：截止2027年3月1日；按时提交（共1版）", "3. 整改方案：截止2027年5月17日；按时提交（共1版）"} {
		if !strings.Contains(query, want) {
			t.Errorf("查询 财政 lacks %q:\n%s", want, query)
		}
	}

	h.Say(dir, "导出")
	expectGolden(t, h, dir, "export")
	xlsx := h.WaitFor(dir, apptest.FileNamed("2027年督导评价台账.xlsx"))
	checkLedger(t, h.OpenSent(xlsx), map[string]string{
		"自查自评报告": sha(report),
		"整改方案":   sha([]byte(plan)),
	})
}

// checkLedger opens the exported workbook and checks 县财政局's rows.
func checkLedger(t *testing.T, data []byte, wantSHA map[string]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("exported ledger is not a workbook: %v", err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{export.SheetOverview, export.SheetSubmissions, export.SheetProblems, export.SheetIndicators, export.SheetScoreSummary, export.SheetResultUse}; !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}

	rows, err := f.GetRows(export.SheetOverview)
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("sheet 总览 has no column %s: %v", name, header)
		}
		return i
	}
	var czj []string
	for _, r := range rows[1:] {
		if len(r) > 1 && r[1] == "县财政局" {
			czj = r
		}
	}
	if czj == nil {
		t.Fatalf("sheet 总览 has no row for 县财政局")
	}
	for _, c := range []string{"自查自评报告状态", "整改方案状态"} {
		if i := col(c); i >= len(czj) || czj[i] != "按时提交" {
			t.Errorf("总览 县财政局 %s = %q, want 按时提交 (row %v)", c, at(czj, i), czj)
		}
	}
	if i := col("自查自评报告提交时间"); !strings.HasPrefix(at(czj, i), "2027-02-20 10:15") {
		t.Errorf("总览 县财政局 提交时间 = %q", at(czj, i))
	}
	if len(rows) != 1+28 {
		t.Errorf("sheet 总览 has %d unit rows, want 28", len(rows)-1)
	}

	subs, err := f.GetRows(export.SheetSubmissions)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(subs[0], export.SubmissionsHeader()) {
		t.Errorf("提交记录 header %v", subs[0])
	}
	got := map[string]string{}
	for _, r := range subs[1:] {
		if at(r, 0) != "县财政局" {
			t.Errorf("提交记录 has a row for another unit: %v", r)
			continue
		}
		if at(r, 2) != "1" || at(r, 7) != "是" || at(r, 8) != "督导-财政局" {
			t.Errorf("提交记录 row %v: want version 1, on time, by 督导-财政局", r)
		}
		got[at(r, 1)] = at(r, 5)
	}
	if len(subs) != 1+2 || got["自查自评报告"] != wantSHA["自查自评报告"] || got["整改方案"] != wantSHA["整改方案"] {
		t.Errorf("提交记录 versions → SHA-256:\n%v\nwant:\n%v", got, wantSHA)
	}
	if inds, _ := f.GetRows(export.SheetIndicators); len(inds) < 2 {
		t.Errorf("sheet 指标体系 is empty")
	}
}

func at(r []string, i int) string {
	if i < 0 || i >= len(r) {
		return ""
	}
	return r[i]
}

func lineWith(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
