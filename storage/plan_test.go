package storage_test

import (
	"context"
	"strings"
	"testing"

	"dudaobot/clock"
	"dudaobot/storage"
)

// TestUnitYearsQueryPlan pins the overview's two reads to their indexes:
// a full table scan of submissions would make the 5,000-unit overview grow
// with every year of history, and sorting the year's versions before
// aggregating them (the one-statement join did, in a temporary B-tree)
// cost a quarter of its time in SQLite.
func TestUnitYearsQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	roster, sums, err := storage.ExplainUnitYears(ctx, s, 2027)
	mustNoErr(t, err)
	t.Logf("roster plan:\n%s\nsums plan:\n%s", roster, sums)
	if want := "INDEX ix_feedback_unit"; !strings.Contains(roster, want) {
		t.Errorf("roster plan lacks %q:\n%s", want, roster)
	}
	// The year's versions are aggregated in index order: no sort of them,
	// no scan of the table.
	if want := "SEARCH submissions USING COVERING INDEX ix_sub_agg (year=?)"; !strings.Contains(sums, want) {
		t.Errorf("sums plan lacks %q:\n%s", want, sums)
	}
	for _, bad := range []string{"TEMP B-TREE", "SCAN", "AUTOMATIC"} {
		if strings.Contains(sums, bad) {
			t.Errorf("sums plan has %q:\n%s", bad, sums)
		}
	}
}

// TestUnitYearOneQueryPlan pins the one-unit read (UnitYear) to
// index searches: no table materialised, no automatic index and no sort
// tree built per call, which its derived-table form did on every message;
// UnitNow's query, the same with the year's calendar, likewise.
func TestUnitYearOneQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	for _, explain := range []func(context.Context, *storage.Store, int, string) (string, error){storage.ExplainUnitYear, storage.ExplainUnitNow} {
		plan, err := explain(ctx, s, 2027, "czj")
		mustNoErr(t, err)
		t.Logf("plan:\n%s", plan)
		for _, want := range []string{"SEARCH u USING INDEX", "COVERING INDEX ix_sub_agg (year=? AND unit_key=?)", "INDEX ix_feedback_unit",
			"SEARCH y USING INTEGER PRIMARY KEY"} {
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
}
