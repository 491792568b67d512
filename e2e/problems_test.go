package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/app/apptest"
	"dudaobot/export"
	"dudaobot/wxsim"
)

// One unit's rectification items through the real openwechat client (issue
// 14 "Done when"): a list of 3 problems confirmed and delivered with the
// feedback; a plan missing one date, then corrected; one item closed on
// time, one returned and closed late, one extended; the 整改台账 the
// director downloads read back cell by cell.
func TestProblemItemsThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj := h.Director(), h.Official("czj")
	dirName := h.Cfg.Directors()[0].Name

	h.SetTime(2027, time.May, 10, 10, 0)
	h.Say(dir, "问题清单 财政\n1. 教育经费台账不全；指标：3.2.1\n2. 学校安全隐患未整改\n3. 控辍保学机制不健全")
	h.WaitFor(dir, apptest.TextPrefix("即将登记县财政局2027年问题清单，共3项"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已登记县财政局问题清单3项（财政-2027-01至财政-2027-03）"))

	h.SendFile(dir, "县财政局书面反馈意见.pdf", apptest.PDF("县财政局书面反馈意见"))
	h.WaitFor(dir, apptest.AnyMessage)
	h.Say(dir, "反馈 财政")
	h.WaitFor(dir, apptest.TextPrefix("即将向县财政局"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已向县财政局"))
	h.WaitFor(czj, apptest.FileNamed("县财政局书面反馈意见.pdf"))
	list := h.WaitFor(czj, apptest.TextPrefix("【书面反馈意见】县财政局：督导办已向贵单位送达书面反馈意见和问题清单（共3项）")).Text
	if !strings.Contains(list, "3. 控辍保学机制不健全") || !strings.Contains(list, "2027年5月17日前") {
		t.Errorf("the unit's list:\n%s", list)
	}

	// 12 May: the plan, item 3 without a date, then corrected.
	h.SetTime(2027, time.May, 12, 9, 0)
	h.Say(czj, "整改措施\n1. 措施：补齐经费台账；时限：6月30日；责任人：预算科\n2. 措施：排查整改安全隐患；时限：6月10日\n3. 措施：建立控辍保学联控机制")
	draft := h.WaitFor(czj, apptest.TextPrefix("已保存县财政局整改措施（草稿")).Text
	if !strings.Contains(draft, "第3项缺少完成时限") {
		t.Errorf("draft reply does not name the missing date:\n%s", draft)
	}
	// The correction comes as the plan template 反馈 sent, filled in.
	tpl, err := excelize.OpenReader(bytes.NewReader(h.OpenSent(h.WaitFor(czj, apptest.FileNamed("县财政局整改方案模板.xlsx")))))
	if err != nil {
		t.Fatalf("the plan template is not a workbook: %v", err)
	}
	for c, v := range map[string]string{"C2": "补齐经费台账", "D2": "6月30日", "E2": "预算科", "C3": "排查整改安全隐患", "D3": "6月10日",
		"C4": "建立控辍保学联控机制", "D4": "2027-07-15"} {
		if err := tpl.SetCellValue(export.SheetPlan, c, v); err != nil {
			t.Fatal(err)
		}
	}
	var filled bytes.Buffer
	if err := tpl.Write(&filled); err != nil {
		t.Fatal(err)
	}
	tpl.Close()
	h.SendFile(czj, "县财政局整改方案.xlsx", filled.Bytes())
	h.WaitFor(czj, apptest.TextPrefix("县财政局整改措施已齐全（共3项），已作为整改方案报送（第1版，按时）"))

	// 5 June: item 1 done and closed on time; item 2 done and returned.
	h.SetTime(2027, time.June, 5, 9, 0)
	h.Say(czj, "整改完成 1 已补齐2026年全部经费台账")
	h.WaitFor(czj, apptest.TextPrefix("已收到财政-2027-01整改完成报告"))
	h.WaitFor(dir, apptest.TextPrefix("【整改完成】县财政局报告财政-2027-01"))
	h.Say(dir, "销号 财政 1")
	h.WaitFor(dir, apptest.TextPrefix("财政-2027-01已销号"))
	h.WaitFor(czj, apptest.TextPrefix("【销号】财政-2027-01"))

	h.Say(czj, "整改完成 2 已排查全部学校")
	h.WaitFor(czj, apptest.TextPrefix("已收到财政-2027-02整改完成报告"))
	h.WaitFor(dir, apptest.TextPrefix("【整改完成】县财政局报告财政-2027-02"))
	h.Say(dir, "退回 财政 2 6月20日 缺少整改前后照片")
	h.WaitFor(dir, apptest.TextPrefix("财政-2027-02已退回，新的完成时限2027年6月20日"))
	h.WaitFor(czj, apptest.TextPrefix("【退回】财政-2027-02"))

	// 18 June: item 2 again, after its original 10 June: closed late.
	// This time the evidence is a photo, sent after the words.
	h.SetTime(2027, time.June, 18, 9, 0)
	h.Say(czj, "整改完成 2")
	h.WaitFor(czj, apptest.TextPrefix("好的，请在10分钟内发送财政-2027-02"))
	photo := append([]byte("\x89PNG\r\n\x1a\n"), []byte("整改前后照片")...)
	photoID, err := h.Sim.SendImage(h.Contact(czj).ID, photo)
	if err != nil {
		t.Fatal(err)
	}
	photoName := "图片" + photoID + ".png"
	h.WaitFor(czj, apptest.TextPrefix("已收到财政-2027-02整改完成报告，佐证文件《"+photoName+"》已保存"))
	sum := sha256.Sum256(photo)
	// The director gets the photo itself (WeChat shows a picture, not a file).
	h.WaitFor(dir, func(s wxsim.Sent) bool { return s.Kind == "image" && s.SHA256 == hex.EncodeToString(sum[:]) })
	h.Say(dir, "销号 财政 2")
	h.WaitFor(dir, apptest.TextPrefix("财政-2027-02已销号"))

	// 1 July: item 3 extended; lateness stays on 15 July.
	h.SetTime(2027, time.July, 1, 9, 0)
	h.Say(dir, "延期 财政 3 7月31日 资金尚未到位")
	h.WaitFor(dir, apptest.TextPrefix("财政-2027-03已延期至2027年7月31日（原时限2027年7月15日"))
	h.WaitFor(czj, apptest.TextPrefix("【延期】财政-2027-03"))

	h.SetTime(2027, time.July, 2, 9, 0)
	h.Say(dir, "跟踪检查 财政 7月1日 资金申请已报县政府")
	h.WaitFor(dir, apptest.TextPrefix("已登记2027年7月1日对县财政局的跟踪检查，涉及未销号整改事项1项：财政-2027-03"))
	h.Say(czj, "状态")
	status := h.WaitFor(czj, apptest.TextPrefix("县财政局 2027年督导评价情况")).Text
	for _, want := range []string{"财政-2027-01 教育经费台账不全：已销号", "财政-2027-02 学校安全隐患未整改：已销号（逾期）", "财政-2027-03 控辍保学机制不健全：已延期（剩29天）"} {
		if !strings.Contains(status, want) {
			t.Errorf("状态 lacks %q:\n%s", want, status)
		}
	}
	h.Say(dir, "总览")
	if ov := h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览")).Text; !strings.Contains(ov, "整改事项：共3项，已销号2项，逾期0项") {
		t.Errorf("总览 lacks the items line:\n%s", ov)
	}

	h.Say(dir, "整改台账")
	h.WaitFor(dir, apptest.TextPrefix("2027年整改台账已生成"))
	xlsx := h.WaitFor(dir, apptest.FileNamed("2027年整改台账.xlsx"))
	f, err := excelize.OpenReader(bytes.NewReader(h.OpenSent(xlsx)))
	if err != nil {
		t.Fatalf("整改台账 is not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(export.SheetProblems)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		export.ProblemsHeader(),
		{"县财政局", "财政-2027-01", "教育经费台账不全", "3.2.1", "补齐经费台账", "2027-06-30", "", "已销号", "文字：已补齐2026年全部经费台账", "2027-06-05", dirName},
		{"县财政局", "财政-2027-02", "学校安全隐患未整改", "", "排查整改安全隐患", "2027-06-10", "2027-06-20", "已销号（逾期）", "文字：已排查全部学校；" + photoName + "（" + hex.EncodeToString(sum[:4]) + "）", "2027-06-18", dirName},
		{"县财政局", "财政-2027-03", "控辍保学机制不健全", "", "建立控辍保学联控机制", "2027-07-15", "2027-07-31", "已延期（剩29天）", "", "", "",
			"2027-07-01 " + dirName + "：资金申请已报县政府"},
	}
	if len(rows) != len(want) {
		t.Fatalf("整改台账 rows:\n%q", rows)
	}
	for i := range want {
		for j := range max(len(want[i]), len(rows[i])) {
			if got, w := cell(rows[i], j), cell(want[i], j); got != w {
				t.Errorf("整改台账 row %d column %d (%s) = %q, want %q", i+1, j+1, cell(want[0], j), got, w)
			}
		}
	}
}

func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}
