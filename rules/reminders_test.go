package rules_test

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

var sh = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func cal() rules.Calendar {
	return rules.Calendar{
		Year: 2027, Location: sh,
		SelfAssessmentDue:     rules.Date{Year: 2027, Month: 3, Day: 1},
		InspectionStart:       rules.Date{Year: 2027, Month: 3, Day: 2},
		InspectionEnd:         rules.Date{Year: 2027, Month: 4, Day: 30},
		FeedbackDays:          14,
		RectificationPlanDays: 7,
	}
}

func unit(key, name string) rules.Unit {
	return rules.Unit{
		Key: key, Name: name,
		Officials: []rules.Official{{Name: name + "联系人", WeChatRemark: "督导-" + key, UnitKey: key}},
		Backup:    &rules.Official{Name: name + "备用", WeChatRemark: "督导-" + key + "-备", UnitKey: key, IsBackup: true},
	}
}

var (
	testUnits = []rules.Unit{unit("czj", "县财政局"), unit("gaj", "县公安局"), unit("mzj", "县民政局")}
	testDirs  = []rules.Director{{Name: "主任", WeChatRemark: "督导办主任"}}
)

// input builds a planner input where no unit has done anything yet.
// mechanicsPolicy is the cadence the planner's mechanics tests were written
// for (7/3/1/0 days, weekends not skipped), so they do not depend on the
// shipped defaults; TestDefaultCadence checks those.
func mechanicsPolicy() rules.ReminderPolicy {
	p := rules.DefaultReminderPolicy()
	p.BeforeDays = []int{7, 3, 1, 0}
	p.SkipWeekends = false
	return p
}

func input(now time.Time, lastSweep time.Time) rules.ReminderInput {
	return rules.ReminderInput{
		Calendar: cal(), Policy: mechanicsPolicy(),
		Units: testUnits, Directors: testDirs,
		LastSweep: lastSweep, Now: now,
	}
}

// apply returns the records of a plan as if written, for the next sweep.
func apply(recorded []rules.ReminderRecord, p rules.ReminderPlan) []rules.ReminderRecord {
	for _, w := range p.Writes {
		recorded = append(recorded, w.Record)
	}
	return recorded
}

// history records every slot due up to in.LastSweep, as the sweeps that
// ran until then would have, judged with years.
func history(in rules.ReminderInput, years []rules.UnitYear) []rules.ReminderRecord {
	if in.LastSweep.IsZero() {
		return nil
	}
	h := in
	h.Now, h.Years, h.Recorded = in.LastSweep, years, nil
	return apply(nil, rules.PlanReminders(h))
}

func recipients(msgs []rules.Outgoing, kind string) []string {
	var out []string
	for _, m := range msgs {
		if kind == "" || m.Kind == kind {
			out = append(out, m.To.Remark)
		}
	}
	return out
}

func submitted(key string, s rules.Stage, t time.Time) rules.UnitYear {
	return rules.UnitYear{UnitKey: key, FirstSubmitted: map[rules.Stage]time.Time{s: t}, LastSubmitted: map[rules.Stage]time.Time{s: t}, Versions: map[rules.Stage]int{s: 1}}
}

func TestPlanReminders(t *testing.T) {
	three := []string{"督导-czj", "督导-gaj", "督导-mzj"}
	tests := []struct {
		name       string
		in         func() rules.ReminderInput
		wantTo     []string // reminder recipients, in order
		wantAlerts int
		wantMissed int
		wantWrites int
		contains   []string // every reminder text contains these
		refPrefix  string   // every reminder's Ref (its number, for the logs) starts so
		check      func(t *testing.T, p rules.ReminderPlan)
	}{
		{
			name:       "OK_7DaysBefore",
			in:         func() rules.ReminderInput { return input(at("2027-02-22 10:00"), at("2027-02-21 10:00")) },
			wantTo:     three,
			wantWrites: 3,
			contains:   []string{"自查自评报告", "2027年3月1日", "还剩7天", "直接把文件发给我即可"},
			refPrefix:  "TX-20270222-",
		},
		{
			name:   "OK_NotYet",
			in:     func() rules.ReminderInput { return input(at("2027-02-22 09:59"), at("2027-02-21 10:00")) },
			wantTo: nil,
		},
		{
			name: "OK_OnlyOwersReminded",
			in: func() rules.ReminderInput {
				in := input(at("2027-02-22 10:00"), at("2027-02-21 10:00"))
				in.Years = []rules.UnitYear{submitted("gaj", rules.StageSelfAssessment, at("2027-02-10 09:00"))}
				return in
			},
			wantTo:     []string{"督导-czj", "督导-mzj"},
			wantWrites: 2,
		},
		{
			name:       "Catchup_WithinGrace_ExactlyOne",
			in:         func() rules.ReminderInput { return input(at("2027-02-22 11:30"), at("2027-02-22 09:55")) },
			wantTo:     three,
			wantWrites: 3,
			contains:   []string{"还剩7天", "系统恢复运行后补发"},
		},
		{
			name:       "Catchup_BeyondGrace_MissedAndOneAlert",
			in:         func() rules.ReminderInput { return input(at("2027-02-22 16:30"), at("2027-02-22 09:55")) },
			wantTo:     nil,
			wantAlerts: 1,
			wantMissed: 3,
			wantWrites: 3,
			check: func(t *testing.T, p rules.ReminderPlan) {
				a := p.Messages[0]
				if a.To.Remark != "督导办主任" || !strings.Contains(a.Text, "3条提醒") || !strings.Contains(a.Text, "县财政局 自查自评报告（2027年2月22日 10:00）") {
					t.Errorf("alert = %+v", a)
				}
			},
		},
		{
			name: "Catchup_SeveralSlotsCollapseIntoOne",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-01 11:00"), at("2027-02-25 10:00"))
				in.Policy.CatchupGrace = 100 * time.Hour
				return in
			},
			wantTo:     three, // one message per person, not three
			wantWrites: 9,     // Feb 26, Feb 28, Mar 1 recorded for each unit
			contains:   []string{"今天截止", "系统恢复运行后补发"},
		},
		{
			name: "Catchup_OldSlotsMissed_LatestSent",
			in:   func() rules.ReminderInput { return input(at("2027-03-01 10:30"), at("2027-02-25 10:00")) },
			// Feb 26 and Feb 28 are beyond grace (missed, 1 alert listing 6);
			// Mar 1 is within grace: one catch-up per person.
			wantTo:     three,
			wantAlerts: 1,
			wantMissed: 6,
			wantWrites: 9,
		},
		{
			name: "Quiet_SlotInQuietHoursNotSentAtNight",
			in: func() rules.ReminderInput {
				in := input(at("2027-02-22 22:30"), at("2027-02-22 22:00"))
				in.Policy.SlotTime = rules.TimeOfDay{Hour: 22}
				return in
			},
			wantTo: nil,
		},
		{
			name: "Quiet_DeferredToQuietEnd",
			in: func() rules.ReminderInput {
				in := input(at("2027-02-23 08:00"), at("2027-02-23 07:59"))
				in.Policy.SlotTime = rules.TimeOfDay{Hour: 22}
				return in
			},
			wantTo:     three,
			wantWrites: 3,
			contains:   []string{"还剩6天"},
		},
		{
			name: "Weekend_SkippedToMonday",
			in: func() rules.ReminderInput {
				// 2027-02-27 is a Saturday: the "1 day before" slot (Feb 28, Sunday)
				// and the 3-days slot (Feb 26, Friday) — on Saturday nothing goes.
				in := input(at("2027-02-27 10:00"), at("2027-02-26 10:01"))
				in.Policy.SkipWeekends = true
				in.Recorded = apply(nil, rules.PlanReminders(func() rules.ReminderInput {
					x := input(at("2027-02-26 10:00"), at("2027-02-25 10:00"))
					x.Policy.SkipWeekends = true
					return x
				}()))
				return in
			},
			wantTo: nil,
		},
		{
			name: "Escalate_BackupAlsoReminded",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-04 10:00"), at("2027-03-03 10:00"))
				in.Years = []rules.UnitYear{submitted("gaj", rules.StageSelfAssessment, at("2027-02-10 09:00")), submitted("mzj", rules.StageSelfAssessment, at("2027-02-10 09:00"))}
				return in
			},
			wantTo:     []string{"督导-czj", "督导-czj-备"},
			wantWrites: 1,
			contains:   []string{"已记为逾期3天，将在年度报告中体现"},
			refPrefix:  "TX-20270304-czj-",
			check: func(t *testing.T, p rules.ReminderPlan) {
				if !strings.Contains(p.Messages[1].Text, "备用联系人") || p.Messages[1].Ref != "TX-20270304-czj-B" {
					t.Errorf("backup ref %q, text = %q", p.Messages[1].Ref, p.Messages[1].Text)
				}
			},
		},
		{
			name: "Overdue_NoMoreAfterMax",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-07 10:00"), at("2027-03-06 10:00"))
				return in
			},
			wantTo: nil,
		},
		{
			name: "Ack_OnlyUnacknowledgedAfter48h",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-12 10:00"), at("2027-03-11 10:00"))
				for _, u := range []string{"czj", "gaj", "mzj"} { // self-assessment done
					in.Years = append(in.Years, submitted(u, rules.StageSelfAssessment, at("2027-02-10 09:00")))
				}
				in.Broadcasts = []rules.Broadcast{{ID: 17, Year: 2027, Kind: "broadcast", Text: "关于开展实地督导的通知", SentAt: at("2027-03-10 09:00")}}
				in.Acks = map[int64]map[string]time.Time{17: {"czj": at("2027-03-10 11:00"), "mzj": at("2027-03-11 09:00")}}
				return in
			},
			wantTo:     []string{"督导-gaj"},
			wantWrites: 1,
			contains:   []string{"2027年3月10日", "关于开展实地督导的通知", "回复“收到”"},
			check: func(t *testing.T, p rules.ReminderPlan) {
				if r := p.Writes[0].Record; r.Slot != "ack:17" || r.Kind != rules.ReminderAck {
					t.Errorf("record = %+v", r)
				}
				if strings.Contains(p.Messages[0].Text, "直接把文件发给我") {
					t.Error("ack-only reminder asks for a file")
				}
			},
		},
		{
			name: "Ack_NotBefore48h",
			in: func() rules.ReminderInput {
				in := input(at("2027-03-11 10:00"), at("2027-03-10 10:00"))
				for _, u := range []string{"czj", "gaj", "mzj"} {
					in.Years = append(in.Years, submitted(u, rules.StageSelfAssessment, at("2027-02-10 09:00")))
				}
				in.Broadcasts = []rules.Broadcast{{ID: 17, Year: 2027, Kind: "broadcast", Text: "通知", SentAt: at("2027-03-10 09:00")}}
				return in
			},
			wantTo: nil,
		},
		{
			name: "Office_FeedbackDeadlineRemindsDirector",
			in: func() rules.ReminderInput {
				in := input(at("2027-05-07 10:00"), at("2027-05-06 10:00"))
				for _, u := range []string{"czj", "gaj", "mzj"} {
					y := submitted(u, rules.StageSelfAssessment, at("2027-02-10 09:00"))
					if u == "gaj" {
						y.FeedbackAt = at("2027-05-05 15:00")
						y.FirstSubmitted[rules.StageRectificationPlan] = at("2027-05-06 09:00")
					}
					in.Years = append(in.Years, y)
				}
				return in
			},
			wantTo:     []string{"督导办主任"},
			wantWrites: 1,
			contains:   []string{"书面反馈意见", "2027年5月14日", "还剩7天", "尚未反馈的单位（2个）：县财政局、县民政局"},
			refPrefix:  "TX-20270507-office-1",
		},
		{
			name: "Merge_OneMessagePerPersonPerDay",
			in: func() rules.ReminderInput {
				// czj: plan due May 12 (feedback May 5) and completion due May 12,
				// and an unacknowledged feedback: one message with three lines.
				in := input(at("2027-05-09 10:00"), at("2027-05-08 10:00"))
				y := submitted("czj", rules.StageSelfAssessment, at("2027-02-10 09:00"))
				y.FeedbackAt = at("2027-05-05 09:00")
				y.RectificationDue = rules.Date{Year: 2027, Month: 5, Day: 12}
				in.Units = testUnits[:1]
				in.Years = []rules.UnitYear{y}
				in.Broadcasts = []rules.Broadcast{{ID: 3, Year: 2027, Kind: "broadcast", OriginalName: "整改工作要求.docx", SentAt: at("2027-05-07 09:00")}}
				return in
			},
			wantTo:     []string{"督导-czj"},
			wantWrites: 3,
			contains:   []string{"1. 整改方案", "2. 整改完成情况", "3. 督导办于2027年5月7日发给贵单位的通知《整改工作要求.docx》", "还剩3天"},
		},
		{
			name: "Merge_SecondStageSameDayDeferred",
			in: func() rules.ReminderInput {
				// The director set czj's completion date to today at 14:00: its
				// "due" slot (10:00) is due, but czj already got today's message.
				in := input(at("2027-05-09 15:00"), at("2027-05-09 10:00"))
				y := submitted("czj", rules.StageSelfAssessment, at("2027-02-10 09:00"))
				y.FeedbackAt = at("2027-05-05 09:00")
				y.RectificationDue = rules.Date{Year: 2027, Month: 5, Day: 9}
				in.Units = testUnits[:1]
				in.Years = []rules.UnitYear{y}
				// Until 14:00 there was no completion date.
				early := y
				early.RectificationDue = rules.Date{}
				in.Recorded = history(in, []rules.UnitYear{early})
				return in
			},
			wantTo: nil,
			check: func(t *testing.T, p rules.ReminderPlan) {
				if p.Deferred != 1 {
					t.Errorf("deferred = %d, want 1", p.Deferred)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			if in.Recorded == nil {
				in.Recorded = history(in, in.Years)
			}
			p := rules.PlanReminders(in)
			if got := recipients(p.Messages, "reminder"); strings.Join(got, ",") != strings.Join(tt.wantTo, ",") {
				t.Errorf("reminders to %v, want %v", got, tt.wantTo)
			}
			if got := len(recipients(p.Messages, "alert")); got != tt.wantAlerts {
				t.Errorf("alerts = %d, want %d", got, tt.wantAlerts)
			}
			if len(p.Missed) != tt.wantMissed {
				t.Errorf("missed = %d, want %d", len(p.Missed), tt.wantMissed)
			}
			if len(p.Writes) != tt.wantWrites {
				t.Errorf("writes = %d, want %d", len(p.Writes), tt.wantWrites)
			}
			for _, m := range p.Messages {
				if m.Kind != "reminder" {
					continue
				}
				for _, c := range tt.contains {
					if !strings.Contains(m.Text, c) {
						t.Errorf("message to %s lacks %q:\n%s", m.To.Remark, c, m.Text)
					}
				}
				// The number is the row's data for the logs; the reader
				// sees no code.
				if !strings.HasPrefix(m.Ref, cmp.Or(tt.refPrefix, "TX-")) {
					t.Errorf("message to %s: Ref %q, want prefix %q", m.To.Remark, m.Ref, cmp.Or(tt.refPrefix, "TX-"))
				}
				if strings.Contains(m.Text, "提醒编号") || strings.Contains(m.Text, "TX-") || strings.HasSuffix(m.Text, "\n") {
					t.Errorf("message to %s carries its number or a trailing newline:\n%q", m.To.Remark, m.Text)
				}
			}
			// Every message is attached to exactly one write.
			n := 0
			for _, w := range p.Writes {
				n += len(w.Outs)
			}
			if n != len(p.Messages) {
				t.Errorf("outs on writes = %d, messages = %d", n, len(p.Messages))
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			// Idempotent: once written, the same sweep plans nothing.
			in.Recorded = apply(in.Recorded, p)
			if again := rules.PlanReminders(in); len(again.Writes) != 0 {
				t.Errorf("second sweep writes %d records", len(again.Writes))
			}
		})
	}
}

// TestPlanRemindersDeferredSentNextDay follows Merge_SecondStageSameDayDeferred
// to the next day: the held item goes out then, merged with that day's slot.
func TestPlanRemindersDeferredSentNextDay(t *testing.T) {
	y := submitted("czj", rules.StageSelfAssessment, at("2027-02-10 09:00"))
	y.FeedbackAt = at("2027-05-05 09:00")
	y.RectificationDue = rules.Date{Year: 2027, Month: 5, Day: 9}
	in := input(at("2027-05-10 10:00"), at("2027-05-09 15:00"))
	in.Units = testUnits[:1]
	in.Years = []rules.UnitYear{y}
	early := y
	early.RectificationDue = rules.Date{}
	h := in
	h.LastSweep = at("2027-05-09 10:00")
	in.Recorded = history(h, []rules.UnitYear{early})
	p := rules.PlanReminders(in)
	if got := recipients(p.Messages, "reminder"); len(got) != 1 || got[0] != "督导-czj" {
		t.Fatalf("reminders to %v", got)
	}
	txt := p.Messages[0].Text
	for _, want := range []string{"整改完成情况：截止日期为2027年5月9日，已记为逾期1天，将在年度报告中体现"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	// Completion: May 6, 8 (set late: collapsed), 9 (deferred), 10 (overdue);
	// the plan has no slot on May 10.
	if strings.Contains(txt, "补发") {
		t.Error("no downtime, yet labelled a catch-up")
	}
	if len(p.Writes) != 4 || len(p.Missed) != 0 {
		t.Errorf("writes=%d missed=%d", len(p.Writes), len(p.Missed))
	}
}

func TestReminderPolicyEffective(t *testing.T) {
	p := rules.DefaultReminderPolicy()
	tests := []struct{ in, want string }{
		{"2027-02-22 10:00", "2027-02-22 10:00"}, // Monday
		{"2027-02-22 21:00", "2027-02-23 08:00"}, // quiet start
		{"2027-02-23 07:59", "2027-02-23 08:00"}, // before quiet end
		{"2027-02-27 10:00", "2027-02-26 10:00"}, // Saturday → the Friday before
		{"2027-02-28 10:00", "2027-02-26 10:00"}, // Sunday → the Friday before
		{"2027-02-28 23:00", "2027-02-26 10:00"}, // Sunday night → the Friday's slot
		{"2027-02-26 22:00", "2027-03-01 10:00"}, // Friday night → Sat 08:00 → Monday
	}
	for _, tt := range tests {
		if got := p.Effective(at(tt.in), sh); !got.Equal(at(tt.want)) {
			t.Errorf("Effective(%s) = %s, want %s", tt.in, got.Format("2006-01-02 15:04"), tt.want)
		}
	}
}

func TestBuildDigest(t *testing.T) {
	sa := rules.StageSelfAssessment
	years := []rules.UnitYear{submitted("gaj", sa, at("2027-03-05 11:00"))}
	mzj := submitted("mzj", sa, at("2027-02-10 09:00"))
	years = append(years, mzj)
	d := rules.BuildDigest(cal(), rules.DefaultReminderPolicy(), testUnits, years, at("2027-03-05 17:30"))
	d.Since = at("2027-03-04 17:30")
	// What came since the last digest leads; zero parts and stages not
	// yet open are left out; the escalation is a line, not a second list.
	want := "【督导日报】2027年3月5日\n" +
		"新交：县公安局（自查自评报告）\n" +
		"自查自评报告：已交2（逾期1），未交1（已逾期）\n" +
		"自查自评报告（1个，已逾期4天）：\n县财政局\n" +
		"以上单位均已逾期3天以上，已同时提醒备用联系人。"
	if got := d.DirectorText(); got != want {
		t.Errorf("digest:\n%s\nwant:\n%s", got, want)
	}
	// The digest's number is data for the logs, not text.
	if got := d.Number(); got != "RB-20270305" {
		t.Errorf("digest number = %q, want RB-20270305", got)
	}
	if g := d.GroupText(); strings.Contains(g, "@") || strings.Contains(g, "备用联系人") || !strings.Contains(g, "新交：县公安局") {
		t.Errorf("group digest:\n%s", g)
	}
	// Before the first digest there is no "since": no changes line.
	d.Since = time.Time{}
	if got := d.DirectorText(); strings.Contains(got, "新交") {
		t.Errorf("first digest names changes:\n%s", got)
	}
}

func TestDigestState(t *testing.T) {
	var s rules.DigestState
	mon, tue := at("2027-03-01 17:30"), at("2027-03-02 17:30")
	s = s.Next(mon, sh)
	if !s.SinceFor(mon, sh).IsZero() {
		t.Errorf("first digest since %v, want none", s.SinceFor(mon, sh))
	}
	s = s.Next(tue, sh)
	if got := s.SinceFor(tue, sh); !got.Equal(mon) {
		t.Errorf("Tuesday's digest since %v, want Monday's", got)
	}
	if again := s.Next(tue.Add(time.Hour), sh); again != s {
		t.Errorf("a second digest the same day moved the state: %+v", again)
	}
	back, err := rules.ParseDigestState(s.String())
	if err != nil || !back.At.Equal(s.At) || !back.Prev.Equal(s.Prev) {
		t.Errorf("round trip %+v, %v; want %+v", back, err, s)
	}
	if _, err := rules.ParseDigestState("garbage"); err == nil {
		t.Error("garbage state parsed")
	}
}

// BenchmarkPlanSweep5000 plans one sweep for 5,000 units on an overdue day
// with a realistic history of recorded slots.
func BenchmarkPlanSweep5000(b *testing.B) {
	in := input(at("2027-03-03 10:00"), at("2027-03-02 10:00"))
	in.Units = nil
	for i := range 5000 {
		in.Units = append(in.Units, unit(fmt.Sprintf("u%04d", i), fmt.Sprintf("单位%04d", i)))
		if i%2 == 0 {
			in.Years = append(in.Years, submitted(fmt.Sprintf("u%04d", i), rules.StageSelfAssessment, at("2027-02-20 09:00")))
		}
	}
	in.Broadcasts = []rules.Broadcast{{ID: 1, Year: 2027, Kind: "broadcast", Text: "通知", SentAt: at("2027-02-01 09:00")}}
	in.Acks = map[int64]map[string]time.Time{1: {}}
	for i := range 5000 {
		if i%3 != 0 {
			in.Acks[1][fmt.Sprintf("u%04d", i)] = at("2027-02-02 09:00")
		}
	}
	// Everything before today was recorded.
	prev := in
	prev.Now, prev.LastSweep = at("2027-03-02 10:00"), at("2027-03-01 10:00")
	prev.Policy.CatchupGrace = 60 * 24 * time.Hour
	in.Recorded = apply(nil, rules.PlanReminders(prev))
	b.ReportAllocs()
	b.ResetTimer()
	var p rules.ReminderPlan
	for b.Loop() {
		p = rules.PlanReminders(in)
	}
	b.ReportMetric(float64(len(p.Messages)), "msgs/sweep")
}
