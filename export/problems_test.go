package export_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/storage"
)

func d27(m time.Month, d int) rules.Date { return rules.Date{Year: 2027, Month: m, Day: d} }

// sheet builds an .xlsx whose first sheet holds rows from A1.
func sheet(t *testing.T, rows [][]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func readRows(t *testing.T, b []byte, name string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestProblemListTemplateRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := export.WriteProblemListTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, buf.Bytes(), export.SheetProblemList)
	if len(rows) != 1 || strings.Join(rows[0], "|") != "序号|问题描述|对应指标|整改时限建议" {
		t.Fatalf("template = %q", rows)
	}
	// The office fills it, with the columns in another order and a title row.
	filled := sheet(t, [][]any{
		{"财政局问题清单"},
		{"整改时限建议", "序号", "问题描述", "备注", "对应指标"},
		{"6月30日", 1, "教育经费台账不全", "", "3.2.1"},
		{},
		{"", 2, "学校安全隐患未整改", "", ""},
	})
	got, err := export.ReadProblemList(filled, 2027)
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.ProblemLine{
		{Seq: 1, Text: "教育经费台账不全", Indicator: "3.2.1", SuggestedDue: d27(time.June, 30)},
		{Seq: 2, Text: "学校安全隐患未整改"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadSheetErrors(t *testing.T) {
	tests := []struct {
		name    string
		read    func(*bytes.Buffer) error
		rows    [][]any
		is      error
		chinese string
	}{
		{"list: no items", listRead, [][]any{{"序号", "问题描述"}}, export.ErrBadCell, "表格中没有问题，请在表头下逐行填写"},
		{"list: missing column", listRead, [][]any{{"序号", "问题"}, {1, "x"}}, export.ErrMissingColumn, "表头缺少“问题描述”列，请使用机器人发送的模板"},
		{"list: duplicate and empty", listRead, [][]any{{"序号", "问题描述"}, {1, "a"}, {1, "b"}, {"三", ""}},
			export.ErrBadCell, "第3行“序号”列：序号1重复\n第4行“序号”列：“三”不是序号，请填写1、2、3……\n第4行“问题描述”列：没有填写问题"},
		{"list: bad date", listRead, [][]any{{"序号", "问题描述", "整改时限建议"}, {1, "a", "下个月"}}, export.ErrBadCell,
			"第2行“整改时限建议”列：日期“下个月”无法识别，请写成2027-06-30或6月30日"},
		{"plan: bad date named by cell", planRead, [][]any{{"序号", "问题描述", "整改措施", "完成时限", "责任人"}, {1, "a", "m", "2027-06-30"}, {2, "b", "m", ""}, {3, "c", "m", "6月31日"}},
			export.ErrBadCell, "第4行“完成时限”列：日期“6月31日”无法识别，请写成2027-06-30或6月30日"},
		{"plan: nothing filled", planRead, [][]any{{"序号", "问题描述", "整改措施", "完成时限", "责任人"}, {1, "a"}}, export.ErrBadCell, "表格中没有填写整改措施或完成时限"},
		{"plan: no 完成时限 column", planRead, [][]any{{"序号", "整改措施"}, {1, "a"}}, export.ErrMissingColumn, "表头缺少“完成时限”列，请使用机器人发送的模板"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(sheet(t, tt.rows))
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if got := chinese(err); got != tt.chinese {
				t.Errorf("Chinese =\n%s\nwant\n%s", got, tt.chinese)
			}
		})
	}
	err := listRead(bytes.NewBufferString("not a zip"))
	if !errors.Is(err, export.ErrNotXLSX) || chinese(err) != "文件不是有效的 .xlsx 表格" {
		t.Errorf("not xlsx: %v", err)
	}
}

func listRead(b *bytes.Buffer) error { _, err := export.ReadProblemList(b, 2027); return err }
func planRead(b *bytes.Buffer) error { _, err := export.ReadPlan(b, 2027); return err }

func chinese(err error) string {
	var es export.SheetErrors
	if errors.As(err, &es) {
		return es.Chinese()
	}
	var ce *export.CellError
	if errors.As(err, &ce) {
		return ce.Chinese()
	}
	return err.Error()
}

func TestPlanTemplatePrefilledAndReadBack(t *testing.T) {
	ps := []rules.Problem{
		{Seq: 1, Text: "教育经费台账不全"},
		{Seq: 2, Text: "学校安全隐患未整改", Plan: rules.ProblemPlan{Measure: "排查", Due: d27(time.July, 15)}},
	}
	var buf bytes.Buffer
	if err := export.WritePlanTemplate(&buf, ps); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, buf.Bytes(), export.SheetPlan)
	want := [][]string{
		{"序号", "问题描述", "整改措施", "完成时限", "责任人"},
		{"1", "教育经费台账不全"},
		{"2", "学校安全隐患未整改", "排查", "2027-07-15"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("template rows = %q, want %q", rows, want)
	}
	// The unit fills row 2 in the file it got back.
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for cell, v := range map[string]any{"C2": "补齐台账", "D2": "6月30日", "E2": "张三"} {
		if err := f.SetCellValue(export.SheetPlan, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	var filled bytes.Buffer
	if err := f.Write(&filled); err != nil {
		t.Fatal(err)
	}
	f.Close()
	lines, err := export.ReadPlan(&filled, 2027)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []rules.PlanLine{
		{Seq: 1, Measure: "补齐台账", Due: d27(time.June, 30), DueText: "6月30日", Owner: "张三"},
		{Seq: 2, Measure: "排查", Due: d27(time.July, 15), DueText: "2027-07-15"},
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("read back %+v\nwant %+v", lines, wantLines)
	}
}

// The 整改台账 sheet, read back cell by cell, for items in every state.
func TestProblemLedgerSheet(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Load(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Location()
	clk := clock.NewFake(time.Date(2027, 5, 20, 9, 0, 0, 0, loc))
	st, err := storage.Open(ctx, storage.Options{Path: filepath.Join(t.TempDir(), "dudao.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SyncRoster(ctx, cfg.Units(), cfg.Directors()); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureYear(ctx, cfg.Calendar()); err != nil {
		t.Fatal(err)
	}
	_, err = st.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: "czj", Short: "财政", By: "主任", Items: []rules.ProblemLine{
		{Seq: 1, Text: "台账不全", Indicator: "3.2.1"}, {Seq: 2, Text: "隐患未改"}, {Seq: 3, Text: "机制不健全"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: "czj", By: "张三", Plans: map[int]rules.ProblemPlan{
		1: {Measure: "补齐台账", Due: d27(time.June, 30)}, 2: {Measure: "排查", Due: d27(time.June, 10)}, 3: {Measure: "建章立制", Due: d27(time.June, 30)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("0a", 32)
	event := func(code string, at time.Time, e rules.ProblemEvent) {
		t.Helper()
		e.At = at
		if _, err := st.AddProblemEvent(ctx, code, e, nil); err != nil {
			t.Fatal(err)
		}
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2027, m, d, 10, 0, 0, 0, loc) }
	event("财政-2027-01", day(time.June, 1), rules.ProblemEvent{Kind: rules.EventReported, Actor: "张三",
		Evidence: []rules.Evidence{{Name: "台账.pdf", SHA256: sha}, {Text: "已归档"}}})
	event("财政-2027-01", day(time.June, 2), rules.ProblemEvent{Kind: rules.EventVerified, Actor: "孙主任"})
	event("财政-2027-03", day(time.June, 20), rules.ProblemEvent{Kind: rules.EventExtended, Actor: "孙主任", NewDue: d27(time.July, 31), Reason: "资金"})
	// A follow-up visit sees the items still open (2 and 3), not item 1.
	if _, err := st.RecordVisit(ctx, 2027, "czj", rules.ProblemEvent{At: day(time.June, 25), Actor: "孙主任", Date: d27(time.June, 24),
		Reason: "资金已申请", Evidence: []rules.Evidence{{Name: "检查记录.jpg", SHA256: sha}}}, nil); err != nil {
		t.Fatal(err)
	}
	clk.Set(day(time.July, 1))

	var buf bytes.Buffer
	l := &export.Ledger{Store: st, Clock: clk, Location: loc}
	if err := l.WriteProblemLedger(ctx, 2027, &buf); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, buf.Bytes(), export.SheetProblems)
	want := [][]string{
		export.ProblemsHeader(),
		{"县财政局", "财政-2027-01", "台账不全", "3.2.1", "补齐台账", "2027-06-30", "", "已销号", "台账.pdf（0a0a0a0a）；文字：已归档", "2027-06-02", "孙主任"},
		{"县财政局", "财政-2027-02", "隐患未改", "", "排查", "2027-06-10", "", "已逾期21天", "", "", "", "2027-06-24 孙主任：资金已申请，附检查记录.jpg（0a0a0a0a）"},
		{"县财政局", "财政-2027-03", "机制不健全", "", "建章立制", "2027-06-30", "2027-07-31", "已延期（剩30天）", "", "", "", "2027-06-24 孙主任：资金已申请，附检查记录.jpg（0a0a0a0a）"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %q", rows)
	}
	for i := range want {
		for j := range max(len(want[i]), len(rows[i])) {
			if got, w := cell(rows[i], j), cell(want[i], j); got != w {
				t.Errorf("row %d col %d (%s) = %q, want %q", i+1, j+1, cell(want[0], j), got, w)
			}
		}
	}
	// The full ledger carries the same sheet.
	var all bytes.Buffer
	if err := l.WriteLedger(ctx, 2027, &all); err != nil {
		t.Fatal(err)
	}
	if got := readRows(t, all.Bytes(), export.SheetProblems); !reflect.DeepEqual(got, rows) {
		t.Errorf("ledger's 整改台账 = %q, want %q", got, rows)
	}
}
