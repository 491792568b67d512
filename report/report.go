// Package report drafts the year's 年度督导评估报告 as a .docx: the sections
// of the plan's sixth step filled from the records, every section that lacks
// its data saying so plainly. The document comes from a .docx template
// (template.docx here, or the office's own, config `report.template`): the
// template's document.xml gets its placeholders filled and the generated
// body inserted; every other part of the package is copied untouched.
package report

//go:generate go test -run TestTemplateMatchesSource -update .

import (
	"fmt"
	"strings"
	"time"

	"dudaobot/rules"
)

// Input is everything the report is drawn from; app fills it from storage.
type Input struct {
	Office    string // the office's name
	Calendar  rules.Calendar
	Now       time.Time    // the moment statuses are for; its date is the draft's date
	Units     []rules.Unit // roster order
	UnitYears []rules.UnitYear
	Inspected rules.Inspected
	// Problems are the problem-list items (问题清单) stored for the year,
	// carry-overs from earlier years included; none: not recorded yet.
	Problems []rules.Problem
	// Indicators name the Annex 2 indicators problems are grouped by.
	Indicators []rules.Indicator
	// Scores are the year's results and 结果清单 (rules.BuildScoreReport);
	// nil or no score stored: not recorded yet.
	Scores *rules.ScoreReport
}

// Section is one heading of the report and what follows it.
type Section struct {
	Title  string
	Blocks []Block
}

// Block is a paragraph (Text) or a table (Header and Rows).
type Block struct {
	Text   string
	Header []string
	Rows   [][]string
	Widths []int // column widths in twentieths of a point (dxa)
}

// IsTable reports whether the block is a table.
func (b Block) IsTable() bool { return len(b.Header) > 0 }

// Missing-data sentences: each section says what it lacks instead of
// inventing text (scores: 三、四、七; problem lists: 五、六).
const (
	NoScores   = "本年度尚未录入评分。"
	NoProblems = "本年度尚未录入问题清单。"
	NoItems    = "本年度尚未录入整改事项（问题清单），暂无计划、完成、逾期和结转事项的统计。"
	NoResults  = "本年度尚未形成结果清单（评分未录入），暂无结果运用建议。"
	NextSteps  = "（此部分由督导办填写：下一年度的工作安排。）"
)

// SectionTitles are the report's headings, in order.
var SectionTitles = []string{
	"一、基本情况",
	"二、自查自评情况",
	"三、实地督导情况",
	"四、评价结果",
	"五、存在的主要问题",
	"六、整改落实情况",
	"七、结果运用建议",
	"八、下一步工作",
}

type unitRow struct {
	unit rules.Unit
	st   map[rules.Stage]rules.StageStatus
}

// Sections builds the report's content from the input.
func Sections(in Input) []Section {
	cal := in.Calendar
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	byKey := make(map[string]rules.UnitYear, len(in.UnitYears))
	for _, uy := range in.UnitYears {
		byKey[uy.UnitKey] = uy
	}
	var rows []unitRow
	for _, u := range in.Units {
		uy, ok := byKey[u.Key]
		if !ok {
			continue
		}
		r := unitRow{unit: u, st: map[rules.Stage]rules.StageStatus{}}
		for _, st := range rules.UnitStatus(cal, uy, in.Now) {
			r.st[st.Stage] = st
		}
		rows = append(rows, r)
	}
	names := func(keep func(unitRow) bool, detail func(unitRow) string) []string {
		var out []string
		for _, r := range rows {
			if keep(r) {
				n := r.unit.Name
				if detail != nil {
					n += detail(r)
				}
				out = append(out, n)
			}
		}
		return out
	}
	kindIs := func(s rules.Stage, ks ...rules.StatusKind) func(unitRow) bool {
		return func(r unitRow) bool {
			for _, k := range ks {
				if r.st[s].Kind == k {
					return true
				}
			}
			return false
		}
	}
	sa := rules.StageSelfAssessment
	onTime := names(kindIs(sa, rules.StatusOnTime), nil)
	late := names(kindIs(sa, rules.StatusLate), func(r unitRow) string { return fmt.Sprintf("（逾期%d天）", max(r.st[sa].Days, 1)) })
	missing := names(kindIs(sa, rules.StatusOpen, rules.StatusOverdue), nil)
	owing := len(rows) - len(names(kindIs(sa, rules.StatusNotApplicable), nil))

	out := make([]Section, len(SectionTitles))
	for i, t := range SectionTitles {
		out[i].Title = t
	}
	para := func(i int, format string, a ...any) {
		out[i].Blocks = append(out[i].Blocks, Block{Text: fmt.Sprintf(format, a...)})
	}

	// 一、基本情况
	para(0, "根据县人民政府履行教育职责督导评价工作安排，%d年度纳入督导评价的责任单位共%d个，其中应报送自查自评报告的%d个。自查自评报告截止日期为%s；实地督导时间为%s至%s；书面反馈意见应于%s前送达。",
		cal.Year, len(rows), owing, cal.SelfAssessmentDue.Chinese(), cal.InspectionStart.Chinese(), cal.InspectionEnd.Chinese(), rules.FeedbackDeadline(cal).DueDate.Chinese())
	para(0, "截至%s，%d个单位报送了自查自评报告（按时%d个，逾期%d个），%d个单位尚未报送。各单位各阶段情况见下表。",
		DateChinese(in.Now, loc), len(onTime)+len(late), len(onTime), len(late), len(missing))
	status := Block{Header: []string{"序号", "单位"}, Widths: []int{700, 2900}}
	for _, s := range rules.AllStages {
		status.Header = append(status.Header, s.Label())
		status.Widths = append(status.Widths, 1650)
	}
	for i, r := range rows {
		row := []string{fmt.Sprint(i + 1), r.unit.Name}
		for _, s := range rules.AllStages {
			row = append(row, r.st[s].Text())
		}
		status.Rows = append(status.Rows, row)
	}
	out[0].Blocks = append(out[0].Blocks, status)

	// 二、自查自评情况
	para(1, "按时报送（%d个）：%s。", len(onTime), list(onTime))
	para(1, "逾期报送（%d个）：%s。", len(late), list(late))
	if cal.SelfAssessmentDue.End(loc).After(in.Now) {
		para(1, "尚未报送（%d个，截止日期未到）：%s。", len(missing), list(missing))
	} else {
		para(1, "逾期未报送（%d个）：%s。", len(missing), list(missing))
	}

	// 三、实地督导情况
	para(2, "实地督导时间为%s至%s。", cal.InspectionStart.Chinese(), cal.InspectionEnd.Chinese())
	fb := rules.StageFeedback
	inspected := names(func(r unitRow) bool { return r.st[fb].Kind != rules.StatusNotApplicable }, nil)
	if in.Inspected.Marked {
		para(2, "督导办确定的受检单位%d个：%s。", len(inspected), list(inspected))
	} else {
		para(2, "督导办尚未单独确定受检单位，%d个应接受反馈的单位均按受检单位统计：%s。", len(inspected), list(inspected))
	}
	delivered := names(kindIs(fb, rules.StatusOnTime, rules.StatusLate), func(r unitRow) string {
		return "（" + DateChinese(r.st[fb].SubmittedAt, loc) + "）"
	})
	para(2, "已送达书面反馈意见%d份：%s。", len(delivered), list(delivered))
	if n := len(names(kindIs(fb, rules.StatusOpen, rules.StatusOverdue), nil)); n > 0 {
		para(2, "尚未送达书面反馈意见的受检单位%d个。", n)
	}
	para(2, "%s", inspectionScores(in.Scores))

	// 四、评价结果 and 七、结果运用建议
	resultSections(in, &out[3], &out[6])

	// 五、存在的主要问题 and 六、整改落实情况 (items first, then the documents).
	problemSections(in, &out[4], &out[5])
	plan, done := rules.StageRectificationPlan, rules.StageRectificationDone
	para(5, "整改方案：按时报送%d个，逾期报送%d个，逾期未报送%d个，期限未到%d个，尚未收到反馈%d个。",
		count(rows, plan, rules.StatusOnTime), count(rows, plan, rules.StatusLate), count(rows, plan, rules.StatusOverdue),
		count(rows, plan, rules.StatusOpen), count(rows, plan, rules.StatusNotOpen))
	if overdue := names(kindIs(plan, rules.StatusOverdue), nil); len(overdue) > 0 {
		para(5, "整改方案逾期未报送的单位：%s。", list(overdue))
	}
	set := len(rows) - count(rows, done, rules.StatusNotOpen) - count(rows, done, rules.StatusNotApplicable)
	para(5, "整改完成情况：督导办为%d个单位设定了整改期限；按时报送整改完成情况%d个，逾期报送%d个，逾期未报送%d个，期限未到%d个。",
		set, count(rows, done, rules.StatusOnTime), count(rows, done, rules.StatusLate), count(rows, done, rules.StatusOverdue), count(rows, done, rules.StatusOpen))
	if overdue := names(kindIs(done, rules.StatusOverdue), nil); len(overdue) > 0 {
		para(5, "整改完成情况逾期未报送的单位：%s。", list(overdue))
	}

	// 八、下一步工作
	para(7, "%s", NextSteps)
	return out
}

func count(rows []unitRow, s rules.Stage, k rules.StatusKind) int {
	n := 0
	for _, r := range rows {
		if r.st[s].Kind == k {
			n++
		}
	}
	return n
}

func list(names []string) string {
	if len(names) == 0 {
		return "无"
	}
	return strings.Join(names, "、")
}

// DateChinese is t's date in loc as 2027年5月20日.
func DateChinese(t time.Time, loc *time.Location) string {
	return rules.DateOf(t, loc).Chinese()
}
