package e2e_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/app/apptest"
	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestLongScoresThroughWeChat: with 200 units scored, the director's 成绩
// through the real openwechat client is a 3-line summary and the workbook
// 2027年评价成绩.xlsx, which opens; its 评分汇总 rows, read cell by cell,
// carry the stored scores and the same total, grade and rank as the bot's
// own 成绩 <单位> answers.
func TestLongScoresThroughWeChat(t *testing.T) {
	t.Parallel()
	const units = 200
	h := apptest.Start(t, apptest.WithConfig(func(c *config.Config) { handlerstest.GrowRoster(c, units) }))
	ctx := context.Background()
	model, err := h.Cfg.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	// Unit i (roster order) loses (i mod 40)×0.07 point per indicator from
	// inspection and half that from self-assessment.
	var all []rules.Score
	for i, u := range h.Cfg.Units() {
		lose := rules.Points(i%40) * 7
		for _, in := range model.Applicable(u.Key) {
			all = append(all,
				rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceSelf, Points: in.Max - lose/2},
				rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceInspection, Points: in.Max - lose})
		}
	}
	if _, err := h.App.Store.SaveScores(ctx, 2027, all, "督导办主任", nil); err != nil {
		t.Fatal(err)
	}

	dir := h.Director()
	h.SetTime(2027, time.May, 20, 10, 0)
	h.Say(dir, "成绩")
	summary := h.WaitFor(dir, apptest.TextPrefix("2027年评价成绩"))
	if n := strings.Count(summary.Text, "\n") + 1; n > 3 {
		t.Errorf("成绩 summary has %d lines, want at most 3:\n%s", n, summary.Text)
	}
	if !strings.Contains(summary.Text, "附件“评分汇总”") {
		t.Errorf("成绩 summary does not point to the file:\n%s", summary.Text)
	}
	file := h.WaitFor(dir, apptest.FileNamed("2027年评价成绩.xlsx"))
	x, err := excelize.OpenReader(bytes.NewReader(h.OpenSent(file)))
	if err != nil {
		t.Fatalf("成绩's file does not open as a workbook: %v", err)
	}
	defer x.Close()
	rows, err := x.GetRows(export.SheetScoreSummary)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2*(units-1); len(rows) != want { // the office is not scored
		t.Errorf("评分汇总 has %d rows, want %d (a header, two per scored unit)", len(rows), want)
	}
	header := export.ScoreSummaryHeader(model)
	col := map[string]int{}
	for i, c := range header {
		col[c] = i
	}
	total := regexp.MustCompile(`加权总分([0-9.]+)，等级(\S+?)，排名第(\d+)`)
	for _, i := range []int{30, 111, units} {
		name, key := handlerstest.LargeUnitName(i), handlerstest.LargeUnitKey(i)
		h.Say(dir, "成绩 "+name)
		said := total.FindStringSubmatch(h.WaitFor(dir, apptest.TextPrefix(name+" 2027年评价成绩")).Text)
		if said == nil {
			t.Fatalf("成绩 %s has no total", name)
		}
		cells, err := h.App.Store.Scores(ctx, 2027, key)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, c := range cells {
			stored[c.Source.Label()+"|"+c.Code] = c.Points.String()
		}
		n := 0
		for r, row := range rows {
			if len(row) <= col["排名"] || row[col[export.ColUnit]] != name {
				continue
			}
			n++
			for j, in := range model.Indicators {
				if got, want := row[3+j], stored[row[col["来源"]]+"|"+in.Code]; got != want {
					t.Errorf("评分汇总 row %d (%s %s) indicator %s = %q, stored %q", r+1, name, row[col["来源"]], in.Code, got, want)
				}
			}
			if got := row[col["加权总分"]] + "|" + row[col["等级"]] + "|" + row[col["排名"]]; got != strings.Join(said[1:], "|") {
				t.Errorf("评分汇总 row %d (%s) = %s, the bot said %v", r+1, name, got, said[1:])
			}
		}
		if n != 2 {
			t.Errorf("评分汇总 has %d complete rows for %s, want 2", n, name)
		}
	}
	if got := h.Messages(dir); countKind(got, "file") != 1 {
		t.Errorf("the director got %d files, want 1", countKind(got, "file"))
	}
}

func countKind(msgs []wxsim.Sent, kind string) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == kind {
			n++
		}
	}
	return n
}
