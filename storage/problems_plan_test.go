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
