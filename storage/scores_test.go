package storage_test

import (
	"slices"
	"testing"
	"time"

	"dudaobot/rules"
	"dudaobot/storage"
)

func score(unit, code string, src rules.ScoreSource, p rules.Points, note string) rules.Score {
	return rules.Score{Year: 2027, UnitKey: unit, Code: code, Source: src, Points: p, Note: note}
}

// A later sheet replaces only the cells it fills; every value stays in the
// history with who and when; the aggregate counts current cells only; the
// receipt is queued with the scores; an unknown unit stores nothing.
func TestSaveScoresReplacesOnlyFilledCells(t *testing.T) {
	s, clk := MustOpenClock(t)
	first := []rules.Score{
		score("czj", "1", rules.SourceInspection, 300, ""),
		score("czj", "2", rules.SourceInspection, 250, "台账不全"),
		score("jyj", "1", rules.SourceInspection, 334, ""),
		score("czj", "1", rules.SourceSelf, 334, "见附件1"),
	}
	out := []rules.Outgoing{{Key: "scores:1", Kind: "reply", To: rules.Recipient{Remark: "督导办-孙主任"}, Text: "已保存评分。"}}
	changed, err := s.SaveScores(ctx, 2027, first, "督导办-孙主任", out)
	mustNoErr(t, err)
	if changed != 4 {
		t.Errorf("first sheet changed %d cells, want 4", changed)
	}
	pending, err := s.Outbox(ctx, rules.OutboxPending)
	mustNoErr(t, err)
	if len(pending) != 1 || pending[0].Key != "scores:1" {
		t.Errorf("outbox %v, want the receipt", pending)
	}

	clk.Advance(time.Hour)
	second := []rules.Score{
		score("czj", "2", rules.SourceInspection, 300, "已补充台账"), // replaces
		score("czj", "1", rules.SourceInspection, 300, ""),      // same value
	}
	changed, err = s.SaveScores(ctx, 2027, second, "督学-周八", nil)
	mustNoErr(t, err)
	if changed != 1 {
		t.Errorf("second sheet changed %d cells, want 1", changed)
	}

	cur, err := s.Scores(ctx, 2027, "czj")
	mustNoErr(t, err)
	got := map[string]rules.Score{}
	for _, c := range cur {
		got[string(c.Source)+"/"+c.Code] = c
	}
	if len(cur) != 3 {
		t.Fatalf("czj has %d current cells, want 3: %v", len(cur), cur)
	}
	if c := got["inspection/2"]; c.Points != 300 || c.Note != "已补充台账" || c.By != "督学-周八" || !c.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("inspection/2 = %+v, want 3 by 督学-周八 at t0+1h", c)
	}
	if c := got["self_assessment/1"]; c.Points != 334 || c.Note != "见附件1" || c.By != "督导办-孙主任" || !c.At.Equal(t0) {
		t.Errorf("self_assessment/1 = %+v, kept from the first sheet", c)
	}

	hist, err := s.ScoreHistory(ctx, 2027, "czj")
	mustNoErr(t, err)
	var vals []string
	for _, h := range hist {
		if h.Source == rules.SourceInspection && h.Code == "2" {
			vals = append(vals, h.Points.String()+" "+h.By)
		}
	}
	if !slices.Equal(vals, []string{"2.5 督导办-孙主任", "3 督学-周八"}) {
		t.Errorf("history of czj inspection/2: %v", vals)
	}
	if len(hist) != 5 {
		t.Errorf("czj history has %d values, want 5", len(hist))
	}

	sums, err := s.ScoreSums(ctx, 2027)
	mustNoErr(t, err)
	slices.SortFunc(sums, func(a, b rules.SourceSum) int {
		if a.UnitKey != b.UnitKey {
			return compare(a.UnitKey, b.UnitKey)
		}
		return compare(string(a.Source), string(b.Source))
	})
	want := []rules.SourceSum{
		{UnitKey: "czj", Source: rules.SourceInspection, Sum: 600, Count: 2},
		{UnitKey: "czj", Source: rules.SourceSelf, Sum: 334, Count: 1},
		{UnitKey: "jyj", Source: rules.SourceInspection, Sum: 334, Count: 1},
	}
	if !slices.Equal(sums, want) {
		t.Errorf("ScoreSums = %v, want %v", sums, want)
	}
	if other, err := s.ScoreSums(ctx, 2026); err != nil || len(other) != 0 {
		t.Errorf("2026 sums %v, %v; want none", other, err)
	}

	// Nothing is stored half-way: one unknown unit refuses the whole sheet.
	_, err = s.SaveScores(ctx, 2027, []rules.Score{
		score("czj", "3", rules.SourceInspection, 100, ""),
		score("nosuch", "3", rules.SourceInspection, 100, ""),
	}, "督导办-孙主任", []rules.Outgoing{{Key: "scores:bad", Kind: "reply", To: rules.Recipient{Remark: "督导办-孙主任"}, Text: "x"}})
	wantErr(t, err, storage.ErrNotFound)
	after, err := s.Scores(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(after) != 3 {
		t.Errorf("a refused sheet stored cells: %v", after)
	}
	pending, err = s.Outbox(ctx, rules.OutboxPending)
	mustNoErr(t, err)
	if len(pending) != 1 {
		t.Errorf("a refused sheet queued its receipt: %v", pending)
	}

	trail, err := s.AuditTrail(ctx, 2027, "")
	mustNoErr(t, err)
	n := 0
	for _, a := range trail {
		if a.Action == "scores" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d scores audit rows, want 2", n)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Publishing is recorded per year with its time, queues the units'
// messages and is audited; publishing again moves the time.
func TestPublishScores(t *testing.T) {
	s, clk := MustOpenClock(t)
	if _, ok, err := s.ScoresPublished(ctx, 2027); err != nil || ok {
		t.Fatalf("a new year is published: %v %v", ok, err)
	}
	msgs := []rules.Outgoing{
		{Key: "publish:2027:czj", Kind: "notice", To: rules.Recipient{Remark: "财政-张三"}, Text: "成绩已发布"},
		{Key: "publish:2027:jyj", Kind: "notice", To: rules.Recipient{Remark: "教育-王五"}, Text: "成绩已发布"},
	}
	at, err := s.PublishScores(ctx, 2027, "督导办-孙主任", msgs)
	mustNoErr(t, err)
	got, ok, err := s.ScoresPublished(ctx, 2027)
	mustNoErr(t, err)
	if !ok || !got.Equal(at) || !at.Equal(t0) {
		t.Errorf("published %v at %v, want at %v", ok, got, t0)
	}
	pending, err := s.Outbox(ctx, rules.OutboxPending)
	mustNoErr(t, err)
	if len(pending) != 2 {
		t.Errorf("%d queued, want 2", len(pending))
	}
	clk.Advance(24 * time.Hour)
	_, err = s.PublishScores(ctx, 2027, "督导办-孙主任", nil)
	mustNoErr(t, err)
	got, _, err = s.ScoresPublished(ctx, 2027)
	mustNoErr(t, err)
	if !got.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("republished at %v, want t0+24h", got)
	}
	if _, ok, _ := s.ScoresPublished(ctx, 2026); ok {
		t.Error("2026 published")
	}
}
