package rules_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

// messageTo is the planned message to remark (fails if none).
func messageTo(t *testing.T, p rules.ReminderPlan, remark string) rules.Outgoing {
	t.Helper()
	for _, m := range p.Messages {
		if m.To.Remark == remark {
			return m
		}
	}
	t.Fatalf("no planned message to %s", remark)
	return rules.Outgoing{}
}

func TestRecheckReminder(t *testing.T) {
	bc := rules.Broadcast{ID: 7, Year: 2027, Kind: "broadcast", Text: "关于开展自查的通知", SentAt: at("2027-02-18 09:00")}
	in := input(at("2027-02-22 10:00"), time.Time{})
	in.Broadcasts = []rules.Broadcast{bc}
	plan := rules.PlanReminders(in)
	unitMsg := messageTo(t, plan, "督导-czj")
	if len(unitMsg.Asserts) != 2 {
		t.Fatalf("czj reminder asserts %+v, want self-assessment and ack", unitMsg.Asserts)
	}
	if unitMsg.Ref != "TX-20270222-czj-1" {
		t.Fatalf("czj reminder Ref %q, want TX-20270222-czj-1", unitMsg.Ref)
	}

	office := input(at("2027-05-11 10:00"), time.Time{})
	officeMsg := messageTo(t, rules.PlanReminders(office), "督导办主任")
	if len(officeMsg.Asserts) != 3 {
		t.Fatalf("office reminder asserts %+v, want one per unit without feedback", officeMsg.Asserts)
	}

	truth := func(now time.Time, years []rules.UnitYear, acked bool) rules.TruthInput {
		ti := rules.TruthInput{Calendar: cal(), Units: testUnits, Years: map[string]rules.UnitYear{},
			Broadcasts: map[int64]rules.Broadcast{7: bc}, Acks: map[int64]map[string]time.Time{}, Now: now}
		for _, y := range years {
			ti.Years[y.UnitKey] = y
		}
		if acked {
			ti.Acks[7] = map[string]time.Time{"czj": now}
		}
		return ti
	}
	feedback := func(key string) rules.UnitYear {
		return rules.UnitYear{UnitKey: key, FeedbackAt: at("2027-05-11 09:00")}
	}
	saCzj := submitted("czj", rules.StageSelfAssessment, at("2027-02-22 10:01"))

	tests := []struct {
		name     string
		msg      rules.Outgoing
		in       rules.TruthInput
		wantOK   bool
		same     bool     // text unchanged
		has, not []string // rebuilt text contains / lacks
		asserts  int
	}{
		{name: "AllHold_Unchanged", msg: unitMsg, in: truth(at("2027-02-22 10:00"), nil, false), wantOK: true, same: true, asserts: 2},
		{name: "Submitted_OnlyAckLeft", msg: unitMsg, in: truth(at("2027-02-22 10:02"), []rules.UnitYear{saCzj}, false), wantOK: true,
			has: []string{"1. 督导办于2027年2月18日发给贵单位的通知", "【督导提醒】县财政局"},
			not: []string{"自查自评报告", "2. ", "请尽快报送"}, asserts: 1},
		{name: "Acked_OnlyReportLeft", msg: unitMsg, in: truth(at("2027-02-22 10:02"), nil, true), wantOK: true,
			has: []string{"1. 自查自评报告：截止日期为2027年3月1日，还剩7天。", "请尽快报送，直接把文件发给我即可。"},
			not: []string{"确认收到", "2. "}, asserts: 1},
		{name: "NothingHolds_Superseded", msg: unitMsg, in: truth(at("2027-02-22 10:02"), []rules.UnitYear{saCzj}, true), wantOK: false},
		{name: "HeldOvernight_DaysCountedAtSend", msg: unitMsg, in: truth(at("2027-02-23 08:00"), nil, true), wantOK: true,
			has: []string{"还剩6天"}, not: []string{"还剩7天"}, asserts: 1},
		{name: "Office_AllPending_Unchanged", msg: officeMsg, in: truth(at("2027-05-11 10:00"), nil, false), wantOK: true, same: true, asserts: 3},
		{name: "Office_OneDelivered_ListShrinks", msg: officeMsg, in: truth(at("2027-05-11 10:05"), []rules.UnitYear{feedback("gaj")}, false), wantOK: true,
			has: []string{"尚未反馈的单位（2个）：县财政局、县民政局", "请按期向上述单位送达书面反馈意见。"}, not: []string{"县公安局"}, asserts: 2},
		{name: "Office_AllDelivered_Superseded", msg: officeMsg,
			in: truth(at("2027-05-11 10:05"), []rules.UnitYear{feedback("czj"), feedback("gaj"), feedback("mzj")}, false), wantOK: false},
		{name: "NoList_PartialNotSent", msg: rules.Outgoing{Kind: "reminder", Text: "【催办】县财政局：请尽快报送自查自评报告。",
			Asserts: []rules.Obligation{{Year: 2027, UnitKey: "czj", Stage: rules.StageSelfAssessment}, {Year: 2027, UnitKey: "czj", Stage: rules.StageAck, Broadcast: 7}}},
			in: truth(at("2027-02-22 10:02"), nil, true), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rules.RecheckReminder(tt.in, tt.msg)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v; text:\n%s", ok, tt.wantOK, got.Text)
			}
			if !ok {
				return
			}
			if tt.same && got.Text != tt.msg.Text {
				t.Errorf("text changed although everything holds:\n--- got\n%s\n--- was\n%s", got.Text, tt.msg.Text)
			}
			if !tt.same && got.Text == tt.msg.Text {
				t.Errorf("text not rebuilt:\n%s", got.Text)
			}
			for _, s := range tt.has {
				if !strings.Contains(got.Text, s) {
					t.Errorf("rebuilt text lacks %q:\n%s", s, got.Text)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(got.Text, s) {
					t.Errorf("rebuilt text still has %q:\n%s", s, got.Text)
				}
			}
			if len(got.Asserts) != tt.asserts {
				t.Errorf("asserts %+v, want %d", got.Asserts, tt.asserts)
			}
			// The rebuilt message keeps its number for the logs.
			if got.Ref != tt.msg.Ref {
				t.Errorf("Ref %q, want the queued %q", got.Ref, tt.msg.Ref)
			}
		})
	}
}

func TestQuietUntil(t *testing.T) {
	p := rules.DefaultReminderPolicy() // 21:00–08:00
	tests := []struct {
		in    string
		quiet bool
		end   string
	}{
		{"2027-02-22 20:59", false, ""},
		{"2027-02-22 21:00", true, "2027-02-23 08:00"},
		{"2027-02-23 02:30", true, "2027-02-23 08:00"},
		{"2027-02-23 08:00", false, ""},
	}
	for _, tt := range tests {
		end, quiet := p.QuietUntil(at(tt.in), sh)
		if quiet != tt.quiet || (quiet && !end.Equal(at(tt.end))) {
			t.Errorf("QuietUntil(%s) = %v %v, want %v %s", tt.in, end, quiet, tt.quiet, tt.end)
		}
	}
	p.QuietStart, p.QuietEnd = rules.TimeOfDay{}, rules.TimeOfDay{}
	if _, quiet := p.QuietUntil(at("2027-02-23 02:30"), sh); quiet {
		t.Error("equal start and end must mean no quiet hours")
	}
}

// TestRecheckEscalationList: a directors' list drops the units that
// submitted before it went out, renumbers and recounts; a one-unit notice
// is superseded once that unit submitted.
func TestRecheckEscalationList(t *testing.T) {
	sa := func(k string) rules.Obligation {
		return rules.Obligation{Year: 2027, UnitKey: k, Stage: rules.StageSelfAssessment}
	}
	list := rules.Outgoing{Kind: "escalation", Asserts: []rules.Obligation{sa("czj"), sa("gaj"), sa("mzj")},
		Text: "【督办清单】2027年5月3日当周\n以下单位已停止自动提醒，仍未报送（3项）：\n1. 县财政局 自查自评报告 已逾期63天\n2. 县公安局 自查自评报告 已逾期63天\n3. 县民政局 自查自评报告 已逾期63天\n请直接联系上述单位督促报送；报送后自动移出清单。"}
	one := rules.Outgoing{Kind: "escalation", Asserts: []rules.Obligation{sa("gaj")},
		Text: "【督导提醒】已停止提醒：县公安局 自查自评报告 逾期5天\n该单位已收到全部5次逾期提醒，仍未报送，机器人不再自动提醒。"}
	now := at("2027-05-03 10:05")
	in := rules.TruthInput{Calendar: cal(), Units: testUnits, Now: now,
		Years: map[string]rules.UnitYear{"gaj": submitted("gaj", rules.StageSelfAssessment, at("2027-05-03 10:01"))}}

	got, ok := rules.RecheckReminder(in, list)
	want := "【督办清单】2027年5月3日当周\n以下单位已停止自动提醒，仍未报送（2项）：\n1. 县财政局 自查自评报告 已逾期63天\n2. 县民政局 自查自评报告 已逾期63天\n请直接联系上述单位督促报送；报送后自动移出清单。"
	if !ok || got.Text != want || len(got.Asserts) != 2 {
		t.Errorf("list rebuilt ok=%v asserts=%d:\n%s\nwant:\n%s", ok, len(got.Asserts), got.Text, want)
	}
	if _, ok := rules.RecheckReminder(in, one); ok {
		t.Error("the notice about a unit that has since submitted would be sent")
	}
	in.Years = nil
	if got, ok := rules.RecheckReminder(in, list); !ok || got.Text != list.Text {
		t.Errorf("nothing submitted: the list must go out unchanged, got ok=%v:\n%s", ok, got.Text)
	}
}
