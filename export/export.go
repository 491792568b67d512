// Package export writes the Excel ledger (台账) of one supervision year: the
// compliance table, every received version, the rectification items (整改台账)
// and the indicator system (and, with Ledger.Scores, 评分汇总 and 结果运用); the
// problem-list and plan templates and the score sheets (自评表, 评分表, scores.go),
// read back by column header. It is
// the only package that imports excelize; the CLI (`dudaobot export`) and the
// director's 导出 command both use it.
package export

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/rules"
)

// Store is what the ledger reads (satisfied by *storage.Store).
type Store interface {
	// UnitNames is each roster unit's name by its key: all the ledger
	// takes from the roster.
	UnitNames(ctx context.Context) (map[string]string, error)
	UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error)
	Submissions(ctx context.Context, year int, unitKey string) ([]rules.Submission, error)
	Indicators(ctx context.Context) ([]rules.Indicator, error)
	Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error)
	// Problems is the year's rectification items, carry-overs included.
	Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error)
	// ReportChecks are the saved checks of the units' latest
	// self-assessment reports (the 总览 columns 五部分 and 指标覆盖).
	ReportChecks(ctx context.Context, year int) (map[string]rules.SavedReportCheck, error)
}

// Clock tells the time the ledger is made at (statuses depend on it).
type Clock interface{ Now() time.Time }

// Sheet names, in Chinese because the office reads them.
const (
	SheetOverview    = "总览"
	SheetSubmissions = "提交记录"
	SheetIndicators  = "指标体系"
)

// Ledger writes .xlsx ledgers.
type Ledger struct {
	Store    Store
	Clock    Clock
	Location *time.Location
	// Scores, when set, adds the sheets 评分汇总 and 结果运用.
	Scores ScoresSource
}

// WriteLedger writes the year's ledger as .xlsx to w. Rows are streamed
// (excelize StreamWriter), so a large county history does not build the
// whole sheet in memory.
func (l *Ledger) WriteLedger(ctx context.Context, year int, w io.Writer) error {
	loc := l.loc()
	cal, names, err := l.calendarAndNames(ctx, year)
	if err != nil {
		return err
	}
	uys, err := l.Store.UnitYears(ctx, year)
	if err != nil {
		return fmt.Errorf("export: unit years %d: %w", year, err)
	}
	subs, err := l.Store.Submissions(ctx, year, "")
	if err != nil {
		return fmt.Errorf("export: submissions %d: %w", year, err)
	}
	inds, err := l.Store.Indicators(ctx)
	if err != nil {
		return fmt.Errorf("export: indicators: %w", err)
	}
	checks, err := l.Store.ReportChecks(ctx, year)
	if err != nil {
		return fmt.Errorf("export: report checks %d: %w", year, err)
	}
	now := l.Clock.Now()

	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	if err := f.SetSheetName("Sheet1", SheetOverview); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, s := range []string{SheetSubmissions, SheetProblems, SheetIndicators} {
		if _, err := f.NewSheet(s); err != nil {
			return fmt.Errorf("export: new sheet %s: %w", s, err)
		}
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	asOf := rules.DateOf(now, loc).Chinese()
	for _, s := range []string{SheetOverview, SheetSubmissions, SheetProblems, SheetIndicators} {
		if err := printSetup(f, s, fmt.Sprintf("%d年督导评价台账·%s（截至%s）", year, s, asOf)); err != nil {
			return err
		}
	}
	if err := writeOverview(f, st, cal, uys, names, checks, now, loc); err != nil {
		return err
	}
	if err := writeSubmissions(f, st, subs, names, loc); err != nil {
		return err
	}
	if err := l.writeProblems(ctx, f, cal, names, now, loc); err != nil {
		return err
	}
	if err := writeIndicators(f, st, inds); err != nil {
		return err
	}
	if l.Scores != nil {
		d, err := l.Scores.ScoresData(ctx, year)
		if err != nil {
			return fmt.Errorf("export: scores %d: %w", year, err)
		}
		for _, s := range []string{SheetScoreSummary, SheetResultUse} {
			if _, err := f.NewSheet(s); err != nil {
				return fmt.Errorf("export: new sheet %s: %w", s, err)
			}
			if err := printSetup(f, s, fmt.Sprintf("%d年督导评价台账·%s（截至%s）", year, s, asOf)); err != nil {
				return err
			}
		}
		if err := writeScoreSheets(f, d); err != nil {
			return err
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("export: write xlsx: %w", err)
	}
	return nil
}

// Columns of sheet 总览 after the stages: the content check of the unit's
// latest self-assessment report.
const (
	ColReportParts    = "五部分"
	ColReportCoverage = "指标覆盖"
)

// OverviewHeader is the first row of sheet 总览: per stage a status column,
// a date column and a submission time, then the latest report's check.
func OverviewHeader() []string {
	h := []string{"序号", "单位"}
	for _, s := range rules.AllStages {
		h = append(h, s.Label()+"状态", s.Label()+"截止日期", s.Label()+"提交时间")
	}
	return append(h, ColReportParts, ColReportCoverage)
}

// checkCells are the 五部分 and 指标覆盖 cells of a unit: from the check
// of its latest version (齐全, or the parts missing; covered/checked), 未检查
// while that version has no check, the reason when its text was not read,
// empty before any report.
func checkCells(uy rules.UnitYear, s rules.SavedReportCheck, checked bool) (parts, coverage string) {
	if uy.Versions[rules.StageSelfAssessment] == 0 {
		return "", ""
	}
	if !checked || s.Version != uy.Versions[rules.StageSelfAssessment] {
		return "未检查", ""
	}
	if s.Check.Unread != "" {
		return "未自动检查（" + s.Check.Unread + "）", ""
	}
	c, _ := s.Current(uy)
	parts = "齐全"
	if len(c.MissingParts) > 0 {
		missing := make([]string, len(c.MissingParts))
		for i, p := range c.MissingParts {
			missing[i] = string(p)
		}
		parts = "缺" + strings.Join(missing, "、")
	}
	return parts, fmt.Sprintf("%d/%d", len(c.Covered), c.Indicators)
}

func writeOverview(f *excelize.File, sty styles, cal rules.Calendar, uys []rules.UnitYear, names map[string]string, checks map[string]rules.SavedReportCheck, now time.Time, loc *time.Location) error {
	sw, err := newSheet(f, SheetOverview)
	if err != nil {
		return err
	}
	// Widths in characters; a Chinese character is about two.
	_ = sw.SetColWidth(1, 1, 6)
	_ = sw.SetColWidth(2, 2, 30)
	for i := range rules.AllStages {
		c := 3 + 3*i
		_ = sw.SetColWidth(c, c, 15)
		_ = sw.SetColWidth(c+1, c+1, 12)
		_ = sw.SetColWidth(c+2, c+2, 20)
	}
	last := 3 + 3*len(rules.AllStages)
	_ = sw.SetColWidth(last, last, 24)
	_ = sw.SetColWidth(last+1, last+1, 10)
	if err := sw.SetRow("A1", sty.header(OverviewHeader()), headerRow); err != nil {
		return fmt.Errorf("export: overview header: %w", err)
	}
	for i, uy := range uys {
		row := []interface{}{excelize.Cell{StyleID: sty.body, Value: i + 1}, excelize.Cell{StyleID: sty.body, Value: names[uy.UnitKey]}}
		for _, st := range rules.UnitStatus(cal, uy, now) {
			due := ""
			if st.Deadline.Open {
				due = st.Deadline.DueDate.String()
			}
			row = append(row, excelize.Cell{StyleID: sty.status[rules.ColorOf(st.Kind)], Value: st.Text()},
				excelize.Cell{StyleID: sty.body, Value: due}, excelize.Cell{StyleID: sty.body, Value: fmtTime(st.SubmittedAt, loc)})
		}
		sc, checked := checks[uy.UnitKey]
		parts, coverage := checkCells(uy, sc, checked)
		row = append(row, excelize.Cell{StyleID: sty.body, Value: parts}, excelize.Cell{StyleID: sty.body, Value: coverage})
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("export: overview row %d: %w", i+2, err)
		}
	}
	return flush(sw, SheetOverview)
}

// SubmissionsHeader is the first row of sheet 提交记录.
func SubmissionsHeader() []string {
	return []string{"单位", "阶段", "版本", "文件名", "大小（字节）", "SHA-256", "收到时间", "是否按时", "报送人"}
}

func writeSubmissions(f *excelize.File, sty styles, subs []rules.Submission, names map[string]string, loc *time.Location) error {
	sw, err := newSheet(f, SheetSubmissions)
	if err != nil {
		return err
	}
	setWidths(sw, 30, 14, 6, 36, 12, 66, 20, 9, 16)
	if err := sw.SetRow("A1", sty.header(SubmissionsHeader()), headerRow); err != nil {
		return fmt.Errorf("export: submissions header: %w", err)
	}
	for i, s := range subs {
		onTime := "是"
		if !s.OnTime {
			onTime = "否"
		}
		if s.Stage == rules.StageSupporting {
			onTime = "—"
		}
		row := sty.row(names[s.UnitKey], s.Stage.Label(), s.Version, s.OriginalName, s.Size, s.SHA256, fmtTime(s.ReceivedAt, loc), onTime, s.Official)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("export: submissions row %d: %w", i+2, err)
		}
	}
	return flush(sw, SheetSubmissions)
}

// IndicatorsHeader is the first row of sheet 指标体系.
func IndicatorsHeader() []string {
	return []string{"级别", "编号", "上级编号", "内容", "量化标准"}
}

func writeIndicators(f *excelize.File, sty styles, inds []rules.Indicator) error {
	sw, err := newSheet(f, SheetIndicators)
	if err != nil {
		return err
	}
	setWidths(sw, 10, 9, 9, 90, 50)
	if err := sw.SetRow("A1", sty.header(IndicatorsHeader()), headerRow); err != nil {
		return fmt.Errorf("export: indicators header: %w", err)
	}
	levels := map[int]string{1: "一级指标", 2: "二级指标", 3: "三级指标"}
	for i, in := range inds {
		th := ""
		for j, t := range in.Thresholds {
			if j > 0 {
				th += "；"
			}
			th += t
		}
		row := sty.row(levels[in.Level], in.Code, in.ParentCode, in.Text, th)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("export: indicators row %d: %w", i+2, err)
		}
	}
	return flush(sw, SheetIndicators)
}

// fastZip deflates at the fastest level: a ledger is read once by a person
// and sent over WeChat, and deflate at the default level was most of the
// export's time (the file is about 10% larger this way).
func fastZip(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

func flush(sw *excelize.StreamWriter, sheet string) error {
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: flush %s: %w", sheet, err)
	}
	return nil
}

func toRow(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}
