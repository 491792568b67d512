package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"dudaobot/rules"
)

// TestDigestListsFilesToVerify: the directors' digest names each unit
// whose file, received since the last digest, names another unit or is
// the same as another unit's file: one 需核实 line per unit (its files'
// findings merged), in roster order, none in the group digest.
func TestDigestListsFilesToVerify(t *testing.T) {
	sa := rules.StageSelfAssessment
	file := func(unit string, v int, received string, r rules.Resemblance) rules.Submission {
		return rules.Submission{Year: 2027, UnitKey: unit, Stage: sa, Version: v, ReceivedAt: at(received), Resembles: r}
	}
	same := func(keys ...string) rules.Resemblance { return rules.Resemblance{SameAs: keys} }
	named := func(keys ...string) rules.Resemblance { return rules.Resemblance{Named: keys} }
	since := at("2027-02-24 17:30")
	tests := []struct {
		name  string
		files []rules.Submission
		want  string // the digest's last lines; "" = no 需核实 line
	}{
		{"SameContent", []rules.Submission{file("gaj", 1, "2027-02-25 09:00", same("czj"))},
			"需核实：县公安局交来的文件与县财政局的相同"},
		{"NamedInFileName", []rules.Submission{file("mzj", 1, "2027-02-25 09:00", named("gaj"))},
			"需核实：县民政局交来的文件名提到县公安局"},
		{"OneUnitOnce_FindingsMerged", []rules.Submission{
			file("gaj", 1, "2027-02-25 09:00", named("czj")),
			file("gaj", 2, "2027-02-25 10:00", same("czj", "mzj")),
			file("gaj", 3, "2027-02-25 11:00", same("czj")),
		}, "需核实：县公安局交来的文件名提到县财政局，且内容与县财政局、县民政局的相同"},
		{"RosterOrder", []rules.Submission{
			file("mzj", 1, "2027-02-25 09:00", same("czj")),
			file("gaj", 1, "2027-02-25 10:00", same("czj")),
		}, "需核实：县公安局交来的文件与县财政局的相同\n需核实：县民政局交来的文件与县财政局的相同"},
		{"BeforeTheLastDigest_NotAgain", []rules.Submission{file("gaj", 1, "2027-02-24 09:00", same("czj"))}, ""},
		{"Withdrawn_NotListed", []rules.Submission{file("gaj", -7, "2027-02-25 09:00", same("czj"))}, ""},
		{"NothingFound_NotListed", []rules.Submission{file("gaj", 1, "2027-02-25 09:00", rules.Resemblance{})}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := rules.BuildDigest(cal(), rules.DefaultReminderPolicy(), testUnits, nil, at("2027-02-25 17:30"))
			d.Since = since
			d.ToVerify = tt.files
			got := d.DirectorText()
			if tt.want == "" {
				if strings.Contains(got, "需核实") {
					t.Errorf("digest lists a file to verify:\n%s", got)
				}
				return
			}
			if !strings.HasSuffix(got, "\n"+tt.want) || strings.Count(got, "需核实") != strings.Count(tt.want, "需核实") {
				t.Errorf("digest:\n%s\nwant it to end with:\n%s", got, tt.want)
			}
			if g := d.GroupText(); strings.Contains(g, "需核实") {
				t.Errorf("group digest lists files to verify:\n%s", g)
			}
		})
	}
}

// TestDigestFilesToVerifyWithinPhoneBudget: 28 units, every one owing its
// report and every one having sent a file like another unit's, still make
// a digest of at most rules.PhoneLineBudget lines: past five units, or when
// the units' lines would be long, the list is one line naming as many as fit.
func TestDigestFilesToVerifyWithinPhoneBudget(t *testing.T) {
	var units []rules.Unit
	var files []rules.Submission
	for i := range 28 {
		key := fmt.Sprintf("u%02d", i)
		units = append(units, unit(key, fmt.Sprintf("县第%d号单位文化体育广播电视和旅游局", i)))
		files = append(files, rules.Submission{Year: 2027, UnitKey: key, Stage: rules.StageSupporting, Version: 1,
			ReceivedAt: at("2027-03-04 09:00"), Resembles: rules.Resemblance{SameAs: []string{"u00"}, Named: []string{"u01"}}})
	}
	for _, n := range []int{5, 6, 28} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := rules.BuildDigest(cal(), rules.DefaultReminderPolicy(), units, nil, at("2027-03-04 17:30"))
			d.Since = at("2027-03-03 17:30")
			d.ToVerify = files[:n]
			got := d.DirectorText()
			if lines := rules.PhoneLines(got); lines > rules.PhoneLineBudget {
				t.Errorf("%d files: digest takes %d phone lines (budget %d):\n%s", n, lines, rules.PhoneLineBudget, got)
			}
			// These names are long: even five units' lines would take more
			// than the list's share, so it is one line, counting them.
			if c := strings.Count(got, "需核实"); c != 1 || !strings.Contains(got, fmt.Sprintf("等%d个单位交来的文件可能属于其他单位", n)) {
				t.Errorf("%d files: want one 需核实 line counting them:\n%s", n, got)
			}
		})
	}
}
