package storage_test

import (
	"context"
	"strings"
	"testing"

	"dudaobot/clock"
	"dudaobot/storage"
)

// ProblemCounts reads three index ranges, never the earlier years' items
// by year < ? (which is every item of ten years in BenchmarkProblemsScale).
func TestProblemCountsPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainProblemCounts(context.Background(), s, 2027)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"SEARCH problems USING COVERING INDEX ix_problem_view (year=?)",
		"SEARCH problems USING COVERING INDEX ix_problem_closed (closed_at=? AND year<?)",
		"SEARCH problems USING COVERING INDEX ix_problem_closed (closed_at>? AND closed_at<?)",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "SCAN problems") {
		t.Errorf("plan scans the items:\n%s", plan)
	}
}

// TestUnitProblemsQueryPlan pins one unit's items and events (every 状态
// reads them) to the unit's index range: neither statement scans the
// items or the events of every unit.
func TestUnitProblemsQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	items, events, err := storage.ExplainUnitProblems(context.Background(), s, 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("items:\n%s\nevents:\n%s", items, events)
	for _, c := range []struct{ plan, want string }{
		{items, "SEARCH p USING INDEX ix_problem_unit (unit_key=?)"},
		{events, "SEARCH p USING INDEX ix_problem_unit (unit_key=?)"},
		{events, "SEARCH e USING INDEX ix_problem_event (problem_id=?)"},
	} {
		if !strings.Contains(c.plan, c.want) {
			t.Errorf("plan lacks %q:\n%s", c.want, c.plan)
		}
	}
	for _, plan := range []string{items, events} {
		if strings.Contains(plan, "SCAN") {
			t.Errorf("plan scans a table:\n%s", plan)
		}
	}
}
