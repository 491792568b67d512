package storage_test

import (
	"strings"
	"testing"

	"dudaobot/clock"
	"dudaobot/storage"
)

// TestUnitYearsQueryPlan pins the overview to its covering indexes: a
// full table scan of submissions would make the 5,000-unit overview grow
// with every year of history.
func TestUnitYearsQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainUnitYears(ctx, s, 2027)
	mustNoErr(t, err)
	t.Logf("plan:\n%s", plan)
	for _, want := range []string{"COVERING INDEX ix_sub_agg", "INDEX ix_feedback_unit"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "SCAN submissions") && !strings.Contains(plan, "SCAN submissions USING") {
		t.Errorf("plan scans submissions:\n%s", plan)
	}
}

// TestUnitYearOneQueryPlan pins the one-unit read (every 状态 runs it) to
// index searches: no table materialised, no automatic index and no sort
// tree built per call, which its derived-table form did on every message.
func TestUnitYearOneQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainUnitYear(ctx, s, 2027, "czj")
	mustNoErr(t, err)
	t.Logf("plan:\n%s", plan)
	for _, want := range []string{"SEARCH u USING INDEX", "COVERING INDEX ix_sub_agg (year=? AND unit_key=?)", "INDEX ix_feedback_unit"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	for _, bad := range []string{"MATERIALIZE", "AUTOMATIC", "TEMP B-TREE", "SCAN"} {
		if strings.Contains(plan, bad) {
			t.Errorf("plan has %q:\n%s", bad, plan)
		}
	}
}
