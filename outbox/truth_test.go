package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dudaobot/outbox"
	"dudaobot/rules"
)

var (
	truthUnits = []rules.Unit{
		{Key: "czj", Name: "县财政局", SortOrder: 1, Officials: []rules.Official{{Name: "张三", WeChatRemark: "督导-czj"}}},
		{Key: "gaj", Name: "县公安局", SortOrder: 2, Officials: []rules.Official{{Name: "李四", WeChatRemark: "督导-gaj"}}},
	}
	truthDirs = []rules.Director{{Name: "主任", WeChatRemark: "督导办主任"}}
	truthCal  = rules.Calendar{
		Year: 2027, Location: sh,
		SelfAssessmentDue: rules.Date{Year: 2027, Month: 3, Day: 1},
		InspectionStart:   rules.Date{Year: 2027, Month: 4, Day: 10}, InspectionEnd: rules.Date{Year: 2027, Month: 4, Day: 20},
		FeedbackDays: 14, RectificationPlanDays: 7,
	}
)

// truthEnv is a relay with the real StoreTruth over a store holding a
// roster of two units and the 2027 calendar; the clock is 1 March 10:00,
// the self-assessment due date.
func truthEnv(t *testing.T) *env {
	t.Helper()
	var e *env
	e = setup(t, func(o *outbox.Options) {
		o.Truth = outbox.StoreTruth{Store: o.Store.(outbox.TruthStore), Location: sh, Policy: rules.DefaultReminderPolicy(), Year: 2027}
	})
	ctx := t.Context()
	if err := e.st.SyncRoster(ctx, truthUnits, truthDirs); err != nil {
		t.Fatal(err)
	}
	if err := e.st.EnsureYear(ctx, truthCal); err != nil {
		t.Fatal(err)
	}
	return e
}

// sweep plans the reminders due now from the store, as the scheduler does,
// and records them with their outbox rows.
func (e *env) sweep(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	bs, err := e.st.Broadcasts(ctx, 2027)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := e.st.Acks(ctx, 2027)
	if err != nil {
		t.Fatal(err)
	}
	years, err := e.st.UnitYears(ctx, 2027)
	if err != nil {
		t.Fatal(err)
	}
	plan := rules.PlanReminders(rules.ReminderInput{Calendar: truthCal, Policy: rules.DefaultReminderPolicy(),
		Units: truthUnits, Directors: truthDirs, Years: years, Broadcasts: bs, Acks: acks, Now: e.clk.Now()})
	for _, w := range plan.Writes {
		if _, err := e.st.RecordReminder(ctx, w.Record, w.Outs); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) submit(t *testing.T, unit string) {
	t.Helper()
	_, err := e.st.AddSubmission(t.Context(), rules.Submission{
		Year: 2027, UnitKey: unit, Stage: rules.StageSelfAssessment, Official: "x", OriginalName: "自查报告.docx",
		StoredPath: "ab/" + unit + ".docx", Size: 10, SHA256: strings.Repeat("ab", 32), ReceivedAt: e.clk.Now(), OnTime: true,
	}, "督导-"+unit, func(s rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{{Key: fmt.Sprintf("receipt:%d", s.ID), Kind: "receipt", To: rules.Recipient{Remark: "督导-" + unit}, Text: "【回执】"}}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) sentTo(remark string) []rules.Outgoing {
	var out []rules.Outgoing
	for _, m := range e.tr.sent {
		if m.To.Remark == remark {
			out = append(out, m)
		}
	}
	return out
}

// TestSendTimeTruth: a reminder whose unit submitted after it was queued
// is superseded, never sent; one whose obligations partly hold is sent
// rebuilt for those (and the row records the text sent); a digest is
// rendered as things stand when it goes out.
func TestSendTimeTruth(t *testing.T) {
	t.Run("SubmittedAfterQueued_Superseded", func(t *testing.T) {
		e := truthEnv(t)
		e.clk.Set(time.Date(2027, 3, 1, 10, 0, 0, 0, sh))
		e.sweep(t)
		e.submit(t, "czj")
		e.drain(t)
		if got := e.sentTo("督导-czj"); len(got) != 1 || got[0].Kind != "receipt" {
			t.Fatalf("czj got %+v, want only its receipt", got)
		}
		key := rules.ReminderOutboxKey(2027, "督导-czj", rules.Date{Year: 2027, Month: 3, Day: 1})
		if r := e.row(t, key); r.Status != rules.OutboxSuperseded {
			t.Errorf("czj reminder = %s, want superseded", r.Status)
		}
		if got := e.sentTo("督导-gaj"); len(got) != 1 || !strings.Contains(got[0].Text, "今天截止") {
			t.Errorf("gaj got %+v, want its reminder", got)
		}
		if e.tr.sent[0].Kind != "receipt" {
			t.Errorf("first send %s, want the receipt (reply lane)", e.tr.sent[0].Key)
		}
	})
	t.Run("AckedAfterQueued_RebuiltWithoutIt", func(t *testing.T) {
		e := truthEnv(t)
		e.clk.Set(time.Date(2027, 2, 26, 9, 0, 0, 0, sh))
		if _, err := e.st.CreateBroadcast(t.Context(), rules.Broadcast{Year: 2027, Kind: "broadcast", Text: "关于自查的通知", SentAt: e.clk.Now(), By: "督导办主任"}, nil); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(time.Date(2027, 3, 1, 10, 0, 0, 0, sh))
		e.sweep(t)
		key := rules.ReminderOutboxKey(2027, "督导-czj", rules.Date{Year: 2027, Month: 3, Day: 1})
		if q := e.row(t, key); !strings.Contains(q.Text, "尚未确认收到") || len(q.Asserts) != 2 {
			t.Fatalf("queued reminder %q asserts %+v, want report and ack", q.Text, q.Asserts)
		}
		if _, err := e.st.Acknowledge(t.Context(), 2027, "czj", "督导-czj", e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		got := e.sentTo("督导-czj")
		if len(got) != 1 || strings.Contains(got[0].Text, "尚未确认收到") || !strings.Contains(got[0].Text, "1. 自查自评报告") ||
			strings.Contains(got[0].Text, "2. ") || strings.Contains(got[0].Text, "提醒编号") {
			t.Fatalf("czj got %+v, want the reminder without the acknowledged notice", got)
		}
		if r := e.row(t, key); r.Status != rules.OutboxSent || r.Text != got[0].Text || len(r.Asserts) != 1 {
			t.Errorf("row after send: %s asserts=%+v; the row must hold the text sent", r.Status, r.Asserts)
		}
		// Rebuilt, it keeps its number: on the row and in the relay's log
		// lines, never in the text.
		if got[0].Ref != "TX-20270301-czj-1" || e.row(t, key).Ref != "TX-20270301-czj-1" {
			t.Errorf("rebuilt reminder Ref %q (row %q), want TX-20270301-czj-1", got[0].Ref, e.row(t, key).Ref)
		}
		for _, want := range []string{"msg=\"rebuilt at send time for what still holds\"", "msg=sent"} {
			if !logLineHas(e.logs.String(), want, "reminder_id=TX-20270301-czj-1") {
				t.Errorf("no log line %s with reminder_id=TX-20270301-czj-1:\n%s", want, e.logs)
			}
		}
		if got := e.sentTo("督导-gaj"); len(got) != 1 || !strings.Contains(got[0].Text, "尚未确认收到") {
			t.Errorf("gaj (not acknowledged) got %+v", got)
		}
	})
	t.Run("Digest_RenderedAtSend", func(t *testing.T) {
		e := truthEnv(t)
		e.clk.Set(time.Date(2027, 3, 1, 17, 0, 0, 0, sh))
		ctx := context.Background()
		years, err := e.st.UnitYears(ctx, 2027)
		if err != nil {
			t.Fatal(err)
		}
		d := rules.BuildDigest(truthCal, rules.DefaultReminderPolicy(), truthUnits, years, e.clk.Now())
		e.enqueue(t, rules.Outgoing{Key: "digest:2027-03-01:督导办主任", Kind: "digest", To: rules.Recipient{Remark: "督导办主任"},
			Text: d.DirectorText(), Ref: d.Number(), CreatedAt: e.clk.Now()})
		if !strings.Contains(d.DirectorText(), "县财政局") {
			t.Fatalf("queued digest does not name 县财政局:\n%s", d.DirectorText())
		}
		e.clk.Set(time.Date(2027, 3, 1, 17, 5, 0, 0, sh))
		e.submit(t, "czj")
		e.drain(t)
		got := e.sentTo("督导办主任")
		if len(got) != 1 || strings.Contains(got[0].Text, "县财政局") || !strings.Contains(got[0].Text, "已交1") ||
			!strings.Contains(got[0].Text, "【督导日报】2027年3月1日") || strings.Contains(got[0].Text, "RB-") || got[0].Ref != "RB-20270301" {
			t.Fatalf("digest sent:\n%+v\nwant it as of the send: 县财政局 submitted, same date, its number RB-20270301 kept out of the text", got)
		}
		if !logLineHas(e.logs.String(), "msg=sent", "digest_id=RB-20270301") {
			t.Errorf("no sent line with digest_id=RB-20270301:\n%s", e.logs)
		}
	})
}

// logLineHas reports whether one line of logs holds every part.
func logLineHas(logs string, parts ...string) bool {
	for _, l := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}
