package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/rules"
)

// Sheet names of the problem templates and the ledger's rectification sheet.
const (
	SheetProblemList = "问题清单"
	SheetPlan        = "整改方案"
	SheetProblems    = "整改台账"
)

// Column headers. Sheets are read back by these, never by position, so a
// column moved or added by the office still reads.
const (
	colSeq = "序号"
)

// ProblemListHeader is the first row of the 问题清单 template.
func ProblemListHeader() []string {
	return []string{colSeq, rules.FieldProblem, rules.FieldIndicator, rules.FieldSuggested}
}

// PlanHeader is the first row of the plan template: the problems, then the
// columns the unit fills.
func PlanHeader() []string {
	return []string{colSeq, rules.FieldProblem, rules.FieldMeasure, rules.FieldDue, rules.FieldOwner}
}

// ProblemsHeader is the first row of sheet 整改台账.
func ProblemsHeader() []string {
	return []string{"单位", "编号", rules.FieldProblem, rules.FieldIndicator, rules.FieldMeasure, rules.FieldDue,
		"调整后时限", "状态", "整改佐证", "销号日期", "销号人", "跟踪检查"}
}

// MaxSheetRows bounds what a template read accepts: a unit's list is a few
// dozen problems, never thousands.
const MaxSheetRows = 500

// Errors of a sheet read back; each comes as a *CellError or a
// SheetErrors naming the row and column.
var (
	// ErrNotXLSX: the file is not an .xlsx workbook excelize can open.
	ErrNotXLSX = errors.New("export: not an xlsx workbook")
	// ErrMissingColumn: a required header is not in the sheet.
	ErrMissingColumn = errors.New("export: missing column")
	// ErrBadCell: a cell's value cannot be used.
	ErrBadCell = errors.New("export: bad cell")
	// ErrTooManyRows: more than MaxSheetRows rows.
	ErrTooManyRows = errors.New("export: too many rows")
)

// CellError is one thing wrong in a sheet, with the row (1-based, as the
// spreadsheet shows it) and the column header.
type CellError struct {
	Sheet  string // the sheet, when a workbook has several ("": one sheet)
	Row    int    // 0: the sheet as a whole
	Column string // header text; "" for a whole row
	Msg    string // Chinese, what is wrong
	Err    error
}

func (e *CellError) Error() string {
	return fmt.Sprintf("export: row %d column %q: %s: %v", e.Row, e.Column, e.Msg, e.Err)
}

func (e *CellError) Unwrap() error { return e.Err }

// Chinese is 「第5行“完成时限”列：……」 (or the sheet-wide message), after
// 「工作表“县财政局”」 when the workbook has several sheets.
func (e *CellError) Chinese() string {
	sheet := ""
	if e.Sheet != "" {
		sheet = "工作表“" + e.Sheet + "”"
	}
	switch {
	case e.Row == 0 && sheet != "":
		return sheet + "：" + e.Msg
	case e.Row == 0:
		return e.Msg
	case e.Column == "":
		return fmt.Sprintf("%s第%d行：%s", sheet, e.Row, e.Msg)
	}
	return fmt.Sprintf("%s第%d行“%s”列：%s", sheet, e.Row, e.Column, e.Msg)
}

// SheetErrors is every problem found in one sheet, in row order.
type SheetErrors []*CellError

func (es SheetErrors) Error() string { return rules.ListText(es) }

// Unwrap lets errors.Is see each cell's error.
func (es SheetErrors) Unwrap() []error { return rules.ListUnwrap(es) }

// Chinese lists the problems one a line (at most 10, then a count).
func (es SheetErrors) Chinese() string {
	var lines []string
	for i, e := range es {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("……另有%d处", len(es)-10))
			break
		}
		lines = append(lines, e.Chinese())
	}
	return strings.Join(lines, "\n")
}

// WriteProblemListTemplate writes the blank 问题清单 template for a unit.
func WriteProblemListTemplate(w io.Writer) error {
	return writeTable(w, SheetProblemList, ProblemListHeader(), []float64{6, 60, 12, 14}, nil)
}

// WriteProblemList writes a unit's problem list in the template's columns
// (a list too long for the phone screen goes as this file).
func WriteProblemList(w io.Writer, ps []rules.Problem) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.Seq, p.Text, p.Indicator, dateText(p.SuggestedDue)}
	}
	return writeTable(w, SheetProblemList, ProblemListHeader(), []float64{6, 60, 12, 14}, rows)
}

// ProblemSheets is the problem workbooks as one value for the chat
// (handlers.ProblemSheets): the templates and lists it sends, the filled
// sheets it reads back.
type ProblemSheets struct{}

func (ProblemSheets) WriteProblemListTemplate(w io.Writer) error { return WriteProblemListTemplate(w) }
func (ProblemSheets) WriteProblemList(w io.Writer, ps []rules.Problem) error {
	return WriteProblemList(w, ps)
}
func (ProblemSheets) WritePlanTemplate(w io.Writer, ps []rules.Problem) error {
	return WritePlanTemplate(w, ps)
}
func (ProblemSheets) ReadProblemList(r io.Reader, year int) ([]rules.ProblemLine, error) {
	return ReadProblemList(r, year)
}
func (ProblemSheets) ReadPlan(r io.Reader, year int) ([]rules.PlanLine, error) {
	return ReadPlan(r, year)
}

// WritePlanTemplate writes the plan template prefilled with the unit's
// problems (序号, 问题描述) and the unit's plan so far, for the unit to fill.
func WritePlanTemplate(w io.Writer, ps []rules.Problem) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		due := ""
		if !p.Plan.Due.IsZero() {
			due = p.Plan.Due.String()
		}
		rows[i] = []any{p.Seq, p.Text, p.Plan.Measure, due, p.Plan.Owner}
	}
	return writeTable(w, SheetPlan, PlanHeader(), []float64{6, 50, 50, 14, 12}, rows)
}

func writeTable(w io.Writer, sheet string, header []string, widths []float64, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	sw, err := newSheet(f, sheet) // header row frozen
	if err != nil {
		return err
	}
	setWidths(sw, widths...)
	if err := sw.SetRow("A1", toRow(header)); err != nil {
		return fmt.Errorf("export: %s header: %w", sheet, err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return fmt.Errorf("export: %s row %d: %w", sheet, i+2, err)
		}
	}
	if err := flush(sw, sheet); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("export: write %s: %w", sheet, err)
	}
	return nil
}

// table is a sheet read back: the header row's columns by name.
type table struct {
	headerRow int            // 1-based
	cols      map[string]int // header → 0-based column
	rows      [][]string     // the rows after the header
}

func (t table) cell(row []string, name string) string {
	i, ok := t.cols[name]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// readTable opens the first sheet, finds the header row (one of the first
// five rows holding every required header) and returns the rows below it.
func readTable(r io.Reader, required []string) (table, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return table{}, &CellError{Msg: "文件不是有效的 .xlsx 表格", Err: fmt.Errorf("%w: %w", ErrNotXLSX, err)}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return table{}, &CellError{Msg: "表格中没有工作表", Err: ErrNotXLSX}
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return table{}, &CellError{Msg: "表格无法读取", Err: fmt.Errorf("%w: %w", ErrNotXLSX, err)}
	}
	if len(rows) > MaxSheetRows+5 {
		return table{}, &CellError{Msg: fmt.Sprintf("表格超过%d行，请每个单位一份", MaxSheetRows), Err: ErrTooManyRows}
	}
	var best []string // the missing headers of the row closest to a header
	for i := 0; i < len(rows) && i < 5; i++ {
		cols := headerColumns(rows[i])
		var missing []string
		for _, h := range required {
			if _, ok := cols[h]; !ok {
				missing = append(missing, "“"+h+"”")
			}
		}
		if len(missing) == 0 {
			return table{headerRow: i + 1, cols: cols, rows: rows[i+1:]}, nil
		}
		if best == nil || len(missing) < len(best) {
			best = missing
		}
	}
	if best == nil {
		return table{}, &CellError{Msg: "表格是空的，请使用机器人发送的模板", Err: ErrMissingColumn}
	}
	return table{}, &CellError{Msg: "表头缺少" + strings.Join(best, "、") + "列，请使用机器人发送的模板", Err: ErrMissingColumn}
}

// seqCell reads the 序号 of one row: a positive integer, unique.
func seqCell(v string, row int, seen map[int]bool) (int, *CellError) {
	v = strings.TrimSuffix(strings.TrimSpace(v), ".0") // a number cell typed as 3.0
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 999 {
		return 0, &CellError{Row: row, Column: colSeq, Msg: "“" + v + "”不是序号，请填写1、2、3……", Err: ErrBadCell}
	}
	if seen[n] {
		return 0, &CellError{Row: row, Column: colSeq, Msg: fmt.Sprintf("序号%d重复", n), Err: ErrBadCell}
	}
	seen[n] = true
	return n, nil
}

// dateCell reads a date cell: text as people write it, or a date cell
// excelize shows in its number format.
func dateCell(v string, year int, row int, col string) (rules.Date, *CellError) {
	if v == "" {
		return rules.Date{}, nil
	}
	d, err := rules.ParseLooseDate(v, year)
	if err != nil {
		// A date typed into a date-formatted cell reads as "6-30-27" or as
		// the serial number; try the serial.
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && f > 30000 && f < 80000 {
			if t, terr := excelize.ExcelDateToTime(f, false); terr == nil {
				return rules.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
			}
		}
		return rules.Date{}, &CellError{Row: row, Column: col, Msg: "日期“" + v + "”无法识别，请写成2027-06-30或6月30日", Err: ErrBadCell}
	}
	return d, nil
}

func blankRow(r []string) bool {
	return !slices.ContainsFunc(r, func(c string) bool { return strings.TrimSpace(c) != "" })
}

// ReadProblemList reads a filled 问题清单 template: columns by header
// (序号 and 问题描述 required; 对应指标, 整改时限建议 optional). Blank rows
// are skipped. Every bad cell is named; no item at all is an error.
func ReadProblemList(r io.Reader, year int) ([]rules.ProblemLine, error) {
	t, err := readTable(r, []string{colSeq, rules.FieldProblem})
	if err != nil {
		return nil, err
	}
	var out []rules.ProblemLine
	var errs SheetErrors
	seen := map[int]bool{}
	for i, row := range t.rows {
		n := t.headerRow + 1 + i
		if blankRow(row) {
			continue
		}
		seq, cerr := seqCell(t.cell(row, colSeq), n, seen)
		if cerr != nil {
			errs = append(errs, cerr)
		}
		text := t.cell(row, rules.FieldProblem)
		if text == "" {
			errs = append(errs, &CellError{Row: n, Column: rules.FieldProblem, Msg: "没有填写问题", Err: ErrBadCell})
		}
		due, cerr := dateCell(t.cell(row, rules.FieldSuggested), year, n, rules.FieldSuggested)
		if cerr != nil {
			errs = append(errs, cerr)
		}
		out = append(out, rules.ProblemLine{Seq: seq, Text: text, Indicator: t.cell(row, rules.FieldIndicator), SuggestedDue: due})
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &CellError{Msg: "表格中没有问题，请在表头下逐行填写", Err: ErrBadCell})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// ReadPlan reads a filled plan template: 序号 required, and the unit's
// 整改措施, 完成时限, 责任人 by header. A row with none of them filled is
// not part of the plan. Whether items exist, dates are in range and the
// plan is complete is the rules' (MergePlan, CheckPlan).
func ReadPlan(r io.Reader, year int) ([]rules.PlanLine, error) {
	t, err := readTable(r, []string{colSeq, rules.FieldMeasure, rules.FieldDue})
	if err != nil {
		return nil, err
	}
	var out []rules.PlanLine
	var errs SheetErrors
	seen := map[int]bool{}
	for i, row := range t.rows {
		n := t.headerRow + 1 + i
		measure, dueText, owner := t.cell(row, rules.FieldMeasure), t.cell(row, rules.FieldDue), t.cell(row, rules.FieldOwner)
		if measure == "" && dueText == "" && owner == "" {
			continue
		}
		seq, cerr := seqCell(t.cell(row, colSeq), n, seen)
		if cerr != nil {
			errs = append(errs, cerr)
		}
		due, cerr := dateCell(dueText, year, n, rules.FieldDue)
		if cerr != nil {
			errs = append(errs, cerr)
		}
		out = append(out, rules.PlanLine{Seq: seq, Measure: measure, Due: due, DueText: dueText, Owner: owner})
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &CellError{Msg: "表格中没有填写整改措施或完成时限", Err: ErrBadCell})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// WriteProblemLedger writes a workbook with the one sheet 整改台账 of the
// year (the 整改台账 command).
func (l *Ledger) WriteProblemLedger(ctx context.Context, year int, w io.Writer) error {
	loc := l.loc()
	cal, names, err := l.calendarAndNames(ctx, year)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	if err := f.SetSheetName("Sheet1", SheetProblems); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := l.writeProblems(ctx, f, cal, names, l.Clock.Now(), loc); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("export: write xlsx: %w", err)
	}
	return nil
}

// calendarAndNames reads what every ledger sheet starts from: the year's
// calendar in the ledger's zone and the roster units' names.
func (l *Ledger) calendarAndNames(ctx context.Context, year int) (rules.Calendar, map[string]string, error) {
	cal, err := l.Store.Calendar(ctx, year, l.loc())
	if err != nil {
		return rules.Calendar{}, nil, fmt.Errorf("export: calendar %d: %w", year, err)
	}
	names, err := l.Store.UnitNames(ctx)
	if err != nil {
		return rules.Calendar{}, nil, fmt.Errorf("export: unit names: %w", err)
	}
	return cal, names, nil
}

func (l *Ledger) loc() *time.Location {
	if l.Location == nil {
		return time.UTC
	}
	return l.Location
}

func unitNames(units []rules.Unit) map[string]string {
	names := make(map[string]string, len(units))
	for _, u := range units {
		names[u.Key] = u.Name
	}
	return names
}

// writeProblems streams sheet 整改台账: one row per item of the year's
// view (carry-overs included), with its status at now.
func (l *Ledger) writeProblems(ctx context.Context, f *excelize.File, cal rules.Calendar, names map[string]string, now time.Time, loc *time.Location) error {
	ps, err := l.Store.Problems(ctx, cal.Year, "")
	if err != nil {
		return fmt.Errorf("export: problems %d: %w", cal.Year, err)
	}
	sw, err := newSheet(f, SheetProblems) // header row frozen
	if err != nil {
		return err
	}
	setWidths(sw, 24, 16, 50, 10, 50, 12, 12, 22, 40, 12, 10, 40)
	if err := sw.SetRow("A1", toRow(ProblemsHeader())); err != nil {
		return fmt.Errorf("export: problems header: %w", err)
	}
	for i, p := range ps {
		st := rules.ProblemStatusOf(p, cal, now)
		moved := ""
		if st.Due != p.Plan.Due {
			moved = dateText(st.Due)
		}
		var evidence, visits []string
		for _, e := range p.Events {
			switch e.Kind {
			case rules.EventReported:
				for _, ev := range e.Evidence {
					evidence = append(evidence, ev.Label())
				}
			case rules.EventVisit:
				visits = append(visits, visitText(e))
			}
		}
		closed := ""
		if !st.ClosedAt.IsZero() {
			closed = rules.DateOf(st.ClosedAt, loc).String()
		}
		row := []any{names[p.UnitKey], p.ID, p.Text, p.Indicator, p.Plan.Measure, dateText(p.Plan.Due), moved,
			st.Text(), strings.Join(evidence, "；"), closed, st.ClosedBy, strings.Join(visits, "；")}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("export: problems row %d: %w", i+2, err)
		}
	}
	return flush(sw, SheetProblems)
}

// visitText is one follow-up visit in the ledger: its date, who, the notes
// and the record file with its SHA-256 prefix.
func visitText(e rules.ProblemEvent) string {
	t := dateText(e.Date) + " " + e.Actor
	if e.Reason != "" {
		t += "：" + e.Reason
	}
	for _, ev := range e.Evidence {
		t += "，附" + ev.Label()
	}
	return t
}

func dateText(d rules.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
