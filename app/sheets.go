package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"dudaobot/docstore"
	"dudaobot/export"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// HandlerSheets adapts export's sheet readers and score templates to what
// the conversations declare (handlers.SheetReader, handlers.ScoreSheets):
// handlers never imports export. Stored files are read from Files; the
// score sheets are checked against Model and the roster Units.
type HandlerSheets struct {
	Files      *docstore.Store
	Model      rules.ScoringModel
	Units      []rules.Unit
	Indicators []rules.Indicator
}

var (
	_ handlers.SheetReader = HandlerSheets{}
	_ handlers.ScoreSheets = HandlerSheets{}
	_ handlers.ListSheets  = HandlerSheets{}
)

// read opens a stored file for fn.
func (s HandlerSheets) read(path string, fn func(io.Reader) error) error {
	f, err := s.Files.Open(path)
	if err != nil {
		return fmt.Errorf("app: sheet %s: %w", path, err)
	}
	defer f.Close()
	return fn(f)
}

// SheetHeads is export.SheetHeads of a stored file.
func (s HandlerSheets) SheetHeads(_ context.Context, path string) ([]handlers.SheetHead, error) {
	var out []handlers.SheetHead
	err := s.read(path, func(r io.Reader) error {
		heads, err := export.SheetHeads(r)
		for _, h := range heads {
			out = append(out, handlers.SheetHead{Name: h.Name, Rows: h.Rows})
		}
		return err
	})
	return out, err
}

// ReadScores is export.ReadScoreSheet of a stored file; export's cell
// errors become a handlers.SheetRefusal, one Chinese line each.
func (s HandlerSheets) ReadScores(_ context.Context, path string, year int) (handlers.ScoreSheet, error) {
	var sh export.ScoreSheet
	err := s.read(path, func(r io.Reader) error {
		var err error
		sh, err = export.ReadScoreSheet(r, export.ScoreSheetInput{Year: year, Model: s.Model, Units: s.Units})
		return err
	})
	var list export.SheetErrors
	var one *export.CellError
	switch {
	case errors.As(err, &list):
		ref := &handlers.SheetRefusal{}
		for _, e := range list {
			ref.Problems = append(ref.Problems, e.Chinese())
		}
		return handlers.ScoreSheet{}, ref
	case errors.As(err, &one):
		return handlers.ScoreSheet{}, &handlers.SheetRefusal{Problems: []string{one.Chinese()}}
	case err != nil:
		return handlers.ScoreSheet{}, err
	}
	out := handlers.ScoreSheet{Source: sh.Source, Scores: sh.Scores, Units: sh.Units}
	for _, b := range sh.Blank {
		out.Blank = append(out.Blank, handlers.BlankCell{Sheet: b.Sheet, Row: b.Row, UnitKey: b.UnitKey, Code: b.Code})
	}
	return out, nil
}

// SelfTemplate is the unit's blank 自评表.
func (s HandlerSheets) SelfTemplate(_ context.Context, year int, u rules.Unit, w io.Writer) error {
	return export.WriteSelfScoresTemplate(w, year, u, s.Model, s.Indicators)
}

// InspectionTemplate is the blank 评分表: one sheet per unit scored on at
// least one indicator.
func (s HandlerSheets) InspectionTemplate(_ context.Context, year int, w io.Writer) error {
	var units []rules.Unit
	for _, u := range s.Units {
		if len(s.Model.Applicable(u.Key)) > 0 {
			units = append(units, u)
		}
	}
	return export.WriteInspectionTemplate(w, year, units, s.Model, s.Indicators)
}

// ScoresWorkbook is export.WriteScoresWorkbook of the results the
// conversations computed: the sheets 评分汇总 and 结果运用 alone.
func (s HandlerSheets) ScoresWorkbook(_ context.Context, year int, rep rules.ScoreReport, scores []rules.Score, w io.Writer) error {
	return export.WriteScoresWorkbook(w, export.ScoresData{Year: year, Model: s.Model, Units: s.Units, Scores: scores, Report: rep})
}

// WriteList is export.WriteTable: a long answer's list as a workbook.
func (s HandlerSheets) WriteList(_ context.Context, sheet string, header []string, rows [][]string, w io.Writer) error {
	return export.WriteTable(w, sheet, header, rows)
}
