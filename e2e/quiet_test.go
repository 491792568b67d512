package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/rules"
)

// TestBacklogHeldThroughQuietHours (issue 10, item 7): reminders queued at
// 10:00 are still queued when sending resumes at 22:30 (after an outage).
// Quiet hours apply at send time: nothing goes out at night, the rows wait
// for 08:00 without using an attempt, and an answer to someone who just
// wrote still goes out at once. At 08:00 the reminders go, their days left
// counted that morning.
func TestBacklogHeldThroughQuietHours(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 22, 10, 0, 0, 0, shanghai(t))))
	units := h.Cfg.Units()
	h.PauseOutbox() // the outage: nothing is sent, rows stay queued
	h.Sweep()
	h.SetTime(2027, time.February, 22, 22, 30)
	h.ResumeOutbox()
	czj := h.Official("czj")
	h.Say(czj, "状态")
	h.WaitFor(czj, apptest.TextHas("县财政局 2027年"))
	h.Settle()
	if n := remindersTo(h, units, ""); n != 0 {
		t.Fatalf("%d reminders sent at 22:30, want none in quiet hours", n)
	}
	morning := time.Date(2027, time.February, 23, 8, 0, 0, 0, h.Loc)
	rows, err := h.App.Store.Outbox(context.Background(), rules.OutboxPending)
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, m := range rows {
		if m.Kind == "reminder" {
			held++
			if !m.NextTry.Equal(morning) || m.Attempts != 0 {
				t.Errorf("%s: next try %s, attempts %d; want held to 08:00, no attempt", m.Key, m.NextTry.In(h.Loc), m.Attempts)
			}
		}
	}
	if held < 27 {
		t.Errorf("%d reminders held, want one per unit that owes the report (27)", held)
	}
	h.SetTime(2027, time.February, 23, 8, 0)
	got := h.WaitFor(czj, apptest.TextPrefix(reminderPrefix))
	if !strings.Contains(got.Text, "还剩6天") || strings.Contains(got.Text, "TX-") || strings.Contains(got.Text, "提醒编号") {
		t.Errorf("morning reminder should count from 23 February, without an internal number:\n%s", got.Text)
	}
	h.Settle()
	// Its number stays the day it was planned, in the log of its send
	// (logged before the row is marked sent, so settled means logged).
	if !logLineHas(h.Logs(), "msg=sent", "reminder_id=TX-20270222-czj-1") {
		t.Errorf("no sent log line with reminder_id=TX-20270222-czj-1:\n%s", h.Logs())
	}
	if n := remindersTo(h, units, ""); n != held {
		t.Errorf("%d reminders sent at 08:00, want the %d held", n, held)
	}
}
