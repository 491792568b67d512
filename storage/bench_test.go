package storage_test

import (
	"fmt"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// BenchmarkUnitYears measures the overview over 5,000 units with 10 years
// of history (150,000 submission rows): the roster read and one aggregate
// query per call.
func BenchmarkUnitYears(b *testing.B) {
	const units, years = 5000, 10
	s := newTestDB(b, clock.NewFake(t0)).open(b)
	roster := make([]rules.Unit, units)
	for i := range roster {
		roster[i] = rules.Unit{Key: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("单位%d", i), SortOrder: i + 1,
			Officials: []rules.Official{{Name: "x", WeChatRemark: fmt.Sprintf("r%d", i)}}}
	}
	mustNoErr(b, s.SyncRoster(ctx, roster, nil))
	var subs []rules.Submission
	for y := 2018; y < 2018+years; y++ {
		at := time.Date(y, 2, 20, 9, 0, 0, 0, shanghai)
		for _, u := range roster {
			for _, v := range []struct {
				stage   rules.Stage
				version int
				at      time.Time
			}{
				{rules.StageSelfAssessment, 1, at},
				{rules.StageSelfAssessment, 2, at.Add(48 * time.Hour)},
				{rules.StageRectificationPlan, 1, at.Add(60 * 24 * time.Hour)},
			} {
				subs = append(subs, rules.Submission{Year: y, UnitKey: u.Key, Stage: v.stage, Version: v.version,
					ReceivedAt: v.at, OnTime: true, SHA256: "x", StoredPath: "p"})
			}
		}
	}
	mustNoErr(b, storage.BulkSubmissions(ctx, s, subs))
	for b.Loop() {
		got, err := s.UnitYears(ctx, 2027)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != units || got[units-1].Versions[rules.StageSelfAssessment] != 2 {
			b.Fatalf("got %d units", len(got))
		}
	}
}
