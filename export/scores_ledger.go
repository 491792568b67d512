package export

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"dudaobot/rules"
)

// ScoresData is what the 评分汇总 and 结果运用 sheets show: the model, the
// roster, the current scores and the year's report (rules.BuildScoreReport).
type ScoresData struct {
	Year   int
	Model  rules.ScoringModel
	Units  []rules.Unit
	Scores []rules.Score
	Report rules.ScoreReport
}

// ScoresSource loads ScoresData for a year (the app assembles it from
// storage, config and rules). A Ledger without one has no score sheets.
type ScoresSource interface {
	ScoresData(ctx context.Context, year int) (ScoresData, error)
}

// ScoreSummaryHeader is the first row of 评分汇总: two rows per unit (自评
// and 督导评价), one column per indicator, then the totals.
func ScoreSummaryHeader(m rules.ScoringModel) []string {
	h := []string{"序号", ColUnit, "来源"}
	for _, in := range m.Indicators {
		h = append(h, matrixPrefix+in.Code)
	}
	return append(h, "小计（百分制）", "加权总分", "等级", "排名", "缺评分")
}

// ResultUseHeader is the first row of 结果运用.
func ResultUseHeader() []string {
	return []string{"类别", ColUnit, "加权总分", "等级", "排名", "原因"}
}

// WriteScoresWorkbook writes a workbook of the two score sheets alone (成绩
// beyond what fits a phone screen).
func WriteScoresWorkbook(w io.Writer, d ScoresData) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	if err := f.SetSheetName("Sheet1", SheetScoreSummary); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.NewSheet(SheetResultUse); err != nil {
		return fmt.Errorf("export: new sheet %s: %w", SheetResultUse, err)
	}
	if err := writeScoreSheets(f, d); err != nil {
		return err
	}
	return writeFile(f, w)
}

// writeScoreSheets fills the sheets 评分汇总 and 结果运用, which exist.
func writeScoreSheets(f *excelize.File, d ScoresData) error {
	names := unitNames(d.Units)
	cells := map[[3]string]rules.Points{}
	for _, s := range d.Scores {
		cells[[3]string{s.UnitKey, string(s.Source), s.Code}] = s.Points
	}
	sw, err := newSheet(f, SheetScoreSummary) // header row frozen
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(2, 2, 30)
	if err := sw.SetRow("A1", toRow(ScoreSummaryHeader(d.Model))); err != nil {
		return fmt.Errorf("export: %s header: %w", SheetScoreSummary, err)
	}
	line := 2
	for i, r := range d.Report.Results {
		for _, src := range []rules.ScoreSource{rules.SourceSelf, rules.SourceInspection} {
			row := []any{i + 1, names[r.UnitKey], src.Label()}
			for _, in := range d.Model.Indicators {
				switch p, ok := cells[[3]string{r.UnitKey, string(src), in.Code}]; {
				case !d.Model.Applies(r.UnitKey, in.Code):
					row = append(row, notApplicable)
				case ok:
					row = append(row, p.String())
				default:
					row = append(row, "")
				}
			}
			total := ""
			if sr := r.Source(src); sr.Complete {
				total = sr.Total.String()
			}
			weighted, grade, rank := "", "", ""
			if r.Graded {
				weighted, grade, rank = r.Weighted.String(), r.Grade, fmt.Sprint(r.Rank)
			}
			row = append(row, total, weighted, grade, rank, missingText(r))
			cell, _ := excelize.CoordinatesToCellName(1, line)
			if err := sw.SetRow(cell, row); err != nil {
				return fmt.Errorf("export: %s row %d: %w", SheetScoreSummary, line, err)
			}
			line++
		}
	}
	if err := flush(sw, SheetScoreSummary); err != nil {
		return err
	}

	sw, err = newSheet(f, SheetResultUse) // header row frozen
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(2, 2, 30)
	_ = sw.SetColWidth(6, 6, 90)
	if err := sw.SetRow("A1", toRow(ResultUseHeader())); err != nil {
		return fmt.Errorf("export: %s header: %w", SheetResultUse, err)
	}
	for i, e := range d.Report.List {
		r, _ := d.Report.Result(e.UnitKey)
		weighted, grade, rank := "", "", ""
		if r.Graded {
			weighted, grade, rank = r.Weighted.String(), r.Grade, fmt.Sprint(r.Rank)
		}
		row := []any{string(e.Action), names[e.UnitKey], weighted, grade, rank, strings.Join(e.Reasons, "；")}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("export: %s row %d: %w", SheetResultUse, i+2, err)
		}
	}
	return flush(sw, SheetResultUse)
}

// missingText is the 缺评分 cell: the sources still incomplete, or 无适用指标.
func missingText(r rules.UnitResult) string {
	if r.Applicable == 0 {
		return "无适用指标"
	}
	var out []string
	for _, s := range r.Missing {
		sr := r.Source(s)
		out = append(out, fmt.Sprintf("%s缺%d项", s.Label(), r.Applicable-sr.Count))
	}
	return strings.Join(out, "，")
}
