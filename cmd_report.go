package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// cmdReport writes the year's 年度督导评估报告 draft (.docx).
func cmdReport(ctx context.Context, args []string, w io.Writer) error {
	fs, cfgPath := newFlags("report")
	out := fs.String("o", "", "输出文件 / output .docx file (required)")
	year := fs.Int("year", 0, "年度 / year (default: the configured year)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("请用 -o 指定输出文件，如 -o 报告.docx / -o is required")
	}
	data, err := openData(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer data.Close()
	if *year == 0 {
		*year = data.Config.Calendar().Year
	}
	// Written next to the target and renamed: a failed run never leaves a
	// truncated report under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".report-*.docx")
	if err != nil {
		return fmt.Errorf("无法写入 %s: %w", *out, err)
	}
	defer os.Remove(tmp.Name())
	if err := data.WriteReport(ctx, *year, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(w, "已生成 %d 年度督导评估报告草稿：%s\n", *year, *out)
	return nil
}
