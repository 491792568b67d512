package e2e_test

import (
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/rules"
)

const reminderPrefix = "【督导提醒】"

// Ensure reminders arrive on real chats and stop for a unit once its file
// is in (issue #5): the 7-days-before sweep reminds every unit, 县财政局
// submits, the 3-days-before sweep reminds everyone but 县财政局, and a
// second sweep of the same slot sends nothing.
func TestRemindersStopAfterSubmission(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 22, 10, 0, 0, 0, shanghai(t))))
	// The office's own unit owes nothing (evaluated: false): it is never reminded.
	var units []rules.Unit
	for _, u := range h.Cfg.Units() {
		if rules.StageApplies(u, rules.Inspected{}, rules.StageSelfAssessment) {
			units = append(units, u)
		}
	}
	czj := h.Official("czj")

	// 22 February 10:00, seven days before 1 March.
	h.Sweep()
	for _, u := range units {
		got := h.WaitFor(u.Officials[0].WeChatRemark, apptest.TextPrefix(reminderPrefix))
		if u.Key == "czj" {
			golden(t, "reminder_7_days", got.Text)
		}
	}
	h.Sweep() // the same slot again
	h.Settle()
	if n := remindersTo(h, units, ""); n != len(units) {
		t.Fatalf("after two sweeps of one slot: %d reminders, want %d (one per unit)", n, len(units))
	}
	if n := countPrefix(h.Messages(h.Official("ddb")), ""); n != 0 {
		t.Errorf("the office's own unit got %d reminders; it is not evaluated", n)
	}
	if n := countPrefix(h.Messages(h.Director()), ""); n != 0 {
		t.Errorf("the director got %d messages from the sweep before any deadline", n)
	}

	// 县财政局 submits on 23 February: a complete report (one lacking a
	// part would be named in its next reminder, TestReportPartsReminder).
	h.SetTime(2027, time.February, 23, 15, 0)
	h.SendFile(czj, "县财政局自查自评报告.docx", fixture(t, "complete.docx"))
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))

	// 26 February 10:00, three days before: everyone but 县财政局.
	h.SetTime(2027, time.February, 26, 10, 0)
	h.Sweep()
	for _, u := range units {
		if u.Key != "czj" {
			got := h.WaitFor(u.Officials[0].WeChatRemark, apptest.TextPrefix(reminderPrefix))
			if u.Key == "gaj" {
				golden(t, "reminder_3_days", got.Text)
			}
		}
	}
	h.Sweep()
	h.Settle()
	if n := remindersTo(h, units, "czj"); n != 1 {
		t.Errorf("县财政局 got %d reminders in all, want only the one before it submitted", n)
	}
	if n := remindersTo(h, units, ""); n != 2*len(units)-1 {
		t.Errorf("%d reminders in all, want %d", n, 2*len(units)-1)
	}
}

// remindersTo counts the reminders officials received (all units when
// unitKey is "").
func remindersTo(h *apptest.Harness, units []rules.Unit, unitKey string) int {
	n := 0
	for _, u := range units {
		if unitKey == "" || u.Key == unitKey {
			n += countPrefix(h.Messages(u.Officials[0].WeChatRemark), reminderPrefix)
		}
	}
	return n
}
