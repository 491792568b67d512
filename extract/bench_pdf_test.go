package extract_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"dudaobot/config"
	"dudaobot/extract"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
)

// A complete .docx package (content types and relationships), so
// LibreOffice opens it as Word and converts it to PDF.
const (
	benchContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	benchRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
)

// benchPages is the length of the side-by-side document.
const benchPages = 200

// longReport is a 200-page report: the five part headings on the first
// page, then 12 paragraphs a page at 12 pt (one page each in LibreOffice's
// A4 layout), a page break between pages.
func longReport() (body string, chars int) {
	para := "地方教育附加收入用于职业教育的比例不低于30%，县财政局2026年一般公共预算教育支出比上年增长，确保经费足额拨付到位。"
	heads := []string{"一、基本情况", "二、经验做法", "三、工作成效", "四、存在的问题", "五、改进措施"}
	var b strings.Builder
	b.WriteString(wordNS)
	for page := range benchPages {
		if page > 0 {
			b.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		}
		for line := range 12 {
			if page < len(heads) && line == 0 {
				fmt.Fprintf(&b, "<w:p><w:r><w:t>%s</w:t></w:r></w:p>", heads[page])
			}
			fmt.Fprintf(&b, "<w:p><w:pPr><w:jc w:val=\"both\"/></w:pPr><w:r><w:rPr><w:sz w:val=\"24\"/></w:rPr><w:t>%s</w:t></w:r></w:p>", para)
			chars += len([]rune(para))
		}
	}
	b.WriteString("</w:body></w:document>")
	return b.String(), chars
}

// BenchmarkCheck200PagePDFSideBySide checks the same 200-page report as
// .docx (read natively) and as PDF (LibreOffice converts it once, before
// the timing; pdftotext reads it every round), in one run. Both tools are
// required: a machine without them fails here, naming the missing one.
func BenchmarkCheck200PagePDFSideBySide(b *testing.B) {
	for _, tool := range []string{"soffice", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is not installed (scripts/test installs libreoffice-writer-nogui and poppler-utils): %v", tool, err)
		}
	}
	soffice, _ := exec.LookPath("soffice")
	dir := b.TempDir()
	body, chars := longReport()
	docx := writeZip(b, dir, "long.docx", map[string]string{
		"[Content_Types].xml": benchContentTypes, "_rels/.rels": benchRels, "word/document.xml": body,
	})
	pdf := testutil.ConvertPDF(b, soffice, dir, docx)

	cfg, err := config.Load("../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	inds, err := cfg.Indicators()
	if err != nil {
		b.Fatal(err)
	}
	units := cfg.Units()
	e := extract.New(extract.Options{})
	check := func(b *testing.B, path, ext string) {
		r, err := e.Extract(context.Background(), path, ext)
		if err != nil {
			b.Fatal(err)
		}
		if r.Truncated {
			b.Fatalf("%s: text cut at the cap", ext)
		}
		if r.Pages != benchPages {
			b.Fatalf("%s: %d pages, want %d", ext, r.Pages, benchPages)
		}
		c := rules.CheckReport(r.Text, r.Pages, units[0], units, inds, 2027)
		if c.Chars < chars || len(c.MissingParts) != 0 {
			b.Fatalf("%s: %d characters (want ≥ %d), missing %v", ext, c.Chars, chars, c.MissingParts)
		}
	}
	for _, tc := range []struct{ name, path, ext string }{{"docx", docx, "docx"}, {"pdf", pdf, "pdf"}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				check(b, tc.path, tc.ext)
			}
			b.ReportMetric(float64(chars), "chars")
		})
	}
}
