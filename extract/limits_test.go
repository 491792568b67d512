package extract_test

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/extract"
)

// writeZip writes a package of the given parts into dir/name.
func writeZip(t testing.TB, dir, name string, parts map[string]string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, body := range parts {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

const wordNS = `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`

func TestDocxText(t *testing.T) {
	p := writeZip(t, t.TempDir(), "a.docx", map[string]string{
		"[Content_Types].xml": "<Types/>",
		"word/document.xml": wordNS + `<w:p><w:r><w:t>一、基本情况</w:t></w:r></w:p>` +
			`<w:p><w:r><w:t xml:space="preserve">县财政局 </w:t><w:tab/><w:t>&lt;2026&gt;</w:t></w:r><w:r><w:br w:type="page"/><w:t>第二页</w:t></w:r></w:p></w:body></w:document>`,
	})
	r, err := extract.New(contentOptions(t, extract.Options{})).Extract(context.Background(), p, "docx")
	if err != nil {
		t.Fatal(err)
	}
	if want := "一、基本情况\n县财政局 \t<2026>\n第二页\n"; r.Text != want || r.Pages != 2 || r.Truncated {
		t.Errorf("got %q pages %d truncated %v, want %q pages 2", r.Text, r.Pages, r.Truncated, want)
	}
}

func TestXlsxText(t *testing.T) {
	p := writeZip(t, t.TempDir(), "a.xlsx", map[string]string{
		"[Content_Types].xml":      "<Types/>",
		"xl/sharedStrings.xml":     `<sst><si><t>指标</t></si><si><r><t>地方教育</t></r><r><t>附加</t></r></si></sst>`,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c t="inlineStr"><is><t>职业教育</t></is></c><c><v>30</v></c></row></sheetData></worksheet>`,
	})
	r, err := extract.New(contentOptions(t, extract.Options{})).Extract(context.Background(), p, "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if want := "指标\n地方教育附加\n职业教育\n"; r.Text != want || r.Pages != 1 {
		t.Errorf("got %q pages %d, want %q", r.Text, r.Pages, want)
	}
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	deep := wordNS + strings.Repeat("<w:p>", 100000) + "</w:body></w:document>"
	long := wordNS + strings.Repeat("<w:p><w:r><w:t>财政保障教育投入。</w:t></w:r></w:p>", 5000) + "</w:body></w:document>"
	e := extract.New(contentOptions(t, extract.Options{MaxText: 1000}))
	tests := []struct {
		name, path, ext string
		want            error
		reason          string
	}{
		{"deep XML", writeZip(t, dir, "deep.docx", map[string]string{"word/document.xml": deep}), "docx", extract.ErrLimit, "文件结构异常或内容过大"},
		{"zip bomb", "testdata/bomb.docx", "docx", extract.ErrLimit, "文件结构异常或内容过大"},
		{"no document part", writeZip(t, dir, "empty.docx", map[string]string{"[Content_Types].xml": "<Types/>"}), "docx", extract.ErrBroken, "文件无法读取"},
		{"not a zip", writeFile(t, dir, "x.docx", "just text"), "docx", extract.ErrBroken, "文件无法读取"},
		{"image", writeFile(t, dir, "x.png", "\x89PNG"), "png", extract.ErrUnsupported, "格式暂不支持"},
		{"long text is cut, not refused", writeZip(t, dir, "long.docx", map[string]string{"word/document.xml": long}), "docx", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.Extract(context.Background(), tt.path, tt.ext)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if err != nil {
				if got := extract.Reason(err); got != tt.reason {
					t.Errorf("reason %q, want %q", got, tt.reason)
				}
				return
			}
			if !r.Truncated || len(r.Text) > 1000 || !strings.HasPrefix(r.Text, "财政保障") {
				t.Errorf("truncated %v, %d bytes", r.Truncated, len(r.Text))
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConverterNeverEnds: a converter that never finishes (a PDF that
// never ends) is killed at the deadline, children included, and the result
// is 读取超时. The stand-in converter waits on a child that sleeps an hour.
func TestConverterNeverEnds(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "pdftotext", "#!/bin/sh\nsleep 3600 &\nwait\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	e := extract.New(extract.Options{PDFToText: script, Timeout: 200 * time.Millisecond})
	_, err := e.Extract(context.Background(), writeFile(t, dir, "a.pdf", "%PDF-1.4"), "pdf")
	if !errors.Is(err, context.DeadlineExceeded) || extract.Reason(err) != "读取超时" {
		t.Fatalf("err %v (%s), want a deadline", err, extract.Reason(err))
	}
}

// TestOfficeConverterNeverEnds: LibreOffice that never finishes is killed at
// OfficeTimeout (not the shorter Timeout of the other formats: that one is
// an hour here), children included, and the result is 读取超时. The
// stand-in soffice waits on a child that sleeps an hour.
func TestOfficeConverterNeverEnds(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "soffice", "#!/bin/sh\nsleep 3600 &\nwait\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	e := extract.New(extract.Options{Soffice: script, Timeout: time.Hour, OfficeTimeout: 200 * time.Millisecond})
	_, err := e.Extract(context.Background(), writeFile(t, dir, "a.doc", "\xd0\xcf\x11\xe0"), "doc")
	if !errors.Is(err, context.DeadlineExceeded) || extract.Reason(err) != "读取超时" {
		t.Fatalf("err %v (%s), want a deadline", err, extract.Reason(err))
	}
}

// TestConverterHasNoNetwork: the converter sees only a loopback interface.
func TestConverterHasNoNetwork(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "pdftotext", "#!/bin/sh\ncat /proc/net/dev\necho HOME=$HOME\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	e := extract.New(contentOptions(t, extract.Options{PDFToText: script}))
	r, err := e.Extract(context.Background(), writeFile(t, dir, "a.pdf", "%PDF-1.4"), "pdf")
	if err != nil {
		t.Fatal(err)
	}
	var ifaces []string
	for _, line := range strings.Split(r.Text, "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && !strings.Contains(name, "|") && !strings.HasPrefix(line, "HOME=") {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if len(ifaces) != 1 || ifaces[0] != "lo" {
		t.Errorf("converter sees interfaces %v, want only lo", ifaces)
	}
	if !strings.Contains(r.Text, "HOME="+filepath.Join(os.TempDir(), "extract-pdf-")) {
		t.Errorf("converter HOME not private: %q", r.Text)
	}
}
