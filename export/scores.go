package export

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"dudaobot/rules"
)

// Score sheets: the 自评表 a unit fills (its applicable indicators, full
// points, 自评分, 说明/佐证), the 评分表 the inspectors fill (one sheet per
// unit with 督导评分, or one sheet of units × indicators), and the ledger's
// 评分汇总 and 结果运用. Every sheet is read back by its headers.
const (
	SheetSelfScores   = "自评表"
	SheetInspection   = "评分表"
	SheetScoreSummary = "评分汇总"
	SheetResultUse    = "结果运用"
)

// Column headers of the score sheets.
const (
	ColUnit       = "单位"
	ColCode       = "指标编号"
	ColContent    = "评价内容"
	ColMax        = "分值"
	ColSelfScore  = "自评分"
	ColEvidence   = "说明/佐证"
	ColInspScore  = "督导评分"
	ColRemark     = "评分说明"
	matrixPrefix  = "指标"
	matrixMaxName = "满分"
	notApplicable = "—"
)

// SelfScoresHeader is the header row of the 自评表.
func SelfScoresHeader() []string {
	return []string{ColCode, ColContent, ColMax, ColSelfScore, ColEvidence}
}

// InspectionHeader is the header row of each unit's sheet of the 评分表.
func InspectionHeader() []string {
	return []string{ColCode, ColContent, ColMax, ColInspScore, ColRemark}
}

// MatrixHeader is the header row of the one-sheet 评分表: 单位, then 指标1,
// 指标2, … for every indicator of the model.
func MatrixHeader(m rules.ScoringModel) []string {
	h := []string{ColUnit}
	for _, in := range m.Indicators {
		h = append(h, matrixPrefix+in.Code)
	}
	return h
}

// ErrScoreSheet: the workbook holds no 自评表 or 评分表 sheet.
var ErrScoreSheet = errors.New("export: not a score sheet")

// indicatorTexts maps a third-level code to its text.
func indicatorTexts(inds []rules.Indicator) map[string]string {
	out := make(map[string]string, len(inds))
	for _, in := range inds {
		if in.Level == 3 {
			out[in.Code] = in.Text
		}
	}
	return out
}

// unitSheetHeadRows are a unit sheet's rows above the indicators: the
// title, the unit and the header.
const unitSheetHeadRows = 3

// unitSheet writes one unit's sheet: a title, the unit row and the
// indicator rows with an empty score column.
func unitSheet(f *excelize.File, sheet, title string, u rules.Unit, header []string, m rules.ScoringModel, texts map[string]string) error {
	sw, err := newSheetFrozen(f, sheet, unitSheetHeadRows) // title, unit and header rows stay in view
	if err != nil {
		return err
	}
	setWidths(sw, 10, 70, 8, 10, 40)
	rows := [][]any{{title}, {ColUnit, u.Name}, toRow(header)}
	for _, in := range m.Applicable(u.Key) {
		rows = append(rows, []any{in.Code, texts[in.Code], in.Max.String(), "", ""})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			return fmt.Errorf("export: %s row %d: %w", sheet, i+1, err)
		}
	}
	return flush(sw, sheet)
}

// WriteSelfScoresTemplate writes the 自评表 of one unit for year: the
// indicators that apply to it with their full points; the unit fills 自评分
// and 说明/佐证.
func WriteSelfScoresTemplate(w io.Writer, year int, u rules.Unit, m rules.ScoringModel, inds []rules.Indicator) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetSelfScores); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	title := fmt.Sprintf("%d年度履行教育职责自评表（满分按百分制折算；自评分最多两位小数）", year)
	if err := unitSheet(f, SheetSelfScores, title, u, SelfScoresHeader(), m, indicatorTexts(inds)); err != nil {
		return err
	}
	return writeFile(f, w)
}

// WriteInspectionTemplate writes the 评分表 for year: one sheet per unit
// (named after the unit), each with the unit's applicable indicators and
// an empty 督导评分 column.
func WriteInspectionTemplate(w io.Writer, year int, units []rules.Unit, m rules.ScoringModel, inds []rules.Indicator) error {
	f := excelize.NewFile()
	defer f.Close()
	texts := indicatorTexts(inds)
	title := fmt.Sprintf("%d年度督导评分表（每个单位一页；只填要评的格，空格不改变已有评分）", year)
	for i, u := range units {
		sheet := sheetName(u.Name)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return fmt.Errorf("export: new sheet %s: %w", sheet, err)
		}
		if err := unitSheet(f, sheet, title, u, InspectionHeader(), m, texts); err != nil {
			return err
		}
	}
	return writeFile(f, w)
}

// WriteInspectionMatrix writes the one-sheet 评分表: a row per unit, a
// column per indicator, the full points in the first row, 「—」 where an
// indicator does not apply.
func WriteInspectionMatrix(w io.Writer, units []rules.Unit, m rules.ScoringModel) error {
	rows := [][]any{}
	maxRow := []any{matrixMaxName}
	for _, in := range m.Indicators {
		maxRow = append(maxRow, in.Max.String())
	}
	rows = append(rows, maxRow)
	for _, u := range units {
		r := []any{u.Name}
		for _, in := range m.Indicators {
			if m.Applies(u.Key, in.Code) {
				r = append(r, "")
			} else {
				r = append(r, notApplicable)
			}
		}
		rows = append(rows, r)
	}
	widths := []float64{30}
	for range m.Indicators {
		widths = append(widths, 7)
	}
	return writeTable(w, SheetInspection, MatrixHeader(m), widths, rows)
}

// sheetName makes a unit name a valid sheet name (31 characters at most,
// none of : \ / ? * [ ]).
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, name)
	if rs := []rune(name); len(rs) > 31 {
		name = string(rs[:31])
	}
	return name
}

func writeFile(f *excelize.File, w io.Writer) error {
	if err := f.Write(w); err != nil {
		return fmt.Errorf("export: write xlsx: %w", err)
	}
	return nil
}

// BlankCell is an applicable indicator a sheet left without a score.
type BlankCell struct {
	Sheet   string
	Row     int
	UnitKey string
	Code    string
}

// ScoreSheet is a filled 自评表 or 评分表 read back and checked.
type ScoreSheet struct {
	Source rules.ScoreSource
	// Scores are the filled cells in sheet order (Year, UnitKey, Code,
	// Source, Points, Note set).
	Scores []rules.Score
	// Units are the units the sheet scores, in sheet order.
	Units []string
	// Blank are applicable indicators left empty (kept as they were).
	Blank []BlankCell
}

// ScoreSheetInput is what reading a score sheet checks against.
type ScoreSheetInput struct {
	Year  int
	Model rules.ScoringModel
	Units []rules.Unit
}

// sheetErr is a bad cell; sheet names the sheet when a workbook has
// several ("" otherwise).
func sheetErr(sheet string, row int, col, msg string) *CellError {
	return &CellError{Sheet: sheet, Row: row, Column: col, Msg: msg, Err: ErrBadCell}
}

// ReadScoreSheet reads a filled 自评表 or 评分表 (either layout), recognised
// by its headers, not by position. Every problem is reported at once as
// SheetErrors naming the row and column: a score that is text, negative,
// with more than two decimals, over the indicator's points, for an
// indicator that does not apply to the unit, an unknown unit or indicator,
// a cell given twice. Empty score cells are not errors: they are listed in
// Blank and leave the stored score as it is.
func ReadScoreSheet(r io.Reader, in ScoreSheetInput) (ScoreSheet, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return ScoreSheet{}, &CellError{Msg: "文件不是有效的 .xlsx 表格", Err: fmt.Errorf("%w: %w", ErrNotXLSX, err)}
	}
	defer f.Close()
	rd := scoreReader{in: in, seen: map[[2]string]cellAddr{}}
	sheets := f.GetSheetList()
	for _, sheet := range sheets {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return ScoreSheet{}, &CellError{Msg: "表格无法读取", Err: fmt.Errorf("%w: %w", ErrNotXLSX, err)}
		}
		if len(rows) > MaxSheetRows+5 {
			return ScoreSheet{}, &CellError{Msg: fmt.Sprintf("工作表“%s”超过%d行", sheet, MaxSheetRows), Err: ErrTooManyRows}
		}
		name := sheet
		if len(sheets) == 1 {
			name = "" // one sheet: rows alone are clear
		}
		rd.sheet(name, sheet, rows)
	}
	if rd.out.Source == "" {
		return ScoreSheet{}, &CellError{Msg: "表格中没有找到“自评分”或“督导评分”列，请使用机器人发送的自评表或评分表", Err: ErrScoreSheet}
	}
	if len(rd.errs) > 0 {
		return ScoreSheet{}, rd.errs
	}
	if len(rd.out.Scores) == 0 {
		return ScoreSheet{}, SheetErrors{&CellError{Msg: "表格中没有填写任何分数", Err: ErrBadCell}}
	}
	return rd.out, nil
}

type scoreReader struct {
	in   ScoreSheetInput
	out  ScoreSheet
	errs SheetErrors
	seen map[[2]string]cellAddr // (unit, code) → where it was given
}

// cellAddr is where a sheet gave a cell: the sheet ("" in a one-sheet
// workbook) and the row.
type cellAddr struct {
	sheet string
	row   int
}

// findHeader returns the 1-based header row among the first five rows
// holding every name, with the columns by header.
func findHeader(rows [][]string, names ...string) (int, map[string]int) {
	for i := 0; i < len(rows) && i < 5; i++ {
		cols := headerColumns(rows[i])
		ok := true
		for _, n := range names {
			if _, has := cols[n]; !has {
				ok = false
			}
		}
		if ok {
			return i + 1, cols
		}
	}
	return 0, nil
}

// headerColumns maps each header name of a row (trimmed; the first of
// equal names) to its 0-based column: how every sheet reader finds its
// columns, wherever the sender moved them.
func headerColumns(row []string) map[string]int {
	cols := map[string]int{}
	for j, c := range row {
		c = strings.TrimSpace(c)
		if _, dup := cols[c]; c != "" && !dup {
			cols[c] = j
		}
	}
	return cols
}

func cellAt(row []string, col int) string {
	if col < 0 || col >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[col])
}

func (rd *scoreReader) source(name string, s rules.ScoreSource) bool {
	if rd.out.Source != "" && rd.out.Source != s {
		rd.errs = append(rd.errs, sheetErr(name, 0, "", "一个文件里既有自评分又有督导评分，请分开发送"))
		return false
	}
	rd.out.Source = s
	return true
}

// matchUnit finds a unit by its exact name, key or alias.
func (rd *scoreReader) matchUnit(s string) (rules.Unit, bool) {
	s = strings.TrimSpace(s)
	for _, u := range rd.in.Units {
		if u.Name == s || u.Key == s || slices.Contains(u.Aliases, s) {
			return u, true
		}
	}
	return rules.Unit{}, false
}

// unit finds the unit a sheet names at row and counts it among the units
// read; an unknown name is an error of the row's 单位 cell.
func (rd *scoreReader) unit(name string, row int, text string) (rules.Unit, bool) {
	u, ok := rd.matchUnit(text)
	if !ok {
		rd.errs = append(rd.errs, sheetErr(name, row, ColUnit, fmt.Sprintf("没有名为“%s”的单位，请写单位全称", text)))
		return u, false
	}
	if !slices.Contains(rd.out.Units, u.Key) {
		rd.out.Units = append(rd.out.Units, u.Key)
	}
	return u, true
}

func (rd *scoreReader) sheet(name, sheet string, rows [][]string) {
	if hr, cols := findHeader(rows, ColCode, ColSelfScore); hr > 0 {
		if rd.source(name, rules.SourceSelf) {
			rd.unitSheet(name, sheet, rows, hr, cols, ColSelfScore, ColEvidence)
		}
		return
	}
	if hr, cols := findHeader(rows, ColCode, ColInspScore); hr > 0 {
		if rd.source(name, rules.SourceInspection) {
			rd.unitSheet(name, sheet, rows, hr, cols, ColInspScore, ColRemark)
		}
		return
	}
	if hr, cols := findHeader(rows, ColUnit); hr > 0 {
		for h := range cols {
			if strings.HasPrefix(h, matrixPrefix) {
				if rd.source(name, rules.SourceInspection) {
					rd.matrix(name, rows, hr, cols)
				}
				return
			}
		}
	}
	// Any other sheet (notes, a copy of the indicators) is not read.
}

// unitSheet reads one unit's sheet: the unit from the 「单位」 row above
// the header (or, without one, the sheet's name), then one indicator a row.
func (rd *scoreReader) unitSheet(name, sheet string, rows [][]string, hr int, cols map[string]int, scoreCol, noteCol string) {
	unitText, unitRow := "", 0
	for i := 0; i < hr-1; i++ {
		for j, c := range rows[i] {
			if strings.TrimSpace(c) == ColUnit {
				unitText, unitRow = cellAt(rows[i], j+1), i+1
			}
		}
	}
	if unitRow == 0 {
		unitText = sheet
	}
	u, ok := rd.unit(name, unitRow, unitText)
	if !ok {
		return
	}
	for i := hr; i < len(rows); i++ {
		n := i + 1
		row := rows[i]
		if blankRow(row) {
			continue
		}
		code := strings.TrimSuffix(cellAt(row, cols[ColCode]), ".0")
		note := ""
		if c, ok := cols[noteCol]; ok {
			note = cellAt(row, c)
		}
		rd.cell(name, n, scoreCol, u, code, cellAt(row, cols[scoreCol]), note)
	}
}

// matrix reads the one-sheet 评分表: 单位 per row, 指标N per column.
func (rd *scoreReader) matrix(name string, rows [][]string, hr int, cols map[string]int) {
	type col struct {
		header, code string
		at           int
	}
	var codes []col
	for h, at := range cols {
		if code, ok := strings.CutPrefix(h, matrixPrefix); ok {
			if _, known := rd.in.Model.Indicator(code); !known {
				rd.errs = append(rd.errs, sheetErr(name, hr, h, fmt.Sprintf("没有指标%s（三级指标为1至%d）", code, len(rd.in.Model.Indicators))))
				continue
			}
			codes = append(codes, col{h, code, at})
		}
	}
	slices.SortFunc(codes, func(a, b col) int { return a.at - b.at })
	for i := hr; i < len(rows); i++ {
		n := i + 1
		row := rows[i]
		unitText := cellAt(row, cols[ColUnit])
		if blankRow(row) || unitText == matrixMaxName {
			continue
		}
		u, ok := rd.unit(name, n, unitText)
		if !ok {
			continue
		}
		for _, c := range codes {
			v := cellAt(row, c.at)
			if v == notApplicable && !rd.in.Model.Applies(u.Key, c.code) {
				continue
			}
			rd.cell(name, n, c.header, u, c.code, v, "")
		}
	}
}

// cell checks one score and keeps it, or records what is wrong.
func (rd *scoreReader) cell(name string, n int, column string, u rules.Unit, code, v, note string) {
	m := rd.in.Model
	in, known := m.Indicator(code)
	switch {
	case code == "":
		rd.errs = append(rd.errs, sheetErr(name, n, ColCode, "没有填写指标编号"))
		return
	case !known:
		rd.errs = append(rd.errs, sheetErr(name, n, ColCode, fmt.Sprintf("没有指标“%s”（三级指标为1至%d）", code, len(m.Indicators))))
		return
	}
	if v == "" {
		if m.Applies(u.Key, code) {
			rd.out.Blank = append(rd.out.Blank, BlankCell{Sheet: name, Row: n, UnitKey: u.Key, Code: code})
		}
		return
	}
	p, err := rules.ParsePoints(v)
	if err == nil {
		err = m.CheckScore(u.Key, code, p)
	}
	msg := ""
	switch {
	case errors.Is(err, rules.ErrScoreNotNumber):
		msg = fmt.Sprintf("“%s”不是数字，请只填分数，如2.5", v)
	case errors.Is(err, rules.ErrScoreNegative):
		msg = fmt.Sprintf("分数不能为负数（填的是%s）", v)
	case errors.Is(err, rules.ErrScoreTooPrecise):
		msg = fmt.Sprintf("最多保留两位小数（填的是%s）", v)
	case errors.Is(err, rules.ErrScoreOverMax):
		msg = fmt.Sprintf("%s分超过指标%s的分值%s分", v, code, in.Max)
	case errors.Is(err, rules.ErrScoreNotApplied):
		msg = fmt.Sprintf("指标%s不适用于%s，请留空", code, u.Name)
	case err != nil:
		msg = err.Error()
	}
	if msg != "" {
		rd.errs = append(rd.errs, sheetErr(name, n, column, msg))
		return
	}
	k := [2]string{u.Key, code}
	if first, dup := rd.seen[k]; dup {
		where := fmt.Sprintf("第%d行", first.row)
		if first.sheet != name {
			where = fmt.Sprintf("工作表“%s”第%d行", first.sheet, first.row)
		}
		rd.errs = append(rd.errs, sheetErr(name, n, column, fmt.Sprintf("%s指标%s重复（%s已填）", u.Name, code, where)))
		return
	}
	rd.seen[k] = cellAddr{name, n}
	rd.out.Scores = append(rd.out.Scores, rules.Score{Year: rd.in.Year, UnitKey: u.Key, Code: code,
		Source: rd.out.Source, Points: p, Note: note})
}
