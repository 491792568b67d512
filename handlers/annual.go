package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"dudaobot/rules"
)

// AnnualReport writes the year's 年度督导评估报告 draft (.docx), the same
// file as `dudaobot report`.
type AnnualReport interface {
	WriteReport(ctx context.Context, year int, w io.Writer) error
}

// OverviewBoard draws the year's 总览 as PNG pages (28 units a page). With
// no font for Chinese installed it returns no pages and no error: 总览 is
// then text only (app logs that once, and `check` says so).
type OverviewBoard interface {
	OverviewPictures(ctx context.Context, year int) ([][]byte, error)
}

// document has write produce a document and stores it durably (fsync,
// rename) before any outbox row refers to it; what names it in errors.
func (d *env) document(ctx context.Context, what, ext string, write func(io.Writer) error) (Blob, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return Blob{}, fmt.Errorf("handlers: write %s: %w", what, err)
	}
	blob, err := d.files.PutBytes(ctx, buf.Bytes(), PutOptions{Ext: ext})
	if err != nil {
		return Blob{}, fmt.Errorf("handlers: store %s: %w", what, err)
	}
	return blob, nil
}

// annualReport is 报告: the year's report draft as a Word file.
func (d *director) annualReport(ctx context.Context, r *Request) error {
	if d.o.AnnualReport == nil {
		return userErr(ErrBadInput, "报告功能暂未启用，请联系管理员在电脑上运行 dudaobot report。")
	}
	blob, err := d.document(ctx, "annual report", "docx", func(w io.Writer) error {
		return d.o.AnnualReport.WriteReport(ctx, d.year, w)
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%d年度履行教育职责督导评估报告（草稿）已生成（数据截至%s），请查收附件。尚无数据的部分已在文中注明；“下一步工作”请督导办补充，报县委、县政府同意后再公开发布。",
		d.year, fmtTime(d.clock.Now(), d.loc))
	if err := d.reply(ctx, r, text); err != nil {
		return err
	}
	file := d.replyMsg(r, "")
	file.FilePath, file.FileName = blob.Path, fmt.Sprintf("%d年度督导评估报告（草稿）.docx", d.year)
	r.outs = append(r.outs, file)
	return nil
}

// overviewPictures adds the 总览 board to the answer, one image per page,
// after the text. A failure to draw is logged and the text goes alone: it
// already answers the question.
func (d *director) overviewPictures(ctx context.Context, r *Request) {
	if d.o.Board == nil {
		return
	}
	pages, err := d.o.Board.OverviewPictures(ctx, d.year)
	if err != nil {
		d.log.Error("overview picture not drawn", slog.Any("err", err))
		return
	}
	var files []rules.Outgoing
	for i, png := range pages {
		blob, err := d.files.PutBytes(ctx, png, PutOptions{Ext: "png"})
		if err != nil {
			d.log.Error("overview picture not stored", slog.Int("page", i+1), slog.Any("err", err))
			return
		}
		m := d.replyMsg(r, "")
		m.FilePath, m.FileName = blob.Path, fmt.Sprintf("%d年督导评价总览.png", d.year)
		if len(pages) > 1 {
			m.FileName = fmt.Sprintf("%d年督导评价总览（第%d页，共%d页）.png", d.year, i+1, len(pages))
		}
		files = append(files, m)
	}
	r.outs = append(r.outs, files...)
}
