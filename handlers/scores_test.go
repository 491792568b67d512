package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/export"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// seedScores stores both sources for every evaluated unit of the shipped
// roster: unit i loses i×0.1 point per indicator from inspection and
// i×0.05 from self-assessment; the last unit has no inspection scores, and
// 县财政局 (2) and 县公安局 (11) are tied.
func seedScores(t *testing.T, h *handlerstest.Harness) {
	t.Helper()
	m := *h.Opts.Scoring
	var all []rules.Score
	evaluated := 0
	for _, u := range h.Units {
		if u.Stages != nil && len(u.Stages) == 0 {
			continue
		}
		evaluated++
	}
	i := 0
	for _, u := range h.Units {
		if u.Stages != nil && len(u.Stages) == 0 {
			continue
		}
		i++
		lose := rules.Points(i * 10)
		if u.Key == "gaj" {
			lose = rules.Points(2 * 10)
		}
		for _, in := range m.Applicable(u.Key) {
			all = append(all, rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceSelf, Points: max(in.Max-lose/2, 0)})
			if i < evaluated {
				all = append(all, rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceInspection, Points: max(in.Max-lose, 0)})
			}
		}
	}
	if _, err := h.Store.SaveScores(context.Background(), h.Config.Cycle.Year, all, "督导办主任", nil); err != nil {
		t.Fatal(err)
	}
}

// 成绩 at the shipped 28 units fits a phone screen; 成绩 <单位> shows one
// unit per indicator; 结果清单 lists the actions with reasons.
func TestScoresCommands(t *testing.T) {
	h := handlerstest.New(t)
	seedScores(t, h)
	h.At(2027, 5, 20, 10, 0)
	dir := h.Director()

	h.Text(dir, "成绩")
	got := texts(h.Drain())
	if n := strings.Count(got, "\n") + 1; n > 25 {
		t.Errorf("成绩 has %d lines, more than a phone screen (25)", n)
	}
	golden(t, "scores_director", got)

	h.Text(dir, "成绩 财政")
	golden(t, "scores_unit", texts(h.Drain()))

	// 结果清单 of 26 graded units, each with its reasons, takes 50 phone
	// lines: the counts, and the reasons in the workbook's 结果运用.
	h.Text(dir, "结果清单")
	msgs := h.Drain()
	golden(t, "result_list", withFiles(msgs))
	if file, ok := checkLong(t, "结果清单", msgs); !ok {
		t.Error("结果清单 at 28 units sends no workbook")
	} else {
		rows := sheetRows(t, h, file, export.SheetResultUse)
		if len(rows) != 1+15 || rows[1][1] != "县委办公室" || !strings.Contains(rows[1][5], "加权总分97.5") {
			t.Errorf("结果运用 = %v, want the 4 表彰建议 and 11 不合格 units with reasons, 县委办公室 first", rows)
		}
	}
}

// An official sees nothing before the results are published, and never
// another unit's scores; an official may not ask for 结果清单.
func TestScoresOfficialRefusals(t *testing.T) {
	h := handlerstest.New(t)
	seedScores(t, h)
	czj := h.Official("czj")
	h.Text(czj, "成绩")
	if got := texts(h.Drain()); got != "2027年评价成绩尚未发布，发布后我会第一时间通知您。" {
		t.Errorf("成绩 before publication: %q", got)
	}
	h.Text(czj, "成绩 教科局")
	if got := texts(h.Drain()); got != "您只能查看本单位的成绩。" || strings.Contains(got, "教育和科学技术局 ") {
		t.Errorf("成绩 of another unit: %q", got)
	}
	if _, err := h.Store.PublishScores(context.Background(), 2027, "督导办主任", nil); err != nil {
		t.Fatal(err)
	}
	h.Text(czj, "成绩")
	got := texts(h.Drain())
	if !strings.HasPrefix(got, "县财政局 2027年评价成绩\n加权总分") || strings.Contains(got, "教科局") {
		t.Errorf("成绩 after publication: %q", got)
	}
	h.Text(czj, "成绩 教科局")
	if got := texts(h.Drain()); got != "您只能查看本单位的成绩。" {
		t.Errorf("成绩 of another unit after publication: %q", got)
	}
	h.Text(czj, "结果清单")
	if got := texts(h.Drain()); strings.Contains(got, "表彰建议") || strings.Contains(got, "约谈") {
		t.Errorf("an official got the result list: %q", got)
	}
}

// 发布成绩 previews, and on 确认 marks the year published and tells every
// scored unit's officials (a notice naming no figure); officials then see
// their own unit with 成绩. An official cannot publish.
func TestPublishScores(t *testing.T) {
	h := handlerstest.New(t)
	seedScores(t, h)
	dir, czj := h.Director(), h.Official("czj")
	h.Text(czj, "发布成绩")
	if got := texts(h.Drain()); strings.Contains(got, "即将发布") {
		t.Fatalf("an official got the publish preview: %q", got)
	}
	h.Text(dir, "发布成绩")
	golden(t, "scores_publish_preview", texts(h.Drain()))
	if _, ok, _ := h.Store.ScoresPublished(context.Background(), 2027); ok {
		t.Fatal("published before 确认")
	}
	h.Text(dir, "确认")
	out := h.Drain()
	var replies, notices int
	for _, m := range out {
		switch {
		case m.To.Remark == dir.Remark:
			replies++
			if m.Text != "已发布2027年评价成绩，已通知27个单位的27位联系人。" {
				t.Errorf("answer %q", m.Text)
			}
		case m.Text == "【成绩发布】2027年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的总分、等级和各项得分。":
			notices++
			if m.To.Remark == h.Official("sthj").Remark {
				t.Errorf("县生态环境局 has no total yet is told to look at it: %q", m.Text)
			}
		case m.Text == "【成绩发布】2027年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的评分情况；评分齐全后即显示总分和等级。":
			notices++
			if m.To.Remark != h.Official("sthj").Remark {
				t.Errorf("%s has a total yet is told its scores are incomplete", m.To.Remark)
			}
		default:
			t.Errorf("unexpected message to %s: %q", m.To.Remark, m.Text)
		}
	}
	if replies != 1 || notices != 27 {
		t.Errorf("%d answers and %d notices, want 1 and 27 (the office is not scored)", replies, notices)
	}
	if _, ok, _ := h.Store.ScoresPublished(context.Background(), 2027); !ok {
		t.Fatal("not published after 确认")
	}
	h.Text(czj, "成绩")
	if got := texts(h.Drain()); !strings.HasPrefix(got, "县财政局 2027年评价成绩\n加权总分64.3，等级合格") {
		t.Errorf("成绩 after publication: %q", got)
	}
}

// The BOLA matrix for 成绩: after publication every official asking for
// every other unit is refused, and no answer names a figure of that unit.
func TestScoresOtherUnitRefusedMatrix(t *testing.T) {
	h := handlerstest.New(t)
	seedScores(t, h)
	if _, err := h.Store.PublishScores(context.Background(), 2027, "督导办主任", nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range h.Units {
		for _, b := range h.Units {
			if a.Key == b.Key {
				continue
			}
			h.Text(h.Official(a.Key), "成绩 "+b.Name)
			h.Clock.Advance(3 * time.Second) // a person's pace: under the rate limit
		}
		out := h.Drain()
		if len(out) != len(h.Units)-1 {
			t.Fatalf("%s: %d replies", a.Key, len(out))
		}
		for _, m := range out {
			if m.To.Remark != h.Official(a.Key).Remark || m.Text != "您只能查看本单位的成绩。" {
				t.Fatalf("%s got %+v", a.Key, m)
			}
		}
	}
}
