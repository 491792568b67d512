package main

import (
	"flag"

	"dudaobot/app"
)

// cmdReport writes the year's 年度督导评估报告 draft (.docx).
func cmdReport(fs *flag.FlagSet, cfgPath *string) runner {
	return yearFile{
		ext: ".docx", example: "报告.docx", temp: ".report-*.docx", done: "已生成 %d 年度督导评估报告草稿：%s\n",
		write: (*app.Core).WriteReport,
	}.command(fs, cfgPath)
}
