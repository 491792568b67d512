package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/rules"
)

// TestRepeatedStatusKeepsOneQueuedAnswer (issue 10, item 10, the queue
// half): while the outbox is held, an official asks 状态 five times and
// sends a file. Only the newest 状态 answer is still queued — the four older
// ones are superseded, not sent — and the receipt is never replaced.
func TestRepeatedStatusKeepsOneQueuedAnswer(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	czj := h.Official("czj")
	h.PauseOutbox()
	for range 5 {
		h.Say(czj, "状态")
	}
	h.SendFile(czj, "县财政局自查自评报告.docx", apptest.Docx("czj"))
	h.WaitQueued(isReceiptTo(czj))
	h.App.Intake.Wait()

	rows, err := h.App.Store.Outbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var pending, superseded int
	for _, m := range rows {
		if m.To.Remark != czj || m.Kind != "reply" {
			continue
		}
		switch m.Status {
		case rules.OutboxPending:
			pending++
		case rules.OutboxSuperseded:
			superseded++
		}
	}
	if pending != 1 || superseded != 4 {
		t.Fatalf("状态 answers to %s: %d pending, %d superseded; want 1 and 4", czj, pending, superseded)
	}
	h.ResumeOutbox()
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))
	h.Settle()
	answers := 0
	for _, m := range h.Messages(czj) {
		if m.Kind == "text" && strings.Contains(m.Text, "县财政局") && !strings.HasPrefix(m.Text, "【回执】") {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("%s got %d 状态 answers, want 1 (the newest)", czj, answers)
	}
}

// TestUrgeSupersededAfterSubmission: a 催办 still queued when its unit
// submits is never sent; the row is superseded, the receipt goes out.
func TestUrgeSupersededAfterSubmission(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	mzj := h.Official("mzj")
	h.PauseOutbox()
	h.Say(h.Director(), "催办 民政")
	urge := h.WaitQueued(func(m rules.Outgoing) bool { return m.To.Remark == mzj && strings.HasPrefix(m.Text, "【催办】") })
	if len(urge.Asserts) == 0 {
		t.Fatalf("催办 row asserts nothing: %+v", urge)
	}
	h.SendFile(mzj, "县民政局自查自评报告.docx", apptest.Docx("mzj"))
	h.WaitQueued(isReceiptTo(mzj))
	h.ResumeOutbox()
	h.WaitFor(mzj, apptest.TextPrefix("【回执】"))
	h.Settle()
	if n := countPrefix(h.Messages(mzj), "【催办】"); n != 0 {
		t.Errorf("县民政局 got %d 催办 after submitting, want none", n)
	}
	rows, err := h.App.Store.Outbox(context.Background(), rules.OutboxSuperseded)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range rows {
		found = found || m.ID == urge.ID
	}
	if !found {
		t.Errorf("the 催办 row %d is not superseded", urge.ID)
	}
}
