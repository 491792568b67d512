package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// scoreRow is the current score of one cell (year, unit, indicator,
// source). A later sheet overwrites only the cells it fills. ix_scores_sum
// (year, unit_key, source, points) covers the results aggregate, which
// groups by unit and source within a year: it reads the index alone, in
// group order.
type scoreRow struct {
	Year    int    `gorm:"primaryKey;autoIncrement:false;index:ix_scores_sum,priority:1"`
	UnitKey string `gorm:"primaryKey;size:64;index:ix_scores_sum,priority:2"`
	Source  string `gorm:"primaryKey;size:16;index:ix_scores_sum,priority:3"`
	Code    string `gorm:"primaryKey;size:16"`
	Points  int64  `gorm:"not null;index:ix_scores_sum,priority:4"` // rules.Points: hundredths
	Note    string
	Actor   string `gorm:"not null"`
	At      int64  `gorm:"not null"`
}

func (scoreRow) TableName() string { return "scores" }

// scoreTotalRow is the results aggregate kept up to date: each unit's sum
// and count of current scores per source, rewritten for the units of a
// sheet in the sheet's own transaction. Reading the year's results is then
// one indexed read of 2 rows per unit, however many cells were scored.
type scoreTotalRow struct {
	Year        int    `gorm:"primaryKey;autoIncrement:false"`
	UnitKey     string `gorm:"primaryKey;size:64"`
	Source      string `gorm:"primaryKey;size:16"`
	TotalPoints int64  `gorm:"not null"`
	Scored      int    `gorm:"not null"`
}

func (scoreTotalRow) TableName() string { return "score_totals" }

// scoreHistoryRow keeps every value ever stored, append-only: no method
// of the Store updates or deletes it. Batch groups the cells of one
// confirmed sheet.
type scoreHistoryRow struct {
	ID      int64  `gorm:"primaryKey"`
	Batch   int64  `gorm:"not null;index:ix_score_history_batch"`
	Year    int    `gorm:"not null;index:ix_score_history_unit,priority:1"`
	UnitKey string `gorm:"size:64;not null;index:ix_score_history_unit,priority:2"`
	Source  string `gorm:"size:16;not null"`
	Code    string `gorm:"size:16;not null"`
	Points  int64  `gorm:"not null"`
	Note    string
	Actor   string `gorm:"not null"`
	At      int64  `gorm:"not null"`
}

func (scoreHistoryRow) TableName() string { return "score_history" }

// scorePublicationRow is a year whose results the director published
// (发布成绩): from then on each unit's officials see their own result.
type scorePublicationRow struct {
	Year        int   `gorm:"primaryKey;autoIncrement:false"`
	PublishedAt int64 `gorm:"not null"`
	Actor       string
}

func (scorePublicationRow) TableName() string { return "score_publications" }

// SaveScores stores one confirmed sheet in one transaction: each cell's
// current value is replaced (cells the sheet leaves empty keep theirs),
// every value is appended to the history under one batch number, one audit
// row names the sheet's extent, and outs (the receipt) are queued. It
// returns how many cells changed value. The scores must already be checked
// against the scoring model (rules.ScoringModel.CheckScore): storage keeps
// what it is given. ErrNotFound if a unit is not on the roster.
func (s *Store) SaveScores(ctx context.Context, year int, scores []rules.Score, actor string, outs []rules.Outgoing) (changed int, err error) {
	op := fmt.Sprintf("save scores %d", year)
	if len(scores) == 0 {
		return 0, fmt.Errorf("storage: %s: no scores", op)
	}
	var units []string
	for _, sc := range scores {
		if !slices.Contains(units, sc.UnitKey) {
			units = append(units, sc.UnitKey)
		}
	}
	at := ns(s.now())
	err = s.tx(ctx, func(tx *gorm.DB) error {
		changed = 0 // the body may run again
		var n int64
		if err := tx.Model(&unitRow{}).Where("unit_key IN ?", units).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(units) {
			return fmt.Errorf("%d of %d units not on the roster: %w", len(units)-int(n), len(units), ErrNotFound)
		}
		var cur []scoreRow
		if err := tx.Where("year = ? AND unit_key IN ?", year, units).Find(&cur).Error; err != nil {
			return err
		}
		type cell struct{ unit, source, code string }
		old := make(map[cell]scoreRow, len(cur))
		for _, r := range cur {
			old[cell{r.UnitKey, r.Source, r.Code}] = r
		}
		var batch int64
		if err := tx.Model(&scoreHistoryRow{}).Select("COALESCE(MAX(batch), 0) + 1").Scan(&batch).Error; err != nil {
			return err
		}
		hist := make([]scoreHistoryRow, len(scores))
		rows := make([]scoreRow, len(scores))
		for i, sc := range scores {
			if sc.Year != 0 && sc.Year != year {
				return fmt.Errorf("score for %d in a sheet of %d", sc.Year, year)
			}
			hist[i] = scoreHistoryRow{Batch: batch, Year: year, UnitKey: sc.UnitKey, Source: string(sc.Source),
				Code: sc.Code, Points: int64(sc.Points), Note: sc.Note, Actor: actor, At: at}
			rows[i] = scoreRow{Year: year, UnitKey: sc.UnitKey, Source: string(sc.Source), Code: sc.Code,
				Points: int64(sc.Points), Note: sc.Note, Actor: actor, At: at}
			if o, ok := old[cell{sc.UnitKey, string(sc.Source), sc.Code}]; !ok || o.Points != int64(sc.Points) || o.Note != sc.Note {
				changed++
			}
		}
		if err := tx.CreateInBatches(hist, 500).Error; err != nil {
			return err
		}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}, {Name: "unit_key"}, {Name: "source"}, {Name: "code"}},
			DoUpdates: clause.AssignmentColumns([]string{"points", "note", "actor", "at"}),
		}).CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		if err := tx.Exec(refreshTotalsSQL, year, units).Error; err != nil {
			return err
		}
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		unit := ""
		if len(units) == 1 {
			unit = units[0]
		}
		return s.audit(tx, actor, "scores", year, unit,
			fmt.Sprintf("batch=%d cells=%d changed=%d units=%d source=%s", batch, len(scores), changed, len(units), scores[0].Source))
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return changed, nil
}

// refreshTotalsSQL recomputes the aggregate rows of a sheet's units from
// their current scores (a unit's scores are only ever added or replaced,
// so every (unit, source) that had a total still has scores).
const refreshTotalsSQL = `INSERT INTO score_totals (year, unit_key, source, total_points, scored)
SELECT year, unit_key, source, SUM(points), COUNT(*) FROM scores WHERE year = ? AND unit_key IN ?
GROUP BY year, unit_key, source
ON CONFLICT (year, unit_key, source) DO UPDATE SET total_points = excluded.total_points, scored = excluded.scored`

// scoreSumSQL reads the year's results aggregate, one row per unit with
// both sources side by side (half the rows to step through).
const scoreSumSQL = `SELECT unit_key,
  SUM(CASE WHEN source = 'self_assessment' THEN total_points ELSE 0 END),
  SUM(CASE WHEN source = 'self_assessment' THEN scored ELSE 0 END),
  SUM(CASE WHEN source = 'inspection' THEN total_points ELSE 0 END),
  SUM(CASE WHEN source = 'inspection' THEN scored ELSE 0 END)
FROM score_totals WHERE year = ? GROUP BY unit_key`

// ScoreSums returns each unit's sum and count of scored indicators per
// source for the year, what rules.ComputeResults takes, in one read of the
// aggregate SaveScores keeps. Units without any score are absent.
func (s *Store) ScoreSums(ctx context.Context, year int) ([]rules.SourceSum, error) {
	rows, err := s.hotStmts.scoreSums.QueryContext(ctx, year)
	if err != nil {
		return nil, wrap(fmt.Sprintf("score sums %d", year), err)
	}
	defer rows.Close()
	var out []rules.SourceSum
	for rows.Next() {
		var unit string
		var selfSum, inspSum int64
		var selfN, inspN int
		if err := rows.Scan(&unit, &selfSum, &selfN, &inspSum, &inspN); err != nil {
			return nil, wrap(fmt.Sprintf("score sums %d", year), err)
		}
		if selfN > 0 {
			out = append(out, rules.SourceSum{UnitKey: unit, Source: rules.SourceSelf, Sum: rules.Points(selfSum), Count: selfN})
		}
		if inspN > 0 {
			out = append(out, rules.SourceSum{UnitKey: unit, Source: rules.SourceInspection, Sum: rules.Points(inspSum), Count: inspN})
		}
	}
	return out, wrap(fmt.Sprintf("score sums %d", year), rows.Err())
}

// Scores returns the year's current scores for one unit (or, unitKey "",
// every unit), ordered by unit, source and indicator code as stored.
func (s *Store) Scores(ctx context.Context, year int, unitKey string) ([]rules.Score, error) {
	out, err := unitYearRows(ctx, s.db, year, unitKey, "unit_key, source, code", s.scoreFromRow)
	if err != nil {
		return nil, wrap(fmt.Sprintf("scores %d unit=%s", year, unitKey), err)
	}
	return out, nil
}

// ScoreHistory returns every value ever stored for a unit's cells in the
// year (unitKey "": all units), oldest first.
func (s *Store) ScoreHistory(ctx context.Context, year int, unitKey string) ([]rules.Score, error) {
	out, err := unitYearRows(ctx, s.db, year, unitKey, "id", func(r scoreHistoryRow) rules.Score {
		return s.scoreFromRow(scoreRow{Year: r.Year, UnitKey: r.UnitKey, Source: r.Source, Code: r.Code,
			Points: r.Points, Note: r.Note, Actor: r.Actor, At: r.At})
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("score history %d unit=%s", year, unitKey), err)
	}
	return out, nil
}

// PublishScores marks the year's results published (发布成绩) and queues
// outs (each unit's message) with an audit row, in one transaction.
// Publishing again moves the time and sends the new messages.
func (s *Store) PublishScores(ctx context.Context, year int, actor string, outs []rules.Outgoing) (time.Time, error) {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		row := scorePublicationRow{Year: year, PublishedAt: ns(now), Actor: actor}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}},
			DoUpdates: clause.AssignmentColumns([]string{"published_at", "actor"}),
		}).Create(&row).Error; err != nil {
			return err
		}
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		return s.audit(tx, actor, "publish_scores", year, "", fmt.Sprintf("messages=%d", len(outs)))
	})
	if err != nil {
		return time.Time{}, wrap(fmt.Sprintf("publish scores %d", year), err)
	}
	return now, nil
}

// ScoresPublished says whether and when the year's results were published.
func (s *Store) ScoresPublished(ctx context.Context, year int) (time.Time, bool, error) {
	var row scorePublicationRow
	err := s.db.WithContext(ctx).Take(&row, "year = ?", year).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, wrap(fmt.Sprintf("scores published %d", year), err)
	}
	return s.tm(row.PublishedAt), true, nil
}

// scoreFromRow is a stored score (current or history) as the domain's.
func (s *Store) scoreFromRow(r scoreRow) rules.Score {
	return rules.Score{Year: r.Year, UnitKey: r.UnitKey, Code: r.Code, Source: rules.ScoreSource(r.Source),
		Points: rules.Points(r.Points), Note: r.Note, By: r.Actor, At: s.tm(r.At)}
}
