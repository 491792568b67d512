package rules_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

func TestStageApplies(t *testing.T) {
	all := rules.Unit{Key: "czj"}
	saOnly := rules.Unit{Key: "czj", Stages: []rules.Stage{rules.StageSelfAssessment}}
	none := rules.Unit{Key: "ddb", Stages: []rules.Stage{}}
	noDone := rules.Unit{Key: "czj", Stages: []rules.Stage{rules.StageSelfAssessment, rules.StageFeedback, rules.StageRectificationPlan}}
	unmarked := rules.Inspected{}
	inCzj := rules.NewInspected([]string{"czj"})
	inOther := rules.NewInspected([]string{"gaj"})
	SA, FB, RP, RD := rules.StageSelfAssessment, rules.StageFeedback, rules.StageRectificationPlan, rules.StageRectificationDone
	for _, tc := range []struct {
		name string
		u    rules.Unit
		in   rules.Inspected
		want map[rules.Stage]bool
	}{
		{"default unit, set not marked: everything", all, unmarked, map[rules.Stage]bool{SA: true, FB: true, RP: true, RD: true}},
		{"default unit, inspected", all, inCzj, map[rules.Stage]bool{SA: true, FB: true, RP: true, RD: true}},
		{"default unit, not inspected: no feedback, no rectification", all, inOther, map[rules.Stage]bool{SA: true}},
		{"self-assessment only (inspected: false)", saOnly, inCzj, map[rules.Stage]bool{SA: true}},
		{"not evaluated (the office)", none, unmarked, map[rules.Stage]bool{}},
		{"no completion stage", noDone, unmarked, map[rules.Stage]bool{SA: true, FB: true, RP: true}},
		{"no completion stage, not inspected", noDone, inOther, map[rules.Stage]bool{SA: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			na := rules.NotApplicableStages(tc.u, tc.in)
			for _, s := range rules.AllStages {
				if got := rules.StageApplies(tc.u, tc.in, s); got != tc.want[s] {
					t.Errorf("StageApplies(%s) = %v, want %v", s, got, tc.want[s])
				}
				if na[s] == tc.want[s] {
					t.Errorf("NotApplicableStages[%s] = %v, want %v", s, na[s], !tc.want[s])
				}
			}
			if !rules.StageApplies(tc.u, tc.in, rules.StageSupporting) {
				t.Error("supporting material must always apply")
			}
			if len(tc.want) == len(rules.AllStages) && na != nil {
				t.Errorf("all stages apply: NotApplicableStages = %v, want nil", na)
			}
		})
	}
}

func TestParseStages(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    []rules.Stage
		wantErr error
	}{
		{[]string{"self_assessment"}, []rules.Stage{rules.StageSelfAssessment}, nil},
		{[]string{"rectification_plan", "feedback", "self_assessment"},
			[]rules.Stage{rules.StageSelfAssessment, rules.StageFeedback, rules.StageRectificationPlan}, nil},
		{[]string{}, []rules.Stage{}, nil},
		{[]string{"self_assesment"}, nil, rules.ErrUnknownStage},
		{[]string{"supporting"}, nil, rules.ErrUnknownStage},
		{[]string{"self_assessment", "rectification_plan"}, nil, rules.ErrStagesContradict},
		{[]string{"rectification_done"}, nil, rules.ErrStagesContradict},
	} {
		got, err := rules.ParseStages(tc.in)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && !slices.Equal(got, tc.want)) {
			t.Errorf("ParseStages(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestNotApplicableStatus(t *testing.T) {
	c := cal()
	office := rules.UnitYear{UnitKey: "ddb", NotApplicable: rules.NotApplicableStages(rules.Unit{Key: "ddb", Stages: []rules.Stage{}}, rules.Inspected{})}
	notInspected := rules.UnitYear{UnitKey: "czj", NotApplicable: rules.NotApplicableStages(rules.Unit{Key: "czj"}, rules.NewInspected([]string{"gaj"}))}
	may20 := at("2027-05-20 10:00")
	for _, tc := range []struct {
		name string
		u    rules.UnitYear
		want map[rules.Stage]rules.StatusKind
	}{
		// Before: the office's own 状态 said 自查自评报告 已逾期80天.
		{"office on 20 May", office, map[rules.Stage]rules.StatusKind{
			rules.StageSelfAssessment: rules.StatusNotApplicable, rules.StageFeedback: rules.StatusNotApplicable,
			rules.StageRectificationPlan: rules.StatusNotApplicable, rules.StageRectificationDone: rules.StatusNotApplicable}},
		{"not inspected unit on 20 May", notInspected, map[rules.Stage]rules.StatusKind{
			rules.StageSelfAssessment: rules.StatusOverdue, rules.StageFeedback: rules.StatusNotApplicable,
			rules.StageRectificationPlan: rules.StatusNotApplicable, rules.StageRectificationDone: rules.StatusNotApplicable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range rules.UnitStatus(c, tc.u, may20) {
				if st.Kind != tc.want[st.Stage] {
					t.Errorf("%s: %v (%s), want %v", st.Stage, st.Kind, st.Text(), tc.want[st.Stage])
				}
				if st.Kind == rules.StatusNotApplicable {
					if st.Kind.Missing() || st.Kind.Submitted() {
						t.Errorf("%s: 不适用 counted as missing or submitted", st.Stage)
					}
					if st.Text() != "不适用" || st.Kind.Label() != "不适用" {
						t.Errorf("%s: text %q label %q, want 不适用", st.Stage, st.Text(), st.Kind.Label())
					}
				}
			}
			if got := rules.SubmissionCandidates(c, tc.u, at("2027-02-20 10:00")); slices.Contains(got, rules.StageFeedback) ||
				(!tc.u.Applies(rules.StageSelfAssessment) && len(got) != 0) {
				t.Errorf("candidates %v offer a stage that does not apply", got)
			}
		})
	}
	// Something received for a stage that does not apply is shown as received.
	got := notInspected
	got.FeedbackAt = at("2027-05-03 15:00")
	if st := rules.StageStatusOf(c, got, rules.StageFeedback, may20); st.Kind != rules.StatusOnTime {
		t.Errorf("delivered feedback to a unit not marked inspected: %v, want 按时提交", st.Kind)
	}
}

func TestOverviewNotApplicable(t *testing.T) {
	c := cal()
	years := []rules.UnitYear{
		{UnitKey: "czj"},
		{UnitKey: "gaj", NotApplicable: rules.NotApplicableStages(rules.Unit{Key: "gaj"}, rules.NewInspected([]string{"czj"}))},
		{UnitKey: "ddb", NotApplicable: rules.NotApplicableStages(rules.Unit{Key: "ddb", Stages: []rules.Stage{}}, rules.Inspected{})},
	}
	counts := rules.Overview(c, years, at("2027-05-20 10:00"))
	want := map[rules.Stage][2]int{ // missing, not applicable
		rules.StageSelfAssessment: {2, 1},
		rules.StageFeedback:       {1, 2},
	}
	for _, sc := range counts {
		w, ok := want[sc.Stage]
		if !ok {
			continue
		}
		if len(sc.Missing) != w[0] || sc.NotApplicable != w[1] {
			t.Errorf("%s: missing %v, 不适用 %d; want %d missing, %d 不适用", sc.Stage, sc.Missing, sc.NotApplicable, w[0], w[1])
		}
		if slices.Contains(sc.Missing, "ddb") {
			t.Errorf("%s: the office listed as missing", sc.Stage)
		}
	}
}

// The planner sends nothing for a stage that does not apply, and the
// office's own feedback reminder names only the units owed feedback.
func TestPlanRemindersNotApplicable(t *testing.T) {
	units := append(append([]rules.Unit(nil), testUnits...), unit("ddb", "县人民政府教育督导委员会办公室"))
	units[3].Stages = []rules.Stage{}
	in := input(at("2027-03-01 10:00"), time.Time{})
	in.Units = units
	insp := rules.NewInspected([]string{"czj", "gaj"})
	for _, u := range units {
		in.Years = append(in.Years, rules.UnitYear{UnitKey: u.Key, NotApplicable: rules.NotApplicableStages(u, insp)})
	}
	p := rules.PlanReminders(in)
	if got := recipients(p.Messages, "reminder"); slices.Contains(got, "督导-ddb") || len(got) != 3 {
		t.Errorf("self-assessment reminders to %v, want the three evaluated units only", got)
	}
	in.Now = at("2027-05-10 10:00")
	in.Recorded = nil
	p = rules.PlanReminders(in)
	var office string
	for _, m := range p.Messages {
		if m.To.Remark == "督导办主任" && m.Kind == "reminder" {
			office = m.Text
		}
	}
	if !strings.Contains(office, "尚未反馈的单位（2个）：县财政局、县公安局") {
		t.Errorf("office reminder does not list exactly the inspected units:\n%s", office)
	}
	for _, m := range p.Messages {
		if strings.HasPrefix(m.To.Remark, "督导-mzj") || strings.HasPrefix(m.To.Remark, "督导-ddb") {
			if strings.Contains(m.Text, "自查自评报告") && m.To.Remark == "督导-ddb" || strings.Contains(m.Text, "整改") {
				t.Errorf("reminder for a stage that does not apply to %s: %s", m.To.Remark, m.Text)
			}
		}
	}
}

// TestDefaultCadence plays the shipped policy for a unit that submits three
// weeks late: reminders 30/14/7/3/1/0 days ahead, never on a weekend (a
// Saturday or Sunday slot goes on the Friday before, an overdue one never
// before the deadline has passed), five daily overdue reminders in the firm
// wording, then one a week until it submits; the directors hear once that
// the unit's reminders became weekly. Restarts (replanning with the records)
// repeat nothing.
func TestDefaultCadence(t *testing.T) {
	in := input(at("2027-01-20 10:00"), time.Time{})
	in.Policy = rules.DefaultReminderPolicy()
	in.Units = testUnits[:2] // czj submits on 24 March; gaj on 3 March
	submittedAt := map[string]time.Time{"gaj": at("2027-03-03 15:00"), "czj": at("2027-03-24 15:00")}
	var director, czjDays []string
	texts := map[string]string{}
	for day := at("2027-01-20 10:00"); day.Before(at("2027-04-10 10:00")); day = day.AddDate(0, 0, 1) {
		in.Now = day
		in.Years = nil
		for _, u := range in.Units {
			uy := rules.UnitYear{UnitKey: u.Key}
			if s := submittedAt[u.Key]; s.Before(day) {
				uy = submitted(u.Key, rules.StageSelfAssessment, s)
			}
			in.Years = append(in.Years, uy)
		}
		for range 2 { // a second sweep the same moment (a restart) adds nothing
			p := rules.PlanReminders(in)
			in.Recorded = apply(in.Recorded, p)
			for _, m := range p.Messages {
				d := rules.DateOf(day, sh).String()
				switch {
				case m.Kind == "escalation":
					director = append(director, d+" "+m.Key+"\n"+m.Text)
				case m.To.Remark == "督导-czj":
					czjDays = append(czjDays, d[5:])
					texts[d[5:]] = m.Text
				}
				if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("%s sent on a %s: %s", m.To.Remark, wd, m.Text)
				}
			}
			in.LastSweep = day
		}
	}
	wantDays := []string{
		"01-29",                   // 30 days ahead (Sat 30 Jan → Friday)
		"02-15", "02-22", "02-26", // 14, 7, 3 days (1 day ahead is Sunday 28 Feb → Friday 26)
		"03-01",                            // the due date
		"03-02", "03-03", "03-04", "03-05", // overdue 1–4 days; the 5th (Sat 6 Mar) → Friday 5
		"03-12", "03-19", // then weekly (Saturdays → Fridays) until the 24 March submission
	}
	if !slices.Equal(czjDays, wantDays) {
		t.Errorf("czj reminded on %v, want %v", czjDays, wantDays)
	}
	for day, want := range map[string]string{
		"01-29": "截止日期为2027年3月1日，还剩31天。\n请尽快报送",
		"03-02": "截止日期为2027年3月1日，已记为逾期1天，将在年度报告中体现。\n请立即报送",
		"03-12": "截止日期为2027年3月1日，已记为逾期11天，将在年度报告中体现。\n请立即报送",
	} {
		if !strings.Contains(texts[day], want) {
			t.Errorf("reminder of %s lacks %q:\n%s", day, want, texts[day])
		}
	}
	wantDirector := []string{
		"2027-03-05 stopped:2027|czj|self_assessment|stopped:督导办主任\n" +
			"【督导提醒】转为每周提醒：县财政局 自查自评报告 已逾期4天\n" +
			"该单位已收到5次逾期提醒，仍未报送。此后每周提醒一次，直至报送。建议您直接联系督促。",
	}
	if !slices.Equal(director, wantDirector) {
		t.Errorf("director escalation messages:\n%s\nwant:\n%s", strings.Join(director, "\n---\n"), strings.Join(wantDirector, "\n---\n"))
	}
}
