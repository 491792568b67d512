// Package extract reads the text out of a submitted document, bounded in
// time (a context deadline), in extracted text (a byte cap) and in what it
// decompresses. .docx and .xlsx are read natively by streaming their XML;
// PDF goes through poppler's pdftotext and .doc/.wps/.et/.ofd through
// LibreOffice when those are installed. Any failure is an error: the caller
// reports 「内容未自动检查」 and never refuses the file for it.
package extract

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Errors, for errors.Is.
var (
	// ErrUnsupported: no extractor for this type on this machine.
	ErrUnsupported = errors.New("extract: unsupported format")
	// ErrLimit: the file decompresses to more, or nests deeper, than any
	// real report (a zip bomb, deep XML).
	ErrLimit = errors.New("extract: file exceeds extraction limits")
	// ErrBroken: the file could not be read as its type.
	ErrBroken = errors.New("extract: unreadable file")
)

// Defaults of Options.
const (
	DefaultMaxText       = 2 << 20
	DefaultTimeout       = 20 * time.Second
	DefaultOfficeTimeout = 60 * time.Second
	// maxXMLBytes bounds the decompressed XML read from one package: a
	// 200-page report's document.xml is about 10 MB.
	maxXMLBytes = 32 << 20
	// maxXMLDepth bounds element nesting; Word nests tables a few levels.
	maxXMLDepth = 256
)

// Options configures an Extractor. Zero values take the defaults.
type Options struct {
	MaxText int           // cap on extracted text, bytes (default 2 MB); longer text is cut, not an error
	Timeout time.Duration // per-file deadline (default 20 s)
	// OfficeTimeout is LibreOffice's deadline (default 60 s): it starts a
	// whole office suite, and its first run builds a profile.
	OfficeTimeout time.Duration
	// PDFToText and Soffice are the converter commands; "" looks them up
	// on PATH, "-" disables the converter.
	PDFToText string
	Soffice   string
}

// Result is a document's text.
type Result struct {
	Text      string
	Pages     int  // 0 when the format does not say
	Truncated bool // the text was cut at MaxText
}

// Extractor extracts text. It is safe for concurrent use.
type Extractor struct {
	maxText       int
	timeout       time.Duration
	officeTimeout time.Duration
	// officeSlot admits one LibreOffice run at a time: runs share a profile
	// (building one costs most of a conversion) and LibreOffice locks it.
	officeSlot chan struct{}
	profile    string // LibreOffice profile dir; guarded by officeSlot
	pdftotext  string
	soffice    string
	isolate    []string // command prefix that cuts the converter off the network; nil if none works
}

// New looks up the converters and how to isolate them.
func New(o Options) *Extractor {
	e := &Extractor{maxText: o.MaxText, timeout: o.Timeout, officeTimeout: o.OfficeTimeout, officeSlot: make(chan struct{}, 1)}
	if e.officeTimeout <= 0 {
		e.officeTimeout = DefaultOfficeTimeout
	}
	if e.maxText <= 0 {
		e.maxText = DefaultMaxText
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	e.pdftotext = lookup(o.PDFToText, "pdftotext")
	e.soffice = lookup(o.Soffice, "soffice")
	if e.pdftotext != "" || e.soffice != "" {
		e.isolate = networkIsolation()
	}
	return e
}

func lookup(given, name string) string {
	if given == "-" {
		return ""
	}
	if given == "" {
		given = name
	}
	p, err := exec.LookPath(given)
	if err != nil {
		return ""
	}
	return p
}

// networkIsolation returns the prefix that runs a command in a new network
// namespace with only loopback: as an unprivileged user (unshare -rn) or as
// root (unshare -n). nil when neither works here (the converters then run
// with the machine's network: see Available).
func networkIsolation() []string {
	for _, args := range [][]string{{"unshare", "-n", "--"}, {"unshare", "-rn", "--"}} {
		p, err := exec.LookPath(args[0])
		if err != nil {
			return nil
		}
		cmd := exec.Command(p, append(args[1:], "true")...)
		if cmd.Run() == nil {
			return append([]string{p}, args[1:]...)
		}
	}
	return nil
}

// Available names each format family and how it is read, for `check`.
func (e *Extractor) Available() []string {
	net := "无网络隔离（unshare 不可用）"
	if e.isolate != nil {
		net = "无网络（unshare）"
	}
	out := []string{"docx/xlsx：内置"}
	if e.pdftotext != "" {
		out = append(out, "pdf：pdftotext "+e.pdftotext+"，"+net)
	} else {
		out = append(out, "pdf：不可用（请安装 poppler-utils）")
	}
	if e.soffice != "" {
		out = append(out, "doc/wps/et/ofd：LibreOffice "+e.soffice+"，"+net)
	} else {
		out = append(out, "doc/wps/et/ofd：不可用（请安装 libreoffice-writer-nogui）")
	}
	return out
}

// Supports reports whether ext can be extracted on this machine.
func (e *Extractor) Supports(ext string) bool {
	switch ext {
	case "docx", "xlsx", "txt":
		return true
	case "pdf":
		return e.pdftotext != ""
	case "doc", "wps", "et", "ofd", "xls":
		return e.soffice != ""
	}
	return false
}

// Extract reads the text of the file at path, of type ext (lower case, no
// dot), within the deadline.
func (e *Extractor) Extract(ctx context.Context, path, ext string) (Result, error) {
	if !e.Supports(ext) {
		return Result{}, fmt.Errorf("%w: .%s", ErrUnsupported, ext)
	}
	timeout := e.timeout
	if ext != "docx" && ext != "xlsx" && ext != "txt" && ext != "pdf" {
		timeout = e.officeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		r   Result
		err error
	)
	switch ext {
	case "docx":
		r, err = e.docx(ctx, path)
	case "xlsx":
		r, err = e.xlsx(ctx, path)
	case "txt":
		r, err = e.readText(path)
	case "pdf":
		r, err = e.pdf(ctx, path)
	default:
		r, err = e.office(ctx, path, ext)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrLimit) {
			return Result{}, fmt.Errorf("extract: .%s: %w (%w)", ext, ctx.Err(), err)
		}
		return Result{}, fmt.Errorf("extract: .%s: %w", ext, err)
	}
	return r, nil
}

// Reason says in a few Chinese words why a file's text was not read, for
// 「内容未自动检查（…）」.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrUnsupported):
		return "格式暂不支持"
	case errors.Is(err, ErrLimit):
		return "文件结构异常或内容过大"
	case errors.Is(err, context.DeadlineExceeded):
		return "读取超时"
	default:
		return "文件无法读取"
	}
}
