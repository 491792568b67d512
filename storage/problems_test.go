package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"dudaobot/rules"
	"dudaobot/storage"
)

func d27(m time.Month, d int) rules.Date { return rules.Date{Year: 2027, Month: m, Day: d} }

// note is an outs func that queues one message to the director per call.
func note[T any](key string) func(T) []rules.Outgoing {
	return func(T) []rules.Outgoing {
		return []rules.Outgoing{{Key: key, Kind: "reply", To: rules.Recipient{Remark: "督导办-孙主任"}, Text: key}}
	}
}

// counts is how many outbox and audit rows exist: proof that a refused
// change left nothing behind.
func counts(t *testing.T, s *storage.Store) (int, int) {
	t.Helper()
	out, err := s.Outbox(context.Background(), rules.OutboxPending)
	mustNoErr(t, err)
	au, err := s.AuditTrail(context.Background(), 2027, "")
	mustNoErr(t, err)
	return len(out), len(au)
}

var threeProblems = []rules.ProblemLine{
	{Seq: 1, Text: "教育经费台账不全", Indicator: "3.2.1"},
	{Seq: 2, Text: "学校安全隐患未整改", SuggestedDue: d27(time.June, 30)},
	{Seq: 3, Text: "控辍保学机制不健全"},
}

func addThree(t *testing.T, s *storage.Store) []rules.Problem {
	t.Helper()
	ps, err := s.AddProblems(context.Background(), rules.ProblemList{Year: 2027, UnitKey: "czj", Short: "财政", Items: threeProblems, By: "孙主任"},
		note[[]rules.Problem]("problems:1"))
	mustNoErr(t, err)
	return ps
}

func TestProblemListStoredWithAuditAndOutbox(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	_, a0 := counts(t, s)
	ps := addThree(t, s)
	if len(ps) != 3 || ps[2].ID != "财政-2027-03" || ps[0].Indicator != "3.2.1" || ps[1].SuggestedDue != d27(time.June, 30) || !ps[0].RaisedAt.Equal(t0) {
		t.Fatalf("saved = %+v", ps)
	}
	got, err := s.Problems(ctx, 2027, "czj")
	mustNoErr(t, err)
	if !reflect.DeepEqual(got, ps) {
		t.Errorf("read back\n got %+v\nwant %+v", got, ps)
	}
	if n, a := counts(t, s); n != 1 || a != a0+1 {
		t.Errorf("outbox %d, audit %d; want 1, %d", n, a, a0+1)
	}

	// Before delivery a new list replaces the old one.
	ps, err = s.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: "czj", Short: "财政", Items: threeProblems[:2], By: "孙主任"}, nil)
	mustNoErr(t, err)
	if got, _ := s.Problems(ctx, 2027, "czj"); len(got) != 2 {
		t.Fatalf("after the correction: %d items, want 2", len(got))
	}

	// Feedback delivers the list; after that an item number is taken.
	at := t0.Add(time.Hour)
	_, err = s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "czj", DeliveredAt: at, Director: "孙主任"}, nil)
	mustNoErr(t, err)
	got, _ = s.Problems(ctx, 2027, "czj")
	if !got[0].DeliveredAt.Equal(at) || !got[1].DeliveredAt.Equal(at) {
		t.Errorf("delivered at %v, %v; want %v", got[0].DeliveredAt, got[1].DeliveredAt, at)
	}
	n0, a0 := counts(t, s)
	_, err = s.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: "czj", Short: "财政", Items: threeProblems, By: "孙主任"},
		note[[]rules.Problem]("problems:2"))
	wantErr(t, err, storage.ErrConflict)
	if n, a := counts(t, s); n != n0 || a != a0 {
		t.Errorf("refused list left rows: outbox %d→%d, audit %d→%d", n0, n, a0, a)
	}
	if got, _ := s.Problems(ctx, 2027, "czj"); len(got) != 2 {
		t.Errorf("refused list changed the items: %d", len(got))
	}
	// New numbers are added to a delivered list.
	_, err = s.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: "czj", Short: "财政", Items: threeProblems[2:], By: "孙主任"}, nil)
	mustNoErr(t, err)
	if got, _ := s.Problems(ctx, 2027, "czj"); len(got) != 3 {
		t.Errorf("after adding item 3: %d items", len(got))
	}

	_, err = s.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: "nope", Short: "无", Items: threeProblems}, nil)
	wantErr(t, err, storage.ErrNotFound)
}

func TestProblemPlanDraftThenComplete(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	addThree(t, s)
	plans := map[int]rules.ProblemPlan{
		1: {Measure: "补齐台账", Due: d27(time.June, 30), Owner: "张三"},
		2: {Measure: "排查隐患", Due: d27(time.July, 15)},
		3: {Measure: "建立机制"},
	}
	plan := &rules.Submission{Official: "张三", IsText: true, OnTime: true}
	res, err := s.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: "czj", Plans: plans, By: "张三", Submission: plan},
		note[rules.PlanSaved]("plan:1"))
	mustNoErr(t, err)
	if res.Complete || res.Submitted || len(res.Problems) != 3 || res.Problems[2].Plan.Measure != "建立机制" || res.Problems[0].Plan.Owner != "张三" {
		t.Fatalf("draft = %+v", res)
	}
	subs, err := s.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs) != 0 {
		t.Fatalf("a draft plan counted as submitted: %+v", subs)
	}

	// An unknown item: nothing written.
	n0, a0 := counts(t, s)
	_, err = s.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: "czj", Plans: map[int]rules.ProblemPlan{3: {Measure: "x", Due: d27(time.August, 1)}, 9: {Measure: "x"}}, By: "张三", Submission: plan},
		note[rules.PlanSaved]("plan:x"))
	wantErr(t, err, storage.ErrNotFound)
	if n, a := counts(t, s); n != n0 || a != a0 {
		t.Errorf("refused plan left rows: outbox %d→%d, audit %d→%d", n0, n, a0, a)
	}
	if got, _ := s.Problems(ctx, 2027, "czj"); !got[2].Plan.Due.IsZero() {
		t.Errorf("refused plan changed item 3: %+v", got[2].Plan)
	}

	plans[3] = rules.ProblemPlan{Measure: "建立机制", Due: d27(time.August, 31)}
	res, err = s.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: "czj", Plans: map[int]rules.ProblemPlan{3: plans[3]}, By: "张三", Submission: plan},
		note[rules.PlanSaved]("plan:2"))
	mustNoErr(t, err)
	if !res.Complete || !res.Submitted || res.Submission.Version != 1 || res.Submission.Stage != rules.StageRectificationPlan {
		t.Fatalf("complete = %+v", res)
	}
	subs, _ = s.Submissions(ctx, 2027, "czj")
	if len(subs) != 1 || subs[0].Stage != rules.StageRectificationPlan || !subs[0].IsText {
		t.Errorf("submissions = %+v", subs)
	}
	uy, err := s.UnitYear(ctx, 2027, "czj")
	mustNoErr(t, err)
	if uy.Versions[rules.StageRectificationPlan] != 1 {
		t.Errorf("unit year = %+v", uy)
	}
	if n, _ := counts(t, s); n != 3 {
		t.Errorf("outbox = %d, want 3 (list, draft, complete)", n)
	}
}

func TestProblemEvents(t *testing.T) {
	s, clk := MustOpenClock(t)
	ctx := context.Background()
	addThree(t, s)
	_, err := s.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: "czj", By: "张三", Plans: map[int]rules.ProblemPlan{
		1: {Measure: "a", Due: d27(time.June, 30)}, 2: {Measure: "b", Due: d27(time.June, 30)}, 3: {Measure: "c", Due: d27(time.June, 30)}}}, nil)
	mustNoErr(t, err)

	ev := func(kind rules.ProblemEventKind) rules.ProblemEvent {
		clk.Advance(time.Hour)
		return rules.ProblemEvent{Kind: kind, Actor: "孙主任"}
	}
	report := ev(rules.EventReported)
	report.Actor = "张三"
	report.Evidence = []rules.Evidence{{Name: "照片.jpg", StoredPath: "ab/cd.jpg", SHA256: "abcdef0123456789", Size: 10}, {Text: "已补齐"}}
	p, err := s.AddProblemEvent(ctx, "财政-2027-01", report, note[rules.Problem]("ev:1"))
	mustNoErr(t, err)
	if len(p.Events) != 1 || p.Events[0].ID == 0 {
		t.Fatalf("event not returned: %+v", p.Events)
	}
	ret := ev(rules.EventReturned)
	ret.NewDue, ret.Reason = d27(time.July, 15), "照片不清楚"
	_, err = s.AddProblemEvent(ctx, "财政-2027-01", ret, note[rules.Problem]("ev:2"))
	mustNoErr(t, err)

	// Refusals: nothing written, and the rule's error is visible.
	n0, a0 := counts(t, s)
	for _, tt := range []struct {
		code string
		e    rules.ProblemEvent
		is   error
	}{
		{"财政-2027-01", ret, rules.ErrNotReported},
		{"财政-2027-02", rules.ProblemEvent{Kind: rules.EventExtended}, rules.ErrNoNewDate},
		{"财政-2027-09", report, storage.ErrNotFound},
	} {
		_, err := s.AddProblemEvent(ctx, tt.code, tt.e, note[rules.Problem]("ev:bad"))
		wantErr(t, err, tt.is)
		if tt.is != storage.ErrNotFound {
			wantErr(t, err, storage.ErrConflict)
		}
	}
	if n, a := counts(t, s); n != n0 || a != a0 {
		t.Errorf("refused events left rows: outbox %d→%d, audit %d→%d", n0, n, a0, a)
	}

	report2 := ev(rules.EventReported)
	report2.Evidence = []rules.Evidence{{Text: "重新拍照"}}
	_, err = s.AddProblemEvent(ctx, "财政-2027-01", report2, nil)
	mustNoErr(t, err)
	verify := ev(rules.EventVerified)
	_, err = s.AddProblemEvent(ctx, "财政-2027-01", verify, note[rules.Problem]("ev:3"))
	mustNoErr(t, err)
	_, err = s.AddProblemEvent(ctx, "财政-2027-01", ev(rules.EventReported), nil)
	wantErr(t, err, rules.ErrProblemClosed)

	ext := ev(rules.EventExtended)
	ext.NewDue, ext.Reason = d27(time.July, 31), "资金未到位"
	_, err = s.AddProblemEvent(ctx, "财政-2027-03", ext, nil)
	mustNoErr(t, err)

	visit := ev(rules.EventVisit)
	visit.Date, visit.Reason = d27(time.May, 20), "现场查看"
	visited, err := s.RecordVisit(ctx, 2027, "czj", visit, note[[]rules.Problem]("visit:1"))
	mustNoErr(t, err)
	if len(visited) != 2 {
		t.Errorf("visited %d items, want 2 (item 1 is closed)", len(visited))
	}
	_, err = s.RecordVisit(ctx, 2027, "jyj", visit, nil)
	wantErr(t, err, storage.ErrNotFound)

	got, err := s.Problem(ctx, "财政-2027-01")
	mustNoErr(t, err)
	kinds := ""
	for _, e := range got.Events {
		kinds += string(e.Kind) + " "
	}
	if kinds != "reported returned reported verified " {
		t.Errorf("item 1 events: %s", kinds)
	}
	if e := got.Events[0]; !reflect.DeepEqual(e.Evidence, report.Evidence) || e.Actor != "张三" {
		t.Errorf("evidence read back: %+v", e)
	}
	if e := got.Events[1]; e.NewDue != d27(time.July, 15) || e.Reason != "照片不清楚" {
		t.Errorf("return read back: %+v", e)
	}
	st := rules.ProblemStatusOf(got, cal2027, clk.Now())
	if st.Kind != rules.ProblemClosed || st.ClosedBy != "孙主任" {
		t.Errorf("status = %+v", st)
	}
	three, _ := s.Problem(ctx, "财政-2027-03")
	if st := rules.ProblemStatusOf(three, cal2027, clk.Now()); st.Kind != rules.ProblemExtended || st.Due != d27(time.July, 31) || st.JudgedDue != d27(time.June, 30) {
		t.Errorf("item 3 status = %+v", st)
	}
	if e := three.Events[1]; e.Kind != rules.EventVisit || e.Date != d27(time.May, 20) {
		t.Errorf("visit read back: %+v", e)
	}
	sameCounts(t, s, 2027, cal2027, clk.Now())
	clk.Set(time.Date(2027, time.July, 2, 9, 0, 0, 0, shanghai)) // item 2 overdue, item 3 extended to 31 July
	sameCounts(t, s, 2027, cal2027, clk.Now())
	trail, _ := s.AuditTrail(ctx, 2027, "czj")
	actions := map[string]int{}
	for _, a := range trail {
		actions[a.Action]++
	}
	want := map[string]int{"problems": 1, "problem_plan": 1, "problem_reported": 2, "problem_returned": 1, "problem_verified": 1, "problem_extended": 1, "problem_visit": 1}
	for k, v := range want {
		if actions[k] != v {
			t.Errorf("audit %s = %d, want %d (%v)", k, actions[k], v, actions)
		}
	}
}

// A failure inside the transaction (here an outbox message without a key)
// leaves no event, no audit row and no message.
func TestProblemEventAllOrNothing(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	addThree(t, s)
	n0, a0 := counts(t, s)
	bad := func(rules.Problem) []rules.Outgoing {
		return []rules.Outgoing{{Key: "ok", Kind: "reply", To: rules.Recipient{Remark: "x"}}, {Kind: "reply"}}
	}
	_, err := s.AddProblemEvent(ctx, "财政-2027-02", rules.ProblemEvent{Kind: rules.EventReported}, bad)
	if err == nil {
		t.Fatal("want an error")
	}
	if n, a := counts(t, s); n != n0 || a != a0 {
		t.Errorf("failed tx left rows: outbox %d→%d, audit %d→%d", n0, n, a0, a)
	}
	p, _ := s.Problem(ctx, "财政-2027-02")
	if len(p.Events) != 0 {
		t.Errorf("failed tx left an event: %+v", p.Events)
	}
}

// Items still open when a new cycle year starts are that year's too;
// those closed before it are not; closing one counts in the year it closes.
func TestProblemsCarryOver(t *testing.T) {
	s, clk := MustOpenClock(t)
	ctx := context.Background()
	addThree(t, s)
	clk.Advance(time.Hour)
	_, err := s.AddProblemEvent(ctx, "财政-2027-01", rules.ProblemEvent{Kind: rules.EventVerified, Actor: "孙主任"}, nil)
	mustNoErr(t, err)
	jan := time.Date(2028, time.January, 10, 10, 0, 0, 0, shanghai)
	clk.Set(jan)
	_, err = s.AddProblemEvent(ctx, "财政-2027-02", rules.ProblemEvent{Kind: rules.EventVerified, Actor: "孙主任"}, nil)
	mustNoErr(t, err)
	_, err = s.AddProblems(ctx, rules.ProblemList{Year: 2028, UnitKey: "czj", Short: "财政", Items: threeProblems[:1], By: "孙主任"}, nil)
	mustNoErr(t, err)
	got, err := s.Problems(ctx, 2028, "")
	mustNoErr(t, err)
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	if fmt.Sprint(ids) != "[财政-2027-02 财政-2027-03 财政-2028-01]" {
		t.Errorf("2028 view = %v", ids)
	}
	cal28 := cal2027
	cal28.Year = 2028
	sameCounts(t, s, 2028, cal28, clk.Now())
	if all, _ := s.Problems(ctx, 2027, ""); len(all) != 3 {
		t.Errorf("2027 view = %d items, want 3", len(all))
	}
	if none, _ := s.Problems(ctx, 2026, ""); len(none) != 0 {
		t.Errorf("2026 view = %d items", len(none))
	}
}

func TestProblemNotFound(t *testing.T) {
	s := MustOpen(t)
	_, err := s.Problem(context.Background(), "财政-2027-01")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("err = %v", err)
	}
}

// sameCounts: the one-query counts agree with the rules over the items.
func sameCounts(t *testing.T, s *storage.Store, year int, c rules.Calendar, now time.Time) {
	t.Helper()
	ps, err := s.Problems(context.Background(), year, "")
	mustNoErr(t, err)
	want := rules.CountProblems(ps, c, now)
	got, err := s.ProblemCounts(context.Background(), year, rules.DateOf(now, c.Location))
	mustNoErr(t, err)
	if got != want {
		t.Errorf("ProblemCounts %d = %+v, rules say %+v", year, got, want)
	}
}

// Evidence that is a submission's file: the unit's own stage version is
// withdrawn with the report, in its transaction; another unit's file, or
// one already withdrawn, is refused and nothing is written.
func TestReportWithSubmissionEvidence(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	addThree(t, s)
	sub := func(unit string) rules.Submission {
		t.Helper()
		saved, err := s.AddSubmission(ctx, rules.Submission{Year: 2027, UnitKey: unit, Stage: rules.StageRectificationDone,
			Official: "x", OriginalName: "照片.jpg", StoredPath: "ab/" + unit, Size: 9, SHA256: "sha-" + unit,
			ReceivedAt: t0, OnTime: true}, "x", nil)
		mustNoErr(t, err)
		return saved
	}
	other, own := sub("jyj"), sub("czj")
	report := func(s0 rules.Submission) error {
		_, err := s.AddProblemEvent(ctx, "财政-2027-01", rules.ProblemEvent{Kind: rules.EventReported, Actor: "张三", At: t0.Add(time.Minute),
			Evidence: []rules.Evidence{{Name: s0.OriginalName, StoredPath: s0.StoredPath, SHA256: s0.SHA256, Size: s0.Size, SubmissionID: s0.ID}}},
			note[rules.Problem]("done"))
		return err
	}
	o0, a0 := counts(t, s)
	if err := report(other); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("another unit's file as evidence: %v", err)
	}
	if o, a := counts(t, s); o != o0 || a != a0 {
		t.Fatalf("a refused report wrote outbox %d→%d, audit %d→%d", o0, o, a0, a)
	}
	mustNoErr(t, report(own))
	subs, err := s.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs) != 0 {
		t.Errorf("the evidence still counts as a version: %+v", subs)
	}
	p, err := s.Problem(ctx, "财政-2027-01")
	mustNoErr(t, err)
	if len(p.Events) != 1 || p.Events[0].Evidence[0].SubmissionID != own.ID || p.Events[0].Evidence[0].SHA256 != "sha-czj" {
		t.Errorf("events = %+v", p.Events)
	}
	if err := report(own); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("a withdrawn file as evidence again: %v", err)
	}
}

// TestUnitProblemsSameAsAll: one unit's items (the prepared read every 状态
// makes) are exactly that unit's items in the all-units read — plans,
// events with evidence, carried-over items of earlier years — on SQLite
// and PostgreSQL.
func TestUnitProblemsSameAsAll(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	keys := []string{"czj", "jyj", "rsj"}
	mustNoErr(t, storage.SeedProblems(ctx, s, keys, 2025, 2027, 7))
	all, err := s.Problems(ctx, 2027, "")
	mustNoErr(t, err)
	for _, k := range keys {
		var want []rules.Problem
		for _, p := range all {
			if p.UnitKey == k {
				want = append(want, p)
			}
		}
		got, err := s.Problems(ctx, 2027, k)
		mustNoErr(t, err)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("unit %s: %d items\n got %+v\nwant %+v", k, len(got), got, want)
		}
	}
	if got, err := s.Problems(ctx, 2027, "nosuchunit"); err != nil || len(got) != 0 {
		t.Errorf("unknown unit: %v %v", got, err)
	}
}
