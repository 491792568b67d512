package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"dudaobot/board"
	"dudaobot/report"
	"dudaobot/rules"
)

// ReportInput reads the year's records the annual report is drawn from.
func (c *Core) ReportInput(ctx context.Context, year int) (report.Input, error) {
	yr, err := c.yearRecords(ctx, year)
	if err != nil {
		return report.Input{}, fmt.Errorf("app: report: %w", err)
	}
	inds, err := c.Store.Indicators(ctx)
	if err != nil {
		return report.Input{}, fmt.Errorf("app: report indicators: %w", err)
	}
	scores, err := c.scoresData(ctx, year, yr)
	if err != nil {
		return report.Input{}, fmt.Errorf("app: report scores %d: %w", year, err)
	}
	return report.Input{
		Office: c.Config.Office.Name, Calendar: yr.Calendar, Now: c.Clock.Now(),
		Units: yr.Units, UnitYears: yr.UnitYears, Inspected: yr.Inspected, Problems: yr.Problems, Indicators: inds,
		Scores: &scores.Report,
	}, nil
}

// WriteReport writes the year's report draft (.docx) from the configured
// template (report.template) or the shipped one.
func (c *Core) WriteReport(ctx context.Context, year int, w io.Writer) error {
	tmpl, err := report.LoadTemplate(c.Config.Report.Template)
	if err != nil {
		return err
	}
	in, err := c.ReportInput(ctx, year)
	if err != nil {
		return err
	}
	if err := report.Write(w, tmpl, in); err != nil {
		if errors.Is(err, report.ErrTemplate) && c.Config.Report.Template != "" {
			return fmt.Errorf("report.template %s: %w", c.Config.Report.Template, err)
		}
		return err
	}
	return nil
}

// BoardFont is the font of the 总览 picture: report.font, else a CJK font
// found on the system. With none, board.ErrNoFont is returned and logged
// once (总览 is then sent as text only).
func (c *Core) BoardFont() (*board.Font, error) {
	c.fontOnce.Do(func() {
		path, err := board.FindFont(c.Config.Report.Font)
		if err == nil {
			c.font, err = board.LoadFont(path)
		}
		if err != nil {
			c.fontErr = err
			if c.Config.Report.Font != "" {
				c.fontErr = fmt.Errorf("report.font: %w", err)
			}
			c.Logger.Warn("no font with Chinese glyphs: 总览 is sent as text only", slog.Any("err", c.fontErr))
		}
	})
	return c.font, c.fontErr
}

// BoardPages draws the year's 总览 as PNG pages (28 units each).
func (c *Core) BoardPages(ctx context.Context, year int) ([][]byte, error) {
	f, err := c.BoardFont()
	if err != nil {
		return nil, err
	}
	loc := c.Config.Location()
	cal, err := c.Store.Calendar(ctx, year, loc)
	if err != nil {
		return nil, fmt.Errorf("app: board calendar %d: %w", year, err)
	}
	units, err := c.Store.Units(ctx)
	if err != nil {
		return nil, fmt.Errorf("app: board units: %w", err)
	}
	uys, err := c.Store.UnitYears(ctx, year)
	if err != nil {
		return nil, fmt.Errorf("app: board unit years %d: %w", year, err)
	}
	names := make(map[string]string, len(units))
	for _, u := range units {
		names[u.Key] = u.Name
	}
	in := board.FromYear(c.Config.Office.Name, cal, uys, names, c.Clock.Now())
	col, ok, err := c.boardScoreColumn(ctx, year, units, uys)
	if err != nil {
		return nil, err
	}
	if ok {
		in.Columns = append(in.Columns, col)
	}
	return board.Render(f, in)
}

// boardScoreColumn is the board's 评分 column once the year has scores
// (ok false before any is recorded: the board keeps the four stages).
func (c *Core) boardScoreColumn(ctx context.Context, year int, units []rules.Unit, uys []rules.UnitYear) (board.Column, bool, error) {
	sums, err := c.Store.ScoreSums(ctx, year)
	if err != nil {
		return board.Column{}, false, fmt.Errorf("app: board scores %d: %w", year, err)
	}
	if len(sums) == 0 {
		return board.Column{}, false, nil
	}
	model, err := c.Config.ScoringModel()
	if err != nil {
		return board.Column{}, false, fmt.Errorf("app: board scores %d: %w", year, err)
	}
	inspected, err := c.Store.Inspected(ctx, year)
	if err != nil {
		return board.Column{}, false, fmt.Errorf("app: board inspected %d: %w", year, err)
	}
	keys := make([]string, len(uys))
	for i, uy := range uys {
		keys[i] = uy.UnitKey
	}
	results := rules.ComputeResults(model, rules.ScoredUnits(units, inspected), sums)
	return board.ScoreColumn(model, results, keys), true, nil
}

// fontState is the Core's lazily found board font.
type fontState struct {
	fontOnce sync.Once
	font     *board.Font
	fontErr  error
}

// overviewBoard is handlers.OverviewBoard over the core: no pages (and no
// error) without a font for Chinese, which BoardFont logged once.
type overviewBoard struct{ c *Core }

func (b overviewBoard) OverviewPictures(ctx context.Context, year int) ([][]byte, error) {
	pages, err := b.c.BoardPages(ctx, year)
	if errors.Is(err, board.ErrNoFont) || (err != nil && b.c.fontErr != nil) {
		return nil, nil
	}
	return pages, err
}
