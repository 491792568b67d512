package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"dudaobot/rules"
)

// receiver checks and downloads inbound files into Files.
type receiver struct {
	*env
	allowed map[string]bool // Options.AllowedTypes; empty: every type Files accepts
}

func newReceiver(e *env) *receiver {
	r := &receiver{env: e, allowed: map[string]bool{}}
	for _, t := range e.o.AllowedTypes {
		r.allowed[normExt(t)] = true
	}
	return r
}

// receive checks and downloads an inbound file into the file store. The
// announced size is checked before anything is downloaded; the stream is
// cut off if it is longer than announced; the type is the extension of the
// sanitised name (images: by their first bytes) and must be allowed.
func (d *receiver) receive(ctx context.Context, r *Request) (stored, error) {
	f := r.In.File
	name, ext := d.files.Name(f.Name)
	if r.In.Kind == rules.MsgImage {
		ext = "" // decided by content below
	} else if !d.allowedExt(ext) {
		return stored{}, d.badType(ext)
	}
	if d.o.MaxFileBytes > 0 && f.Size > d.o.MaxFileBytes {
		return stored{}, d.tooLarge(f.Size)
	}
	po := PutOptions{MaxSize: d.o.MaxFileBytes}
	used, err := d.quotaOptions(ctx, r, &po)
	if err != nil {
		return stored{}, err
	}
	if po.Quota && f.Size > po.QuotaLeft {
		return stored{}, d.overQuota(used)
	}
	if f.Open == nil {
		return stored{}, userErr(ErrFileRefused, textDownload)
	}
	rc, err := f.Open(ctx)
	if err != nil {
		d.log.Warn("file download failed", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		return stored{}, userErr(ErrFileRefused, textDownload)
	}
	defer rc.Close()
	var src io.Reader = rc
	if r.In.Kind == rules.MsgImage {
		src, ext = sniffImage(rc)
		if _, got := d.files.Name(name); name == "" || got != ext {
			name = fmt.Sprintf("图片%s.%s", r.In.Key.MsgID, ext)
		}
		name, _ = d.files.Name(name)
	}
	tr := &trackReader{r: src}
	po.Ext = ext
	blob, err := d.files.Put(ctx, tr, po)
	switch {
	case err == nil:
	case errors.Is(err, rules.ErrFileQuota):
		return stored{}, d.overQuota(used)
	case errors.Is(err, rules.ErrDiskFull):
		return stored{}, d.diskFull(ctx, r, err)
	case errors.Is(err, rules.ErrArchiveTooLarge):
		d.log.Warn("file refused: archive too large", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		return stored{}, d.archiveTooLarge(name)
	case errors.Is(err, rules.ErrFileTooLarge):
		return stored{}, d.tooLarge(0)
	case errors.Is(err, rules.ErrFileType):
		return stored{}, d.badType(ext)
	case errors.Is(err, rules.ErrFileContent):
		d.log.Warn("file content refused", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		return stored{}, userErr(ErrFileRefused, "文件《"+name+"》的内容与其类型（."+ext+"）不符，或下载不完整。请确认文件能正常打开后重新发送。")
	case tr.err != nil && ctx.Err() == nil:
		// The download broke off: WeChat's side, not ours; resending helps.
		d.log.Warn("file download failed", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		return stored{}, userErr(ErrFileRefused, textDownload)
	default:
		return stored{}, fmt.Errorf("handlers: store file: %w", err)
	}
	return stored{Path: blob.Path, SHA256: blob.SHA256, Size: blob.Size, Name: name}, nil
}

// trackReader remembers the download's own read error, so that a broken
// stream (ask the sender to resend) is told apart from a disk failure (an
// internal error).
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

func (d *receiver) allowedExt(ext string) bool {
	if ext == "" || ext == "txt" {
		return false
	}
	if len(d.allowed) == 0 {
		return slices.Contains(d.files.Types(), ext)
	}
	return d.allowed[ext]
}

// allowedList names the accepted types for a refusal.
func (d *receiver) allowedList() string {
	var out []string
	for _, e := range d.files.Types() {
		if d.allowedExt(e) {
			out = append(out, e)
		}
	}
	return strings.Join(out, "、")
}

func (d *receiver) badType(ext string) error {
	what := "没有扩展名的文件"
	if ext != "" {
		what = "“." + ext + "”类型的文件"
	}
	return userErr(ErrFileRefused, "暂不接收"+what+"。可接收的类型："+d.allowedList()+"。请转换格式后重新发送。")
}

func (d *receiver) tooLarge(size int64) error {
	limit := fmtSize(d.o.MaxFileBytes)
	if size > 0 {
		return userErr(ErrFileRefused, "文件过大（"+fmtSize(size)+"），超过"+limit+"的上限。请压缩或拆分后重新发送。")
	}
	return userErr(ErrFileRefused, "文件超过"+limit+"的上限，未能保存。请压缩或拆分后重新发送。")
}

func normExt(ext string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(ext), "."))
}
