package extract_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"dudaobot/config"
	"dudaobot/extract"
	"dudaobot/rules"
)

// BenchmarkCheck200PageDocx extracts and checks a 200-page .docx of about
// 150,000 characters (750 a page, a paragraph of 75 per line, a page break
// per page): the work a long report costs the bot (BENCHMARKS.md).
func BenchmarkCheck200PageDocx(b *testing.B) {
	para := "地方教育附加收入用于职业教育的比例不低于30%，县财政局2026年一般公共预算教育支出比上年增长，确保经费足额拨付到位。"
	var body strings.Builder
	body.WriteString(wordNS)
	chars := 0
	for page := range 200 {
		if page > 0 {
			body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		}
		for line := range 13 {
			if page == 0 && line == 0 {
				body.WriteString("<w:p><w:r><w:t>一、基本情况</w:t></w:r></w:p>")
			}
			fmt.Fprintf(&body, "<w:p><w:pPr><w:jc w:val=\"both\"/></w:pPr><w:r><w:rPr><w:sz w:val=\"32\"/></w:rPr><w:t>%s</w:t></w:r></w:p>", para)
			chars += len([]rune(para))
		}
	}
	body.WriteString("</w:body></w:document>")
	dir := b.TempDir()
	p := writeZip(b, dir, "long.docx", map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": body.String()})
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
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
	b.ResetTimer()
	for b.Loop() {
		r, err := e.Extract(context.Background(), p, "docx")
		if err != nil {
			b.Fatal(err)
		}
		if r.Pages != 200 {
			b.Fatalf("pages %d, want 200", r.Pages)
		}
		c := rules.CheckReport(r.Text, r.Pages, units[0], units, inds, 2027)
		if c.Chars < 140000 {
			b.Fatalf("chars %d", c.Chars)
		}
	}
	b.ReportMetric(float64(chars), "chars")
	b.ReportMetric(float64(st.Size()), "file-bytes")
}
