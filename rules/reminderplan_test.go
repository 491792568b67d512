package rules_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

// TestReminderStepsOrder: a unit's stages in cycle order, the parts its
// report lacks, its rectification items, then the office's deadline, then acknowledgements;
// the notices follow.
func TestReminderStepsOrder(t *testing.T) {
	var want []string
	for _, st := range rules.UnitStages {
		want = append(want, string(st))
	}
	want = append(want, "report_parts", "problem_items", "office_feedback", "ack")
	if got := rules.ReminderStepNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("reminder steps = %v, want %v", got, want)
	}
	if got, want := rules.NoticeStepNames(), []string{"stopped"}; !reflect.DeepEqual(got, want) {
		t.Errorf("notice steps = %v, want %v", got, want)
	}
}

// TestCompareGroupRanks: roster order first (the office before every
// unit), then the planner step, then the step's own order; a step added
// after ack (any number of them) never collides with another step's group.
func TestCompareGroupRanks(t *testing.T) {
	tests := []struct {
		name string
		a, b rules.GroupRank
		want int
	}{
		{"OfficeBeforeFirstUnit", rules.GroupRank{UnitRank: rules.OfficeRank, Step: 4}, rules.GroupRank{UnitRank: 0, Step: 0}, -1},
		{"UnitBeforeNextUnit", rules.GroupRank{UnitRank: 0, Step: 9}, rules.GroupRank{UnitRank: 1, Step: 0}, -1},
		{"StageBeforeAckOfSameUnit", rules.GroupRank{UnitRank: 2, Step: 2}, rules.GroupRank{UnitRank: 2, Step: 4}, -1},
		{"AckBeforeLaterStep", rules.GroupRank{UnitRank: 2, Step: 4, Seq: 7}, rules.GroupRank{UnitRank: 2, Step: 5}, -1},
		{"BroadcastOrderWithinAck", rules.GroupRank{UnitRank: 2, Step: 4, Seq: 1}, rules.GroupRank{UnitRank: 2, Step: 4, Seq: 0}, 1},
		{"Equal", rules.GroupRank{UnitRank: 1, Step: 1, Seq: 1}, rules.GroupRank{UnitRank: 1, Step: 1, Seq: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.CompareGroupRanks(tt.a, tt.b); got != tt.want {
				t.Errorf("compare(%+v, %+v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// sg builds an expected step group from "slot kind" pairs.
func sg(unitKey string, st rules.Stage, slotKinds ...string) rules.StepGroup {
	g := rules.StepGroup{UnitKey: unitKey, Stage: st}
	for _, sk := range slotKinds {
		slot, kind, _ := strings.Cut(sk, " ")
		g.Slots = append(g.Slots, slot)
		g.Kinds = append(g.Kinds, kind)
	}
	return g
}

func rec(unitKey string, st rules.Stage, slot string) rules.ReminderRecord {
	return rules.ReminderRecord{Year: 2027, UnitKey: unitKey, Stage: st, Slot: slot}
}

func TestReminderStageSteps(t *testing.T) {
	sa, plan, done := rules.StageSelfAssessment, rules.StageRectificationPlan, rules.StageRectificationDone
	withFeedback := func(key string, at time.Time) rules.UnitYear {
		y := submitted(key, sa, at.AddDate(0, -2, 0))
		y.FeedbackAt = at
		return y
	}
	tests := []struct {
		name string
		step rules.Stage
		in   func() rules.ReminderInput
		want []rules.StepGroup
	}{
		{
			name: "SelfAssessment_7DaysBefore_EveryUnit",
			step: sa,
			in:   func() rules.ReminderInput { return input(at("2027-02-22 10:00"), time.Time{}) },
			want: []rules.StepGroup{
				sg("czj", sa, "2027-02-22@10:00 before"),
				sg("gaj", sa, "2027-02-22@10:00 before"),
				sg("mzj", sa, "2027-02-22@10:00 before"),
			},
		},
		{
			name: "SelfAssessment_NotYetSlotTime",
			step: sa,
			in:   func() rules.ReminderInput { return input(at("2027-02-22 09:59"), time.Time{}) },
		},
		{
			name: "SelfAssessment_SubmittedAndRecordedLeftOut",
			step: sa,
			in: func() rules.ReminderInput {
				in := input(at("2027-02-22 10:00"), time.Time{})
				in.Years = []rules.UnitYear{submitted("gaj", sa, at("2027-02-10 09:00"))}
				in.Recorded = []rules.ReminderRecord{rec("mzj", sa, "2027-02-22@10:00")}
				return in
			},
			want: []rules.StepGroup{sg("czj", sa, "2027-02-22@10:00 before")},
		},
		{
			name: "SelfAssessment_AllUnrecordedSlotsInTimeOrder_OverdueThenEscalate",
			step: sa,
			in: func() rules.ReminderInput {
				in := input(at("2027-03-04 10:00"), time.Time{})
				in.Units = testUnits[:1]
				return in
			},
			want: []rules.StepGroup{sg("czj", sa,
				"2027-02-22@10:00 before", "2027-02-26@10:00 before", "2027-02-28@10:00 before",
				"2027-03-01@10:00 due", "2027-03-02@10:00 overdue", "2027-03-03@10:00 overdue",
				"2027-03-04@10:00 escalate")},
		},
		{
			name: "SelfAssessment_NotApplicable",
			step: sa,
			in: func() rules.ReminderInput {
				in := input(at("2027-02-22 10:00"), time.Time{})
				in.Units = testUnits[:1]
				in.Years = []rules.UnitYear{{UnitKey: "czj", NotApplicable: map[rules.Stage]bool{sa: true}}}
				return in
			},
		},
		{
			name: "RectificationPlan_NotOpenWithoutFeedback",
			step: plan,
			in:   func() rules.ReminderInput { return input(at("2027-05-10 10:00"), time.Time{}) },
		},
		{
			name: "RectificationPlan_FromFeedback_SlotsAfterItOpened",
			step: plan,
			in: func() rules.ReminderInput {
				in := input(at("2027-05-11 10:00"), time.Time{})
				in.Years = []rules.UnitYear{withFeedback("gaj", at("2027-05-05 11:00"))}
				return in
			},
			// Due May 12: the 7-days slot (May 5 10:00) is before the
			// feedback arrived; the 3-days slot (May 9) and 1-day (May 11) are due.
			want: []rules.StepGroup{sg("gaj", plan, "2027-05-09@10:00 before", "2027-05-11@10:00 before")},
		},
		{
			name: "RectificationDone_OnlyWhereADateIsSet",
			step: done,
			in: func() rules.ReminderInput {
				in := input(at("2027-06-30 10:00"), time.Time{})
				y := withFeedback("mzj", at("2027-05-05 11:00"))
				y.RectificationDue = rules.Date{Year: 2027, Month: 6, Day: 30}
				in.Years = []rules.UnitYear{withFeedback("czj", at("2027-05-05 11:00")), y}
				in.Recorded = []rules.ReminderRecord{rec("mzj", done, "2027-06-23@10:00"), rec("mzj", done, "2027-06-27@10:00"), rec("mzj", done, "2027-06-29@10:00")}
				return in
			},
			want: []rules.StepGroup{sg("mzj", done, "2027-06-30@10:00 due")},
		},
		{
			// Due Friday 2 July, weekends skipped: the Saturday and Sunday
			// overdue slots may not go on that Friday (not yet overdue), so
			// they go on Monday with Monday's own.
			name: "Weekend_OverdueSlotNeverBeforeTheDeadline_Friday",
			step: done,
			in: func() rules.ReminderInput {
				in := input(at("2027-07-02 10:00"), time.Time{})
				in.Policy = rules.DefaultReminderPolicy()
				y := withFeedback("mzj", at("2027-05-05 11:00"))
				y.RectificationDue = rules.Date{Year: 2027, Month: 7, Day: 2}
				in.Years = []rules.UnitYear{y}
				for _, d := range []string{"06-02", "06-18", "06-25", "06-29", "07-01"} {
					in.Recorded = append(in.Recorded, rec("mzj", done, "2027-"+d+"@10:00"))
				}
				return in
			},
			want: []rules.StepGroup{sg("mzj", done, "2027-07-02@10:00 due")},
		},
		{
			name: "Weekend_OverdueSlotNeverBeforeTheDeadline_Monday",
			step: done,
			in: func() rules.ReminderInput {
				in := input(at("2027-07-05 10:00"), time.Time{})
				in.Policy = rules.DefaultReminderPolicy()
				y := withFeedback("mzj", at("2027-05-05 11:00"))
				y.RectificationDue = rules.Date{Year: 2027, Month: 7, Day: 2}
				in.Years = []rules.UnitYear{y}
				for _, d := range []string{"06-02", "06-18", "06-25", "06-29", "07-01", "07-02"} {
					in.Recorded = append(in.Recorded, rec("mzj", done, "2027-"+d+"@10:00"))
				}
				return in
			},
			want: []rules.StepGroup{sg("mzj", done, "2027-07-03@10:00 overdue", "2027-07-04@10:00 overdue", "2027-07-05@10:00 escalate")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules.RunReminderStep(string(tt.step), tt.in())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("step %s:\n got %+v\nwant %+v", tt.step, got, tt.want)
			}
		})
	}
}

func TestReminderOfficeFeedbackStep(t *testing.T) {
	fb := rules.StageFeedback
	tests := []struct {
		name string
		in   func() rules.ReminderInput
		want []rules.StepGroup
	}{
		{
			name: "UnitsWithoutFeedback_OfficeReminded",
			in: func() rules.ReminderInput {
				in := input(at("2027-05-14 10:00"), time.Time{})
				in.Recorded = []rules.ReminderRecord{rec("", fb, "2027-05-07@10:00"), rec("", fb, "2027-05-11@10:00")}
				return in
			},
			want: []rules.StepGroup{sg("", fb, "2027-05-13@10:00 office", "2027-05-14@10:00 office")},
		},
		{
			// Inspection ends 30 April, feedback due 14 May: the slots 30
			// days ahead (14 April) fall in the inspection and are not
			// planned; the first is on its last day.
			name: "DefaultCadence_FromTheLastInspectionDay",
			in: func() rules.ReminderInput {
				in := input(at("2027-04-30 10:00"), time.Time{})
				in.Policy = rules.DefaultReminderPolicy()
				return in
			},
			want: []rules.StepGroup{sg("", fb, "2027-04-30@10:00 office")},
		},
		{
			name: "EveryUnitHasFeedback_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-05-14 10:00"), time.Time{})
				for _, u := range testUnits {
					in.Years = append(in.Years, rules.UnitYear{UnitKey: u.Key, FeedbackAt: at("2027-05-02 09:00")})
				}
				return in
			},
		},
		{
			name: "NoInspectionEnd_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-05-14 10:00"), time.Time{})
				in.Calendar.InspectionEnd = rules.Date{}
				return in
			},
		},
		{
			name: "BeforeInspectionStarts_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-01 10:00"), time.Time{})
				in.Calendar.InspectionEnd = rules.Date{Year: 2027, Month: 3, Day: 2}
				return in
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.RunReminderStep("office_feedback", tt.in()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReminderAckStep(t *testing.T) {
	ack := rules.StageAck
	all := rules.Broadcast{ID: 1, Year: 2027, Kind: "broadcast", Text: "通知", SentAt: at("2027-03-10 15:00")}
	one := rules.Broadcast{ID: 2, Year: 2027, Kind: "feedback", UnitKey: "mzj", SentAt: at("2027-03-10 09:00")}
	tests := []struct {
		name string
		in   func() rules.ReminderInput
		want []rules.StepGroup
	}{
		{
			name: "AfterAckAfter_NextSlot_UnackedUnitsOnly",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-13 10:00"), time.Time{})
				in.Broadcasts = []rules.Broadcast{all, one}
				in.Acks = map[int64]map[string]time.Time{1: {"gaj": at("2027-03-10 16:00")}}
				return in
			},
			// Sent Mar 10 15:00 + 48 h = Mar 12 15:00 → the Mar 13 slot;
			// the feedback sent 09:00 → Mar 12 09:00 → Mar 12 slot.
			want: []rules.StepGroup{
				sg("czj", ack, "ack:1 ack"),
				sg("mzj", ack, "ack:1 ack"),
				sg("mzj", ack, "ack:2 ack"),
			},
		},
		{
			name: "BeforeTheSlot_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-13 09:59"), time.Time{})
				in.Broadcasts = []rules.Broadcast{all}
				return in
			},
		},
		{
			name: "OtherYearAndUnknownUnitAndRecorded_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-20 10:00"), time.Time{})
				other := all
				other.ID, other.Year = 3, 2026
				stranger := one
				stranger.ID, stranger.UnitKey = 4, "xxx"
				in.Broadcasts = []rules.Broadcast{other, stranger, one}
				in.Recorded = []rules.ReminderRecord{rec("mzj", ack, "ack:2")}
				return in
			},
		},
		{
			name: "AckRemindersOff",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-20 10:00"), time.Time{})
				in.Policy.AckAfter = 0
				in.Broadcasts = []rules.Broadcast{all}
				return in
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.RunReminderStep("ack", tt.in()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// lastOverdue records every self-assessment slot of unitKey up to its last
// overdue one (Mar 6 with the default policy).
func lastOverdue(unitKey string, told time.Time) []rules.ReminderRecord {
	sa := rules.StageSelfAssessment
	var out []rules.ReminderRecord
	for _, d := range []string{"2027-02-22", "2027-02-26", "2027-02-28", "2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05", "2027-03-06"} {
		out = append(out, rec(unitKey, sa, d+"@10:00"))
	}
	if !told.IsZero() {
		out = append(out, rules.ReminderRecord{Year: 2027, UnitKey: unitKey, Stage: sa, Slot: rules.SlotStopped, Kind: rules.ReminderStopped, At: told})
	}
	return out
}

func TestReminderNoticeSteps(t *testing.T) {
	tests := []struct {
		name      string
		step      string
		in        func() rules.ReminderInput
		wantSlots []string // the records written, "unit|stage|slot"
		wantText  []string // the first message contains these
	}{
		{
			name: "Stopped_LastOverdueRecorded_ToldOnce",
			step: "stopped",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-06 10:00"), time.Time{})
				in.Recorded = append(lastOverdue("czj", time.Time{}), lastOverdue("gaj", time.Time{})...)
				in.Years = []rules.UnitYear{submitted("gaj", rules.StageSelfAssessment, at("2027-03-06 09:00"))}
				return in
			},
			wantSlots: []string{"czj|self_assessment|stopped"},
			wantText:  []string{"转为每周提醒：县财政局 自查自评报告 已逾期5天", "此后每周提醒一次"},
		},
		{
			name: "Stopped_AlreadyTold_Nothing",
			step: "stopped",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-07 10:00"), time.Time{})
				in.Recorded = lastOverdue("czj", at("2027-03-06 10:00"))
				return in
			},
		},
		{
			name: "Stopped_LastOverdueNotYetRecorded_Nothing",
			step: "stopped",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-06 10:00"), time.Time{})
				in.Recorded = lastOverdue("czj", time.Time{})[:8]
				return in
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rules.RunNoticeStep(tt.step, tt.in())
			var slots []string
			for _, w := range p.Writes {
				slots = append(slots, w.Record.UnitKey+"|"+string(w.Record.Stage)+"|"+w.Record.Slot)
			}
			if !slices.Equal(slots, tt.wantSlots) {
				t.Fatalf("writes %v, want %v", slots, tt.wantSlots)
			}
			if len(tt.wantSlots) == 0 {
				if len(p.Messages) != 0 {
					t.Errorf("messages without a record: %+v", p.Messages)
				}
				return
			}
			if got := recipients(p.Messages, ""); !slices.Equal(got, []string{"督导办主任"}) {
				t.Errorf("to %v", got)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(p.Messages[0].Text, want) {
					t.Errorf("text lacks %q:\n%s", want, p.Messages[0].Text)
				}
			}
		})
	}
}
