package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"dudaobot/rules"
)

// examplesPerIndicator is how many problems each indicator quotes.
const examplesPerIndicator = 2

// problemSections fills 存在的主要问题 (this year's items grouped by Annex 2
// indicator, with counts and examples) and the items' part of 整改落实情况
// (planned, closed, overdue, carried over).
func problemSections(in Input, problems, rect *Section) {
	cal := in.Calendar
	var raised, inView []rules.Problem
	for _, p := range in.Problems {
		if !rules.ProblemInYear(p, cal, in.Now) {
			continue
		}
		inView = append(inView, p)
		if p.Year == cal.Year {
			raised = append(raised, p)
		}
	}
	add := func(s *Section, format string, a ...any) {
		s.Blocks = append(s.Blocks, Block{Text: fmt.Sprintf(format, a...)})
	}
	if len(raised) == 0 {
		add(problems, "%s问题按指标分类汇总待问题清单录入后生成。", NoProblems)
	} else {
		shortName := map[string]string{}
		for _, u := range in.Units {
			shortName[u.Key] = u.Name
		}
		title := map[string]string{}
		for _, ind := range in.Indicators {
			if _, ok := title[ind.Code]; !ok || ind.Level == 3 {
				title[ind.Code] = ind.Text
			}
		}
		groups := map[string][]rules.Problem{}
		var codes []string
		units := map[string]bool{}
		for _, p := range raised {
			if _, ok := groups[p.Indicator]; !ok {
				codes = append(codes, p.Indicator)
			}
			groups[p.Indicator] = append(groups[p.Indicator], p)
			units[p.UnitKey] = true
		}
		// Most problems first; equal counts in indicator order as listed.
		order := map[string]int{}
		for i, ind := range in.Indicators {
			if _, ok := order[ind.Code]; !ok {
				order[ind.Code] = i
			}
		}
		sort.SliceStable(codes, func(i, j int) bool {
			if len(groups[codes[i]]) != len(groups[codes[j]]) {
				return len(groups[codes[i]]) > len(groups[codes[j]])
			}
			return order[codes[i]] < order[codes[j]]
		})
		add(problems, "实地督导共反馈问题%d个，涉及%d个单位、%d项指标。按指标分类如下：", len(raised), len(units), len(codes))
		tbl := Block{Header: []string{"指标", "问题数", "涉及单位", "问题举例"}, Widths: []int{2600, 900, 1700, 3600}}
		for _, code := range codes {
			ps := groups[code]
			name := "未标注指标"
			if code != "" {
				name = "指标" + code
				if t := title[code]; t != "" {
					name += "：" + clip(t, 30)
				}
			}
			us := map[string]bool{}
			var ex []string
			for _, p := range ps {
				us[p.UnitKey] = true
				if len(ex) < examplesPerIndicator {
					ex = append(ex, shortName[p.UnitKey]+"："+clip(p.Text, 60))
				}
			}
			tbl.Rows = append(tbl.Rows, []string{name, fmt.Sprint(len(ps)), fmt.Sprint(len(us)), strings.Join(ex, "；")})
		}
		problems.Blocks = append(problems.Blocks, tbl)
	}

	if len(inView) == 0 {
		add(rect, "%s", NoItems)
		return
	}
	var planned, closed, reported, overdue, carried, noPlan int
	var late []string
	for _, p := range inView {
		st := rules.ProblemStatusOf(p, cal, in.Now)
		if p.Plan.Complete() {
			planned++
		}
		switch st.Kind {
		case rules.ProblemClosed:
			closed++
		case rules.ProblemReported:
			reported++
		case rules.ProblemOverdue:
			overdue++
			late = append(late, p.ID)
		case rules.ProblemOpen:
			noPlan++
		}
		if st.CarriedOver {
			carried++
		}
	}
	add(rect, "整改事项共%d项（其中上年度遗留%d项）：已制定整改措施%d项，已销号%d项，已报完成待销号%d项，逾期未完成%d项，尚未制定措施%d项。",
		len(inView), carried, planned, closed, reported, overdue, noPlan)
	if len(late) > 0 {
		add(rect, "逾期未完成的事项：%s。", list(late))
	}
}

// clip shortens s to n characters with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
