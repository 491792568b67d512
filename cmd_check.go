package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"dudaobot/board"
	"dudaobot/config"
	"dudaobot/extract"
	"dudaobot/report"
	"dudaobot/rules"
)

// cmdCheck validates the configuration and prints what it sets up: the
// office, the units and their contacts, this year's deadlines, the
// indicator system and which report formats this machine can read.
func cmdCheck(fs *flag.FlagSet, cfgPath *string) runner {
	return func(_ context.Context, w, _ io.Writer) error {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		units := cfg.Units()
		officials := 0
		for _, u := range units {
			officials += len(u.Officials)
			if u.Backup != nil {
				officials++
			}
		}
		fmt.Fprintf(w, "配置有效 / config OK: %s\n", *cfgPath)
		fmt.Fprintf(w, "办公室: %s\n", cfg.Office.Name)
		for _, d := range cfg.Directors() {
			fmt.Fprintf(w, "主任: %s（微信备注：%s）\n", d.Name, d.WeChatRemark)
		}
		fmt.Fprintf(w, "责任单位 %d 个，联系人 %d 人：\n", len(units), officials)
		for i, u := range units {
			line := fmt.Sprintf("%2d. %-6s %s", i+1, u.Key, u.Name)
			var remarks []string
			for _, o := range u.Officials {
				remarks = append(remarks, o.WeChatRemark)
			}
			if u.Backup != nil {
				remarks = append(remarks, u.Backup.WeChatRemark+"（备用）")
			}
			fmt.Fprintf(w, "%s　备注：%s　阶段：%s\n", line, strings.Join(remarks, "、"), stagesText(u.Stages))
		}
		c := cfg.Calendar()
		fb := rules.FeedbackDeadline(c)
		fmt.Fprintf(w, "%d 年度截止日期（时区 %s）：\n", c.Year, c.Location)
		fmt.Fprintf(w, "  自查自评报告：%s 24:00 前\n", c.SelfAssessmentDue.Chinese())
		fmt.Fprintf(w, "  实地督导：%s 至 %s\n", c.InspectionStart.Chinese(), c.InspectionEnd.Chinese())
		fmt.Fprintf(w, "  书面反馈：督导结束后 %d 天内，即 %s 前\n", c.FeedbackDays, fb.DueDate.Chinese())
		fmt.Fprintf(w, "  整改方案：各单位收到反馈后 %d 天内\n", c.RectificationPlanDays)
		inds, err := cfg.Indicators()
		if err != nil {
			return err
		}
		var n [4]int
		for _, in := range inds {
			n[in.Level]++
		}
		fmt.Fprintf(w, "指标体系：一级 %d 项，二级 %d 项，三级 %d 项\n", n[1], n[2], n[3])
		if err := writeScoringModel(w, cfg); err != nil {
			return err
		}
		// Which report formats the content check can read on this machine.
		ex := extract.New(extract.Options{})
		fmt.Fprintf(w, "报告内容检查：%s\n", strings.Join(ex.Available(), "；"))
		fmt.Fprintln(w, boardFontLine(cfg.Report.Font))
		if _, err := report.LoadTemplate(cfg.Report.Template); err != nil {
			return err
		}
		if cfg.Report.Template != "" {
			fmt.Fprintf(w, "年度报告模板：%s\n", cfg.Report.Template)
		} else {
			fmt.Fprintln(w, "年度报告模板：内置模板（可用 report.template 指定）")
		}
		return nil
	}
}

// boardFontLine says which font the 总览 picture uses, or that there is
// none and 总览 is sent as text only.
func boardFontLine(configured string) string {
	p, err := board.FindFont(configured)
	if err == nil {
		_, err = board.LoadFont(p)
	}
	switch {
	case err == nil:
		return "总览图片字体：" + p
	case configured != "":
		return "总览图片字体：report.font 无法使用（" + err.Error() + "），总览只发送文字"
	}
	return "总览图片字体：未找到中文字体，总览只发送文字（可安装 fonts-noto-cjk，或用 report.font 指定字体文件）"
}

// stagesText is a unit's configured stages for check: 「全部」, 「不参加评价」
// or the stage names (feedback written as 受检 because that is what it means
// for the unit).
func stagesText(stages []rules.Stage) string {
	switch {
	case stages == nil:
		return "全部（受检单位由主任每年确定）"
	case len(stages) == 0:
		return "不参加评价（无需报送）"
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.Label()
		if s == rules.StageFeedback {
			names[i] = "书面反馈意见（受检）"
		}
	}
	return strings.Join(names, "、")
}
