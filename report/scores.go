package report

import (
	"fmt"
	"strings"

	"dudaobot/rules"
)

// scoresRecorded reports whether any score of any source is stored.
func scoresRecorded(r *rules.ScoreReport) bool {
	if r == nil {
		return false
	}
	for _, x := range r.Results {
		for _, sr := range []rules.SourceResult{x.Self, x.Inspection} {
			if sr.Count > 0 {
				return true
			}
		}
	}
	return false
}

// inspectionScores is 实地督导情况's line on the inspection scores.
func inspectionScores(r *rules.ScoreReport) string {
	if !scoresRecorded(r) {
		return NoScores + "实地督导评分待录入后补充。"
	}
	scored, complete := 0, 0
	for _, x := range r.Results {
		sr := x.Source(rules.SourceInspection)
		if sr.Count > 0 {
			scored++
		}
		if sr.Complete {
			complete++
		}
	}
	if scored == 0 {
		return "本年度尚未录入督导评价评分（已录入自评分）。"
	}
	return fmt.Sprintf("督导评价评分已录入%d个单位，其中%d个单位全部指标评分完整。", scored, complete)
}

// resultSections fills 评价结果 (weighted totals, grades and ranks, with the
// same rounding as 成绩: one decimal, rounded once) and 结果运用建议 (the
// 结果清单).
func resultSections(in Input, results, use *Section) {
	add := func(s *Section, text string) { s.Blocks = append(s.Blocks, Block{Text: text}) }
	if !scoresRecorded(in.Scores) {
		add(results, NoScores+"暂无加权总分、等级和排名。")
		add(use, NoResults)
		return
	}
	names := map[string]string{}
	for _, u := range in.Units {
		names[u.Key] = u.Name
	}
	graded, grades := 0, map[string]int{}
	var gradeOrder []string
	tbl := Block{Header: []string{"排名", "单位", "自评（百分制）", "督导评价（百分制）", "加权总分", "等级", "缺评分"},
		Widths: []int{700, 2500, 1200, 1300, 1100, 800, 1200}}
	for _, r := range rules.ByRank(in.Scores.Results) {
		row := []string{"", names[r.UnitKey]}
		for _, s := range []rules.ScoreSource{rules.SourceSelf, rules.SourceInspection} {
			if sr := r.Source(s); sr.Complete {
				row = append(row, sr.Total.String())
			} else {
				row = append(row, "")
			}
		}
		if r.Graded {
			graded++
			if grades[r.Grade] == 0 {
				gradeOrder = append(gradeOrder, r.Grade)
			}
			grades[r.Grade]++
			row[0] = fmt.Sprint(r.Rank)
			row = append(row, r.Weighted.String(), r.Grade, "")
		} else {
			row = append(row, "", "", missing(r))
		}
		tbl.Rows = append(tbl.Rows, row)
	}
	var dist []string
	for _, g := range gradeOrder {
		dist = append(dist, fmt.Sprintf("%s%d个", g, grades[g]))
	}
	line := fmt.Sprintf("参评单位%d个，评分完整并评定等级的%d个", len(in.Scores.Results), graded)
	if len(dist) > 0 {
		line += "：" + strings.Join(dist, "，")
	}
	if n := len(in.Scores.Results) - graded; n > 0 {
		line += fmt.Sprintf("；%d个单位评分不完整，暂不评定等级", n)
	}
	add(results, line+"。加权总分保留一位小数。")
	results.Blocks = append(results.Blocks, tbl)

	if len(in.Scores.List) == 0 {
		add(use, "根据评价结果，本年度无表彰、不合格或约谈/通报建议。")
		return
	}
	for _, a := range rules.ResultActions {
		var items []string
		for _, e := range in.Scores.List {
			if e.Action != a {
				continue
			}
			item := names[e.UnitKey]
			if len(e.Reasons) > 0 {
				item += "（" + strings.Join(e.Reasons, "；") + "）"
			}
			items = append(items, item)
		}
		if len(items) > 0 {
			add(use, fmt.Sprintf("%s（%d个）：%s。", a, len(items), strings.Join(items, "、")))
		}
	}
}

func missing(r rules.UnitResult) string {
	if r.Applicable == 0 {
		return "无适用指标"
	}
	var out []string
	for _, s := range r.Missing {
		out = append(out, fmt.Sprintf("%s缺%d项", s.Label(), r.Applicable-r.Source(s).Count))
	}
	return strings.Join(out, "，")
}
