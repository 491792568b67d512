package main

import (
	"context"
	"flag"
	"io"

	"dudaobot/app"
)

// cmdExport writes the year's Excel ledger.
func cmdExport(fs *flag.FlagSet, cfgPath *string) runner {
	return yearFile{
		ext: ".xlsx", example: "ledger.xlsx", temp: ".ledger-*.xlsx", done: "已导出 %d 年度台账：%s\n",
		write: func(data *app.Core, ctx context.Context, year int, w io.Writer) error {
			return data.Ledger().WriteLedger(ctx, year, w)
		},
	}.command(fs, cfgPath)
}
