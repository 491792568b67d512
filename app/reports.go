package app

import (
	"context"

	"dudaobot/docstore"
	"dudaobot/extract"
)

// reportReader reads stored reports for handlers' content check.
type reportReader struct {
	ex    *extract.Extractor
	files *docstore.Store
}

func (r reportReader) ReadReport(ctx context.Context, path, ext string) (string, int, string) {
	abs, err := r.files.Abs(path)
	if err != nil {
		return "", 0, "文件无法读取"
	}
	res, err := r.ex.Extract(ctx, abs, ext)
	if err != nil {
		return "", 0, extract.Reason(err)
	}
	return res.Text, res.Pages, ""
}
