package main

import (
	"fmt"
	"io"
	"strings"

	"dudaobot/config"
	"dudaobot/rules"
)

// writeScoringModel prints the scoring section for `check`: weights, grade
// bands, points per indicator (runs of equal points folded) and which
// indicators apply to which unit.
func writeScoringModel(w io.Writer, cfg *config.Config) error {
	m, err := cfg.ScoringModel()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "评分模型：")
	fmt.Fprintf(w, "  加权总分 = 督导评价 × %d%% + 自评 × %d%%（均按百分制；保留一位小数，四舍五入）\n",
		m.Weights[rules.SourceInspection], m.Weights[rules.SourceSelf])
	bands := make([]string, len(m.Bands))
	for i, b := range m.Bands {
		switch {
		case i == len(m.Bands)-1 && i > 0:
			bands[i] = fmt.Sprintf("%s < %s", b.Grade, m.Bands[i-1].Min)
		default:
			bands[i] = fmt.Sprintf("%s ≥ %s", b.Grade, b.Min)
		}
	}
	fmt.Fprintf(w, "  等级：%s\n", strings.Join(bands, "，"))
	var sum rules.Points
	var runs []string
	for i := 0; i < len(m.Indicators); {
		j := i
		for j+1 < len(m.Indicators) && m.Indicators[j+1].Max == m.Indicators[i].Max {
			j++
		}
		sum += m.Indicators[i].Max * rules.Points(j-i+1)
		if i == j {
			runs = append(runs, fmt.Sprintf("第%s项 %s 分", m.Indicators[i].Code, m.Indicators[i].Max))
		} else {
			runs = append(runs, fmt.Sprintf("第%s–%s项各 %s 分", m.Indicators[i].Code, m.Indicators[j].Code, m.Indicators[i].Max))
		}
		i = j + 1
	}
	fmt.Fprintf(w, "  指标分值：三级指标 %d 项，合计 %s 分：%s\n", len(m.Indicators), sum, strings.Join(runs, "；"))
	var special []string
	for _, u := range cfg.Units() {
		codes, ok := m.UnitIndicators[u.Key]
		if !ok {
			continue
		}
		if len(codes) == 0 {
			special = append(special, u.Name+" 无适用指标（不计分）")
			continue
		}
		var in []string
		for _, si := range m.Applicable(u.Key) {
			in = append(in, si.Code)
		}
		special = append(special, fmt.Sprintf("%s %d 项（%s）", u.Name, len(in), strings.Join(in, "、")))
	}
	if len(special) == 0 {
		fmt.Fprintf(w, "  适用指标：各单位均适用全部 %d 项\n", len(m.Indicators))
	} else {
		fmt.Fprintf(w, "  适用指标：%s；其余单位全部 %d 项\n", strings.Join(special, "；"), len(m.Indicators))
	}
	fmt.Fprintf(w, "  结果运用：优秀 → 表彰建议；不合格单位单列；整改逾期或一年内 %d 项及以上材料逾期 → 约谈/通报建议\n", m.RepeatedLateness)
	return nil
}
