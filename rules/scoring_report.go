package rules

import "time"

// The year's results as every consumer shows them (成绩, 发布成绩, the
// ledger's 评分汇总 and 结果运用, the annual report): one pure assembly over
// what storage returns, so all of them say the same thing.

// ScoredUnits are the roster units that are scored, in roster order: every
// unit the config evaluates (a unit whose stages are an empty list owes
// nothing and has no result), each marked inspected when feedback applies
// to it this year.
func ScoredUnits(units []Unit, in Inspected) []ScoredUnit {
	out := make([]ScoredUnit, 0, len(units))
	for _, u := range units {
		if u.Stages != nil && len(u.Stages) == 0 {
			continue
		}
		out = append(out, ScoredUnit{Key: u.Key, Inspected: StageApplies(u, in, StageFeedback)})
	}
	return out
}

// OverdueItems are the problem-list items overdue at now, from ProblemStatusOf.
func OverdueItems(ps []Problem, c Calendar, now time.Time) []OverdueItem {
	var out []OverdueItem
	for _, p := range ps {
		st := ProblemStatusOf(p, c, now)
		if st.Kind == ProblemOverdue {
			out = append(out, OverdueItem{UnitKey: p.UnitKey, Title: clipRunes(p.Text, 20), Due: st.Due, Days: st.Days})
		}
	}
	return out
}

// ScoreReportInput is what BuildScoreReport reads: the model, the roster
// and inspected set, the results aggregate (storage's ScoreSums), each
// unit's stage statuses at now (UnitStatus) and the overdue items.
type ScoreReportInput struct {
	Model     ScoringModel
	Units     []Unit
	Inspected Inspected
	Sums      []SourceSum
	Stages    map[string][]StageStatus
	Overdue   []OverdueItem
}

// ScoreReport is the year's results (roster order, ranks set) and the
// result list (结果清单).
type ScoreReport struct {
	Results []UnitResult
	List    []ResultEntry
}

// BuildScoreReport computes every scored unit's result and the result list.
func BuildScoreReport(in ScoreReportInput) ScoreReport {
	rs := ComputeResults(in.Model, ScoredUnits(in.Units, in.Inspected), in.Sums)
	return ScoreReport{
		Results: rs,
		List:    BuildResultList(ResultListInput{Model: in.Model, Results: rs, Stages: in.Stages, OverdueItems: in.Overdue}),
	}
}

// Result returns the unit's result (false: the unit is not scored).
func (r ScoreReport) Result(unitKey string) (UnitResult, bool) {
	for _, x := range r.Results {
		if x.UnitKey == unitKey {
			return x, true
		}
	}
	return UnitResult{}, false
}
