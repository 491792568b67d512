package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// cmdExport writes the year's Excel ledger.
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
	data, err := openData(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer data.Close()
	if *year == 0 {
		*year = data.Config.Calendar().Year
	}
	// Write next to the target and rename, so a failed export never leaves
	// a truncated ledger under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".ledger-*.xlsx")
	if err != nil {
		return fmt.Errorf("无法写入 %s: %w", *out, err)
	}
	defer os.Remove(tmp.Name())
	if err := data.Ledger().WriteLedger(ctx, *year, tmp); err != nil {
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
