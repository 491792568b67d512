package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/app/apptest"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// The scoring path through the real openwechat client (issue 15 "Done
// when"): three units' officials fill and send their 自评表; an inspector
// (督学) sends the 评分表 with one bad cell, refused with nothing stored,
// then corrected and confirmed; the director reads 成绩, publishes, and
// every official of a scored unit is told; each official sees only their
// own unit; 结果清单 names the commendation, the failure and the talk with
// their reasons; the ledger the director downloads is read back cell by
// cell.
//
// The figures are chosen by hand (indicators 1–10 are worth 3.34 points,
// 11–30 3.33, together 100):
//
//	县财政局        self: every cell full (100.0); inspection: 1–5 lose a point (95.0)
//	                → 0.7×95 + 0.3×100 = 96.5, 优秀, first
//	县公安局        self: each cell 0.33 below full (90.1); inspection: 0.3 below (91.0)
//	                → 63.7 + 27.03 = 90.73 → 90.7, 优秀, second; but its 整改方案
//	                is overdue, so it is proposed for a talk, not commended
//	县教育和科学技术局 self: 2 a cell (60.0); inspection: 1.5 a cell (45.0)
//	                → 31.5 + 18 = 49.5, 不合格, third
func TestScoringThroughWeChat(t *testing.T) {
	t.Parallel()
	const inspectorName = "（示例）督学甲"
	h := apptest.Start(t, apptest.WithInspector(inspectorName, "督学-甲"))
	dir, ins := h.Director(), h.Inspector()

	type plan struct {
		key              string
		self, inspection func(code int, max rules.Points) rules.Points // hundredths of a point
	}
	full := func(_ int, max rules.Points) rules.Points { return max }
	plans := []plan{
		{"czj", full, func(code int, max rules.Points) rules.Points {
			if code <= 5 {
				return max - 100
			}
			return max
		}},
		{"jkj", func(int, rules.Points) rules.Points { return 200 }, func(int, rules.Points) rules.Points { return 150 }},
		{"gaj", func(_ int, max rules.Points) rules.Points { return max - 33 }, func(_ int, max rules.Points) rules.Points { return max - 30 }},
	}
	// The office itself owes nothing and is not scored; every other unit is.
	scored, people := 0, 0
	for _, u := range h.Cfg.Units() {
		if u.Stages != nil && len(u.Stages) == 0 {
			continue
		}
		scored++
		people += len(u.Officials)
	}

	// want[unit][source][code] is every value the sheets give.
	want := map[string]map[rules.ScoreSource]map[string]rules.Points{}
	for _, p := range plans {
		want[p.key] = map[rules.ScoreSource]map[string]rules.Points{}
	}

	// 20 February: each official asks for the 自评表, fills it, sends it
	// back and confirms the summary.
	h.SetTime(2027, time.February, 20, 10, 0)
	selfTotals := map[string]string{"czj": "100", "jkj": "60", "gaj": "90.1"}
	for _, p := range plans {
		u, off := h.Unit(p.key), h.Official(p.key)
		h.Say(off, "自评表")
		h.WaitFor(off, apptest.TextPrefix(u.Name+" 2027年自评表请查收"))
		tpl := h.OpenSent(h.WaitFor(off, apptest.FileNamed("2027年自评表（"+u.Name+"）.xlsx")))
		filled, values := fillScores(t, tpl, map[string]func(int, rules.Points) rules.Points{export.SheetSelfScores: p.self}, nil)
		want[p.key][rules.SourceSelf] = values[export.SheetSelfScores]
		name := u.Name + "自评表.xlsx"
		h.SendFile(off, name, filled)
		preview := h.WaitFor(off, apptest.TextPrefix("《"+name+"》")).Text
		if first := fmt.Sprintf("《%s》：%s的自评分，填了30项，合计%s分。", name, u.Name, selfTotals[p.key]); !strings.HasPrefix(preview, first+"\n") {
			t.Errorf("%s preview:\n%s\nwant first line %s", p.key, preview, first)
		}
		h.Say(off, "确认")
		receipt := h.WaitFor(off, apptest.TextPrefix("【回执】")).Text
		if w := fmt.Sprintf("【回执】已登记《%s》的自评分30项（新登记30项）。\n%s：自评分30项已齐，合计%s分（满分100分）", name, u.Name, selfTotals[p.key]); receipt != w {
			t.Errorf("%s receipt:\n%s\nwant:\n%s", p.key, receipt, w)
		}
	}
	assertStored(t, h, rules.SourceSelf, want, ins)
	office := h.Unit("ddb")
	h.Say(office.Officials[0].WeChatRemark, "自评表")
	if got := h.WaitFor(office.Officials[0].WeChatRemark, apptest.AnyMessage); got.Text != office.Name+"本年度不参加评分，没有自评表。" {
		t.Errorf("the office asks for a 自评表: %s %q %s", got.Kind, got.Text, got.FileName)
	}
	if n := countSource(t, h, rules.SourceInspection); n != 0 {
		t.Fatalf("%d inspection scores before the inspector sent any", n)
	}

	// 20 April: the inspector's 评分表 with one bad cell is refused and
	// stores nothing; corrected, it is summarised and stored on 确认.
	h.SetTime(2027, time.April, 20, 16, 0)
	h.Say(ins, "评分表")
	h.WaitFor(ins, apptest.TextPrefix("2027年评分表请查收（每个单位一页）"))
	tpl := h.OpenSent(h.WaitFor(ins, apptest.FileNamed("2027年督导评分表.xlsx")))
	if sheets := sheetNames(t, tpl); len(sheets) != scored || slices.Contains(sheets, office.Name) {
		t.Errorf("the 评分表 has %d pages, want one for each of the %d scored units and none for the office: %q", len(sheets), scored, sheets)
	}
	inspection := map[string]func(int, rules.Points) rules.Points{}
	for _, p := range plans {
		inspection[h.Unit(p.key).Name] = p.inspection
	}
	// Indicator 7 of 县教育和科学技术局 (row 10) written in words.
	bad, _ := fillScores(t, tpl, inspection, map[string]map[string]any{"县教育和科学技术局": {"D10": "一点五"}})
	h.SendFile(ins, "督导评分表.xlsx", bad)
	golden(t, "scoring_inspection_refused", h.WaitFor(ins, apptest.TextPrefix("《督导评分表.xlsx》")).Text)
	h.Settle()
	if n := countSource(t, h, rules.SourceInspection); n != 0 {
		t.Fatalf("the refused 评分表 stored %d inspection scores", n)
	}
	h.Say(ins, "确认")
	h.WaitFor(ins, apptest.TextHas("目前没有需要确认的操作。"))

	good, values := fillScores(t, tpl, inspection, nil)
	for _, p := range plans {
		want[p.key][rules.SourceInspection] = values[h.Unit(p.key).Name]
	}
	h.SendFile(ins, "督导评分表.xlsx", good)
	golden(t, "scoring_inspection_preview", h.WaitFor(ins, apptest.TextPrefix("《督导评分表.xlsx》")).Text)
	h.Settle()
	if n := countSource(t, h, rules.SourceInspection); n != 0 {
		t.Fatalf("%d inspection scores stored before 确认", n)
	}
	h.Say(ins, "确认")
	golden(t, "scoring_inspection_receipt", h.WaitFor(ins, apptest.TextPrefix("【回执】")).Text)
	assertStored(t, h, rules.SourceInspection, want, ins)
	assertStored(t, h, rules.SourceSelf, want, ins)

	// 10 May: 县公安局's problem list and written feedback; its 整改方案 is
	// due on 17 May and never comes.
	h.SetTime(2027, time.May, 10, 10, 0)
	gaj := h.Official("gaj")
	h.Say(dir, "问题清单 公安\n1. 校园周边治安巡逻不到位")
	h.WaitFor(dir, apptest.TextPrefix("即将登记县公安局2027年问题清单，共1项"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已登记县公安局问题清单1项"))
	h.SendFile(dir, "县公安局书面反馈意见.pdf", apptest.PDF("县公安局书面反馈意见"))
	h.WaitFor(dir, apptest.AnyMessage)
	h.Say(dir, "反馈 公安")
	h.WaitFor(dir, apptest.TextPrefix("即将向县公安局"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextPrefix("已向县公安局"))
	h.WaitFor(gaj, apptest.FileNamed("县公安局书面反馈意见.pdf"))

	// 25 May: 成绩 before publication — officials see nothing yet.
	h.SetTime(2027, time.May, 25, 10, 0)
	h.Say(h.Official("czj"), "成绩")
	h.WaitFor(h.Official("czj"), apptest.TextHas("2027年评价成绩尚未发布"))

	h.Say(dir, "成绩")
	scores := h.WaitFor(dir, apptest.TextPrefix("2027年评价成绩")).Text
	if n := strings.Count(scores, "\n") + 1; n > 25 {
		t.Errorf("成绩 has %d lines, more than a phone screen (25)", n)
	}
	golden(t, "scoring_director", scores)

	h.Say(dir, "发布成绩")
	golden(t, "scoring_publish_preview", h.WaitFor(dir, apptest.TextPrefix("即将发布2027年评价成绩")).Text)
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextHas(fmt.Sprintf("已发布2027年评价成绩，已通知%d个单位的%d位联系人。", scored, people)))
	// The three units with a total are told to look at it; the others,
	// which have no total, are promised none.
	const notice = "【成绩发布】2027年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的总分、等级和各项得分。"
	const noticeIncomplete = "【成绩发布】2027年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的评分情况；评分齐全后即显示总分和等级。"
	graded := map[string]bool{"czj": true, "jkj": true, "gaj": true}
	for _, u := range h.Cfg.Units() {
		if u.Stages != nil && len(u.Stages) == 0 {
			continue
		}
		want := noticeIncomplete
		if graded[u.Key] {
			want = notice
		}
		for _, o := range u.Officials {
			h.WaitFor(o.WeChatRemark, func(s wxsim.Sent) bool { return s.Kind == "text" && s.Text == want })
		}
	}
	h.Settle()
	for _, u := range h.Cfg.Units() {
		for _, o := range u.Officials {
			if n := countText(h.Messages(o.WeChatRemark), notice) + countText(h.Messages(o.WeChatRemark), noticeIncomplete); n > 1 || n == 1 && u.Key == office.Key {
				t.Errorf("%s got %d publish notices", o.WeChatRemark, n)
			}
		}
	}

	// Each official sees their own unit and nothing of the others.
	lines := map[string]string{
		"czj": "加权总分96.5，等级优秀，排名第1（共3个单位出总分）\n督导评价95.0，自评100.0",
		"gaj": "加权总分90.7，等级优秀，排名第2（共3个单位出总分）\n督导评价91.0，自评90.1",
		"jkj": "加权总分49.5，等级不合格，排名第3（共3个单位出总分）\n督导评价45.0，自评60.0",
	}
	for _, p := range plans {
		u, off := h.Unit(p.key), h.Official(p.key)
		h.Say(off, "成绩")
		got := h.WaitFor(off, apptest.TextPrefix(u.Name+" 2027年评价成绩")).Text
		if w := u.Name + " 2027年评价成绩\n" + lines[p.key] + "\n各项得分（督导/自评，满分）："; !strings.HasPrefix(got, w) {
			t.Errorf("成绩 of %s:\n%s\nwant it to begin:\n%s", p.key, got, w)
		}
		for _, other := range plans {
			if other.key == p.key {
				continue
			}
			if o := h.Unit(other.key); strings.Contains(got, o.Name) || strings.Contains(got, lines[other.key][:len("加权总分00.0")]) {
				t.Errorf("成绩 of %s shows %s:\n%s", p.key, o.Name, got)
			}
		}
	}
	golden(t, "scoring_official_czj", lastText(h.Messages(h.Official("czj"))))
	h.Say(h.Official("xwb"), "成绩")
	h.WaitFor(h.Official("xwb"), apptest.TextPrefix("县委办公室 2027年评价成绩\n暂无总分"))
	h.Say(h.Official("czj"), "成绩 教科局")
	if got := h.WaitFor(h.Official("czj"), apptest.TextPrefix("您只能")).Text; got != "您只能查看本单位的成绩。" {
		t.Errorf("成绩 of another unit: %q", got)
	}

	h.Say(dir, "结果清单")
	golden(t, "scoring_result_list", h.WaitFor(dir, apptest.TextPrefix("2027年结果清单")).Text)

	// The ledger, read back cell by cell.
	h.Say(dir, "导出")
	h.WaitFor(dir, apptest.TextPrefix("2027年督导评价台账已生成"))
	f, err := excelize.OpenReader(bytes.NewReader(h.OpenSent(h.WaitFor(dir, apptest.FileNamed("2027年督导评价台账.xlsx")))))
	if err != nil {
		t.Fatalf("the ledger is not a workbook: %v", err)
	}
	defer f.Close()
	model, err := h.Cfg.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(export.SheetScoreSummary)
	if err != nil {
		t.Fatal(err)
	}
	header := export.ScoreSummaryHeader(model)
	if len(rows) != 1+2*scored {
		t.Fatalf("评分汇总 has %d rows, want a header and two rows for each of %d units", len(rows), scored)
	}
	totals := map[string][2][4]string{ // unit → self, inspection: total, weighted, grade, rank
		"czj": {{"100.0", "96.5", "优秀", "1"}, {"95.0", "96.5", "优秀", "1"}},
		"gaj": {{"90.1", "90.7", "优秀", "2"}, {"91.0", "90.7", "优秀", "2"}},
		"jkj": {{"60.0", "49.5", "不合格", "3"}, {"45.0", "49.5", "不合格", "3"}},
	}
	seq := map[string]string{} // 序号: the unit's place among the scored units
	for _, u := range h.Cfg.Units() {
		if u.Stages == nil || len(u.Stages) > 0 {
			seq[u.Name] = strconv.Itoa(len(seq) + 1)
		}
	}
	seen := map[string]int{}
	for i, row := range rows[1:] {
		line := i + 2
		unit := cell(row, 1)
		var key string
		for _, p := range plans {
			if h.Unit(p.key).Name == unit {
				key = p.key
			}
		}
		if key == "" {
			if c := cell(row, len(header)-1); c != "自评缺30项，督导评价缺30项" {
				t.Errorf("评分汇总 row %d (%s) 缺评分 = %q", line, unit, c)
			}
			continue
		}
		src, which := rules.SourceSelf, 0
		if cell(row, 2) == rules.SourceInspection.Label() {
			src, which = rules.SourceInspection, 1
		}
		seen[key]++
		w := []string{seq[unit], unit, src.Label()}
		for _, in := range model.Indicators {
			w = append(w, pointsText(want[key][src][in.Code]))
		}
		tot := totals[key][which]
		w = append(w, tot[:]...)
		w = append(w, "")
		for j := range max(len(w), len(row)) {
			if g := cell(row, j); g != cell(w, j) {
				t.Errorf("评分汇总 row %d (%s %s) column %s = %q, want %q", line, unit, src.Label(), cell(header, j), g, cell(w, j))
			}
		}
	}
	for _, p := range plans {
		if seen[p.key] != 2 {
			t.Errorf("评分汇总 has %d rows for %s, want 2", seen[p.key], p.key)
		}
	}
	use, err := f.GetRows(export.SheetResultUse)
	if err != nil {
		t.Fatal(err)
	}
	wantUse := [][]string{
		export.ResultUseHeader(),
		{"表彰建议", "县财政局", "96.5", "优秀", "1", "加权总分96.5（督导评价95.0，自评100.0），等级优秀，排名第1"},
		{"不合格", "县教育和科学技术局", "49.5", "不合格", "3", "加权总分49.5（督导评价45.0，自评60.0），等级不合格，排名第3，低于60分"},
		{"约谈/通报建议", "县公安局", "90.7", "优秀", "2", gajReasons},
	}
	if len(use) != len(wantUse) {
		t.Fatalf("结果运用 rows:\n%q", use)
	}
	for i := range wantUse {
		for j := range max(len(wantUse[i]), len(use[i])) {
			if g, w := cell(use[i], j), cell(wantUse[i], j); g != w {
				t.Errorf("结果运用 row %d column %s = %q, want %q", i+1, cell(wantUse[0], j), g, w)
			}
		}
	}

	// 1 June: a later 评分表 fills one cell. Only that cell changes, the
	// history keeps both values, and 成绩 shows the new figures.
	h.SetTime(2027, time.June, 1, 9, 0)
	czj := h.Official("czj")
	later, _ := fillScores(t, tpl, nil, map[string]map[string]any{"县财政局": {"D9": 2.5}}) // indicator 6
	h.SendFile(ins, "督导评分表（补充）.xlsx", later)
	h.WaitFor(ins, apptest.TextPrefix("《督导评分表（补充）.xlsx》：县财政局的督导评价分，填了1项，合计2.5分。"))
	h.Say(ins, "确认")
	if got, w := h.WaitFor(ins, apptest.TextPrefix("【回执】")).Text,
		"【回执】已登记《督导评分表（补充）.xlsx》的督导评价分1项（改动1项）。\n县财政局：督导评价分30项已齐，合计94.16分（满分100分）"; got != w {
		t.Errorf("receipt of the later sheet:\n%s\nwant:\n%s", got, w)
	}
	want["czj"][rules.SourceInspection]["6"] = 250
	assertStored(t, h, rules.SourceInspection, want, ins)
	hist, err := h.App.Store.ScoreHistory(context.Background(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	var six []string
	for _, s := range hist {
		if s.Source == rules.SourceInspection && s.Code == "6" {
			six = append(six, s.Points.String())
		}
	}
	if len(hist) != 61 || !slices.Equal(six, []string{"3.34", "2.5"}) {
		t.Errorf("history of 县财政局: %d rows, indicator 6 inspected %q; want 61 rows and 3.34 then 2.5", len(hist), six)
	}
	h.Say(czj, "成绩")
	if got := h.WaitFor(czj, apptest.TextPrefix("县财政局 2027年评价成绩")).Text; !strings.HasPrefix(got,
		"县财政局 2027年评价成绩\n加权总分95.9，等级优秀，排名第1（共3个单位出总分）\n督导评价94.2，自评100.0\n") ||
		!strings.Contains(got, "6）2.5/3.34") {
		t.Errorf("成绩 after the later sheet:\n%s", got)
	}
}

// gajReasons is why 县公安局 is proposed for a talk on 25 May: its 整改方案
// was due on 17 May, and with its overdue 自查报告 that is two stages late.
const gajReasons = "整改不力：整改方案已逾期8天未报送；多次逾期（2项）：自查自评报告已逾期85天未报送、整改方案已逾期8天未报送；等级为优秀，但被约谈、通报的单位取消评优资格，未列入表彰建议"

// fillScores fills a score template as a person would in Excel: in each
// named sheet, every indicator row's score column gets value(code, full
// points) as a number; extra then overwrites single cells (sheet → cell →
// value). It returns the workbook and the values written (sheet → code →
// points).
func fillScores(t *testing.T, tpl []byte, fill map[string]func(code int, max rules.Points) rules.Points,
	extra map[string]map[string]any) ([]byte, map[string]map[string]rules.Points) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	defer f.Close()
	written := map[string]map[string]rules.Points{}
	for sheet, value := range fill {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		written[sheet] = map[string]rules.Points{}
		scoreCol := -1
		for i, row := range rows {
			if scoreCol < 0 {
				for j, c := range row {
					if c == export.ColSelfScore || c == export.ColInspScore {
						scoreCol = j
					}
				}
				continue
			}
			code, err := strconv.Atoi(cell(row, 0))
			if err != nil {
				continue
			}
			full, err := rules.ParsePoints(cell(row, 2))
			if err != nil {
				t.Fatalf("sheet %s row %d: full points %q: %v", sheet, i+1, cell(row, 2), err)
			}
			v := value(code, full)
			addr, _ := excelize.CoordinatesToCellName(scoreCol+1, i+1)
			if err := f.SetCellValue(sheet, addr, float64(v)/100); err != nil {
				t.Fatal(err)
			}
			written[sheet][cell(row, 0)] = v
		}
		if n := len(written[sheet]); n != 30 {
			t.Fatalf("sheet %s has %d indicator rows, want 30", sheet, n)
		}
	}
	for sheet, cells := range extra {
		for addr, v := range cells {
			if err := f.SetCellValue(sheet, addr, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), written
}

// assertStored checks through the store that the source's current scores
// are exactly the values sent, by the sender who sent them.
func assertStored(t *testing.T, h *apptest.Harness, src rules.ScoreSource, want map[string]map[rules.ScoreSource]map[string]rules.Points, inspector string) {
	t.Helper()
	all, err := h.App.Store.Scores(context.Background(), 2027, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range all {
		if s.Source != src {
			continue
		}
		n++
		w, ok := want[s.UnitKey][src][s.Code]
		if !ok || s.Points != w {
			t.Errorf("stored %s score %s/%s = %s, want %s (sent: %v)", src, s.UnitKey, s.Code, s.Points, w, ok)
		}
		by := h.Official(s.UnitKey)
		if src == rules.SourceInspection {
			by = inspector
		}
		if s.By != by {
			t.Errorf("%s score %s/%s stored as by %q, want %q", src, s.UnitKey, s.Code, s.By, by)
		}
	}
	if n != 90 {
		t.Errorf("%d %s scores stored, want 90 (3 units × 30)", n, src)
	}
}

// countSource is how many current scores of the source the store holds.
func countSource(t *testing.T, h *apptest.Harness, src rules.ScoreSource) int {
	t.Helper()
	all, err := h.App.Store.Scores(context.Background(), 2027, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range all {
		if s.Source == src {
			n++
		}
	}
	return n
}

// pointsText is a stored score as the ledger writes it: at most two
// decimals, no trailing zeros.
func pointsText(p rules.Points) string {
	return strconv.FormatFloat(float64(p)/100, 'f', -1, 64)
}

// sheetNames are a workbook's sheets.
func sheetNames(t *testing.T, data []byte) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	return f.GetSheetList()
}

func countText(msgs []wxsim.Sent, text string) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == "text" && m.Text == text {
			n++
		}
	}
	return n
}

func lastText(msgs []wxsim.Sent) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == "text" {
			return msgs[i].Text
		}
	}
	return ""
}
