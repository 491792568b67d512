package storage_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// TestSubmissionsListOrder pins the order of the version lists (the
// ledger's 提交记录, 查询): units by roster position, not by key; units
// that left the roster last, by key; within a unit the stages in cycle
// order, not by name, each by version; withdrawn versions left out. The
// database returns the rows in index order and the store orders them, so
// this runs on SQLite and PostgreSQL alike.
func TestSubmissionsListOrder(t *testing.T) {
	s := MustOpen(t)
	// Two more units, which later leave the roster with their versions kept.
	leaving := []rules.Unit{{Key: "zzz", Name: "县最后局", SortOrder: 4}, {Key: "aaa", Name: "县最先局", SortOrder: 5}}
	mustNoErr(t, s.SyncRoster(ctx, append(append([]rules.Unit{}, testUnits...), leaving...), testDirectors))

	at := t0
	add := func(unit string, stage rules.Stage) rules.Submission {
		at = at.Add(time.Hour)
		return mustAdd(t, s, sub(unit, stage, at))
	}
	// Added out of order on purpose: stages by name would put feedback,
	// rectification_done and rectification_plan before self_assessment.
	czjSupp := add("czj", rules.StageSupporting)
	czjDone := add("czj", rules.StageRectificationDone)
	czjPlan := add("czj", rules.StageRectificationPlan)
	czjFb := add("czj", rules.StageFeedback)
	czjSA1 := add("czj", rules.StageSelfAssessment)
	czjSA2 := add("czj", rules.StageSelfAssessment)
	withdrawn := add("czj", rules.StageSelfAssessment)
	_, err := s.WithdrawSubmission(ctx, withdrawn.ID, "财政-张三", at, nil)
	mustNoErr(t, err)
	jyjPlan := add("jyj", rules.StageRectificationPlan)
	jyjSA := add("jyj", rules.StageSelfAssessment)
	rsjSA := add("rsj", rules.StageSelfAssessment)
	zzzSA := add("zzz", rules.StageSelfAssessment)
	aaaPlan := add("aaa", rules.StageRectificationPlan)
	aaaSA := add("aaa", rules.StageSelfAssessment)
	other := sub("rsj", rules.StageSelfAssessment, at)
	other.Year = 2026
	mustAdd(t, s, other)

	// The roster reordered (人社 first, then 教育, then 财政), without zzz and aaa.
	reorderRoster(t, s)

	got, err := s.Submissions(ctx, 2027, "")
	mustNoErr(t, err)
	want := []rules.Submission{rsjSA, jyjSA, jyjPlan, czjSA1, czjSA2, czjFb, czjPlan, czjDone, czjSupp, aaaSA, aaaPlan, zzzSA}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Submissions(2027, all):\n got %s\nwant %s", listText(got), listText(want))
	}
	one, err := s.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if want := want[3:9]; !reflect.DeepEqual(one, want) {
		t.Errorf("Submissions(2027, czj):\n got %s\nwant %s", listText(one), listText(want))
	}
	gone, err := s.Submissions(ctx, 2027, "aaa")
	mustNoErr(t, err)
	if want := []rules.Submission{aaaSA, aaaPlan}; !reflect.DeepEqual(gone, want) {
		t.Errorf("Submissions(2027, aaa):\n got %s\nwant %s", listText(gone), listText(want))
	}
	// A second year-wide read (its scan now sized from the first) is the same.
	again, err := s.Submissions(ctx, 2027, "")
	mustNoErr(t, err)
	if !reflect.DeepEqual(again, want) {
		t.Errorf("second read:\n got %s\nwant %s", listText(again), listText(want))
	}
	none, err := s.Submissions(ctx, 2030, "")
	mustNoErr(t, err)
	if len(none) != 0 {
		t.Errorf("Submissions(2030) = %s, want none", listText(none))
	}
}

func listText(subs []rules.Submission) string {
	parts := make([]string, len(subs))
	for i, s := range subs {
		parts[i] = fmt.Sprintf("%s/%s/v%d", s.UnitKey, s.Stage, s.Version)
	}
	return strings.Join(parts, " ")
}

// TestSubmissionsQueryPlan pins the year's version list to the walk of
// ux_sub_version in its order: no temporary B-tree (sorting 15,000 rows of
// 5,000 units that way was a quarter of the ledger's reads), no scan of a
// whole table, and no search in units per row (the roster positions are
// read once, on their own).
func TestSubmissionsQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainSubmissions(ctx, s, 2027)
	mustNoErr(t, err)
	t.Logf("plan:\n%s", plan)
	if want := "SEARCH submissions USING INDEX ux_sub_version (year=?)"; !strings.Contains(plan, want) {
		t.Errorf("plan lacks %q:\n%s", want, plan)
	}
	for _, bad := range []string{"TEMP B-TREE", "SCAN", "AUTOMATIC", "units"} {
		if strings.Contains(plan, bad) {
			t.Errorf("plan has %q:\n%s", bad, plan)
		}
	}
}
