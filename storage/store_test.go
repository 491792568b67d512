package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

var ctx = context.Background()

func TestOpenTwiceIsIdempotent(t *testing.T) {
	clk := clock.NewFake(t0)
	d := newTestDB(t, clk)
	s1 := d.open(t)
	seed(t, s1)
	mustAdd(t, s1, sub("czj", rules.StageSelfAssessment, t0))
	mustNoErr(t, s1.Close())

	// The second Open migrates the same schema again and keeps the data.
	s2 := d.open(t)
	seed(t, s2)
	got, err := s2.Submissions(ctx, 2027, "")
	mustNoErr(t, err)
	if len(got) != 1 || got[0].Version != 1 {
		t.Fatalf("after reopen: %+v", got)
	}
	units, err := s2.Units(ctx)
	mustNoErr(t, err)
	if len(units) != len(testUnits) {
		t.Fatalf("units after reopen = %d", len(units))
	}
}

func TestOpenErrors(t *testing.T) {
	for _, o := range []storage.Options{
		{Driver: "mysql"},
		{Driver: storage.DriverSQLite},
		{Driver: storage.DriverPostgres},
	} {
		if s, err := storage.Open(ctx, o); err == nil {
			_ = s.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

func TestRoster(t *testing.T) {
	s := MustOpen(t)
	got, err := s.Units(ctx)
	mustNoErr(t, err)
	want := []rules.Unit{
		{Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "财政"}, SortOrder: 1,
			Officials: []rules.Official{{Name: "张三", WeChatRemark: "财政-张三", UnitKey: "czj"}},
			Backup:    &rules.Official{Name: "李四", WeChatRemark: "财政-李四", UnitKey: "czj", IsBackup: true}},
		{Key: "jyj", Name: "县教育局", SortOrder: 2,
			Officials: []rules.Official{{Name: "王五", WeChatRemark: "教育-王五", UnitKey: "jyj"}, {Name: "赵六", WeChatRemark: "教育-赵六", UnitKey: "jyj"}}},
		{Key: "rsj", Name: "县人社局", SortOrder: 3,
			Officials: []rules.Official{{Name: "钱七", WeChatRemark: "人社-钱七", UnitKey: "rsj"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Units:\n got %+v\nwant %+v", got, want)
	}

	// Config is the source of truth: a unit dropped from config leaves,
	// a changed official is replaced, the order follows config.
	next := []rules.Unit{
		{Key: "rsj", Name: "县人社局", SortOrder: 1, Officials: []rules.Official{{Name: "周八", WeChatRemark: "人社-周八"}}},
		{Key: "czj", Name: "县财政局", SortOrder: 2},
	}
	mustNoErr(t, s.SyncRoster(ctx, next, nil))
	got, err = s.Units(ctx)
	mustNoErr(t, err)
	if len(got) != 2 || got[0].Key != "rsj" || got[0].Officials[0].Name != "周八" || got[1].Key != "czj" || got[1].Backup != nil {
		t.Fatalf("after resync: %+v", got)
	}
}

func TestIndicators(t *testing.T) {
	s := MustOpen(t)
	in := []rules.Indicator{
		{Code: "一", Level: 1, Text: "职责落实", Order: 1},
		{Code: "（一）", Level: 2, ParentCode: "一", Text: "组织领导", Order: 2},
		{Code: "1", Level: 3, ParentCode: "（一）", Text: "建立机制", Thresholds: []string{"A", "B"}, Order: 3},
	}
	mustNoErr(t, s.LoadIndicators(ctx, in))
	mustNoErr(t, s.LoadIndicators(ctx, in)) // replaced, not appended
	got, err := s.Indicators(ctx)
	mustNoErr(t, err)
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("Indicators:\n got %+v\nwant %+v", got, in)
	}
}

func TestCalendar(t *testing.T) {
	s := MustOpen(t)
	got, err := s.Calendar(ctx, 2027, shanghai)
	mustNoErr(t, err)
	if !reflect.DeepEqual(got, cal2027) {
		t.Fatalf("Calendar:\n got %+v\nwant %+v", got, cal2027)
	}
	end := rules.Date{Year: 2027, Month: time.April, Day: 18}
	mustNoErr(t, s.SetInspectionEnd(ctx, 2027, end, "督导办-孙主任"))
	// A restart re-runs EnsureYear with config's dates: the override stays.
	mustNoErr(t, s.EnsureYear(ctx, cal2027))
	got, err = s.Calendar(ctx, 2027, shanghai)
	mustNoErr(t, err)
	if got.InspectionEnd != end {
		t.Fatalf("InspectionEnd = %v, want override %v", got.InspectionEnd, end)
	}
	// Config's own dates follow config.
	c := cal2027
	c.SelfAssessmentDue = rules.Date{Year: 2027, Month: time.March, Day: 2}
	mustNoErr(t, s.EnsureYear(ctx, c))
	got, err = s.Calendar(ctx, 2027, shanghai)
	mustNoErr(t, err)
	if got.SelfAssessmentDue != c.SelfAssessmentDue || got.InspectionEnd != end {
		t.Fatalf("after config change: %+v", got)
	}

	_, err = s.Calendar(ctx, 2030, shanghai)
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.SetInspectionEnd(ctx, 2030, end, "x"), storage.ErrNotFound)
}

func TestAddSubmission(t *testing.T) {
	t.Run("OK versions and on-time flag", func(t *testing.T) {
		s := MustOpen(t)
		var seen []rules.Submission
		outs := func(saved rules.Submission) []rules.Outgoing {
			seen = append(seen, saved)
			return receipt("财政-张三")(saved)
		}
		a1 := sub("czj", rules.StageSelfAssessment, t0)
		first, err := s.AddSubmission(ctx, a1, "财政-张三", outs)
		mustNoErr(t, err)
		late := sub("czj", rules.StageSelfAssessment, t0.Add(72*time.Hour))
		late.OnTime = false
		second, err := s.AddSubmission(ctx, late, "财政-张三", outs)
		mustNoErr(t, err)
		plan, err := s.AddSubmission(ctx, sub("czj", rules.StageRectificationPlan, t0), "财政-张三", outs)
		mustNoErr(t, err)
		other, err := s.AddSubmission(ctx, sub("jyj", rules.StageSelfAssessment, t0), "教育-王五", outs)
		mustNoErr(t, err)

		for _, c := range []struct {
			got     rules.Submission
			version int
		}{{first, 1}, {second, 2}, {plan, 1}, {other, 1}} {
			if c.got.Version != c.version || c.got.ID == 0 {
				t.Errorf("%s/%s: version %d id %d, want version %d", c.got.UnitKey, c.got.Stage, c.got.Version, c.got.ID, c.version)
			}
		}
		if !reflect.DeepEqual(seen, []rules.Submission{first, second, plan, other}) {
			t.Errorf("outs saw %+v", seen)
		}
		got, err := s.Submissions(ctx, 2027, "czj")
		mustNoErr(t, err)
		want := []rules.Submission{first, second, plan}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Submissions:\n got %+v\nwant %+v", got, want)
		}
		if !got[0].OnTime || got[1].OnTime {
			t.Errorf("on-time flags = %t %t, want true false", got[0].OnTime, got[1].OnTime)
		}
		if !got[0].ReceivedAt.Equal(t0) || got[0].ReceivedAt.Location() != shanghai {
			t.Errorf("ReceivedAt = %v, want %v in the clock's zone", got[0].ReceivedAt, t0)
		}
		all, err := s.Submissions(ctx, 2027, "")
		mustNoErr(t, err)
		if len(all) != 4 || all[3].UnitKey != "jyj" {
			t.Errorf("all submissions in roster order: %+v", all)
		}
		// Each submission's receipt is in the outbox, pending, with its key.
		out, err := s.Outbox(ctx, rules.OutboxPending)
		mustNoErr(t, err)
		if len(out) != 4 || out[0].Key != fmt.Sprintf("receipt:%d", first.ID) || !out[0].NextTry.Equal(t0) {
			t.Errorf("outbox: %+v", out)
		}
	})
	t.Run("ReceivedAt defaults to the clock", func(t *testing.T) {
		s := MustOpen(t)
		got := mustAdd(t, s, sub("czj", rules.StageSelfAssessment, time.Time{}))
		if !got.ReceivedAt.Equal(t0) {
			t.Fatalf("ReceivedAt = %v", got.ReceivedAt)
		}
	})
	t.Run("ErrUnknownUnit", func(t *testing.T) {
		s := MustOpen(t)
		_, err := s.AddSubmission(ctx, sub("nope", rules.StageSelfAssessment, t0), "x", nil)
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("ErrBadStage", func(t *testing.T) {
		s := MustOpen(t)
		if _, err := s.AddSubmission(ctx, sub("czj", "bogus", t0), "x", nil); err == nil {
			t.Fatal("bogus stage accepted")
		}
	})
	t.Run("failing outbox insert rolls everything back", func(t *testing.T) {
		s := MustOpen(t)
		bad := func(rules.Submission) []rules.Outgoing {
			return []rules.Outgoing{{Kind: "receipt", To: rules.Recipient{Remark: "财政-张三"}, Text: "no key"}}
		}
		if _, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0), "财政-张三", bad); err == nil {
			t.Fatal("AddSubmission with a keyless receipt succeeded")
		}
		assertEmpty(t, s)
		// The version counter was not consumed either.
		if got := mustAdd(t, s, sub("czj", rules.StageSelfAssessment, t0)); got.Version != 1 {
			t.Fatalf("next version = %d, want 1", got.Version)
		}
	})
	t.Run("panicking outs rolls everything back", func(t *testing.T) {
		s := MustOpen(t)
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			_, _ = s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, t0), "x",
				func(rules.Submission) []rules.Outgoing { panic("boom") })
		}()
		assertEmpty(t, s)
	})
}

// assertEmpty checks that no submission, outbox row or submission audit
// row exists.
func assertEmpty(t *testing.T, s *storage.Store) {
	t.Helper()
	subs, err := s.Submissions(ctx, 2027, "")
	mustNoErr(t, err)
	out, err := s.Outbox(ctx, "")
	mustNoErr(t, err)
	trail, err := s.AuditTrail(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs)+len(out)+len(trail) != 0 {
		t.Fatalf("after rollback: %d submissions, %d outbox rows, %d audit rows", len(subs), len(out), len(trail))
	}
}

func TestRefileSubmission(t *testing.T) {
	s := MustOpen(t)
	mustAdd(t, s, sub("czj", rules.StageRectificationPlan, t0))
	supp := mustAdd(t, s, sub("czj", rules.StageSupporting, t0.Add(time.Hour)))
	got, err := s.RefileSubmission(ctx, supp.ID, rules.StageRectificationPlan, false, "财政-张三", receipt("财政-张三"))
	mustNoErr(t, err)
	if got.ID != supp.ID || got.Stage != rules.StageRectificationPlan || got.Version != 2 || got.OnTime {
		t.Fatalf("refiled: %+v", got)
	}
	out, err := s.Outbox(ctx, "")
	mustNoErr(t, err)
	if len(out) != 2 { // the two receipts: keys receipt:<id> are unique, the refile's is a duplicate
		t.Errorf("outbox rows = %d", len(out))
	}
	_, err = s.RefileSubmission(ctx, supp.ID, rules.StageSelfAssessment, true, "x", nil)
	wantErr(t, err, storage.ErrConflict)
	_, err = s.RefileSubmission(ctx, 9999, rules.StageSelfAssessment, true, "x", nil)
	wantErr(t, err, storage.ErrNotFound)
	if _, err := s.RefileSubmission(ctx, supp.ID, rules.StageFeedback, true, "x", nil); err == nil {
		t.Error("refile to the office's own stage accepted")
	}
	trail, err := s.AuditTrail(ctx, 2027, "czj")
	mustNoErr(t, err)
	if actions(trail) != "submission,submission,refile" {
		t.Errorf("audit = %s", actions(trail))
	}
}

func actions(es []rules.AuditEntry) string {
	var b []byte
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.Action...)
	}
	return string(b)
}

func TestUnitYears(t *testing.T) {
	s, clk := MustOpenClock(t)
	d := func(day, hour int) time.Time { return time.Date(2027, 3, day, hour, 0, 0, 0, shanghai) }
	mustAdd(t, s, sub("czj", rules.StageSelfAssessment, d(1, 10)))
	mustAdd(t, s, sub("czj", rules.StageSelfAssessment, d(3, 11)))
	mustAdd(t, s, sub("czj", rules.StageRectificationPlan, d(5, 9)))
	mustAdd(t, s, sub("rsj", rules.StageSelfAssessment, d(2, 8)))
	other := sub("rsj", rules.StageSelfAssessment, d(1, 8))
	other.Year = 2026 // another year never leaks in
	mustAdd(t, s, other)
	fb := rules.FeedbackDelivery{Year: 2027, UnitKey: "czj", DeliveredAt: d(4, 15), Director: "督导办-孙主任"}
	_, err := s.RecordFeedback(ctx, fb, nil)
	mustNoErr(t, err)
	fb.DeliveredAt = d(6, 15) // a second delivery does not move the clock
	_, err = s.RecordFeedback(ctx, fb, nil)
	mustNoErr(t, err)
	due := rules.Date{Year: 2027, Month: time.June, Day: 30}
	mustNoErr(t, s.SetRectificationDue(ctx, 2027, "czj", due, "督导办-孙主任"))
	mustNoErr(t, s.SetRectificationDue(ctx, 2027, "rsj", due, "督导办-孙主任"))
	mustNoErr(t, s.SetRectificationDue(ctx, 2027, "rsj", rules.Date{}, "督导办-孙主任")) // cleared
	wantErr(t, s.SetRectificationDue(ctx, 2027, "nope", due, "x"), storage.ErrNotFound)
	clk.Advance(time.Hour)

	got, err := s.UnitYears(ctx, 2027)
	mustNoErr(t, err)
	want := []rules.UnitYear{
		{
			UnitKey:          "czj",
			FirstSubmitted:   map[rules.Stage]time.Time{rules.StageSelfAssessment: d(1, 10), rules.StageRectificationPlan: d(5, 9)},
			LastSubmitted:    map[rules.Stage]time.Time{rules.StageSelfAssessment: d(3, 11), rules.StageRectificationPlan: d(5, 9)},
			Versions:         map[rules.Stage]int{rules.StageSelfAssessment: 2, rules.StageRectificationPlan: 1},
			FeedbackAt:       d(4, 15),
			RectificationDue: due,
		},
		{UnitKey: "jyj"}, // nothing submitted: nil maps (reading them is fine)
		{
			UnitKey:        "rsj",
			FirstSubmitted: map[rules.Stage]time.Time{rules.StageSelfAssessment: d(2, 8)},
			LastSubmitted:  map[rules.Stage]time.Time{rules.StageSelfAssessment: d(2, 8)},
			Versions:       map[rules.Stage]int{rules.StageSelfAssessment: 1},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnitYears:\n got %+v\nwant %+v", got, want)
	}
	one, err := s.UnitYear(ctx, 2027, "rsj")
	mustNoErr(t, err)
	if !reflect.DeepEqual(one, want[2]) {
		t.Fatalf("UnitYear(rsj) = %+v", one)
	}
	_, err = s.UnitYear(ctx, 2027, "nope")
	wantErr(t, err, storage.ErrNotFound)
}

// TestUnitYearsRosterOrder pins the overview to the roster: one entry per
// roster unit in roster position, not key order, each with its own stage
// sums (units with none have nil maps); versions of units that left the
// roster, withdrawn versions and other years count nowhere. The overview
// is two reads joined in Go, so this runs on SQLite and PostgreSQL alike.
func TestUnitYearsRosterOrder(t *testing.T) {
	s := MustOpen(t)
	leaving := []rules.Unit{{Key: "aaa", Name: "县最先局", SortOrder: 4}}
	mustNoErr(t, s.SyncRoster(ctx, append(append([]rules.Unit{}, testUnits...), leaving...), testDirectors))
	d := func(day int) time.Time { return time.Date(2027, 3, day, 10, 0, 0, 0, shanghai) }
	mustAdd(t, s, sub("czj", rules.StageRectificationPlan, d(5)))
	mustAdd(t, s, sub("czj", rules.StageSelfAssessment, d(1)))
	withdrawn := mustAdd(t, s, sub("czj", rules.StageSelfAssessment, d(6)))
	_, err := s.WithdrawSubmission(ctx, withdrawn.ID, "财政-张三", d(6), nil)
	mustNoErr(t, err)
	mustAdd(t, s, sub("rsj", rules.StageSelfAssessment, d(2)))
	mustAdd(t, s, sub("rsj", rules.StageSelfAssessment, d(3)))
	mustAdd(t, s, sub("aaa", rules.StageSelfAssessment, d(2)))
	other := sub("jyj", rules.StageSelfAssessment, d(1))
	other.Year = 2026
	mustAdd(t, s, other)
	// The roster reordered (人社 first, then 教育, then 财政), without aaa.
	reorderRoster(t, s)

	want := []rules.UnitYear{
		{
			UnitKey:        "rsj",
			FirstSubmitted: map[rules.Stage]time.Time{rules.StageSelfAssessment: d(2)},
			LastSubmitted:  map[rules.Stage]time.Time{rules.StageSelfAssessment: d(3)},
			Versions:       map[rules.Stage]int{rules.StageSelfAssessment: 2},
		},
		{UnitKey: "jyj"},
		{
			UnitKey:        "czj",
			FirstSubmitted: map[rules.Stage]time.Time{rules.StageSelfAssessment: d(1), rules.StageRectificationPlan: d(5)},
			LastSubmitted:  map[rules.Stage]time.Time{rules.StageSelfAssessment: d(1), rules.StageRectificationPlan: d(5)},
			Versions:       map[rules.Stage]int{rules.StageSelfAssessment: 1, rules.StageRectificationPlan: 1},
		},
	}
	for range 2 { // the second read is sized from the first
		got, err := s.UnitYears(ctx, 2027)
		mustNoErr(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("UnitYears:\n got %+v\nwant %+v", got, want)
		}
	}
	for _, w := range want {
		one, err := s.UnitYear(ctx, 2027, w.UnitKey)
		mustNoErr(t, err)
		if !reflect.DeepEqual(one, w) {
			t.Errorf("UnitYear(%s) = %+v, want %+v", w.UnitKey, one, w)
		}
	}
	none, err := s.UnitYears(ctx, 2030)
	mustNoErr(t, err)
	if want := []rules.UnitYear{{UnitKey: "rsj"}, {UnitKey: "jyj"}, {UnitKey: "czj"}}; !reflect.DeepEqual(none, want) {
		t.Errorf("UnitYears(2030) = %+v, want %+v", none, want)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	s := MustOpen(t)
	to := rules.Recipient{Remark: "财政-张三"}
	msg := func(key string) rules.Outgoing {
		return rules.Outgoing{Key: key, Kind: "reminder", To: to, Text: "提醒 #" + key}
	}
	mustNoErr(t, s.Enqueue(ctx, msg("a"), msg("b"), msg("c")))
	// Duplicate key: a no-op, not an error, and the first row is untouched.
	dup := msg("a")
	dup.Text = "changed"
	mustNoErr(t, s.Enqueue(ctx, dup))
	all, err := s.Outbox(ctx, "")
	mustNoErr(t, err)
	if len(all) != 3 || all[0].Text != "提醒 #a" {
		t.Fatalf("after duplicate: %+v", all)
	}
	if err := s.Enqueue(ctx, rules.Outgoing{Key: "x"}); err == nil {
		t.Error("message without recipient accepted")
	}

	lease := 2 * time.Minute
	claimed, err := s.ClaimDue(ctx, t0, 2, lease)
	mustNoErr(t, err)
	if len(claimed) != 2 || claimed[0].Key != "a" || claimed[0].Status != rules.OutboxSending || claimed[0].Attempts != 1 {
		t.Fatalf("claim: %+v", claimed)
	}
	rest, err := s.ClaimDue(ctx, t0, 10, lease)
	mustNoErr(t, err)
	if len(rest) != 1 || rest[0].Key != "c" {
		t.Fatalf("second claim: %+v", rest)
	}
	none, err := s.ClaimDue(ctx, t0.Add(time.Minute), 10, lease)
	mustNoErr(t, err)
	if len(none) != 0 {
		t.Fatalf("claimed under a live lease: %+v", none)
	}

	a, b, c := claimed[0], claimed[1], rest[0]
	mustNoErr(t, s.MarkSent(ctx, a.ID, t0.Add(10*time.Second)))
	mustNoErr(t, s.MarkRetry(ctx, b.ID, t0.Add(10*time.Minute), "timeout"))
	// c is never marked: the sender "crashed". Its lease expires.

	got, err := s.ClaimDue(ctx, t0.Add(3*time.Minute), 10, lease)
	mustNoErr(t, err)
	if len(got) != 1 || got[0].ID != c.ID || got[0].Attempts != 2 {
		t.Fatalf("lease rescue: %+v", got)
	}
	mustNoErr(t, s.MarkDead(ctx, c.ID, "contact not found"))

	got, err = s.ClaimDue(ctx, t0.Add(10*time.Minute), 10, lease)
	mustNoErr(t, err)
	if len(got) != 1 || got[0].ID != b.ID || got[0].Attempts != 2 || got[0].LastError != "timeout" {
		t.Fatalf("retry: %+v", got)
	}
	mustNoErr(t, s.MarkSent(ctx, b.ID, t0.Add(11*time.Minute)))

	for status, keys := range map[rules.OutboxStatus][]string{
		rules.OutboxSent: {"a", "b"}, rules.OutboxDead: {"c"}, rules.OutboxPending: nil, rules.OutboxSending: nil,
	} {
		list, err := s.Outbox(ctx, status)
		mustNoErr(t, err)
		var ks []string
		for _, m := range list {
			ks = append(ks, m.Key)
		}
		if !slices.Equal(ks, keys) {
			t.Errorf("Outbox(%s) = %v, want %v", status, ks, keys)
		}
	}
	dead, _ := s.Outbox(ctx, rules.OutboxDead)
	if dead[0].LastError != "contact not found" {
		t.Errorf("dead LastError = %q", dead[0].LastError)
	}
	sent, _ := s.Outbox(ctx, rules.OutboxSent)
	if !sent[0].SentAt.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("SentAt = %v", sent[0].SentAt)
	}

	for _, c := range []struct {
		to    rules.Recipient
		since time.Time
		want  int
	}{
		{to, t0, 2},
		{to, t0.Add(time.Minute), 1},
		{rules.Recipient{Remark: "教育-王五"}, t0, 0},
	} {
		n, err := s.SentSince(ctx, c.to, c.since)
		mustNoErr(t, err)
		if n != c.want {
			t.Errorf("SentSince(%v, %v) = %d, want %d", c.to, c.since, n, c.want)
		}
	}
	wantErr(t, s.MarkSent(ctx, 9999, t0), storage.ErrNotFound)
	wantErr(t, s.MarkRetry(ctx, 9999, t0, ""), storage.ErrNotFound)
	wantErr(t, s.MarkDead(ctx, 9999, ""), storage.ErrNotFound)
}

// TestClaimDueConcurrent: 8 claimers drain 200 messages; every message is
// claimed exactly once.
func TestClaimDueConcurrent(t *testing.T) {
	s := MustOpen(t)
	const total = 200
	msgs := make([]rules.Outgoing, total)
	for i := range msgs {
		msgs[i] = rules.Outgoing{Key: fmt.Sprintf("m%d", i), Kind: "reply", To: rules.Recipient{Remark: "r"}, Text: "t"}
	}
	mustNoErr(t, s.Enqueue(ctx, msgs...))
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDue(ctx, t0, 7, time.Hour)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("claimed %d distinct messages, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %d claimed %d times", id, n)
		}
	}
}

// TestRecordReminderConcurrent: 8 goroutines insert the same slot 50 times
// each; exactly one insert wins and exactly one outbox row exists.
func TestRecordReminderConcurrent(t *testing.T) {
	s := MustOpen(t)
	r := rules.ReminderRecord{Year: 2027, UnitKey: "czj", Stage: rules.StageSelfAssessment, Slot: "2027-02-27@09:00", Kind: "before"}
	outs := []rules.Outgoing{{Key: "reminder:2027:czj:self_assessment:2027-02-27@09:00:财政-张三", Kind: "reminder",
		To: rules.Recipient{Remark: "财政-张三"}, Text: "提醒"}}
	var wins sync.WaitGroup
	var mu sync.Mutex
	inserted := 0
	for range 8 {
		wins.Add(1)
		go func() {
			defer wins.Done()
			for range 50 {
				ok, err := s.RecordReminder(ctx, r, outs)
				if err != nil {
					t.Errorf("record reminder: %v", err)
					return
				}
				if ok {
					mu.Lock()
					inserted++
					mu.Unlock()
				}
			}
		}()
	}
	wins.Wait()
	if inserted != 1 {
		t.Fatalf("inserted %d times, want 1", inserted)
	}
	rs, err := s.Reminders(ctx, 2027)
	mustNoErr(t, err)
	out, err := s.Outbox(ctx, "")
	mustNoErr(t, err)
	if len(rs) != 1 || len(out) != 1 {
		t.Fatalf("%d reminder rows, %d outbox rows; want 1 and 1", len(rs), len(out))
	}
	if rs[0].Slot != r.Slot || !rs[0].At.Equal(t0) || rs[0].Kind != "before" {
		t.Errorf("reminder = %+v", rs[0])
	}
	// A missed slot is recorded with no messages.
	m := r
	m.Slot, m.Missed = "2027-02-26@09:00", true
	ok, err := s.RecordReminder(ctx, m, nil)
	mustNoErr(t, err)
	rs, _ = s.Reminders(ctx, 2027)
	if !ok || len(rs) != 2 || !rs[1].Missed {
		t.Errorf("missed slot: ok=%t %+v", ok, rs)
	}
}

func TestInboundDedupe(t *testing.T) {
	s := MustOpen(t)
	k := rules.InboundKey{Sender: "财政-张三", MsgID: "123", CreateTime: 1800000000}
	isNew, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0)
	mustNoErr(t, err)
	again, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0)
	mustNoErr(t, err)
	if !isNew || again {
		t.Fatalf("isNew = %t, again = %t", isNew, again)
	}
	// Same MsgID from another sender or at another time is another message.
	for _, other := range []rules.InboundKey{
		{Sender: "教育-王五", MsgID: "123", CreateTime: 1800000000},
		{Sender: "财政-张三", MsgID: "123", CreateTime: 1800000001},
	} {
		n, err := s.RecordInbound(ctx, other, rules.MsgFile, "", t0)
		mustNoErr(t, err)
		if !n {
			t.Errorf("%+v not new", other)
		}
	}
	un, err := s.UnhandledInbound(ctx)
	mustNoErr(t, err)
	if len(un) != 3 || un[0].Key != k || un[0].Text != "状态" || un[0].Kind != rules.MsgText {
		t.Fatalf("unhandled: %+v", un)
	}
	mustNoErr(t, s.MarkInboundHandled(ctx, k))
	un, _ = s.UnhandledInbound(ctx)
	if len(un) != 2 {
		t.Fatalf("unhandled after mark: %+v", un)
	}
	wantErr(t, s.MarkInboundHandled(ctx, rules.InboundKey{Sender: "x"}), storage.ErrNotFound)
}

func TestBroadcastsAndAcks(t *testing.T) {
	s, clk := MustOpenClock(t)
	_, err := s.Acknowledge(ctx, 2027, "czj", "财政-张三", t0)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.LatestBroadcast(ctx, 2027)
	wantErr(t, err, storage.ErrNotFound)

	to := func(remark string) rules.Outgoing {
		return rules.Outgoing{Key: "broadcast:1:" + remark, Kind: "broadcast", To: rules.Recipient{Remark: remark}, Text: "通知"}
	}
	b, err := s.CreateBroadcast(ctx, rules.Broadcast{Year: 2027, Text: "请于3月1日前提交自查报告。", By: "督导办-孙主任"},
		[]rules.Outgoing{to("财政-张三"), to("教育-王五")})
	mustNoErr(t, err)
	if b.ID == 0 || b.Kind != "broadcast" || !b.SentAt.Equal(t0) {
		t.Fatalf("broadcast = %+v", b)
	}
	clk.Advance(time.Hour)
	got, err := s.Acknowledge(ctx, 2027, "czj", "财政-张三", clk.Now())
	mustNoErr(t, err)
	if got.ID != b.ID {
		t.Fatalf("acknowledged %+v", got)
	}
	// A second 收到 keeps the first time.
	_, err = s.Acknowledge(ctx, 2027, "czj", "财政-李四", clk.Now().Add(time.Hour))
	mustNoErr(t, err)
	un, err := s.Unacknowledged(ctx, b.ID)
	mustNoErr(t, err)
	if !slices.Equal(un, []string{"jyj", "rsj"}) {
		t.Errorf("Unacknowledged = %v", un)
	}

	// Feedback to jyj is a broadcast addressed to jyj alone, and is now
	// jyj's latest: its 收到 acknowledges the feedback.
	clk.Advance(time.Hour)
	fb, err := s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "jyj", Director: "督导办-孙主任",
		OriginalName: "反馈意见.docx", StoredPath: "cd/cdef.docx"}, []rules.Outgoing{to("教育-王五-fb")})
	mustNoErr(t, err)
	if fb.ID == 0 || !fb.DeliveredAt.Equal(clk.Now()) {
		t.Fatalf("feedback = %+v", fb)
	}
	ackd, err := s.Acknowledge(ctx, 2027, "jyj", "教育-王五", clk.Now())
	mustNoErr(t, err)
	if ackd.Kind != "feedback" || ackd.UnitKey != "jyj" {
		t.Fatalf("jyj acknowledged %+v", ackd)
	}
	// czj's latest is still the broadcast.
	ackc, err := s.Acknowledge(ctx, 2027, "czj", "财政-张三", clk.Now())
	mustNoErr(t, err)
	if ackc.ID != b.ID {
		t.Fatalf("czj acknowledged %+v", ackc)
	}
	un, err = s.Unacknowledged(ctx, ackd.ID)
	mustNoErr(t, err)
	if len(un) != 0 {
		t.Errorf("feedback unacknowledged = %v", un)
	}
	_, err = s.Unacknowledged(ctx, 9999)
	wantErr(t, err, storage.ErrNotFound)

	latest, err := s.LatestBroadcast(ctx, 2027)
	mustNoErr(t, err)
	if latest.ID != b.ID {
		t.Errorf("LatestBroadcast = %+v (feedback is not a notice)", latest)
	}
	list, err := s.Broadcasts(ctx, 2027)
	mustNoErr(t, err)
	if len(list) != 2 || list[0].ID != b.ID || list[1].Kind != "feedback" || list[1].By != "督导办-孙主任" {
		t.Errorf("Broadcasts = %+v", list)
	}
	acks, err := s.Acks(ctx, 2027)
	mustNoErr(t, err)
	want := map[int64]map[string]time.Time{
		b.ID:    {"czj": t0.Add(time.Hour)},
		ackd.ID: {"jyj": t0.Add(2 * time.Hour)},
	}
	if len(acks) != 2 || !acks[b.ID]["czj"].Equal(want[b.ID]["czj"]) || !acks[ackd.ID]["jyj"].Equal(want[ackd.ID]["jyj"]) {
		t.Errorf("Acks = %v, want %v", acks, want)
	}
	out, _ := s.Outbox(ctx, "")
	if len(out) != 3 {
		t.Errorf("outbox rows = %d, want 3", len(out))
	}
	_, err = s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "nope"}, nil)
	wantErr(t, err, storage.ErrNotFound)
}

func TestState(t *testing.T) {
	s := MustOpen(t)
	_, ok, err := s.GetState(ctx, "login")
	mustNoErr(t, err)
	if ok {
		t.Fatal("missing key found")
	}
	mustNoErr(t, s.PutState(ctx, "login", "v1"))
	mustNoErr(t, s.PutState(ctx, "login", "v2"))
	v, ok, err := s.GetState(ctx, "login")
	mustNoErr(t, err)
	if !ok || v != "v2" {
		t.Fatalf("GetState = %q %t", v, ok)
	}
	mustNoErr(t, s.DeleteState(ctx, "login"))
	mustNoErr(t, s.DeleteState(ctx, "login"))
	if _, ok, _ := s.GetState(ctx, "login"); ok {
		t.Fatal("deleted key found")
	}
}

func TestBindingCodes(t *testing.T) {
	s := MustOpen(t)
	claim := func(hash string) (rules.Binding, error) {
		return s.ClaimBindingCode(ctx, hash, rules.Binding{UserName: "@u", NickName: "新同事", BoundAt: t0}, 0)
	}
	id, err := s.SetBindingCode(ctx, "财政-张三", "h1")
	mustNoErr(t, err)
	b, err := claim("h1")
	mustNoErr(t, err)
	if b.Remark != "财政-张三" || b.CodeID != id || b.ID == 0 {
		t.Fatalf("binding = %+v, want remark 财政-张三 by code #%d", b, id)
	}
	_, err = claim("h1") // one-time
	wantErr(t, err, rules.ErrCodeUsed)
	_, err = claim("unknown")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.SetBindingCode(ctx, "教育-王五", "h1")
	wantErr(t, err, storage.ErrConflict) // a hash is never reissued

	// A newer code for the same person withdraws the unused older one.
	_, err = s.SetBindingCode(ctx, "教育-王五", "h2")
	mustNoErr(t, err)
	_, err = s.SetBindingCode(ctx, "教育-王五", "h3")
	mustNoErr(t, err)
	_, err = claim("h2")
	wantErr(t, err, storage.ErrNotFound)
	b, err = claim("h3")
	mustNoErr(t, err)
	if b.Remark != "教育-王五" {
		t.Fatalf("remark = %q", b.Remark)
	}

	// Two concurrent uses of one code: exactly one wins.
	_, err = s.SetBindingCode(ctx, "人社-钱七", "h4")
	mustNoErr(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := claim("h4")
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, rules.ErrCodeUsed):
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d winners, want 1", wins)
	}
}

// Ensure a code older than its time to live is refused and stays unused.
func TestBindingCodeExpires(t *testing.T) {
	s := MustOpen(t)
	_, err := s.SetBindingCode(ctx, "财政-张三", "h1")
	mustNoErr(t, err)
	ttl := 7 * 24 * time.Hour
	_, err = s.ClaimBindingCode(ctx, "h1", rules.Binding{UserName: "@u", BoundAt: t0.Add(ttl + time.Second)}, ttl)
	wantErr(t, err, rules.ErrCodeExpired)
	b, err := s.ClaimBindingCode(ctx, "h1", rules.Binding{UserName: "@u", BoundAt: t0.Add(ttl)}, ttl)
	mustNoErr(t, err)
	if b.Remark != "财政-张三" {
		t.Fatalf("binding = %+v", b)
	}
}

// Ensure bindings are kept with who, when and which code, and end audited.
func TestBindingsEnd(t *testing.T) {
	s := MustOpen(t)
	for i, remark := range []string{"财政-张三", "教育-王五"} {
		h := fmt.Sprintf("h%d", i)
		_, err := s.SetBindingCode(ctx, remark, h)
		mustNoErr(t, err)
		_, err = s.ClaimBindingCode(ctx, h, rules.Binding{UserName: "@" + h, BoundAt: t0}, 0)
		mustNoErr(t, err)
	}
	active, err := s.ActiveBindings(ctx)
	mustNoErr(t, err)
	if len(active) != 2 || active[0].UserName != "@h0" || !active[0].BoundAt.Equal(t0) || active[0].CodeID == 0 {
		t.Fatalf("active = %+v", active)
	}
	ended, err := s.EndBindings(ctx, "教育-王五", rules.BindingEndUnbind, "督导办-孙主任", t0.Add(time.Hour))
	mustNoErr(t, err)
	if len(ended) != 1 || ended[0].Remark != "教育-王五" || ended[0].EndReason != rules.BindingEndUnbind {
		t.Fatalf("ended = %+v", ended)
	}
	ended, err = s.EndBindings(ctx, "", rules.BindingEndSession, "system", t0.Add(time.Hour))
	mustNoErr(t, err)
	if len(ended) != 1 || ended[0].Remark != "财政-张三" {
		t.Fatalf("ended all = %+v", ended)
	}
	if active, _ := s.ActiveBindings(ctx); len(active) != 0 {
		t.Fatalf("still active: %+v", active)
	}
	trail, err := s.AuditTrail(ctx, 0, "")
	mustNoErr(t, err)
	if got, want := actions(trail), "roster,bind_code,bind,bind_code,bind,unbind,unbind"; got != want {
		t.Errorf("audit = %s, want %s", got, want)
	}
}

// Ensure wrong-code counters are in the database: a reopened store (a
// restart) still has them.
func TestBindFailuresSurviveRestart(t *testing.T) {
	clk := clock.NewFake(t0)
	db := newTestDB(t, clk)
	s, err := storage.Open(ctx, db.opts)
	mustNoErr(t, err)
	for want := 1; want <= 3; want++ {
		n, err := s.AddBindFailure(ctx, "@u|2027-01-10")
		mustNoErr(t, err)
		if n != want {
			t.Fatalf("count = %d, want %d", n, want)
		}
	}
	mustNoErr(t, s.Close())
	s2 := db.open(t)
	var n int
	n, err = s2.BindFailures(ctx, "@u|2027-01-10")
	mustNoErr(t, err)
	if n != 3 {
		t.Fatalf("after reopen: %d failures, want 3", n)
	}
	if n, _ := s2.BindFailures(ctx, "@other|2027-01-10"); n != 0 {
		t.Fatalf("other key: %d", n)
	}
}

func TestAuditTrail(t *testing.T) {
	s := MustOpen(t)
	mustAdd(t, s, sub("czj", rules.StageSelfAssessment, t0))
	mustNoErr(t, s.SetRectificationDue(ctx, 2027, "czj", rules.Date{Year: 2027, Month: 6, Day: 30}, "督导办-孙主任"))
	_, err := s.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: "czj", Director: "督导办-孙主任"}, nil)
	mustNoErr(t, err)
	_, err = s.CreateBroadcast(ctx, rules.Broadcast{Year: 2027, By: "督导办-孙主任", Text: "通知"}, nil)
	mustNoErr(t, err)
	_, err = s.Acknowledge(ctx, 2027, "czj", "财政-张三", t0)
	mustNoErr(t, err)
	_, err = s.RecordReminder(ctx, rules.ReminderRecord{Year: 2027, UnitKey: "czj", Stage: rules.StageSelfAssessment, Slot: "s1"}, nil)
	mustNoErr(t, err)
	mustNoErr(t, s.SetInspectionEnd(ctx, 2027, rules.Date{Year: 2027, Month: 4, Day: 18}, "督导办-孙主任"))
	mustNoErr(t, s.Audit(ctx, rules.AuditEntry{Actor: "财政-张三", Action: "refused", Year: 2027, UnitKey: "czj", Detail: "not allowed"}))

	trail, err := s.AuditTrail(ctx, 2027, "czj")
	mustNoErr(t, err)
	if got, want := actions(trail), "submission,rectification_due,feedback,ack,remind,refused"; got != want {
		t.Errorf("czj audit = %s, want %s", got, want)
	}
	for _, e := range trail {
		if e.ID == 0 || !e.At.Equal(t0) || e.Actor == "" || e.Year != 2027 {
			t.Errorf("audit entry %+v", e)
		}
	}
	all, err := s.AuditTrail(ctx, 2027, "")
	mustNoErr(t, err)
	if got, want := actions(all), "year,submission,rectification_due,feedback,broadcast,ack,remind,inspection_end,refused"; got != want {
		t.Errorf("all audit = %s, want %s", got, want)
	}
}

// TestErrorsAreOurs: no gorm error ever reaches a caller.
func TestErrorsAreOurs(t *testing.T) {
	s := MustOpen(t)
	_, err := s.UnitYear(ctx, 2027, "nope")
	if err == nil || err.Error() != `storage: unit year 2027 unit=nope: unit "nope": not found` {
		t.Errorf("err = %v", err)
	}
	_, err = s.SetBindingCode(ctx, "a", "h")
	mustNoErr(t, err)
	_, err = s.SetBindingCode(ctx, "b", "h")
	wantErr(t, err, storage.ErrConflict)
	if got := err.Error(); got != "storage: set binding code remark=b: conflict" {
		t.Errorf("err = %q", got)
	}
}

func TestRecordInboundBatch(t *testing.T) {
	s := MustOpen(t)
	a := rules.InboundKey{Sender: "财政-张三", MsgID: "1", CreateTime: 1800000000}
	b := rules.InboundKey{Sender: "教育-王五", MsgID: "2", CreateTime: 1800000001}
	c := rules.InboundKey{Sender: "财政-张三", MsgID: "3", CreateTime: 1800000002}
	// a was recorded one by one before (a replay across batches).
	if n, err := s.RecordInbound(ctx, a, rules.MsgText, "状态", t0); err != nil || !n {
		t.Fatalf("RecordInbound = %t, %v", n, err)
	}
	isNew, err := s.RecordInboundBatch(ctx, []rules.InboundRecord{
		{Key: a, Kind: rules.MsgText, Text: "状态", ReceivedAt: t0},
		{Key: b, Kind: rules.MsgFile, Text: "方案.pdf", ReceivedAt: t0.Add(time.Second)},
		{Key: b, Kind: rules.MsgFile, Text: "方案.pdf", ReceivedAt: t0.Add(time.Second)}, // within the batch
		{Key: c, Kind: rules.MsgText, Text: "帮助"},                                      // zero time: now
	})
	mustNoErr(t, err)
	if fmt.Sprint(isNew) != "[false true false true]" {
		t.Fatalf("isNew = %v", isNew)
	}
	// Across batches: all known now.
	again, err := s.RecordInboundBatch(ctx, []rules.InboundRecord{{Key: c}, {Key: b}})
	mustNoErr(t, err)
	if fmt.Sprint(again) != "[false false]" {
		t.Fatalf("second batch isNew = %v", again)
	}
	if n, err := s.RecordInbound(ctx, b, rules.MsgFile, "", t0); err != nil || n {
		t.Fatalf("RecordInbound after batch = %t, %v", n, err)
	}
	un, err := s.UnhandledInbound(ctx)
	mustNoErr(t, err)
	if len(un) != 3 {
		t.Fatalf("unhandled: %+v", un)
	}
	for _, r := range un {
		if r.Key == b && (r.Kind != rules.MsgFile || r.Text != "方案.pdf" || !r.ReceivedAt.Equal(t0.Add(time.Second))) {
			t.Errorf("row b = %+v", r)
		}
		if r.Key == c && r.ReceivedAt.IsZero() {
			t.Errorf("row c has no time: %+v", r)
		}
	}
	if n, err := s.RecordInboundBatch(ctx, nil); err != nil || n != nil {
		t.Errorf("empty batch = %v, %v", n, err)
	}
}

func TestFinishInbound(t *testing.T) {
	s := MustOpen(t)
	k := rules.InboundKey{Sender: "财政-张三", MsgID: "9", CreateTime: 1800000000}
	_, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0)
	mustNoErr(t, err)
	reply := rules.Outgoing{Key: "reply:财政-张三:9:1800000000:1", Kind: "reply", To: rules.Recipient{Remark: "财政-张三"}, Text: "好的"}
	mustNoErr(t, s.FinishInbound(ctx, k, []rules.Outgoing{reply}))
	un, _ := s.UnhandledInbound(ctx)
	if len(un) != 0 {
		t.Fatalf("still unhandled: %+v", un)
	}
	// Re-run after a crash: the reply key is already queued (skipped), the
	// mark is idempotent.
	mustNoErr(t, s.FinishInbound(ctx, k, []rules.Outgoing{reply}))
	out, err := s.Outbox(ctx, "")
	mustNoErr(t, err)
	if len(out) != 1 || out[0].Key != reply.Key || out[0].Status != rules.OutboxPending {
		t.Fatalf("outbox: %+v", out)
	}
	// No replies: just the mark.
	k2 := rules.InboundKey{Sender: "财政-张三", MsgID: "10", CreateTime: 1800000001}
	_, _ = s.RecordInbound(ctx, k2, rules.MsgText, "收到", t0)
	mustNoErr(t, s.FinishInbound(ctx, k2, nil))
	// Never recorded: the replies are queued all the same, ErrNotFound says so.
	r2 := reply
	r2.Key = "reply:x:1"
	wantErr(t, s.FinishInbound(ctx, rules.InboundKey{Sender: "x"}, []rules.Outgoing{r2}), storage.ErrNotFound)
	if out, _ := s.Outbox(ctx, ""); len(out) != 2 {
		t.Fatalf("outbox after a missing row: %+v", out)
	}
	// A bad reply (no recipient) fails the whole transaction: not marked.
	k3 := rules.InboundKey{Sender: "财政-张三", MsgID: "11", CreateTime: 1800000002}
	_, _ = s.RecordInbound(ctx, k3, rules.MsgText, "帮助", t0)
	if err := s.FinishInbound(ctx, k3, []rules.Outgoing{{Key: "bad", Kind: "reply"}}); err == nil {
		t.Fatal("bad reply accepted")
	}
	un, _ = s.UnhandledInbound(ctx)
	if len(un) != 1 || un[0].Key != k3 {
		t.Fatalf("a failed finish marked the row: %+v", un)
	}
}

func TestHasDue(t *testing.T) {
	s := MustOpen(t)
	due := func(at time.Time) bool {
		t.Helper()
		ok, err := s.HasDue(ctx, at)
		mustNoErr(t, err)
		return ok
	}
	if due(t0) {
		t.Fatal("empty outbox is due")
	}
	mustNoErr(t, s.Enqueue(ctx, rules.Outgoing{Key: "k", Kind: "reply", To: rules.Recipient{Remark: "r"}, Text: "x", NextTry: t0.Add(time.Minute)}))
	if due(t0) || !due(t0.Add(time.Minute)) {
		t.Fatal("pending row: due before NextTry, or not due at it")
	}
	rows, err := s.ClaimDue(ctx, t0.Add(time.Minute), 1, time.Minute)
	mustNoErr(t, err)
	if len(rows) != 1 || due(t0.Add(90*time.Second)) || !due(t0.Add(2*time.Minute)) {
		t.Fatal("leased row: due inside the lease, or not after it")
	}
	mustNoErr(t, s.MarkSent(ctx, rows[0].ID, t0))
	if due(t0.Add(time.Hour)) {
		t.Fatal("sent row is due")
	}
}

// reorderRoster syncs a roster of 人社, 教育 and 财政, in that order: the
// roster order differs from the key order, and units outside it have left.
func reorderRoster(t *testing.T, s *storage.Store) {
	t.Helper()
	reordered := []rules.Unit{testUnits[2], testUnits[1], testUnits[0]}
	for i := range reordered {
		reordered[i].SortOrder = i + 1
	}
	mustNoErr(t, s.SyncRoster(context.Background(), reordered, testDirectors))
}
