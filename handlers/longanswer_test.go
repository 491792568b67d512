package handlers_test

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"dudaobot/export"
	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// largeRoster is the roster at which every answer must still fit on a
// phone screen or come as a file.
const largeRoster = 200

// harnessLedger is the real export.Ledger over the harness's own store,
// made when a ledger is asked for (the harness is built after its options).
type harnessLedger struct{ h **handlerstest.Harness }

func (l harnessLedger) ledger() *export.Ledger {
	h := *l.h
	return &export.Ledger{Store: h.Store, Clock: h.Clock, Location: h.Loc}
}

func (l harnessLedger) WriteLedger(ctx context.Context, year int, w io.Writer) error {
	return l.ledger().WriteLedger(ctx, year, w)
}

func (l harnessLedger) WriteProblemLedger(ctx context.Context, year int, w io.Writer) error {
	return l.ledger().WriteProblemLedger(ctx, year, w)
}

// newLarge is the harness at largeRoster units with the real ledger.
func newLarge(t *testing.T) *handlerstest.Harness {
	t.Helper()
	var h *handlerstest.Harness
	h = handlerstest.NewLarge(t, largeRoster, func(o *handlers.Options) { o.Ledger = harnessLedger{&h} })
	return h
}

// withFiles is a conversation's replies as the person sees them: each
// text, and each file as 「［文件］name」.
func withFiles(msgs []rules.Outgoing) string {
	var parts []string
	for _, m := range msgs {
		if m.FilePath != "" {
			parts = append(parts, "［文件］"+m.FileName)
			continue
		}
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, "\n---\n")
}

// textMsgs drops the files from msgs.
func textMsgs(msgs []rules.Outgoing) []rules.Outgoing {
	var out []rules.Outgoing
	for _, m := range msgs {
		if m.FilePath == "" {
			out = append(out, m)
		}
	}
	return out
}

// checkLong holds an answer to the long-answer rule: every text within
// rules.PhoneLineBudget phone lines; an answer with a file leads with a
// summary of at most 3 lines and sends the file right after it. It
// returns the file message, if any.
func checkLong(t *testing.T, name string, msgs []rules.Outgoing) (file rules.Outgoing, ok bool) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatalf("%s: no answer", name)
	}
	for i, m := range msgs {
		if m.FilePath != "" {
			if i == 0 || msgs[i-1].FilePath != "" {
				t.Errorf("%s: file %s without a summary before it", name, m.FileName)
				continue
			}
			if n := strings.Count(msgs[i-1].Text, "\n") + 1; n > 3 {
				t.Errorf("%s: the summary before %s has %d lines, want at most 3:\n%s", name, m.FileName, n, msgs[i-1].Text)
			}
			file, ok = m, true
			continue
		}
		if n := rules.PhoneLines(m.Text); n > rules.PhoneLineBudget {
			t.Errorf("%s takes %d phone lines, want at most %d (or a file):\n%s", name, n, rules.PhoneLineBudget, m.Text)
		}
	}
	return file, ok
}

// seedLargeScores stores both sources for every evaluated unit: unit i
// (roster order) loses (i mod 50)×0.06 point per indicator from inspection
// and half that from self-assessment; the last unit has no inspection
// scores.
func seedLargeScores(t *testing.T, h *handlerstest.Harness) {
	t.Helper()
	m := *h.Opts.Scoring
	var all []rules.Score
	for i, u := range h.Units {
		if len(m.Applicable(u.Key)) == 0 {
			continue
		}
		lose := rules.Points((i % 50) * 6)
		for _, in := range m.Applicable(u.Key) {
			all = append(all, rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceSelf, Points: max(in.Max-lose/2, 0)})
			if i < len(h.Units)-1 {
				all = append(all, rules.Score{UnitKey: u.Key, Code: in.Code, Source: rules.SourceInspection, Points: max(in.Max-lose, 0)})
			}
		}
	}
	if _, err := h.Store.SaveScores(context.Background(), h.Config.Cycle.Year, all, "督导办主任", nil); err != nil {
		t.Fatal(err)
	}
}

var unitResult = regexp.MustCompile(`加权总分([0-9.]+)，等级(\S+?)，排名第(\d+)`)

// TestScoresLargeRoster: 成绩 at 28 units is the text (TestScoresCommands'
// golden, 25 phone lines); at 200 units it is a 3-line summary and the
// workbook, whose 评分汇总 has two rows per scored unit with the stored
// cells and the same total, grade and rank as 成绩 <单位> says.
func TestScoresLargeRoster(t *testing.T) {
	h := newLarge(t)
	seedLargeScores(t, h)
	h.At(2027, time.May, 20, 10, 0)
	dir := h.Director()

	h.Text(dir, "成绩")
	msgs := h.Drain()
	golden(t, "scores_director_large", withFiles(msgs))
	file, ok := checkLong(t, "成绩", msgs)
	if !ok || file.FileName != "2027年评价成绩.xlsx" {
		t.Fatalf("成绩 at %d units sends no workbook:\n%s", largeRoster, withFiles(msgs))
	}
	rows := sheetRows(t, h, file, export.SheetScoreSummary)
	m := *h.Opts.Scoring
	header := export.ScoreSummaryHeader(m)
	if strings.Join(rows[0], "|") != strings.Join(header, "|") {
		t.Fatalf("评分汇总 header = %v, want %v", rows[0], header)
	}
	col := map[string]int{}
	for i, c := range header {
		col[c] = i
	}
	byUnit := map[string][][]string{}
	for _, row := range rows[1:] {
		byUnit[row[col[export.ColUnit]]] = append(byUnit[row[col[export.ColUnit]]], row)
	}
	scored := 0
	for _, u := range h.Units {
		if u.Stages == nil || len(u.Stages) > 0 { // evaluated
			scored++
			if len(byUnit[u.Name]) != 2 {
				t.Errorf("评分汇总 has %d rows for %s, want 2", len(byUnit[u.Name]), u.Name)
			}
		}
	}
	if len(rows)-1 != 2*scored {
		t.Errorf("评分汇总 has %d rows, want %d (two per scored unit)", len(rows)-1, 2*scored)
	}

	ctx := context.Background()
	for _, i := range []int{29, 57, 120, largeRoster - 1} {
		name := handlerstest.LargeUnitName(i)
		key := handlerstest.LargeUnitKey(i)
		h.Text(dir, "成绩 "+name)
		text := one(t, h.Drain())
		want := unitResult.FindStringSubmatch(text)
		if want == nil {
			t.Fatalf("成绩 %s has no total:\n%s", name, text)
		}
		cells, err := h.Store.Scores(ctx, 2027, key)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, c := range cells {
			stored[string(c.Source)+"|"+c.Code] = c.Points.String()
		}
		for _, row := range byUnit[name] {
			src := rules.SourceSelf
			if row[col["来源"]] == rules.SourceInspection.Label() {
				src = rules.SourceInspection
			}
			for _, in := range m.Applicable(key) {
				if got := row[3+indexOf(m, in.Code)]; got != stored[string(src)+"|"+in.Code] {
					t.Errorf("%s %s %s = %q, stored %q", name, src.Label(), in.Code, got, stored[string(src)+"|"+in.Code])
				}
			}
			if got := []string{row[col["加权总分"]], row[col["等级"]], row[col["排名"]]}; strings.Join(got, "|") != strings.Join(want[1:], "|") {
				t.Errorf("%s in 评分汇总 = %v, 成绩 %s says %v", name, got, name, want[1:])
			}
		}
	}
}

func indexOf(m rules.ScoringModel, code string) int {
	for i, in := range m.Indicators {
		if in.Code == code {
			return i
		}
	}
	return -1
}

// TestLongAnswersAtLargeRoster asks every answer that grows with the
// roster at 200 units, with scores, a notice nobody acknowledged, the
// office's feedback overdue and rectification items overdue: each fits on
// a phone screen, or is a ≤3-line summary with the file of what was asked.
// The transcript is a golden file.
func TestLongAnswersAtLargeRoster(t *testing.T) {
	h := newLarge(t)
	ctx := context.Background()
	seedLargeScores(t, h)
	dir := h.Director()

	h.At(2027, time.May, 10, 9, 0)
	for i := 29; i <= 88; i++ {
		key := handlerstest.LargeUnitKey(i)
		if _, err := h.Store.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: key, Short: fmt.Sprintf("直属%03d", i), By: dir.Remark,
			Items: []rules.ProblemLine{{Seq: 1, Text: "教育经费台账不全"}, {Seq: 2, Text: "学校安全隐患未整改"}}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: key, By: "联系人", Plans: map[int]rules.ProblemPlan{
			1: {Measure: "补齐台账", Due: rules.Date{Year: 2027, Month: time.June, Day: 1}},
			2: {Measure: "排查隐患", Due: rules.Date{Year: 2027, Month: time.June, Day: 5}},
		}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.Text(dir, "下发 请各单位于6月20日前报送整改进展。")
	h.Text(dir, "确认")
	h.Drain()

	// 40 reports after the last digest: the changes line gives their count.
	at := time.Date(2027, time.June, 1, 17, 30, 0, 0, h.Loc)
	if err := h.Store.PutState(ctx, rules.DigestStateKey, rules.DigestState{At: at, Prev: at.AddDate(0, 0, -1)}.String()); err != nil {
		t.Fatal(err)
	}
	h.At(2027, time.June, 2, 9, 0)
	for i := 29; i < 69; i++ {
		name := handlerstest.LargeUnitName(i)
		h.File(h.Official(handlerstest.LargeUnitKey(i)), name+"自查自评报告.docx", handlerstest.Docx(name+"自查自评报告"))
	}
	h.Drain()

	h.At(2027, time.June, 15, 9, 0)
	unit := handlerstest.LargeUnitName(150)
	var all []string
	for _, c := range []struct {
		ask  string
		file string // the file the answer must come with; "" for none
	}{
		{"总览", ""},
		{"未交", "2027年督导评价台账.xlsx"},
		{"未交 自查", "2027年督导评价台账.xlsx"},
		{"未交 反馈", "2027年督导评价台账.xlsx"},
		{"逾期", "2027年督导评价台账.xlsx"},
		{"未回复", "2027年未回复名单.xlsx"},
		{"整改逾期", "2027年整改台账.xlsx"},
		{"成绩", "2027年评价成绩.xlsx"},
		{"成绩 " + unit, ""},
		{"结果清单", "2027年评价成绩.xlsx"},
		{"查询 " + unit, ""},
		{"催办 全部", "2027年催办名单.xlsx"},
	} {
		h.Text(dir, c.ask)
		msgs := only(h.Drain(), dir.Remark)
		var pics []rules.Outgoing
		for _, m := range msgs {
			if strings.HasSuffix(m.FileName, ".png") {
				pics = append(pics, m)
			}
		}
		if len(pics) > 0 { // 总览's board pictures go after the text, when a font is installed
			msgs = msgs[:len(msgs)-len(pics)]
		}
		file, ok := checkLong(t, c.ask, msgs)
		switch {
		case c.file == "" && ok:
			t.Errorf("%s sends %s, want the text alone", c.ask, file.FileName)
		case c.file != "" && (!ok || file.FileName != c.file):
			t.Errorf("%s at %d units: want a summary and %s:\n%s", c.ask, largeRoster, c.file, withFiles(msgs))
		}
		all = append(all, "=== "+c.ask+"\n"+withFiles(msgs))
	}
	golden(t, "long_answers_200", strings.Join(all, "\n"))
}
