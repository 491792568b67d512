package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/export"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// sheetRows reads a sent workbook's sheet back from the file store.
func sheetRows(t *testing.T, h *handlerstest.Harness, m rules.Outgoing, sheet string) [][]string {
	t.Helper()
	f, err := h.Files.Open(m.FilePath)
	if err != nil {
		t.Fatalf("%s: %v", m.FileName, err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is no workbook: %v", m.FileName, err)
	}
	defer x.Close()
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatalf("%s sheet %s: %v", m.FileName, sheet, err)
	}
	return rows
}

// 反馈 delivers the unit's problem list with the plan template prefilled
// with its problems: a short list as text, a long one (more than 10 items)
// as a workbook; a list confirmed after the feedback goes the same way.
func TestFeedbackSendsListAndPlanTemplate(t *testing.T) {
	h := handlerstest.New(t)
	dir, czj, gaj := h.Director(), h.Official("czj"), h.Official("gaj")
	h.At(2027, time.May, 10, 9, 0)

	// Short: 3 items as text, and the plan template.
	msgs := only(problemsDelivered(t, h), czj.Remark)
	if len(msgs) != 3 || msgs[0].FileName != "反馈.pdf" || !strings.Contains(msgs[1].Text, "\n3. 控辍保学机制不健全\n") ||
		msgs[2].FileName != "县财政局整改方案模板.xlsx" {
		t.Fatalf("to 财政: %+v", msgs)
	}
	plan := sheetRows(t, h, msgs[2], export.SheetPlan)
	if want := [][]string{export.PlanHeader(), {"1", "教育经费台账不全"}, {"2", "学校安全隐患未整改"}, {"3", "控辍保学机制不健全"}}; !reflect.DeepEqual(plan, want) {
		t.Errorf("财政's plan template = %q", plan)
	}

	// Long: 12 items as a workbook, and the plan template.
	h.At(2027, time.May, 10, 9, 30)
	h.Text(dir, "问题清单 公安\n"+numbered(12))
	h.Text(dir, "确认")
	h.Text(dir, "反馈 公安")
	h.File(dir, "公安反馈.pdf", handlerstest.PDF("fb2"))
	h.Text(dir, "确认")
	msgs = only(h.Drain(), gaj.Remark)
	var names []string
	for _, m := range msgs {
		names = append(names, m.FileName)
	}
	if want := []string{"公安反馈.pdf", "", "县公安局问题清单.xlsx", "县公安局整改方案模板.xlsx"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("files to 公安 = %q, want %q", names, want)
	}
	golden(t, "problems_feedback_long", msgs[1].Text)
	list := sheetRows(t, h, msgs[2], export.SheetProblemList)
	if len(list) != 13 || !reflect.DeepEqual(list[0], export.ProblemListHeader()) || list[12][0] != "12" || list[12][1] != "问题12" {
		t.Errorf("the list workbook = %q", list)
	}
	plan = sheetRows(t, h, msgs[3], export.SheetPlan)
	if len(plan) != 13 || !reflect.DeepEqual(plan[0], export.PlanHeader()) || plan[1][1] != "问题1" || len(plan[1]) != 2 {
		t.Errorf("the plan template = %q", plan)
	}

	// A list confirmed after 公安's feedback goes at once, with its template.
	h.At(2027, time.May, 11, 9, 0)
	h.Text(dir, "问题清单 公安\n13. 校车安全管理不到位")
	h.Text(dir, "确认")
	msgs = only(h.Drain(), gaj.Remark)
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Text, "【问题清单】县公安局问题清单（共1项）：\n13. 校车安全管理不到位") ||
		msgs[1].FileName != "县公安局整改方案模板.xlsx" {
		t.Fatalf("the later list: %+v", msgs)
	}
	if plan := sheetRows(t, h, msgs[1], export.SheetPlan); len(plan) != 2 || plan[1][0] != "13" {
		t.Errorf("the later template = %q", plan)
	}
}

// numbered is n problem lines 「1. 问题1」….
func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d. 问题%d\n", i, i)
	}
	return b.String()
}

// fillPlan fills the plan template a unit got with cells (A1 names) and
// returns the workbook.
func fillPlan(t *testing.T, h *handlerstest.Harness, template rules.Outgoing, cells map[string]string) []byte {
	t.Helper()
	f, err := h.Files.Open(template.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for c, v := range cells {
		if err := x.SetCellValue(export.SheetPlan, c, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The unit sends the plan template back filled: a bad cell is named by row
// and column and nothing is kept; a missing date keeps a draft naming the
// item; complete, the workbook is the 整改方案 version.
func TestPlanTemplateFilledInChat(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	czj := h.Official("czj")
	msgs := only(problemsDelivered(t, h), czj.Remark)
	template := msgs[len(msgs)-1]
	h.At(2027, time.May, 12, 9, 0)
	full := map[string]string{"C2": "补齐台账", "D2": "6月30日", "E2": "预算科", "C3": "排查隐患", "D3": "2027-06-10", "C4": "建立机制", "D4": "7月15日"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}

	h.File(czj, "财政整改方案.xlsx", fillPlan(t, h, template, with("D3", "6月31日")))
	golden(t, "plan_sheet_bad_cell", one(t, h.Drain()))
	if ps, _ := h.Store.Problems(ctx, 2027, "czj"); ps[0].Plan.Measure != "" {
		t.Fatalf("a refused sheet kept a plan: %+v", ps[0].Plan)
	}
	h.File(czj, "财政整改方案.xlsx", fillPlan(t, h, template, with("D4", "")))
	golden(t, "plan_sheet_draft", one(t, h.Drain()))
	if subs := mustSubs(t, h); len(subs) != 0 {
		t.Fatalf("a draft sheet counted as the plan: %+v", subs)
	}
	h.File(czj, "财政整改方案.xlsx", fillPlan(t, h, template, full))
	golden(t, "plan_sheet_complete", one(t, h.Drain()))
	subs := mustSubs(t, h)
	if len(subs) != 1 || subs[0].Stage != rules.StageRectificationPlan || subs[0].OriginalName != "财政整改方案.xlsx" || subs[0].IsText || !subs[0].OnTime {
		t.Fatalf("plan submission = %+v", subs)
	}
	p, _ := h.Store.Problem(ctx, "财政-2027-01")
	if p.Plan.Measure != "补齐台账" || p.Plan.Owner != "预算科" || p.Plan.Due != (rules.Date{Year: 2027, Month: time.June, Day: 30}) {
		t.Errorf("item 1 plan = %+v", p.Plan)
	}
	// Any other workbook is still a document.
	h.File(czj, "经费统计.xlsx", handlerstest.Docx("not a template"))
	if got := one(t, h.Drain()); !strings.Contains(got, "回执") && !strings.Contains(got, "文件已安全保存") {
		t.Errorf("another workbook → %s", got)
	}
}

// 问题清单模板 <单位>: the template as a file; filled and sent back within
// ten minutes it is that unit's list, a bad cell named, else previewed and
// stored on 确认. Without the command first, the unit is asked for.
func TestProblemListTemplateInChat(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir := h.Director()
	h.At(2027, time.May, 10, 9, 0)
	fill := func(tpl rules.Outgoing, cells map[string]string) []byte {
		t.Helper()
		f, err := h.Files.Open(tpl.FilePath)
		if err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		for c, v := range cells {
			if err := x.SetCellValue(export.SheetProblemList, c, v); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	h.Text(dir, "问题清单模板 财政")
	msgs := h.Drain()
	if len(msgs) != 2 || msgs[1].FileName != "县财政局问题清单模板.xlsx" {
		t.Fatalf("问题清单模板 → %+v", msgs)
	}
	golden(t, "list_template", msgs[0].Text)
	tpl := msgs[1]
	h.File(dir, "财政问题.xlsx", fill(tpl, map[string]string{"A2": "1", "B2": "教育经费台账不全", "C2": "3.2.1", "A3": "2", "D3": "6月31日"}))
	golden(t, "list_sheet_refused", one(t, h.Drain()))
	h.Text(dir, "问题清单模板 财政")
	h.Drain()
	h.File(dir, "财政问题.xlsx", fill(tpl, map[string]string{"A2": "1", "B2": "教育经费台账不全", "C2": "3.2.1", "A3": "2", "B3": "学校安全隐患未整改", "D3": "6月30日"}))
	golden(t, "list_sheet_preview", one(t, h.Drain()))
	if ps, _ := h.Store.Problems(ctx, 2027, "czj"); len(ps) != 0 {
		t.Fatalf("stored before 确认: %+v", ps)
	}
	h.Text(dir, "确认")
	h.Drain()
	ps, _ := h.Store.Problems(ctx, 2027, "czj")
	if len(ps) != 2 || ps[0].Indicator != "3.2.1" || ps[1].SuggestedDue != (rules.Date{Year: 2027, Month: time.June, Day: 30}) {
		t.Fatalf("stored %+v", ps)
	}
	h.File(dir, "财政问题.xlsx", fill(tpl, map[string]string{"A2": "1", "B2": "x"}))
	if got := one(t, h.Drain()); !strings.Contains(got, "问题清单模板 单位名") {
		t.Errorf("a list with no unit named → %s", got)
	}
}
