package export_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/rules"
)

// scoreUnits: 财政 is scored on indicators 5 and 13 only.
var scoreUnits = []rules.Unit{
	{Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "财政"}},
	{Key: "jkj", Name: "县教育和科学技术局", Aliases: []string{"教科局"}},
	{Key: "gaj", Name: "县公安局", Aliases: []string{"公安局"}},
}

func scoreModel(t *testing.T) (rules.ScoringModel, []rules.Indicator) {
	t.Helper()
	cfg, err := config.Load("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	m.UnitIndicators = map[string][]string{"czj": {"5", "13"}}
	inds, err := cfg.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	return m, inds
}

// fill opens a workbook and sets cells (sheet → cell → value).
func fill(t *testing.T, data []byte, cells map[string]map[string]any) *bytes.Buffer {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sh, cs := range cells {
		for c, v := range cs {
			if err := f.SetCellValue(sh, c, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func cellsOf(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The 自评表 holds the unit's applicable indicators with their points; the
// filled sheet reads back by header, blank cells listed, notes kept.
func TestSelfScoresTemplateRoundTrip(t *testing.T) {
	m, inds := scoreModel(t)
	var buf bytes.Buffer
	if err := export.WriteSelfScoresTemplate(&buf, 2027, scoreUnits[0], m, inds); err != nil {
		t.Fatal(err)
	}
	rows := cellsOf(t, buf.Bytes(), export.SheetSelfScores)
	if len(rows) != 5 {
		t.Fatalf("%d rows, want title, unit, header and 2 indicators: %q", len(rows), rows)
	}
	if !slices.Equal(rows[1], []string{"单位", "县财政局"}) || !slices.Equal(rows[2], export.SelfScoresHeader()) {
		t.Errorf("unit row %q, header %q", rows[1], rows[2])
	}
	if rows[3][0] != "5" || rows[3][2] != "3.34" || !strings.HasPrefix(rows[3][1], "普惠性幼儿园覆盖率") ||
		rows[4][0] != "13" || rows[4][2] != "3.33" {
		t.Errorf("indicator rows %q", rows[3:])
	}
	filled := fill(t, buf.Bytes(), map[string]map[string]any{export.SheetSelfScores: {"D4": 3, "E4": "见附件：覆盖率统计表"}})
	got, err := export.ReadScoreSheet(filled, export.ScoreSheetInput{Year: 2027, Model: m, Units: scoreUnits})
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.Score{{Year: 2027, UnitKey: "czj", Code: "5", Source: rules.SourceSelf, Points: 300, Note: "见附件：覆盖率统计表"}}
	if got.Source != rules.SourceSelf || !slices.Equal(got.Units, []string{"czj"}) || !slices.Equal(got.Scores, want) {
		t.Errorf("read %+v, want %v", got, want)
	}
	if !slices.Equal(got.Blank, []export.BlankCell{{Row: 5, UnitKey: "czj", Code: "13"}}) {
		t.Errorf("blank %+v, want row 5 indicator 13", got.Blank)
	}
}

// Every bad cell of an inspection sheet is named, in Chinese, with its
// sheet, row and column, and nothing is returned to store.
func TestInspectionSheetErrors(t *testing.T) {
	m, inds := scoreModel(t)
	var buf bytes.Buffer
	if err := export.WriteInspectionTemplate(&buf, 2027, scoreUnits, m, inds); err != nil {
		t.Fatal(err)
	}
	rows := cellsOf(t, buf.Bytes(), "县教育和科学技术局")
	if len(rows) != 33 || !slices.Equal(rows[2], export.InspectionHeader()) {
		t.Fatalf("教科局 sheet: %d rows, header %q", len(rows), rows[2])
	}
	filled := fill(t, buf.Bytes(), map[string]map[string]any{
		"县财政局":      {"D4": "三分", "D5": 3.5},
		"县教育和科学技术局": {"D4": -1, "D5": 3.333, "D6": 2, "A7": "31", "D7": 1, "A8": "3", "D8": 2},
		"县公安局":      {"B2": "县税务局", "D4": 1},
	})
	_, err := export.ReadScoreSheet(filled, export.ScoreSheetInput{Year: 2027, Model: m, Units: scoreUnits})
	var errs export.SheetErrors
	if !errors.As(err, &errs) || !errors.Is(err, export.ErrBadCell) {
		t.Fatalf("err = %v, want SheetErrors", err)
	}
	want := []string{
		"工作表“县财政局”第4行“督导评分”列：“三分”不是数字，请只填分数，如2.5",
		"工作表“县财政局”第5行“督导评分”列：3.5分超过指标13的分值3.33分",
		"工作表“县教育和科学技术局”第4行“督导评分”列：分数不能为负数（填的是-1）",
		"工作表“县教育和科学技术局”第5行“督导评分”列：最多保留两位小数（填的是3.333）",
		"工作表“县教育和科学技术局”第7行“指标编号”列：没有指标“31”（三级指标为1至30）",
		"工作表“县教育和科学技术局”第8行“督导评分”列：县教育和科学技术局指标3重复（第6行已填）",
		"工作表“县公安局”第2行“单位”列：没有名为“县税务局”的单位，请写单位全称",
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Chinese())
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The one-sheet layout: units × indicators, 「—」 where an indicator does
// not apply; a number there is refused; a corrected sheet reads.
func TestInspectionMatrix(t *testing.T) {
	m, _ := scoreModel(t)
	var buf bytes.Buffer
	if err := export.WriteInspectionMatrix(&buf, scoreUnits, m); err != nil {
		t.Fatal(err)
	}
	rows := cellsOf(t, buf.Bytes(), export.SheetInspection)
	if len(rows) != 5 || rows[0][1] != "指标1" || rows[1][0] != "满分" || rows[1][1] != "3.34" || rows[2][1] != "—" || rows[2][5] != "" {
		t.Fatalf("matrix template %q", rows[:3])
	}
	bad := fill(t, buf.Bytes(), map[string]map[string]any{export.SheetInspection: {"B3": 2, "F3": 3, "B4": 3.34, "A5": "教科局", "B5": "1"}})
	_, err := export.ReadScoreSheet(bad, export.ScoreSheetInput{Year: 2027, Model: m, Units: scoreUnits})
	var errs export.SheetErrors
	if !errors.As(err, &errs) || len(errs) != 2 ||
		errs[0].Chinese() != "第3行“指标1”列：指标1不适用于县财政局，请留空" ||
		errs[1].Chinese() != "第5行“指标1”列：县教育和科学技术局指标1重复（第4行已填）" {
		t.Fatalf("err = %v", err)
	}
	good := fill(t, buf.Bytes(), map[string]map[string]any{export.SheetInspection: {"F3": 3, "B4": 3.34, "C4": "2.5", "A5": "县公安局", "AE5": 1}})
	got, err := export.ReadScoreSheet(good, export.ScoreSheetInput{Year: 2027, Model: m, Units: scoreUnits})
	if err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, s := range got.Scores {
		cells = append(cells, fmt.Sprintf("%s/%s=%s", s.UnitKey, s.Code, s.Points))
	}
	if got.Source != rules.SourceInspection || !slices.Equal(cells, []string{"czj/5=3", "jkj/1=3.34", "jkj/2=2.5", "gaj/30=1"}) {
		t.Errorf("read %s %v", got.Source, cells)
	}
	if len(got.Blank) != 1+28+29 {
		t.Errorf("%d blank cells, want 58 (czj 1, jkj 28, gaj 29)", len(got.Blank))
	}
}

func TestReadScoreSheetNotAScoreSheet(t *testing.T) {
	m, _ := scoreModel(t)
	_, err := export.ReadScoreSheet(sheet(t, [][]any{{"序号", "问题描述"}, {1, "x"}}), export.ScoreSheetInput{Year: 2027, Model: m, Units: scoreUnits})
	if !errors.Is(err, export.ErrScoreSheet) {
		t.Errorf("err = %v, want ErrScoreSheet", err)
	}
	_, err = export.ReadScoreSheet(strings.NewReader("not a zip"), export.ScoreSheetInput{Model: m})
	if !errors.Is(err, export.ErrNotXLSX) {
		t.Errorf("err = %v, want ErrNotXLSX", err)
	}
}

// 评分汇总 and 结果运用 read back cell by cell.
func TestScoresWorkbook(t *testing.T) {
	m, _ := scoreModel(t)
	var scores []rules.Score
	add := func(unit string, src rules.ScoreSource, each rules.Points) {
		for _, in := range m.Applicable(unit) {
			scores = append(scores, rules.Score{UnitKey: unit, Code: in.Code, Source: src, Points: min(each, in.Max)})
		}
	}
	add("czj", rules.SourceSelf, 334)
	add("czj", rules.SourceInspection, 320)
	add("jkj", rules.SourceSelf, 200)
	add("jkj", rules.SourceInspection, 150)
	add("gaj", rules.SourceSelf, 300)
	report := rules.BuildScoreReport(rules.ScoreReportInput{Model: m, Units: scoreUnits, Sums: rules.UnitTotals(m, scores)})
	var buf bytes.Buffer
	if err := export.WriteScoresWorkbook(&buf, export.ScoresData{Year: 2027, Model: m, Units: scoreUnits, Scores: scores, Report: report}); err != nil {
		t.Fatal(err)
	}
	rows := cellsOf(t, buf.Bytes(), export.SheetScoreSummary)
	if !slices.Equal(rows[0], export.ScoreSummaryHeader(m)) || len(rows) != 7 {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	width := len(rows[0])
	tail := func(r []string) []string {
		// GetRows drops empty cells at the end of a row.
		r = append(r, make([]string, width-len(r))...)
		return r[width-5:]
	}
	// czj: indicators 5 (3.34) and 13 (3.33); self 3.34+3.33 = 100.0,
	// inspection 3.2+3.2 = 6.4 / 6.67 = 95.95… → 96.0; weighted
	// (70×6.4 + 30×6.67) / 6.67 = 97.2 (rounded once).
	checks := []struct {
		row  int
		head []string
		tail []string
	}{
		{1, []string{"1", "县财政局", "自评", "—"}, []string{"100.0", "97.2", "优秀", "1", ""}},
		{2, []string{"1", "县财政局", "督导评价", "—"}, []string{"96.0", "97.2", "优秀", "1", ""}},
		{3, []string{"2", "县教育和科学技术局", "自评", "2"}, []string{"60.0", "49.5", "不合格", "2", ""}},
		{5, []string{"3", "县公安局", "自评", "3"}, []string{"90.0", "", "", "", "督导评价缺30项"}},
	}
	for _, c := range checks {
		r := rows[c.row]
		if !slices.Equal(r[:4], c.head) || !slices.Equal(tail(r), c.tail) {
			t.Errorf("row %d = %q…%q, want %q…%q", c.row+1, r[:4], tail(r), c.head, c.tail)
		}
	}
	if got := rows[1][3+13-1]; got != "3.33" {
		t.Errorf("czj self indicator 13 = %q, want 3.33", got)
	}
	use := cellsOf(t, buf.Bytes(), export.SheetResultUse)
	want := [][]string{
		export.ResultUseHeader(),
		{"表彰建议", "县财政局", "97.2", "优秀", "1", "加权总分97.2（督导评价96.0，自评100.0），等级优秀，排名第1"},
		{"不合格", "县教育和科学技术局", "49.5", "不合格", "2", "加权总分49.5（督导评价45.0，自评60.0），等级不合格，排名第2，低于60分"},
	}
	if len(use) != len(want) {
		t.Fatalf("结果运用 %q", use)
	}
	for i := range want {
		if !slices.Equal(use[i], want[i]) {
			t.Errorf("结果运用 row %d = %q, want %q", i+1, use[i], want[i])
		}
	}
}
