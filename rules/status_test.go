package rules_test

import (
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // the zone must not depend on the host

	"dudaobot/rules"
)

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ymd(y int, m time.Month, d int) rules.Date { return rules.Date{Year: y, Month: m, Day: d} }

// calendar2027 is the shipped config's year: due 1 March, inspection
// 2 March–30 April, feedback within 14 days, plans within 7.
func calendar2027(t testing.TB) rules.Calendar {
	return rules.Calendar{
		Year:                  2027,
		Location:              loadZone(t, "Asia/Shanghai"),
		SelfAssessmentDue:     ymd(2027, time.March, 1),
		InspectionStart:       ymd(2027, time.March, 2),
		InspectionEnd:         ymd(2027, time.April, 30),
		FeedbackDays:          14,
		RectificationPlanDays: 7,
	}
}

// calendar2028 is a leap year whose self-assessment is due on 29 February
// and whose inspection ends on 20 February, so feedback arithmetic crosses
// the leap day.
func calendar2028(t testing.TB) rules.Calendar {
	return rules.Calendar{
		Year:                  2028,
		Location:              loadZone(t, "Asia/Shanghai"),
		SelfAssessmentDue:     ymd(2028, time.February, 29),
		InspectionStart:       ymd(2028, time.February, 1),
		InspectionEnd:         ymd(2028, time.February, 20),
		FeedbackDays:          14,
		RectificationPlanDays: 7,
	}
}

// statusSummary is the part of a StageStatus the tables compare.
type statusSummary struct {
	Kind     rules.StatusKind
	Days     int
	Versions int
	Text     string
}

func summarize(st rules.StageStatus) statusSummary {
	return statusSummary{Kind: st.Kind, Days: st.Days, Versions: st.Versions, Text: st.Text()}
}

func unitSubmitted(stage rules.Stage, first time.Time) rules.UnitYear {
	u := rules.UnitYear{UnitKey: "czj"}
	if !first.IsZero() {
		u.FirstSubmitted = map[rules.Stage]time.Time{stage: first}
		u.LastSubmitted = map[rules.Stage]time.Time{stage: first}
		u.Versions = map[rules.Stage]int{stage: 1}
	}
	return u
}

func TestSelfAssessmentDeadlineInstant(t *testing.T) {
	c27, c28 := calendar2027(t), calendar2028(t)
	sh := c27.Location
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time { return time.Date(y, mo, d, h, mi, s, 0, sh) }
	tests := []struct {
		name      string
		cal       rules.Calendar
		submitted time.Time
		now       time.Time
		want      statusSummary
	}{
		{"last second of the due day", c27, at(2027, 3, 1, 23, 59, 59), at(2027, 3, 5, 10, 0, 0),
			statusSummary{rules.StatusOnTime, 0, 1, "按时提交"}},
		{"first second after", c27, at(2027, 3, 2, 0, 0, 0), at(2027, 3, 5, 10, 0, 0),
			statusSummary{rules.StatusLate, 1, 1, "逾期1天提交"}},
		{"the same instant in UTC is judged in Shanghai", c27, time.Date(2027, 3, 1, 16, 0, 0, 0, time.UTC), at(2027, 3, 5, 10, 0, 0),
			statusSummary{rules.StatusLate, 1, 1, "逾期1天提交"}},
		{"one week late", c27, at(2027, 3, 8, 9, 0, 0), at(2027, 3, 9, 10, 0, 0),
			statusSummary{rules.StatusLate, 7, 1, "逾期7天提交"}},
		{"not yet submitted, days left", c27, time.Time{}, at(2027, 2, 22, 10, 0, 0),
			statusSummary{rules.StatusOpen, 7, 0, "未提交（剩7天）"}},
		{"not yet submitted, last day", c27, time.Time{}, at(2027, 3, 1, 23, 59, 59),
			statusSummary{rules.StatusOpen, 0, 0, "未提交（今天截止）"}},
		{"not submitted, deadline passed", c27, time.Time{}, at(2027, 3, 2, 0, 0, 0),
			statusSummary{rules.StatusOverdue, 1, 0, "已逾期1天"}},
		{"before the year opens", c27, time.Time{}, at(2026, 12, 31, 23, 0, 0),
			statusSummary{rules.StatusNotOpen, 0, 0, "未开始"}},
		{"leap year: on 29 February", c28, at(2028, 2, 29, 23, 59, 59), at(2028, 3, 3, 10, 0, 0),
			statusSummary{rules.StatusOnTime, 0, 1, "按时提交"}},
		{"leap year: 1 March is late", c28, at(2028, 3, 1, 0, 0, 0), at(2028, 3, 3, 10, 0, 0),
			statusSummary{rules.StatusLate, 1, 1, "逾期1天提交"}},
		{"leap year: days left span 29 February", c28, time.Time{}, at(2028, 2, 27, 10, 0, 0),
			statusSummary{rules.StatusOpen, 2, 0, "未提交（剩2天）"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := unitSubmitted(rules.StageSelfAssessment, tc.submitted)
			got := summarize(rules.StageStatusOf(tc.cal, u, rules.StageSelfAssessment, tc.now))
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	d := rules.SelfAssessmentDeadline(c27)
	if got, want := d.Due, time.Date(2027, 3, 1, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Due = %v, want %v", got, want)
	}
	if got, want := d.Opens, time.Date(2027, 1, 1, 0, 0, 0, 0, sh); !got.Equal(want) {
		t.Errorf("Opens = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{at(2027, 3, 1, 23, 59, 59), true},
		{at(2027, 3, 2, 0, 0, 0), false},
	} {
		if got := rules.OnTime(d, tc.at); got != tc.want {
			t.Errorf("OnTime(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestDeadlineDates(t *testing.T) {
	c27, c28 := calendar2027(t), calendar2028(t)
	sh := c27.Location
	tests := []struct {
		name string
		got  rules.Deadline
		want rules.Date
	}{
		{"feedback 2027: 30 April + 14", rules.FeedbackDeadline(c27), ymd(2027, time.May, 14)},
		{"feedback 2028: 20 February + 14 crosses the leap day", rules.FeedbackDeadline(c28), ymd(2028, time.March, 5)},
		{"plan 2028: feedback 25 February + 7 crosses the leap day",
			rules.RectificationPlanDeadline(c28, time.Date(2028, 2, 25, 10, 0, 0, 0, sh)), ymd(2028, time.March, 3)},
		{"plan 2027: feedback 25 February + 7 (no leap day)",
			rules.RectificationPlanDeadline(c27, time.Date(2027, 2, 25, 10, 0, 0, 0, sh)), ymd(2027, time.March, 4)},
		{"plan 2028: feedback on the leap day",
			rules.RectificationPlanDeadline(c28, time.Date(2028, 2, 29, 18, 0, 0, 0, sh)), ymd(2028, time.March, 7)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.got.Open {
				t.Fatalf("deadline not open: %+v", tc.got)
			}
			if tc.got.DueDate != tc.want {
				t.Errorf("DueDate = %s, want %s", tc.got.DueDate, tc.want)
			}
			if want := tc.want.End(sh); !tc.got.Due.Equal(want) {
				t.Errorf("Due = %v, want %v (end of the due day)", tc.got.Due, want)
			}
		})
	}
}

// Each unit's 7 days start at its own feedback, counted from the day in
// Shanghai on which the feedback arrived.
func TestRectificationPlanPerUnitFeedback(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	tests := []struct {
		name       string
		feedbackAt time.Time
		wantDue    rules.Date
	}{
		{"unit A: feedback 10 May afternoon", time.Date(2027, 5, 10, 15, 0, 0, 0, sh), ymd(2027, time.May, 17)},
		{"unit B: feedback 14 May morning", time.Date(2027, 5, 14, 9, 0, 0, 0, sh), ymd(2027, time.May, 21)},
		{"unit C: 10 May 16:30 UTC is 11 May in Shanghai", time.Date(2027, 5, 10, 16, 30, 0, 0, time.UTC), ymd(2027, time.May, 18)},
		{"unit D: feedback at month end", time.Date(2027, 5, 28, 11, 0, 0, 0, sh), ymd(2027, time.June, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := rules.UnitYear{UnitKey: "x", FeedbackAt: tc.feedbackAt}
			d := rules.DeadlineFor(c, u, rules.StageRectificationPlan)
			if got := d.DueDate; got != tc.wantDue {
				t.Errorf("DueDate = %s, want %s", got, tc.wantDue)
			}
			if !d.Opens.Equal(tc.feedbackAt) {
				t.Errorf("Opens = %v, want the feedback time %v", d.Opens, tc.feedbackAt)
			}
		})
	}

	// The same instant, two units: A (feedback 10 May) is overdue while B
	// (feedback 14 May) still has time.
	now := time.Date(2027, 5, 19, 10, 0, 0, 0, sh)
	a := rules.UnitYear{UnitKey: "a", FeedbackAt: time.Date(2027, 5, 10, 15, 0, 0, 0, sh)}
	b := rules.UnitYear{UnitKey: "b", FeedbackAt: time.Date(2027, 5, 14, 9, 0, 0, 0, sh)}
	for _, tc := range []struct {
		u    rules.UnitYear
		want statusSummary
	}{
		{a, statusSummary{rules.StatusOverdue, 2, 0, "已逾期2天"}},
		{b, statusSummary{rules.StatusOpen, 2, 0, "未提交（剩2天）"}},
	} {
		if got := summarize(rules.StageStatusOf(c, tc.u, rules.StageRectificationPlan, now)); got != tc.want {
			t.Errorf("unit %s: got %+v, want %+v", tc.u.UnitKey, got, tc.want)
		}
	}
}

// A second version after the deadline never turns an on-time stage late:
// lateness is judged on the first version.
func TestResubmissionAfterDeadline(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	first := time.Date(2027, 2, 20, 10, 0, 0, 0, sh)
	second := time.Date(2027, 3, 5, 11, 0, 0, 0, sh)
	u := rules.UnitYear{
		UnitKey:        "czj",
		FirstSubmitted: map[rules.Stage]time.Time{rules.StageSelfAssessment: first},
		LastSubmitted:  map[rules.Stage]time.Time{rules.StageSelfAssessment: second},
		Versions:       map[rules.Stage]int{rules.StageSelfAssessment: 2},
	}
	st := rules.StageStatusOf(c, u, rules.StageSelfAssessment, time.Date(2027, 3, 6, 9, 0, 0, 0, sh))
	if got, want := summarize(st), (statusSummary{rules.StatusOnTime, 0, 2, "按时提交"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if !st.SubmittedAt.Equal(first) || !st.LastAt.Equal(second) {
		t.Errorf("SubmittedAt, LastAt = %v, %v; want %v, %v", st.SubmittedAt, st.LastAt, first, second)
	}
	d := rules.SelfAssessmentDeadline(c)
	if got, want := []bool{rules.OnTime(d, first), rules.OnTime(d, second)}, []bool{true, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("per-version OnTime = %v, want %v", got, want)
	}
}

// The office's own obligation: written feedback within 14 days after the
// inspection ends (30 April → 14 May).
func TestOfficeFeedbackLate(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	at := func(mo time.Month, d, h int) time.Time { return time.Date(2027, mo, d, h, 0, 0, 0, sh) }
	tests := []struct {
		name       string
		feedbackAt time.Time
		now        time.Time
		want       statusSummary
	}{
		{"before the inspection starts", time.Time{}, at(time.February, 20, 10), statusSummary{rules.StatusNotOpen, 0, 0, "未开始"}},
		{"during the inspection", time.Time{}, at(time.April, 10, 10), statusSummary{rules.StatusOpen, 34, 0, "未提交（剩34天）"}},
		{"delivered on the due day", at(time.May, 14, 17), at(time.May, 20, 10), statusSummary{rules.StatusOnTime, 0, 1, "按时提交"}},
		{"delivered 16 May: late 2 days", at(time.May, 16, 10), at(time.May, 20, 10), statusSummary{rules.StatusLate, 2, 1, "逾期2天提交"}},
		{"not delivered at 20 May: overdue 6 days", time.Time{}, at(time.May, 20, 10), statusSummary{rules.StatusOverdue, 6, 0, "已逾期6天"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := rules.UnitYear{UnitKey: "czj", FeedbackAt: tc.feedbackAt}
			st := rules.StageStatusOf(c, u, rules.StageFeedback, tc.now)
			if got := summarize(st); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if got, want := st.Deadline.DueDate, ymd(2027, time.May, 14); got != want {
				t.Errorf("DueDate = %s, want %s", got, want)
			}
		})
	}
}

func TestNotOpenBeforeFeedback(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	tests := []struct {
		name string
		now  time.Time
	}{
		{"in February", time.Date(2027, 2, 1, 10, 0, 0, 0, sh)},
		{"after the inspection, feedback not yet given", time.Date(2027, 5, 20, 10, 0, 0, 0, sh)},
		{"late in the year", time.Date(2027, 12, 31, 23, 0, 0, 0, sh)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := rules.UnitYear{UnitKey: "czj"}
			st := rules.StageStatusOf(c, u, rules.StageRectificationPlan, tc.now)
			if got, want := summarize(st), (statusSummary{rules.StatusNotOpen, 0, 0, "未开始"}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if st.Deadline.Open {
				t.Errorf("deadline open without feedback: %+v", st.Deadline)
			}
			if st.Kind.Missing() || st.Kind.Submitted() {
				t.Errorf("NotOpen counts as missing=%v submitted=%v", st.Kind.Missing(), st.Kind.Submitted())
			}
		})
	}
}

func TestRectificationDone(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	at := func(mo time.Month, d, h int) time.Time { return time.Date(2027, mo, d, h, 0, 0, 0, sh) }
	due := ymd(2027, time.August, 31)
	tests := []struct {
		name      string
		due       rules.Date
		submitted time.Time
		now       time.Time
		want      statusSummary
	}{
		{"no date, nothing sent", rules.Date{}, time.Time{}, at(time.September, 10, 10), statusSummary{rules.StatusNotOpen, 0, 0, "未开始"}},
		{"no date, report sent anyway", rules.Date{}, at(time.June, 1, 10), at(time.September, 10, 10), statusSummary{rules.StatusOnTime, 0, 1, "按时提交"}},
		{"date set, one day left", due, time.Time{}, at(time.August, 30, 10), statusSummary{rules.StatusOpen, 1, 0, "未提交（剩1天）"}},
		{"date set, overdue", due, time.Time{}, at(time.September, 1, 10), statusSummary{rules.StatusOverdue, 1, 0, "已逾期1天"}},
		{"date set, sent on the day", due, at(time.August, 31, 20), at(time.September, 1, 10), statusSummary{rules.StatusOnTime, 0, 1, "按时提交"}},
		{"date set, sent two days late", due, at(time.September, 2, 9), at(time.September, 3, 10), statusSummary{rules.StatusLate, 2, 1, "逾期2天提交"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := unitSubmitted(rules.StageRectificationDone, tc.submitted)
			u.RectificationDue = tc.due
			u.FeedbackAt = at(time.May, 10, 15)
			if got := summarize(rules.StageStatusOf(c, u, rules.StageRectificationDone, tc.now)); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	// Without feedback the completion clock opens on 1 January.
	d := rules.RectificationDoneDeadline(c, due, time.Time{})
	if got, want := d.Opens, ymd(2027, time.January, 1).Start(sh); !got.Equal(want) {
		t.Errorf("Opens without feedback = %v, want %v", got, want)
	}
}

func TestSubmissionCandidates(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	at := func(y int, mo time.Month, d, h int) time.Time { return time.Date(y, mo, d, h, 0, 0, 0, sh) }
	saOnTime := map[rules.Stage]time.Time{rules.StageSelfAssessment: at(2027, time.February, 20, 10)}
	feedback := at(2027, time.May, 10, 15)
	tests := []struct {
		name string
		u    rules.UnitYear
		now  time.Time
		want []rules.Stage
	}{
		{"none: before the year opens", rules.UnitYear{}, at(2026, time.December, 31, 10), nil},
		// A corrected report after the deadline is a new version of the
		// current stage, never supporting material (it used to be).
		{"self-assessment in, deadline passed, no feedback yet: new version", rules.UnitYear{FirstSubmitted: saOnTime}, at(2027, time.March, 10, 10), []rules.Stage{rules.StageSelfAssessment}},
		{"plan in and its deadline passed: new version of the plan", rules.UnitYear{FirstSubmitted: map[rules.Stage]time.Time{
			rules.StageSelfAssessment: at(2027, time.February, 20, 10), rules.StageRectificationPlan: at(2027, time.May, 12, 10)},
			FeedbackAt: feedback}, at(2027, time.June, 1, 10), []rules.Stage{rules.StageRectificationPlan}},
		{"self-assessment in late, plan current: the plan only", rules.UnitYear{FirstSubmitted: map[rules.Stage]time.Time{
			rules.StageSelfAssessment: at(2027, time.March, 5, 10)}, FeedbackAt: feedback}, at(2027, time.May, 12, 10), []rules.Stage{rules.StageRectificationPlan}},
		{"self-assessment only: open", rules.UnitYear{}, at(2027, time.February, 10, 10), []rules.Stage{rules.StageSelfAssessment}},
		{"self-assessment only: a new version before the deadline", rules.UnitYear{FirstSubmitted: saOnTime}, at(2027, time.February, 25, 10), []rules.Stage{rules.StageSelfAssessment}},
		{"self-assessment only: still owed after the deadline", rules.UnitYear{}, at(2027, time.March, 20, 10), []rules.Stage{rules.StageSelfAssessment}},
		{"plan only", rules.UnitYear{FirstSubmitted: saOnTime, FeedbackAt: feedback}, at(2027, time.May, 12, 10), []rules.Stage{rules.StageRectificationPlan}},
		{"plan only: owed after its deadline", rules.UnitYear{FirstSubmitted: saOnTime, FeedbackAt: feedback}, at(2027, time.June, 1, 10), []rules.Stage{rules.StageRectificationPlan}},
		{"both: plan first", rules.UnitYear{FeedbackAt: feedback}, at(2027, time.May, 12, 10), []rules.Stage{rules.StageRectificationPlan, rules.StageSelfAssessment}},
		{"plan and completion", rules.UnitYear{FirstSubmitted: saOnTime, FeedbackAt: feedback, RectificationDue: ymd(2027, time.August, 31)},
			at(2027, time.May, 12, 10), []rules.Stage{rules.StageRectificationPlan, rules.StageRectificationDone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.u.UnitKey = "czj"
			got := rules.SubmissionCandidates(c, tc.u, tc.now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOverview(t *testing.T) {
	c := calendar2027(t)
	sh := c.Location
	at := func(mo time.Month, d, h int) time.Time { return time.Date(2027, mo, d, h, 0, 0, 0, sh) }
	sa := func(tm time.Time) map[rules.Stage]time.Time {
		return map[rules.Stage]time.Time{rules.StageSelfAssessment: tm}
	}
	units := []rules.UnitYear{
		{UnitKey: "xwb", FirstSubmitted: sa(at(time.February, 27, 10))}, // on time
		{UnitKey: "zzb", FirstSubmitted: sa(at(time.March, 3, 10))},     // late
		{UnitKey: "xcb"}, // nothing
		{UnitKey: "czj", FirstSubmitted: sa(at(time.March, 1, 23)), FeedbackAt: at(time.May, 6, 10),
			RectificationDue: ymd(2027, time.May, 30)},
		{UnitKey: "jkj", FeedbackAt: at(time.May, 10, 10)},
	}
	tests := []struct {
		name string
		now  time.Time
		want []rules.StageCounts
	}{
		{"12 May", at(time.May, 12, 10), []rules.StageCounts{
			{Stage: rules.StageSelfAssessment, OnTime: 2, Late: 1, Overdue: 2, Missing: []string{"xcb", "jkj"}},
			{Stage: rules.StageFeedback, OnTime: 2, Open: 3, Missing: []string{"xwb", "zzb", "xcb"}},
			{Stage: rules.StageRectificationPlan, Open: 2, NotOpen: 3, Missing: []string{"czj", "jkj"}},
			{Stage: rules.StageRectificationDone, Open: 1, NotOpen: 4, Missing: []string{"czj"}},
		}},
		{"20 May", at(time.May, 20, 10), []rules.StageCounts{
			{Stage: rules.StageSelfAssessment, OnTime: 2, Late: 1, Overdue: 2, Missing: []string{"xcb", "jkj"}},
			{Stage: rules.StageFeedback, OnTime: 2, Overdue: 3, Missing: []string{"xwb", "zzb", "xcb"}},
			{Stage: rules.StageRectificationPlan, Overdue: 2, NotOpen: 3, Missing: []string{"czj", "jkj"}},
			{Stage: rules.StageRectificationDone, Open: 1, NotOpen: 4, Missing: []string{"czj"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Overview(c, units, tc.now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
	if got := rules.Overview(c, nil, at(time.May, 1, 10)); len(got) != len(rules.AllStages) {
		t.Errorf("Overview(no units) has %d stages, want %d", len(got), len(rules.AllStages))
	}
}

func TestStageStatusText(t *testing.T) {
	tests := []struct {
		st   rules.StageStatus
		want string
	}{
		{rules.StageStatus{Kind: rules.StatusNotOpen}, "未开始"},
		{rules.StageStatus{Kind: rules.StatusOnTime}, "按时提交"},
		{rules.StageStatus{Kind: rules.StatusLate, Days: 0}, "逾期1天提交"}, // late by hours still reads as a day
		{rules.StageStatus{Kind: rules.StatusLate, Days: 1}, "逾期1天提交"},
		{rules.StageStatus{Kind: rules.StatusLate, Days: 12}, "逾期12天提交"},
		{rules.StageStatus{Kind: rules.StatusOpen, Days: 0}, "未提交（今天截止）"},
		{rules.StageStatus{Kind: rules.StatusOpen, Days: 1}, "未提交（剩1天）"},
		{rules.StageStatus{Kind: rules.StatusOpen, Days: 30}, "未提交（剩30天）"},
		{rules.StageStatus{Kind: rules.StatusOverdue, Days: 0}, "已逾期1天"},
		{rules.StageStatus{Kind: rules.StatusOverdue, Days: 6}, "已逾期6天"},
	}
	for _, tc := range tests {
		if got := tc.st.Text(); got != tc.want {
			t.Errorf("%+v.Text() = %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestStatusKindLabels(t *testing.T) {
	tests := []struct {
		k                     rules.StatusKind
		label                 string
		submitted, missingNow bool
	}{
		{rules.StatusNotOpen, "未开始", false, false},
		{rules.StatusOpen, "未提交", false, true},
		{rules.StatusOnTime, "按时提交", true, false},
		{rules.StatusLate, "逾期提交", true, false},
		{rules.StatusOverdue, "已逾期", false, true},
	}
	for _, tc := range tests {
		if got := tc.k.Label(); got != tc.label {
			t.Errorf("%d.Label() = %q, want %q", tc.k, got, tc.label)
		}
		if got := tc.k.Submitted(); got != tc.submitted {
			t.Errorf("%d.Submitted() = %v, want %v", tc.k, got, tc.submitted)
		}
		if got := tc.k.Missing(); got != tc.missingNow {
			t.Errorf("%d.Missing() = %v, want %v", tc.k, got, tc.missingNow)
		}
	}
}

// TestShortText: the one-line cell form the board and the sandbox share.
func TestShortText(t *testing.T) {
	for _, tt := range []struct {
		st   rules.StageStatus
		want string
	}{
		{rules.StageStatus{Kind: rules.StatusOnTime}, "按时"},
		{rules.StageStatus{Kind: rules.StatusLate, Days: 2}, "逾期2天交"},
		{rules.StageStatus{Kind: rules.StatusLate, Days: 0}, "逾期1天交"},
		{rules.StageStatus{Kind: rules.StatusOpen, Days: 9}, "剩9天"},
		{rules.StageStatus{Kind: rules.StatusOpen, Days: 0}, "今天截止"},
		{rules.StageStatus{Kind: rules.StatusOverdue, Days: 60}, "逾期60天"},
		{rules.StageStatus{Kind: rules.StatusNotApplicable}, "不适用"},
		{rules.StageStatus{Kind: rules.StatusNotOpen}, "未开始"},
	} {
		if got := tt.st.ShortText(); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.st, got, tt.want)
		}
	}
}
