package storage_test

import (
	"testing"
	"time"

	"dudaobot/rules"
	"dudaobot/storage"
)

// Ensure a withdrawn version counts nowhere (versions, first-submitted
// time, lists), keeps its row for the audit, and that the next version
// reuses its number.
func TestWithdrawSubmission(t *testing.T) {
	s := MustOpen(t)
	v1, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0), "财政-张三", nil)
	mustNoErr(t, err)
	v2, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0.Add(time.Hour)), "财政-张三", nil)
	mustNoErr(t, err)

	was, err := s.WithdrawSubmission(ctx, v2.ID, "财政-张三", t0.Add(90*time.Minute), func(w rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{{Kind: "reply", Key: "withdrawn:" + w.SHA256, To: rules.Recipient{Remark: "财政-张三"}, Text: "已撤回"}}
	})
	mustNoErr(t, err)
	if was.ID != v2.ID || was.Version != 2 {
		t.Fatalf("withdrawn %+v", was)
	}
	uy, err := s.UnitYear(ctx, 2027, "czj")
	mustNoErr(t, err)
	if uy.Versions[rules.StageSelfAssessment] != 1 || !uy.LastSubmitted[rules.StageSelfAssessment].Equal(v1.ReceivedAt) {
		t.Fatalf("after withdrawing v2: %+v", uy)
	}
	all, err := s.UnitYears(ctx, 2027)
	mustNoErr(t, err)
	for _, u := range all {
		if u.UnitKey == "czj" && u.Versions[rules.StageSelfAssessment] != 1 {
			t.Fatalf("UnitYears after withdrawing v2: %+v", u)
		}
	}
	_, err = s.WithdrawSubmission(ctx, v2.ID, "财政-张三", t0, nil)
	wantErr(t, err, storage.ErrConflict)
	_, err = s.WithdrawSubmission(ctx, 9999, "财政-张三", t0, nil)
	wantErr(t, err, storage.ErrNotFound)

	// Withdraw v1 too: the stage is as if nothing had arrived.
	_, err = s.WithdrawSubmission(ctx, v1.ID, "财政-张三", t0.Add(2*time.Hour), nil)
	mustNoErr(t, err)
	uy, err = s.UnitYear(ctx, 2027, "czj")
	mustNoErr(t, err)
	if !uy.FirstSubmitted[rules.StageSelfAssessment].IsZero() || uy.Versions[rules.StageSelfAssessment] != 0 {
		t.Fatalf("after withdrawing both: %+v", uy)
	}
	subs, err := s.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs) != 0 {
		t.Fatalf("withdrawn versions listed: %+v", subs)
	}

	// The resubmission is version 1 again, judged on its own time.
	late := t0.Add(72 * time.Hour)
	again, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, late), "财政-张三", nil)
	mustNoErr(t, err)
	if again.Version != 1 {
		t.Fatalf("resubmission version %d, want 1", again.Version)
	}
	uy, err = s.UnitYear(ctx, 2027, "czj")
	mustNoErr(t, err)
	if !uy.FirstSubmitted[rules.StageSelfAssessment].Equal(late) {
		t.Fatalf("first submitted %v, want %v", uy.FirstSubmitted[rules.StageSelfAssessment], late)
	}

	// The audit keeps every step.
	trail, err := s.AuditTrail(ctx, 2027, "czj")
	mustNoErr(t, err)
	var withdrawals int
	for _, e := range trail {
		if e.Action == "withdraw" {
			withdrawals++
		}
	}
	if withdrawals != 2 {
		t.Errorf("audit has %d withdrawals, want 2: %+v", withdrawals, trail)
	}
	// A withdrawn supporting file cannot be refiled.
	sup, err := s.AddSubmission(ctx, sub("czj", rules.StageSupporting, late), "财政-张三", nil)
	mustNoErr(t, err)
	_, err = s.WithdrawSubmission(ctx, sup.ID, "财政-张三", late, nil)
	mustNoErr(t, err)
	_, err = s.RefileSubmission(ctx, sup.ID, rules.StageSelfAssessment, true, "财政-张三", nil)
	wantErr(t, err, storage.ErrConflict)
}

// Ensure one 收到 acknowledges every open notice and feedback of the unit,
// oldest first, and a second 收到 finds nothing open.
func TestAcknowledgeOpen(t *testing.T) {
	s, clk := MustOpenClock(t)
	got, err := s.AcknowledgeOpen(ctx, 2027, "czj", "财政-张三", t0)
	mustNoErr(t, err)
	if len(got) != 0 {
		t.Fatalf("nothing sent, acknowledged %+v", got)
	}
	b1, err := s.CreateBroadcast(ctx, rules.Broadcast{Year: 2027, Text: "一", By: "督导办-孙主任"}, nil)
	mustNoErr(t, err)
	clk.Advance(time.Hour)
	b2, err := s.CreateBroadcast(ctx, rules.Broadcast{Year: 2027, Text: "二", By: "督导办-孙主任"}, nil)
	mustNoErr(t, err)
	clk.Advance(time.Hour)
	_, err = s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "czj", Director: "督导办-孙主任",
		OriginalName: "反馈.pdf", StoredPath: "ab/abcd.pdf"}, nil)
	mustNoErr(t, err)
	_, err = s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "jyj", Director: "督导办-孙主任",
		OriginalName: "反馈.pdf", StoredPath: "ab/abce.pdf"}, nil)
	mustNoErr(t, err)

	got, err = s.AcknowledgeOpen(ctx, 2027, "czj", "财政-张三", clk.Now())
	mustNoErr(t, err)
	if len(got) != 3 || got[0].ID != b1.ID || got[1].ID != b2.ID || got[2].Kind != "feedback" || got[2].UnitKey != "czj" {
		t.Fatalf("acknowledged %+v", got)
	}
	for _, b := range []int64{b1.ID, b2.ID} {
		un, err := s.Unacknowledged(ctx, b)
		mustNoErr(t, err)
		for _, k := range un {
			if k == "czj" {
				t.Errorf("broadcast %d still unacknowledged by czj", b)
			}
		}
	}
	got, err = s.AcknowledgeOpen(ctx, 2027, "czj", "财政-李四", clk.Now())
	mustNoErr(t, err)
	if len(got) != 0 {
		t.Fatalf("second 收到 acknowledged %+v", got)
	}
}

// Ensure the same 撤回 run twice (a re-run after a crash) withdraws once,
// even though the unit's last version is then a different one.
func TestWithdrawSubmissionRepeat(t *testing.T) {
	s := MustOpen(t)
	v1, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0), "财政-张三", nil)
	mustNoErr(t, err)
	v2, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0.Add(time.Minute)), "财政-张三", nil)
	mustNoErr(t, err)
	at := t0.Add(5 * time.Minute)
	_, err = s.WithdrawSubmission(ctx, v2.ID, "财政-张三", at, nil)
	mustNoErr(t, err)
	was, err := s.WithdrawSubmission(ctx, v1.ID, "财政-张三", at, nil)
	mustNoErr(t, err)
	if was.ID != v2.ID || was.Version != 2 {
		t.Fatalf("repeat returned %+v, want the earlier withdrawal of v2", was)
	}
	uy, err := s.UnitYear(ctx, 2027, "czj")
	mustNoErr(t, err)
	if uy.Versions[rules.StageSelfAssessment] != 1 {
		t.Fatalf("repeat withdrew again: %+v", uy)
	}
}
