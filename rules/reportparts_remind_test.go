package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

// partsCheck is a saved check of version v lacking parts.
func partsCheck(v int, parts ...rules.ReportPart) rules.SavedReportCheck {
	return rules.SavedReportCheck{SubmissionID: int64(10 + v), Version: v, Check: rules.ReportCheck{Chars: 3000, MissingParts: parts}}
}

// TestReportPartsReminders: before the due date a unit whose latest report
// lacks a part gets it named in its next reminder slot after the report
// came; not for a check of an older version, not for an unread file, not
// after the due date, not when nothing is missing.
func TestReportPartsReminders(t *testing.T) {
	sent := at("2027-02-20 15:00")
	uy := submitted("czj", rules.StageSelfAssessment, sent)
	v2 := uy
	v2.Versions = map[rules.Stage]int{rules.StageSelfAssessment: 2}
	unread := partsCheck(1, rules.PartProblems)
	unread.Check.Unread = "格式暂不支持"
	tests := []struct {
		name  string
		now   time.Time
		uy    rules.UnitYear
		check rules.SavedReportCheck
		want  string // the line to czj, "" for no reminder
	}{
		{"7 days before: named", at("2027-02-22 10:00"), uy, partsCheck(1, rules.PartProblems),
			"1. 贵单位报告尚缺“存在的问题”部分，请补充后于2027年3月1日前重新报送，还剩7天。"},
		{"two parts, due day", at("2027-03-01 10:00"), uy, partsCheck(1, rules.PartProblems, rules.PartImprovements),
			"1. 贵单位报告尚缺“存在的问题”、“改进措施”部分，请补充后于2027年3月1日前重新报送，今天截止。"},
		{"complete report", at("2027-02-22 10:00"), uy, partsCheck(1), ""},
		{"check of an older version", at("2027-02-22 10:00"), v2, partsCheck(1, rules.PartProblems), ""},
		{"file not read", at("2027-02-22 10:00"), uy, unread, ""},
		{"after the due date", at("2027-03-02 10:00"), uy, partsCheck(1, rules.PartProblems), ""},
		{"before the report came", at("2027-02-20 14:00"), rules.UnitYear{UnitKey: "czj"}, partsCheck(1, rules.PartProblems), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := input(tc.now, time.Time{})
			in.Years = []rules.UnitYear{tc.uy}
			in.ReportChecks = map[string]rules.SavedReportCheck{"czj": tc.check}
			p := rules.PlanReminders(in)
			var text string
			var asserts []rules.Obligation
			for _, m := range p.Messages {
				if m.To.Remark == "督导-czj" {
					text, asserts = m.Text, m.Asserts
				}
			}
			if tc.want == "" {
				if strings.Contains(text, "尚缺") {
					t.Fatalf("reminder names a part:\n%s", text)
				}
				return
			}
			if !strings.Contains(text, "\n"+tc.want+"\n") {
				t.Fatalf("reminder to 县财政局 lacks %q:\n%s", tc.want, text)
			}
			if len(asserts) != 1 || asserts[0].Stage != rules.StageReportParts || asserts[0].UnitKey != "czj" {
				t.Errorf("asserts %+v, want the report_parts obligation of czj", asserts)
			}
		})
	}
}

// TestRecheckReportParts: at send time the reminder names what the latest
// checked version still lacks; a complete version, or a newer one not yet
// checked, supersedes it.
func TestRecheckReportParts(t *testing.T) {
	uy := submitted("czj", rules.StageSelfAssessment, at("2027-02-20 15:00"))
	in := input(at("2027-02-22 10:00"), time.Time{})
	in.Years = []rules.UnitYear{uy}
	in.ReportChecks = map[string]rules.SavedReportCheck{"czj": partsCheck(1, rules.PartProblems, rules.PartImprovements)}
	m := messageTo(t, rules.PlanReminders(in), "督导-czj")

	v2 := uy
	v2.Versions = map[rules.Stage]int{rules.StageSelfAssessment: 2}
	truth := func(uy rules.UnitYear, c rules.SavedReportCheck) rules.TruthInput {
		return rules.TruthInput{Calendar: cal(), Units: testUnits, Now: at("2027-02-22 10:05"),
			Years: map[string]rules.UnitYear{"czj": uy}, ReportChecks: map[string]rules.SavedReportCheck{"czj": c}}
	}
	out, ok := rules.RecheckReminder(truth(v2, partsCheck(2, rules.PartImprovements)), m)
	if !ok || !strings.Contains(out.Text, "1. 贵单位报告尚缺“改进措施”部分，") || strings.Contains(out.Text, "存在的问题") {
		t.Errorf("version 2 lacks only 改进措施: ok=%t\n%s", ok, out.Text)
	}
	if _, ok := rules.RecheckReminder(truth(v2, partsCheck(2)), m); ok {
		t.Error("sent after a complete version was checked")
	}
	if _, ok := rules.RecheckReminder(truth(v2, partsCheck(1, rules.PartProblems)), m); ok {
		t.Error("sent while version 2 is not yet checked")
	}
	late := truth(uy, partsCheck(1, rules.PartProblems))
	late.Now = at("2027-03-02 08:00")
	if _, ok := rules.RecheckReminder(late, m); ok {
		t.Error("sent after the due date")
	}
}

// TestDigestReportGaps: the directors' digest lists the units whose latest
// report lacks a part or names another unit, with what, in one line; the
// group digest does not.
func TestDigestReportGaps(t *testing.T) {
	years := []rules.UnitYear{
		submitted("czj", rules.StageSelfAssessment, at("2027-02-10 09:00")),
		submitted("gaj", rules.StageSelfAssessment, at("2027-02-11 09:00")),
		submitted("mzj", rules.StageSelfAssessment, at("2027-02-12 09:00")),
	}
	other := partsCheck(1)
	other.Check.OtherUnit, other.Check.OtherCount = "县教育和科学技术局", 6
	checks := map[string]rules.SavedReportCheck{"czj": partsCheck(1, rules.PartProblems), "gaj": other, "mzj": partsCheck(1)}
	d := rules.BuildDigest(cal(), rules.DefaultReminderPolicy(), testUnits, years, at("2027-02-25 17:30"))
	d.ReportGaps = rules.ReportGaps(testUnits, years, checks)
	want := "\n自查自评报告内容待完善（2个）：县财政局（缺“存在的问题”）、县公安局（疑为县教育和科学技术局的报告）"
	if txt := d.DirectorText(); !strings.HasSuffix(txt, want) {
		t.Errorf("digest lacks %q:\n%s", want, txt)
	}
	if g := d.GroupText(); strings.Contains(g, "待完善") {
		t.Errorf("group digest names the gaps:\n%s", g)
	}
}

// TestDigestReportGapsLargeRoster: with 200 reports to improve the
// director's digest still fits a phone screen: the first names and the
// count.
func TestDigestReportGapsLargeRoster(t *testing.T) {
	var units []rules.Unit
	var gaps []rules.ReportGap
	for i := 1; i <= 200; i++ {
		u := rules.Unit{Key: fmt.Sprintf("u%03d", i), Name: fmt.Sprintf("县直属第%03d单位", i), SortOrder: i}
		units = append(units, u)
		gaps = append(gaps, rules.ReportGap{UnitKey: u.Key, Missing: []rules.ReportPart{rules.PartProblems}})
	}
	d := rules.BuildDigest(cal(), rules.DefaultReminderPolicy(), units, nil, at("2027-02-25 17:30"))
	d.ReportGaps = gaps
	txt := d.DirectorText()
	if n := rules.PhoneLines(txt); n > rules.PhoneLineBudget {
		t.Errorf("digest takes %d phone lines, want at most %d:\n%s", n, rules.PhoneLineBudget, txt)
	}
	if !strings.Contains(txt, "\n自查自评报告内容待完善（200个）：县直属第001单位、") || !strings.HasSuffix(txt, "等200个") {
		t.Errorf("digest lacks the first names and the count:\n%s", txt)
	}
}
