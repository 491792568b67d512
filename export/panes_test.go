package export_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"dudaobot/export"
	"dudaobot/rules"
)

// frozenRows is how many rows the sheet keeps in view (0: none frozen).
func frozenRows(t *testing.T, data []byte, sheet string) int {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatalf("%s: %v", sheet, err)
	}
	if !p.Freeze || p.XSplit != 0 {
		return 0
	}
	return p.YSplit
}

// TestScoreSheetsFreezeHeaders: every score sheet and template keeps its
// header in view while the office scrolls: the 自评表 and each unit's
// 评分表 sheet their title, unit and header rows (3), the one-sheet 评分表,
// 评分汇总, 结果运用 and the problem templates their header row.
func TestScoreSheetsFreezeHeaders(t *testing.T) {
	m, inds := scoreModel(t)
	write := func(f func(*bytes.Buffer) error) []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	self := write(func(b *bytes.Buffer) error { return export.WriteSelfScoresTemplate(b, 2027, scoreUnits[0], m, inds) })
	insp := write(func(b *bytes.Buffer) error { return export.WriteInspectionTemplate(b, 2027, scoreUnits, m, inds) })
	matrix := write(func(b *bytes.Buffer) error { return export.WriteInspectionMatrix(b, scoreUnits, m) })
	report := rules.BuildScoreReport(rules.ScoreReportInput{Model: m, Units: scoreUnits})
	summary := write(func(b *bytes.Buffer) error {
		return export.WriteScoresWorkbook(b, export.ScoresData{Year: 2027, Model: m, Units: scoreUnits, Report: report})
	})
	list := write(func(b *bytes.Buffer) error { return export.WriteProblemListTemplate(b) })
	plan := write(func(b *bytes.Buffer) error { return export.WritePlanTemplate(b, nil) })
	for _, tc := range []struct {
		what  string
		data  []byte
		sheet string
		rows  int
	}{
		{"自评表", self, export.SheetSelfScores, 3},
		{"评分表 first unit", insp, scoreUnits[0].Name, 3},
		{"评分表 last unit", insp, scoreUnits[2].Name, 3},
		{"评分表 one sheet", matrix, export.SheetInspection, 1},
		{"评分汇总", summary, export.SheetScoreSummary, 1},
		{"结果运用", summary, export.SheetResultUse, 1},
		{"问题清单模板", list, export.SheetProblemList, 1},
		{"整改方案模板", plan, export.SheetPlan, 1},
	} {
		if got := frozenRows(t, tc.data, tc.sheet); got != tc.rows {
			t.Errorf("%s (sheet %s): %d rows frozen, want %d", tc.what, tc.sheet, got, tc.rows)
		}
	}
	// The frozen rows are the sheet's head: row 3 of a unit sheet is the
	// header the reader looks for.
	if rows := cellsOf(t, self, export.SheetSelfScores); len(rows) < 3 || rows[2][0] != export.ColCode {
		t.Errorf("自评表 row 3 = %q, want the header", rows[2])
	}
}
