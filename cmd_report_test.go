package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/config"
)

// TestReportCommand: `dudaobot report -o 报告.docx` writes the year's
// draft with every unit of the roster; without -o it says what is missing;
// an office template with an unknown placeholder is refused naming
// report.template; check names the board's font.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	p := tempConfig(t, dir)
	out := filepath.Join(dir, "报告.docx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", "-config", p, "-year", "2027", "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("report exit=%d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "已生成 2027 年度督导评估报告草稿："+out) {
		t.Errorf("stdout %q", stdout.String())
	}
	doc := docxPart(t, out, "word/document.xml")
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.Units() {
		if !strings.Contains(doc, u.Name) {
			t.Errorf("report lacks %s", u.Name)
		}
	}
	for _, want := range []string{"2027年度履行教育职责督导评估报告", "一、基本情况", "本年度尚未录入评分。", "八、下一步工作"} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	stderr.Reset()
	if code := run([]string{"report", "-config", p}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "请用 -o 指定输出文件") {
		t.Errorf("report without -o: exit=%d stderr=%q", code, stderr.String())
	}

	// An office template: the shipped one with an unknown placeholder.
	bad := filepath.Join(dir, "office.docx")
	writeDocxReplacing(t, out, bad, "2027年度履行教育职责督导评估报告", "{{县名}}")
	withTmpl := filepath.Join(dir, "config-tmpl.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`template: ""`), []byte(`template: "`+bad+`"`), 1)
	if err := os.WriteFile(withTmpl, data, 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"report", "-config", withTmpl, "-o", filepath.Join(dir, "x.docx")}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "report.template") {
		t.Errorf("template with an unknown placeholder: exit=%d stderr=%q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "x.docx")); !os.IsNotExist(err) {
		t.Errorf("a refused report left a file: %v", err)
	}

	stdout.Reset()
	if code := run([]string{"check", "-config", p}, &stdout, &stderr); code != 0 {
		t.Fatalf("check exit=%d: %s", code, stderr.String())
	}
	// The test machine has fonts-noto-cjk (scripts/test).
	if !strings.Contains(stdout.String(), "总览图片字体：/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc") ||
		!strings.Contains(stdout.String(), "年度报告模板：内置模板") {
		t.Errorf("check output lacks the board font and report template lines:\n%s", stdout.String())
	}
}

func docxPart(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s is not a .docx: %v", path, err)
	}
	defer zr.Close()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeDocxReplacing copies a .docx, replacing old by new in its
// document.xml (the rest unchanged).
func writeDocxReplacing(t *testing.T, src, dst, old, new string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "word/document.xml" {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%q not in document.xml", old)
			}
			b = bytes.Replace(b, []byte(old), []byte(new+"{{正文}}"), 1)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
