package rules_test

import (
	"fmt"
	"testing"
	"time"

	"dudaobot/rules"
)

// The changes line names the units while it fits in MaxChangesLines
// phone lines; a day on which many units submit gives the counts.
func TestChangesLineWithin(t *testing.T) {
	at := time.Date(2027, 3, 4, 9, 0, 0, 0, time.UTC)
	name := func(k string) string { return "县" + k + "局" }
	changes := func(n, fb int) []rules.Change {
		var out []rules.Change
		for i := 0; i < n; i++ {
			out = append(out, rules.Change{UnitKey: fmt.Sprintf("单位%03d", i), Stage: rules.StageSelfAssessment, At: at})
		}
		for i := 0; i < fb; i++ {
			out = append(out, rules.Change{UnitKey: fmt.Sprintf("单位%03d", i), Stage: rules.StageFeedback, At: at})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		changes []rules.Change
		want    string
	}{
		{"none", nil, ""},
		{"one unit", changes(1, 0), "日报后新交：县单位000局（自查自评报告）"},
		{"a delivery", changes(0, 1), "日报后已送达反馈：县单位000局"},
		{"40 units", changes(40, 0), "日报后新交：40个单位"},
		{"40 units and 30 deliveries", changes(40, 30), "日报后新交：40个单位；日报后已送达反馈：30个单位"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.ChangesLineWithin(tc.changes, name, "日报后")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if n := rules.PhoneLines(got); got != "" && n > rules.MaxChangesLines {
				t.Errorf("%q takes %d phone lines, more than %d", got, n, rules.MaxChangesLines)
			}
		})
	}
}
