package storage_test

import (
	"slices"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// TestSubmissionsToVerify: what a receipt said about another unit (a file
// named for it, or the same as its file) is stored with the submission in
// its transaction, survives refiling, and is read back for the digest on
// every driver; plain files and withdrawn versions are not listed.
func TestSubmissionsToVerify(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		seed(t, s)
		sa := rules.StageSelfAssessment
		plain := mustAdd(t, s, sub("czj", sa, t0))
		same := sub("jyj", sa, t0.Add(time.Hour))
		same.Resembles = rules.Resemblance{SameAs: []string{"czj"}}
		same = mustAdd(t, s, same)
		// Kept as supporting material while its sender chooses a stage,
		// then refiled: the finding stays with the row.
		named := sub("rsj", rules.StageSupporting, t0.Add(2*time.Hour))
		named.Resembles = rules.Resemblance{Named: []string{"czj", "jyj"}}
		named = mustAdd(t, s, named)
		if _, err := s.RefileSubmission(ctx, named.ID, sa, true, "人社-钱七", nil); err != nil {
			t.Fatal(err)
		}
		gone := sub("jyj", rules.StageSupporting, t0.Add(3*time.Hour))
		gone.Resembles = rules.Resemblance{SameAs: []string{"rsj"}}
		gone = mustAdd(t, s, gone)
		if _, err := s.WithdrawSubmission(ctx, gone.ID, "财政-张三", t0.Add(3*time.Hour), nil); err != nil {
			t.Fatal(err)
		}

		got, err := s.SubmissionsToVerify(ctx, 2027)
		mustNoErr(t, err)
		var ids []int64
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if want := []int64{same.ID, named.ID}; !slices.Equal(ids, want) {
			t.Fatalf("ids %v, want %v (not the plain %d, not the withdrawn %d)", ids, want, plain.ID, gone.ID)
		}
		if g := got[0]; !slices.Equal(g.Resembles.SameAs, []string{"czj"}) || len(g.Resembles.Named) != 0 || g.UnitKey != "jyj" {
			t.Errorf("same-content row %+v", g)
		}
		if g := got[1]; !slices.Equal(g.Resembles.Named, []string{"czj", "jyj"}) || g.Stage != sa || g.Version != 1 {
			t.Errorf("refiled row %+v: the finding and the new stage", g)
		}
		if other, err := s.SubmissionsToVerify(ctx, 2026); err != nil || len(other) != 0 {
			t.Errorf("2026: %v, %v; want none", other, err)
		}
	})
}
