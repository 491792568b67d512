package report

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// DefaultTemplate is the shipped template (built from template/ by go
// generate; TestTemplateMatchesSource keeps them equal). Its placeholders:
// {{年度}}, {{督导办}}, {{日期}} anywhere in a paragraph, and a paragraph
// holding only {{正文}}, replaced by the sections. Generated tables use
// the table style ReportTable when the template defines it.
//
//go:embed template.docx
var DefaultTemplate []byte

// ErrTemplate is wrapped by every refusal of a template.
var ErrTemplate = errors.New("report: bad template")

// BodyPlaceholder is the paragraph the sections replace.
const BodyPlaceholder = "{{正文}}"

// TableStyle is the style id of generated tables.
const TableStyle = "ReportTable"

const documentPart = "word/document.xml"

// LoadTemplate reads the template named by config `report.template`
// ("" = DefaultTemplate) and checks it is a .docx with the {{正文}}
// paragraph.
func LoadTemplate(path string) ([]byte, error) {
	if path == "" {
		return DefaultTemplate, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report.template %s: %w", path, err)
	}
	if err := CheckTemplate(b); err != nil {
		return nil, fmt.Errorf("report.template %s: %w", path, err)
	}
	return b, nil
}

// CheckTemplate checks a template without filling it.
func CheckTemplate(tmpl []byte) error {
	doc, _, err := readParts(tmpl)
	if err != nil {
		return err
	}
	if !strings.Contains(paragraphTexts(doc), BodyPlaceholder) {
		return fmt.Errorf("%w: word/document.xml has no paragraph %s", ErrTemplate, BodyPlaceholder)
	}
	return nil
}

func readParts(tmpl []byte) (doc, styles string, err error) {
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return "", "", fmt.Errorf("%w: not a .docx (zip): %w", ErrTemplate, err)
	}
	read := func(name string) (string, error) {
		f, err := zr.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		// A template is a few hundred KB; 32 MB bounds a hostile one.
		b, err := io.ReadAll(io.LimitReader(f, 32<<20))
		return string(b), err
	}
	if doc, err = read(documentPart); err != nil {
		return "", "", fmt.Errorf("%w: %s: %w", ErrTemplate, documentPart, err)
	}
	styles, _ = read("word/styles.xml") // optional part
	return doc, styles, nil
}

// Write fills the template with the input's sections and writes the .docx.
// Only word/document.xml changes; every other part is copied byte for byte
// (zip.Writer.Copy keeps the compressed data).
func Write(w io.Writer, tmpl []byte, in Input) error {
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return fmt.Errorf("%w: not a .docx (zip): %w", ErrTemplate, err)
	}
	doc, styles, err := readParts(tmpl)
	if err != nil {
		return err
	}
	loc := in.Calendar.Location
	if loc == nil {
		loc = time.UTC
	}
	body, err := renderBody(Sections(in), strings.Contains(styles, `w:styleId="`+TableStyle+`"`))
	if err != nil {
		return err
	}
	filled, err := fill(doc, map[string]string{
		"年度":  fmt.Sprint(in.Calendar.Year),
		"督导办": in.Office,
		"日期":  DateChinese(in.Now, loc),
	}, body)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range zr.File {
		if f.Name != documentPart {
			if err := zw.Copy(f); err != nil {
				return fmt.Errorf("report: copy %s: %w", f.Name, err)
			}
			continue
		}
		h := f.FileHeader
		h.Method = zip.Deflate
		h.CompressedSize64, h.UncompressedSize64, h.CRC32 = 0, 0, 0
		pw, err := zw.CreateHeader(&h)
		if err != nil {
			return fmt.Errorf("report: %s: %w", documentPart, err)
		}
		if _, err := io.WriteString(pw, filled); err != nil {
			return fmt.Errorf("report: %s: %w", documentPart, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("report: close: %w", err)
	}
	return nil
}

var (
	paraRe        = regexp.MustCompile(`(?s)<w:p(?:\s[^>]*)?>.*?</w:p>`)
	textRe        = regexp.MustCompile(`(?s)<w:t(?:\s[^>]*)?>(.*?)</w:t>`)
	pPrRe         = regexp.MustCompile(`(?s)<w:pPr>.*?</w:pPr>`)
	rPrRe         = regexp.MustCompile(`(?s)<w:rPr>.*?</w:rPr>`)
	openRe        = regexp.MustCompile(`^<w:p(?:\s[^>]*)?>`)
	placeholderRe = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// paragraphText is the visible text of one paragraph: Word splits text
// into runs as it likes (an edited template has {{年度}} in three runs), so
// placeholders are found in the joined text.
func paragraphText(p string) string {
	var b strings.Builder
	for _, m := range textRe.FindAllStringSubmatch(p, -1) {
		b.WriteString(html.UnescapeString(m[1]))
	}
	return b.String()
}

func paragraphTexts(doc string) string {
	var b strings.Builder
	for _, p := range paraRe.FindAllString(doc, -1) {
		b.WriteString(paragraphText(p))
		b.WriteByte('\n')
	}
	return b.String()
}

// fill replaces each paragraph that holds a placeholder: the {{正文}}
// paragraph by body, any other by one run with the placeholders filled,
// keeping the paragraph's properties and its first run's formatting.
func fill(doc string, values map[string]string, body string) (string, error) {
	var bad error
	found := false
	out := paraRe.ReplaceAllStringFunc(doc, func(p string) string {
		text := paragraphText(p)
		if !strings.Contains(text, "{{") {
			return p
		}
		if strings.TrimSpace(text) == BodyPlaceholder {
			found = true
			return body
		}
		filled := placeholderRe.ReplaceAllStringFunc(text, func(ph string) string {
			name := strings.TrimSpace(ph[2 : len(ph)-2])
			v, ok := values[name]
			if !ok && bad == nil {
				bad = fmt.Errorf("%w: unknown placeholder %s (known: {{年度}} {{督导办}} {{日期}} %s)", ErrTemplate, ph, BodyPlaceholder)
			}
			return v
		})
		pPr := pPrRe.FindString(p)
		rest := strings.Replace(p, pPr, "", 1)
		rPr := rPrRe.FindString(rest)
		return openRe.FindString(p) + pPr + "<w:r>" + rPr + `<w:t xml:space="preserve">` + xmlEscape(filled) + "</w:t></w:r></w:p>"
	})
	if bad != nil {
		return "", bad
	}
	if !found {
		return "", fmt.Errorf("%w: word/document.xml has no paragraph %s", ErrTemplate, BodyPlaceholder)
	}
	return out, nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\t', '\n', '\r':
			b.WriteRune(' ')
		default:
			if r < 0x20 || r == 0xFFFE || r == 0xFFFF {
				continue // not allowed in XML 1.0
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

var bodyTmpl = template.Must(template.New("body").Funcs(template.FuncMap{
	"x":   xmlEscape,
	"tbl": func(styled bool, b Block) tableData { return tableData{styled, b} },
}).Parse(`
{{- define "table" -}}
<w:tbl><w:tblPr>{{if .Styled}}<w:tblStyle w:val="` + TableStyle + `"/>{{end}}<w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>
{{- if not .Styled}}<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tblBorders>{{end -}}
<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr>
<w:tblGrid>{{range .B.Widths}}<w:gridCol w:w="{{.}}"/>{{end}}</w:tblGrid>
<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>{{range $i, $h := .B.Header}}<w:tc><w:tcPr><w:tcW w:w="{{index $.B.Widths $i}}" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr><w:r><w:t xml:space="preserve">{{x $h}}</w:t></w:r></w:p></w:tc>{{end}}</w:tr>
{{range .B.Rows}}<w:tr><w:trPr><w:cantSplit/></w:trPr>{{range .}}<w:tc><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr><w:r><w:t xml:space="preserve">{{x .}}</w:t></w:r></w:p></w:tc>{{end}}</w:tr>
{{end}}</w:tbl><w:p/>
{{- end -}}
{{- range .Sections}}
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">{{x .Title}}</w:t></w:r></w:p>
{{- range .Blocks}}{{if .IsTable}}
{{template "table" (tbl $.Styled .)}}{{else}}
<w:p><w:r><w:t xml:space="preserve">{{x .Text}}</w:t></w:r></w:p>{{end}}{{end}}{{end}}
`))

type tableData struct {
	Styled bool
	B      Block
}

// renderBody is the sections as WordprocessingML paragraphs and tables.
func renderBody(secs []Section, styled bool) (string, error) {
	var b strings.Builder
	if err := bodyTmpl.Execute(&b, struct {
		Sections []Section
		Styled   bool
	}{secs, styled}); err != nil {
		return "", fmt.Errorf("report: body: %w", err)
	}
	return b.String(), nil
}
