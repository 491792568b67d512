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
