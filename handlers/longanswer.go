package handlers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"dudaobot/rules"
)

// The long-answer rule: an answer is read on a phone, so no reply takes
// more than rules.PhoneLineBudget lines as rules.PhoneLines counts them.
// An answer that would is sent as a summary of at most maxSummaryLines
// lines and the whole of what was asked as a file (an .xlsx built by
// export through a port, or the board picture). Every answer whose length
// grows with the roster either goes through replyLong or is bounded by
// construction, which its comment says; TestLongAnswersAtLargeRoster asks
// each of them at 200 units.

// ListSheets writes a list as a workbook of one sheet, header then rows;
// app adapts export to it (handlers never imports export).
type ListSheets interface {
	WriteList(ctx context.Context, sheet string, header []string, rows [][]string, w io.Writer) error
}

// maxSummaryLines is how long the summary in front of a long answer's file
// may be.
const maxSummaryLines = 3

// longFile is the file a long answer falls back to. write nil: there is no
// such file here (the feature is not configured) and the summary goes
// alone.
type longFile struct {
	what  string // names the file in errors
	name  string // the file name the person sees
	ext   string // stored extension
	note  string // the summary's last line when the file goes with it
	write func(io.Writer) error
}

// replyLong answers with text when it fits on a phone screen; otherwise
// with summary and then the file. The file is stored durably before its
// outbox row is written (env.document).
func (d *env) replyLong(ctx context.Context, r *Request, text string, summary []string, file longFile) error {
	if rules.PhoneLines(text) <= rules.PhoneLineBudget {
		return d.reply(ctx, r, text)
	}
	if file.write == nil {
		return d.reply(ctx, r, strings.Join(summaryLines(summary, maxSummaryLines), "\n"))
	}
	blob, err := d.document(ctx, file.what, file.ext, file.write)
	if err != nil {
		return err
	}
	lines := append(summaryLines(summary, maxSummaryLines-1), file.note)
	return d.replyFile(ctx, r, strings.Join(lines, "\n"), blob, file.name)
}

// summaryLines keeps summary to n lines: the lines beyond the first n-1
// are joined into the last one, so nothing said is dropped.
func summaryLines(summary []string, n int) []string {
	if len(summary) <= n {
		return summary
	}
	out := slices.Clone(summary[:n-1])
	return append(out, strings.Join(summary[n-1:], "；"))
}

// ledgerFile is the year's ledger (导出) as a long answer's file.
func (d *env) ledgerFile(ctx context.Context) longFile {
	f := longFile{what: "ledger", name: fmt.Sprintf("%d年督导评价台账.xlsx", d.year), ext: "xlsx", note: "名单较长，详见附件台账。"}
	if d.o.Ledger != nil {
		f.write = func(w io.Writer) error { return d.o.Ledger.WriteLedger(ctx, d.year, w) }
	}
	return f
}

// listFile is a list as a long answer's file: sheet names the sheet and,
// with the year, the file.
func (d *env) listFile(ctx context.Context, sheet, note string, header []string, rows [][]string) longFile {
	f := longFile{what: "list " + sheet, name: fmt.Sprintf("%d年%s.xlsx", d.year, sheet), ext: "xlsx", note: note}
	if d.o.Lists != nil {
		f.write = func(w io.Writer) error { return d.o.Lists.WriteList(ctx, sheet, header, rows, w) }
	}
	return f
}
