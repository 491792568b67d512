package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"dudaobot/rules"
)

// ScoreSheets reads and writes the score templates; app adapts export to
// it (handlers never imports export).
type ScoreSheets interface {
	// ReadScores reads a filled 自评表 or 评分表 stored at path (as Files
	// gave it) and checks every cell against the scoring model and the
	// roster. A sheet with any bad cell is a *SheetRefusal naming each.
	ReadScores(ctx context.Context, path string, year int) (ScoreSheet, error)
	// SelfTemplate writes a unit's blank 自评表, InspectionTemplate the
	// blank 评分表 (one sheet per scored unit).
	SelfTemplate(ctx context.Context, year int, u rules.Unit, w io.Writer) error
	InspectionTemplate(ctx context.Context, year int, w io.Writer) error
	// ScoresWorkbook writes the results rep over the cells scores as the
	// ledger's 评分汇总 and 结果运用 sheets (成绩 and 结果清单 beyond a
	// phone screen).
	ScoresWorkbook(ctx context.Context, year int, rep rules.ScoreReport, scores []rules.Score, w io.Writer) error
}

// ScoreSheet is a filled score sheet whose every cell passed the checks.
type ScoreSheet struct {
	Source rules.ScoreSource
	Scores []rules.Score // the filled cells, in sheet order
	Units  []string      // the units scored, in sheet order
	Blank  []BlankCell   // applicable cells left empty: they keep their value
}

// BlankCell is an applicable indicator a sheet left without a score.
type BlankCell struct {
	Sheet   string // "" when the workbook has one sheet
	Row     int
	UnitKey string
	Code    string
}

// SheetRefusal is a sheet that cannot be used: one Chinese line per bad
// cell, 「第5行“自评分”列：……」. Nothing of such a sheet is stored.
type SheetRefusal struct {
	Problems []string
}

func (e *SheetRefusal) Error() string {
	return "handlers: sheet refused: " + strings.Join(e.Problems, "; ")
}

// maxSheetProblems and maxSheetUnits keep a sheet's answers to a phone
// screen: the first problems, the first units, then a count.
const (
	maxSheetProblems = 8
	maxSheetUnits    = 10
)

// confirmScores is a read score sheet waiting for 确认 (confirm.go).
const confirmScores = "scores"

func (d *scores) sheetsEnabled() error {
	if err := d.enabled(); err != nil {
		return err
	}
	if d.o.ScoreSheets == nil {
		return userErr(ErrBadInput, "评分功能暂未启用，请联系管理员。")
	}
	return nil
}

// receiveSheet is a filled 自评表 or 评分表 (the recogniser's handler): it
// checks every cell and answers with the problems, or with a summary
// waiting for 确认. Nothing is stored before 确认.
func (d *scores) receiveSheet(ctx context.Context, r *Request, doc stored) error {
	sh, err := d.readSheet(ctx, r, doc)
	if err != nil {
		return err
	}
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmScores, File: &doc}, d.sheetSummary(doc, sh))
}

// readSheet reads and checks a stored sheet and whether the sender may
// send it: an official only their own unit's 自评表; the inspectors and
// the directors the 评分表.
func (d *scores) readSheet(ctx context.Context, r *Request, doc stored) (ScoreSheet, error) {
	if err := d.sheetsEnabled(); err != nil {
		return ScoreSheet{}, err
	}
	sh, err := d.o.ScoreSheets.ReadScores(ctx, doc.Path, d.year)
	var refused *SheetRefusal
	switch {
	case errors.As(err, &refused):
		return ScoreSheet{}, userErr(ErrBadInput, refusalText(doc.Name, refused))
	case err != nil:
		return ScoreSheet{}, fmt.Errorf("handlers: read score sheet %s: %w", doc.Path, err)
	}
	switch sh.Source {
	case rules.SourceSelf:
		if r.ID.Role != rules.RoleOfficial {
			return ScoreSheet{}, userErr(ErrForbidden, fmt.Sprintf("《%s》是自评表，未登记。自评表由各责任单位联系人报送本单位的自评分。", doc.Name))
		}
		for _, u := range sh.Units {
			if u != r.ID.UnitKey {
				return ScoreSheet{}, userErr(ErrForbidden, fmt.Sprintf("《%s》填的是%s的自评分，未登记。您只能报送本单位（%s）的自评表。",
					doc.Name, d.unitName(u), d.unitName(r.ID.UnitKey)))
			}
		}
	case rules.SourceInspection:
		if r.ID.Role != rules.RoleDirector && r.ID.Role != rules.RoleInspector {
			return ScoreSheet{}, userErr(ErrForbidden, fmt.Sprintf("《%s》是评分表，未登记。评分表由督学或督导办主任报送。", doc.Name))
		}
	}
	return sh, nil
}

// refusalText names each bad cell (the first few) and says that nothing of
// the sheet was stored.
func refusalText(name string, e *SheetRefusal) string {
	lines := []string{fmt.Sprintf("《%s》有%d处需要修改，本表的分数都未登记：", name, len(e.Problems))}
	for i, p := range e.Problems {
		if i == maxSheetProblems {
			lines = append(lines, fmt.Sprintf("……另有%d处", len(e.Problems)-maxSheetProblems))
			break
		}
		lines = append(lines, p)
	}
	lines = append(lines, "请改正后把整张表重新发送。")
	return strings.Join(lines, "\n")
}

// sheetUnits are the units a sheet gives at least one score, in sheet
// order, with their cells and sums; a unit whose sheet is left wholly
// blank is not among them (its scores stay as they are).
func sheetUnits(sh ScoreSheet) (units []string, cells map[string]int, sums map[string]rules.Points) {
	cells, sums = map[string]int{}, map[string]rules.Points{}
	for _, s := range sh.Scores {
		cells[s.UnitKey]++
		sums[s.UnitKey] += s.Points
	}
	for _, u := range sh.Units {
		if cells[u] > 0 {
			units = append(units, u)
		}
	}
	return units, cells, sums
}

// sheetSummary is the preview of a clean sheet: the units, the cells and
// each unit's sum in the sheet, the blank cells of those units.
func (d *scores) sheetSummary(doc stored, sh ScoreSheet) string {
	units, cells, sums := sheetUnits(sh)
	var lines []string
	if len(units) == 1 {
		u := units[0]
		lines = append(lines, fmt.Sprintf("《%s》：%s的%s分，填了%d项，合计%s分。",
			doc.Name, d.unitName(u), sh.Source.Label(), cells[u], sums[u]))
	} else {
		lines = append(lines, fmt.Sprintf("《%s》：%s分，%d个单位共%d项：", doc.Name, sh.Source.Label(), len(units), len(sh.Scores)))
		for i, u := range units {
			if i == maxSheetUnits {
				lines = append(lines, fmt.Sprintf("……等%d个单位", len(units)))
				break
			}
			lines = append(lines, fmt.Sprintf("%s：%d项，合计%s分", d.unitName(u), cells[u], sums[u]))
		}
	}
	var blank []BlankCell
	for _, b := range sh.Blank {
		if cells[b.UnitKey] > 0 {
			blank = append(blank, b)
		}
	}
	if n := len(blank); n > 0 {
		lines = append(lines, fmt.Sprintf("留空%d格（%s），已有的分数不变。", n, blankRows(blank)))
	}
	if n := len(sh.Units) - len(units); n > 0 {
		lines = append(lines, fmt.Sprintf("另有%d个单位一格未填，分数不变。", n))
	}
	lines = append(lines, "确认后登记：只替换本表填写的格，以往的分数都留有记录。")
	return strings.Join(lines, "\n")
}

// blankRows names the first blank cells by row.
func blankRows(bs []BlankCell) string {
	var parts []string
	for _, b := range bs[:min(len(bs), 5)] {
		if b.Sheet != "" {
			parts = append(parts, fmt.Sprintf("“%s”第%d行", b.Sheet, b.Row))
		} else {
			parts = append(parts, fmt.Sprintf("第%d行", b.Row))
		}
	}
	if len(bs) > 5 {
		return strings.Join(parts, "、") + "等"
	}
	return strings.Join(parts, "、")
}

// storeScoreSheet runs a confirmed sheet: it is read again from the stored file
// (content-addressed: the very file previewed), then every cell is saved in
// one transaction with the receipt, which states each unit's total after
// the sheet.
func (d *scores) storeScoreSheet(ctx context.Context, r *Request, doc stored) error {
	sh, err := d.readSheet(ctx, r, doc)
	if err != nil {
		return err
	}
	text, err := d.sheetReceipt(ctx, doc, sh)
	if err != nil {
		return err
	}
	if _, err := d.o.Scores.SaveScores(ctx, d.year, sh.Scores, r.ID.Remark, []rules.Outgoing{d.replyMsg(r, text)}); err != nil {
		return fmt.Errorf("handlers: save scores %s: %w", doc.Path, err)
	}
	return nil
}

// sheetReceipt says what the sheet changed and each unit's total of the
// source once it is stored: its current cells with the sheet's laid over.
func (d *scores) sheetReceipt(ctx context.Context, doc stored, sh ScoreSheet) (string, error) {
	units, _, _ := sheetUnits(sh)
	added, changed := 0, 0
	lines := []string{""}
	for i, u := range units {
		cur, err := d.o.Scores.Scores(ctx, d.year, u)
		if err != nil {
			return "", fmt.Errorf("handlers: scores %s: %w", u, err)
		}
		after := map[string]rules.Points{}
		for _, c := range cur {
			if c.Source == sh.Source {
				after[c.Code] = c.Points
			}
		}
		for _, s := range sh.Scores {
			if s.UnitKey != u {
				continue
			}
			switch old, ok := after[s.Code]; {
			case !ok:
				added++
			case old != s.Points:
				changed++
			}
			after[s.Code] = s.Points
		}
		if i < maxSheetUnits {
			lines = append(lines, d.unitTotalLine(u, sh.Source, after))
		}
	}
	if len(units) > maxSheetUnits {
		lines = append(lines, fmt.Sprintf("……等%d个单位", len(units)))
	}
	what := fmt.Sprintf("新登记%d项", added)
	switch {
	case added > 0 && changed > 0:
		what = fmt.Sprintf("新登记%d项，改动%d项", added, changed)
	case changed > 0:
		what = fmt.Sprintf("改动%d项", changed)
	case added == 0:
		what = "与已登记的分数相同"
	}
	lines[0] = fmt.Sprintf("【回执】已登记《%s》的%s分%d项（%s）。", doc.Name, sh.Source.Label(), len(sh.Scores), what)
	return strings.Join(lines, "\n"), nil
}

// unitTotalLine is one unit's total of a source over its applicable
// indicators, and the indicators still missing.
func (d *scores) unitTotalLine(u string, src rules.ScoreSource, got map[string]rules.Points) string {
	var sum, full rules.Points
	var missing []string
	applicable := d.o.Scoring.Applicable(u)
	for _, in := range applicable {
		full += in.Max
		if p, ok := got[in.Code]; ok {
			sum += p
		} else {
			missing = append(missing, in.Code)
		}
	}
	if len(missing) == 0 {
		return fmt.Sprintf("%s：%s分%d项已齐，合计%s分（满分%s分）", d.unitName(u), src.Label(), len(applicable), sum, full)
	}
	scored, list := len(applicable)-len(missing), strings.Join(missing, "、")
	if len(missing) > 5 {
		list = strings.Join(missing[:5], "、") + "等"
	}
	return fmt.Sprintf("%s：%s分已评%d/%d项，合计%s分；尚缺指标%s", d.unitName(u), src.Label(),
		scored, len(applicable), sum, list)
}

// selfTemplate is 自评表: an official gets their unit's blank 自评表; a
// director names the unit (自评表 单位).
func (d *scores) selfTemplate(ctx context.Context, r *Request) error {
	if err := d.sheetsEnabled(); err != nil {
		return err
	}
	var u rules.Unit
	switch {
	case r.ID.Role == rules.RoleDirector && len(r.Args) > 0:
		var err error
		if u, err = d.resolveUnit(strings.Join(r.Args, "")); err != nil {
			return err
		}
	case r.ID.Role == rules.RoleDirector && r.ID.UnitKey == "":
		return userErr(ErrBadInput, "请写明单位，如“自评表 财政局”。")
	default:
		u = d.units[r.ID.UnitKey]
		if len(r.Args) > 0 {
			if got, err := d.resolveUnit(strings.Join(r.Args, "")); err != nil || got.Key != u.Key {
				return userErr(ErrForbidden, "您只能领取本单位的自评表。")
			}
		}
	}
	if len(d.o.Scoring.Applicable(u.Key)) == 0 {
		return d.reply(ctx, r, fmt.Sprintf("%s本年度不参加评分，没有自评表。", u.Name))
	}
	blob, err := d.document(ctx, "self-assessment template", "xlsx", func(w io.Writer) error {
		return d.o.ScoreSheets.SelfTemplate(ctx, d.year, u, w)
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s %d年自评表请查收。填好“自评分”（最多两位小数）和“说明/佐证”后，把文件直接发给我；检查无误后回复“确认”即登记。", u.Name, d.year)
	return d.replyFile(ctx, r, text, blob, fmt.Sprintf("%d年自评表（%s）.xlsx", d.year, u.Name))
}

// inspectionTemplate is 评分表: the blank 评分表, one sheet per scored unit.
func (d *scores) inspectionTemplate(ctx context.Context, r *Request) error {
	if err := d.sheetsEnabled(); err != nil {
		return err
	}
	blob, err := d.document(ctx, "inspection template", "xlsx", func(w io.Writer) error {
		return d.o.ScoreSheets.InspectionTemplate(ctx, d.year, w)
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%d年评分表请查收（每个单位一页）。只填要评的格，填好后把文件直接发给我；检查无误后回复“确认”即登记。", d.year)
	return d.replyFile(ctx, r, text, blob, fmt.Sprintf("%d年督导评分表.xlsx", d.year))
}

// replyFile answers with text and then the stored file.
func (d *env) replyFile(ctx context.Context, r *Request, text string, blob Blob, name string) error {
	if err := d.reply(ctx, r, text); err != nil {
		return err
	}
	file := d.replyMsg(r, "")
	file.FilePath, file.FileName = blob.Path, name
	r.outs = append(r.outs, file)
	return nil
}
