package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dudaobot/config"
	"dudaobot/extract"
	"dudaobot/handlers"
	"dudaobot/rules"
)

func cmdCheck(_ context.Context, args []string, w io.Writer) error {
	fs, cfgPath := newFlags("check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
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
	return nil
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

func cmdStatus(ctx context.Context, args []string, w io.Writer) error {
	fs, cfgPath := newFlags("status")
	year := fs.Int("year", 0, "年度 / year (default: the configured year)")
	unit := fs.String("unit", "", "单位（代码、全称或简称） / unit key, name or alias")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	core, err := openCore(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer core.Close()
	if *year == 0 {
		*year = core.Config.Calendar().Year
	}
	units, err := core.Store.Units(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	var keys []string
	for _, u := range units {
		names[u.Key] = u.Name
		keys = append(keys, u.Key)
	}
	if *unit != "" {
		u, err := pickUnit(units, *unit)
		if err != nil {
			return err
		}
		keys = []string{u.Key}
	}
	cal, err := core.Store.Calendar(ctx, *year, core.Config.Location())
	if err != nil {
		return err
	}
	uys, err := core.Store.UnitYears(ctx, *year)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	header := []string{"单位"}
	for _, s := range rules.AllStages {
		header = append(header, s.Label())
	}
	rows := [][]string{header}
	now := core.Clock.Now()
	for _, uy := range uys {
		if !want[uy.UnitKey] {
			continue
		}
		row := []string{names[uy.UnitKey]}
		for _, st := range rules.UnitStatus(cal, uy, now) {
			cell := st.Text()
			if st.Deadline.Open && !st.Kind.Submitted() {
				cell += " 截止" + fmt.Sprintf("%d/%d", int(st.Deadline.DueDate.Month), st.Deadline.DueDate.Day)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(w, "%d 年度履职进度（%s）\n", *year, now.In(cal.Location).Format("2006-01-02 15:04"))
	writeTable(w, rows)
	return nil
}

// pickUnit finds one unit by key, full name, alias or part of a name, as
// the chat commands do (查询 财政 → 县财政局).
func pickUnit(units []rules.Unit, q string) (rules.Unit, error) {
	found := handlers.MatchUnit(units, q)
	switch len(found) {
	case 0:
		return rules.Unit{}, fmt.Errorf("没有找到单位 %q / no unit matches %q", q, q)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, u := range found {
		names[i] = u.Name
	}
	return rules.Unit{}, fmt.Errorf("%q 可指多个单位：%s，请写得更具体 / %q matches several units", q, strings.Join(names, "、"), q)
}
func cmdExport(ctx context.Context, args []string, w io.Writer) error {
	fs, cfgPath := newFlags("export")
	out := fs.String("o", "", "输出文件 / output .xlsx file (required)")
	year := fs.Int("year", 0, "年度 / year (default: the configured year)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("请用 -o 指定输出文件，如 -o ledger.xlsx / -o is required")
	}
	core, err := openCore(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer core.Close()
	if *year == 0 {
		*year = core.Config.Calendar().Year
	}
	// Write next to the target and rename, so a failed export never leaves
	// a truncated ledger under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".ledger-*.xlsx")
	if err != nil {
		return fmt.Errorf("无法写入 %s: %w", *out, err)
	}
	defer os.Remove(tmp.Name())
	if err := core.Ledger().WriteLedger(ctx, *year, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(w, "已导出 %d 年度台账：%s\n", *year, *out)
	return nil
}
