package app

import (
	"context"
	"fmt"

	"dudaobot/export"
	"dudaobot/rules"
)

// ScoresData assembles the year's scoring data from the database and the
// configuration: the model, the roster, the current scores, and the
// results with the result list (rules.BuildScoreReport, judged at the
// clock's now: statuses and overdue rectification items). The ledger's
// 评分汇总 and 结果运用 are drawn from it (export.ScoresSource).
func (c *Core) ScoresData(ctx context.Context, year int) (export.ScoresData, error) {
	yr, err := c.yearRecords(ctx, year)
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	return c.scoresData(ctx, year, yr)
}

// scoresData is ScoresData over the year's records already read.
func (c *Core) scoresData(ctx context.Context, year int, yr yearRecords) (export.ScoresData, error) {
	model, err := c.Config.ScoringModel()
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	sums, err := c.Store.ScoreSums(ctx, year)
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	scores, err := c.Store.Scores(ctx, year, "")
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	now := c.Clock.Now()
	stages := make(map[string][]rules.StageStatus, len(yr.UnitYears))
	for _, uy := range yr.UnitYears {
		stages[uy.UnitKey] = rules.UnitStatus(yr.Calendar, uy, now)
	}
	report := rules.BuildScoreReport(rules.ScoreReportInput{
		Model: model, Units: yr.Units, Inspected: yr.Inspected, Sums: sums, Stages: stages,
		Overdue: rules.OverdueItems(yr.Problems, yr.Calendar, now),
	})
	return export.ScoresData{Year: year, Model: model, Units: yr.Units, Scores: scores, Report: report}, nil
}
