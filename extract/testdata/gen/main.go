// Command gen writes the extract fixtures: a .docx per report text in
// testdata/reports, a zip bomb named .docx, and (with LibreOffice) a PDF
// and a .doc converted from them. Run from the extract directory:
//
//	go run ./testdata/gen
package main

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	reports, err := filepath.Glob("testdata/reports/*.txt")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range reports {
		text, err := os.ReadFile(r)
		if err != nil {
			log.Fatal(err)
		}
		out := strings.TrimSuffix(filepath.Base(r), ".txt") + ".docx"
		if err := os.WriteFile(filepath.Join("testdata", out), Docx(string(text)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.WriteFile("testdata/bomb.docx", bomb(), 0o644); err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "gen-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, c := range []struct{ in, to string }{{"complete.docx", "pdf"}, {"other-unit.docx", "doc:MS Word 97"}} {
		cmd := exec.Command("soffice", "--headless", "--norestore", "-env:UserInstallation=file://"+tmp+"/p",
			"--convert-to", c.to, "--outdir", "testdata", filepath.Join("testdata", c.in))
		cmd.Env = append(os.Environ(), "HOME="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("soffice %s: %v: %s", c.in, err, out)
		}
	}
}

// Docx is a minimal Word document, a paragraph per line.
func Docx(text string) []byte {
	var body bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		body.WriteString(`<w:p><w:r><w:t xml:space="preserve">`)
		xml.EscapeText(&body, []byte(line))
		body.WriteString(`</w:t></w:r></w:p>`)
	}
	pages := len([]rune(text))/600 + 1
	return pkg(map[string]string{
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			body.String() + `</w:body></w:document>`,
		"docProps/app.xml": fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Pages>%d</Pages></Properties>`, pages),
	})
}

func pkg(parts map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>`},
		{"word/document.xml", parts["word/document.xml"]},
		{"docProps/app.xml", parts["docProps/app.xml"]},
	}
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			log.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is a .docx whose document.xml inflates to 256 MB of whitespace from a
// file of about 256 KB.
func bomb() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("[Content_Types].xml")
	if err != nil {
		log.Fatal(err)
	}
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	w, err = zw.Create("word/document.xml")
	if err != nil {
		log.Fatal(err)
	}
	w.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range 256 {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}
