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
	model, err := c.Config.ScoringModel()
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	units, err := c.Store.Units(ctx)
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	in, err := c.Store.Inspected(ctx, year)
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
	cal, err := c.Store.Calendar(ctx, year, c.Config.Location())
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	uys, err := c.Store.UnitYears(ctx, year)
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	problems, err := c.Store.Problems(ctx, year, "")
	if err != nil {
		return export.ScoresData{}, fmt.Errorf("app: scores %d: %w", year, err)
	}
	now := c.Clock.Now()
	stages := make(map[string][]rules.StageStatus, len(uys))
	for _, uy := range uys {
		stages[uy.UnitKey] = rules.UnitStatus(cal, uy, now)
	}
	report := rules.BuildScoreReport(rules.ScoreReportInput{
		Model: model, Units: units, Inspected: in, Sums: sums, Stages: stages,
		Overdue: rules.OverdueItems(problems, cal, now),
	})
	return export.ScoresData{Year: year, Model: model, Units: units, Scores: scores, Report: report}, nil
}
