package rules_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

// item is a planned item of unit czj, its date set on 15 May.
func item(seq int, due string, events ...rules.ProblemEvent) rules.Problem {
	d, err := rules.ParseDate(due)
	if err != nil {
		panic(err)
	}
	return rules.Problem{ID: rules.ProblemID("财政", 2027, seq), Year: 2027, UnitKey: "czj", Seq: seq, Text: "问题" + due,
		DeliveredAt: at("2027-05-10 10:00"), Plan: rules.ProblemPlan{Measure: "措施", Due: d, At: at("2027-05-15 10:00")}, Events: events}
}

func TestReminderItemsStep(t *testing.T) {
	st := func(seq int) rules.Stage { return rules.ItemStage(rules.Problem{Year: 2027, Seq: seq}) }
	tests := []struct {
		name string
		in   func() rules.ReminderInput
		want []rules.StepGroup
	}{
		{
			name: "SevenDaysBefore",
			in: func() rules.ReminderInput {
				in := input(at("2027-06-23 10:00"), time.Time{})
				in.Problems = []rules.Problem{item(1, "2027-06-30"), item(2, "2027-08-31")}
				return in
			},
			want: []rules.StepGroup{sg("czj", st(1), "2027-06-23@10:00 before")},
		},
		{
			name: "OverdueThenEscalated",
			in: func() rules.ReminderInput {
				in := input(at("2027-07-03 10:00"), time.Time{})
				in.Problems = []rules.Problem{item(1, "2027-06-30")}
				for _, s := range []string{"2027-06-23@10:00", "2027-06-27@10:00", "2027-06-29@10:00", "2027-06-30@10:00", "2027-07-01@10:00", "2027-07-02@10:00"} {
					in.Recorded = append(in.Recorded, rec("czj", st(1), s))
				}
				return in
			},
			want: []rules.StepGroup{sg("czj", st(1), "2027-07-03@10:00 escalate")},
		},
		{
			name: "ReportedOrClosed_Nothing",
			in: func() rules.ReminderInput {
				in := input(at("2027-06-30 10:00"), time.Time{})
				in.Problems = []rules.Problem{
					item(1, "2027-06-30", rules.ProblemEvent{Kind: rules.EventReported, At: at("2027-06-20 09:00")}),
					item(2, "2027-06-30", rules.ProblemEvent{Kind: rules.EventVerified, At: at("2027-06-20 09:00")}),
					{ID: "财政-2027-03", Year: 2027, UnitKey: "czj", Seq: 3, Plan: rules.ProblemPlan{Measure: "无时限"}},
				}
				return in
			},
		},
		{
			name: "Extended_RemindedOnTheNewDateFromWhenItMoved",
			in: func() rules.ReminderInput {
				in := input(at("2027-07-04 10:00"), time.Time{})
				in.Problems = []rules.Problem{item(1, "2027-06-30",
					rules.ProblemEvent{Kind: rules.EventExtended, At: at("2027-07-02 15:00"), NewDue: rules.Date{Year: 2027, Month: 7, Day: 5}})}
				return in
			},
			// 7 and 3 days before 5 July fell before the date moved, and the
			// old date's overdue slots are gone: only 1 day before.
			want: []rules.StepGroup{sg("czj", st(1), "2027-07-04@10:00 before")},
		},
		{
			name: "CarriedOverIntoTheNextYear",
			in: func() rules.ReminderInput {
				in := input(at("2028-01-03 10:00"), time.Time{})
				in.Calendar.Year = 2028
				in.Problems = []rules.Problem{item(1, "2027-12-31")}
				return in
			},
			want: []rules.StepGroup{sg("czj", st(1), "2028-01-01@10:00 overdue", "2028-01-02@10:00 overdue", "2028-01-03@10:00 escalate")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.RunReminderStep("problem_items", tt.in()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// An item reminder is one line of the unit's daily message, asserts the
// item, and is dropped at send time once the item is reported done.
func TestItemReminderMessageAndTruth(t *testing.T) {
	in := input(at("2027-06-23 10:00"), time.Time{})
	in.Problems = []rules.Problem{item(1, "2027-06-30")}
	in.Years = []rules.UnitYear{submitted("czj", rules.StageSelfAssessment, at("2027-02-20 10:00"))}
	plan := rules.PlanReminders(in)
	var msg rules.Outgoing
	for _, m := range plan.Messages {
		if m.To.Remark == "督导-czj" {
			msg = m
		}
	}
	wantLine := "整改事项财政-2027-01（问题2027-06-30）：完成时限为2027年6月30日，还剩7天。完成后请发送“整改完成 1 整改情况”。"
	if !strings.Contains(msg.Text, wantLine) {
		t.Fatalf("czj's reminder lacks the item line:\n%s", msg.Text)
	}
	if strings.Contains(msg.Text, "直接把文件发给我") {
		t.Errorf("an item reminder asks for a file:\n%s", msg.Text)
	}
	truth := rules.TruthInput{Calendar: cal(), Units: testUnits, Problems: in.Problems, Now: at("2027-06-24 09:00"),
		Years: map[string]rules.UnitYear{"czj": in.Years[0]}}
	got, ok := rules.RecheckReminder(truth, msg)
	if !ok || !strings.Contains(got.Text, "还剩6天") {
		t.Errorf("still owed a day later: ok=%v\n%s", ok, got.Text)
	}
	truth.Problems = []rules.Problem{item(1, "2027-06-30", rules.ProblemEvent{Kind: rules.EventReported, At: at("2027-06-23 20:00")})}
	if _, ok := rules.RecheckReminder(truth, msg); ok {
		t.Errorf("a reminder about an item reported done is still sent")
	}
	if got := rules.ItemStage(rules.Problem{Year: 2027, Seq: 3}).Label(); got != "整改事项（2027年第3项）" {
		t.Errorf("item stage label = %q", got)
	}
}
