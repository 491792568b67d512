package extract

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"dudaobot/docstore"
)

// textBuf collects text up to a cap; past it the rest is dropped.
type textBuf struct {
	b    strings.Builder
	max  int
	full bool
}

func (t *textBuf) add(s string) {
	if t.full {
		return
	}
	if t.b.Len()+len(s) > t.max {
		s = s[:t.max-t.b.Len()]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		t.full = true
	}
	t.b.WriteString(s)
}

// openPackage opens an OOXML package after the same directory limits
// docstore enforces on upload.
func openPackage(p string) (*zip.Reader, *os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("stat: %w", err)
	}
	if err := docstore.CheckArchive(f, st.Size()); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrLimit, err)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return zr, f, nil
}

// xmlPart streams one part's tokens to fn, reading at most *budget
// decompressed bytes (shared by every part of the package) and at most
// maxXMLDepth levels, and stopping on ctx.
type xmlPart struct {
	ctx    context.Context
	budget *int64
}

// limitedReader counts decompressed bytes against the package budget.
type limitedReader struct {
	r      io.Reader
	budget *int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if *l.budget <= 0 {
		return 0, fmt.Errorf("%w: more than %d MB of XML", ErrLimit, maxXMLBytes>>20)
	}
	if int64(len(p)) > *l.budget {
		p = p[:*l.budget]
	}
	n, err := l.r.Read(p)
	*l.budget -= int64(n)
	return n, err
}

func (x xmlPart) walk(f *zip.File, fn func(tok xml.Token, stack []string) bool) error {
	// archive/zip holds an entry to its declared size, so a declared size
	// over the budget is refused before inflating anything.
	if f.UncompressedSize64 > uint64(*x.budget) {
		return fmt.Errorf("%w: %s inflates to %d MB", ErrLimit, f.Name, f.UncompressedSize64>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBroken, f.Name, err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(&limitedReader{r: rc, budget: x.budget})
	dec.Strict = false
	var stack []string
	for n := 0; ; n++ {
		if n%4096 == 0 && x.ctx.Err() != nil {
			return x.ctx.Err()
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return err
			}
			return fmt.Errorf("%w: %s: %w", ErrBroken, f.Name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return fmt.Errorf("%w: XML nested deeper than %d", ErrLimit, maxXMLDepth)
			}
			stack = append(stack, t.Name.Local)
			if !fn(t, stack) {
				return nil
			}
		case xml.EndElement:
			if !fn(t, stack) {
				return nil
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if !fn(t, stack) {
				return nil
			}
		}
	}
}

// walkText walks part adding to tb the text of its <t> elements (a Word
// run's text, a spreadsheet string's) and a line break at the end of each
// element named in lineEnds; onStart, if not nil, sees every start element.
// It stops once tb is full.
func (x xmlPart) walkText(part *zip.File, tb *textBuf, lineEnds []string, onStart func(xml.StartElement)) error {
	return x.walk(part, func(tok xml.Token, stack []string) bool {
		switch t := tok.(type) {
		case xml.StartElement:
			if onStart != nil {
				onStart(t)
			}
		case xml.EndElement:
			if slices.Contains(lineEnds, t.Name.Local) {
				tb.add("\n")
			}
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "t" {
				tb.add(string(t))
			}
		}
		return !tb.full
	})
}

func findFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// docx reads word/document.xml: the text of w:t runs, a line per
// paragraph; pages from docProps/app.xml or, failing that, from the page
// breaks Word recorded.
func (e *Extractor) docx(ctx context.Context, p string) (Result, error) {
	zr, f, err := openPackage(p)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	doc := findFile(zr, "word/document.xml")
	if doc == nil {
		return Result{}, fmt.Errorf("%w: no word/document.xml", ErrBroken)
	}
	budget := int64(maxXMLBytes)
	x := xmlPart{ctx: ctx, budget: &budget}
	tb := &textBuf{max: e.maxText}
	breaks := 0
	err = x.walkText(doc, tb, []string{"p"}, func(t xml.StartElement) {
		switch t.Name.Local {
		case "tab":
			tb.add("\t")
		case "br", "cr":
			if attr(t, "type") == "page" {
				breaks++
			}
			tb.add("\n")
		case "lastRenderedPageBreak":
			breaks++
		}
	})
	if err != nil {
		return Result{}, err
	}
	pages := 0
	if app := findFile(zr, "docProps/app.xml"); app != nil {
		_ = x.walk(app, func(tok xml.Token, stack []string) bool {
			if t, ok := tok.(xml.CharData); ok && len(stack) > 0 && stack[len(stack)-1] == "Pages" {
				pages, _ = strconv.Atoi(strings.TrimSpace(string(t)))
				return false
			}
			return true
		})
	}
	if pages <= 0 && tb.b.Len() > 0 {
		pages = breaks + 1
	}
	return Result{Text: tb.b.String(), Pages: pages, Truncated: tb.full}, nil
}

// xlsx reads the shared strings and every worksheet's inline strings, a
// line per string item or cell.
func (e *Extractor) xlsx(ctx context.Context, p string) (Result, error) {
	zr, f, err := openPackage(p)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	budget := int64(maxXMLBytes)
	x := xmlPart{ctx: ctx, budget: &budget}
	tb := &textBuf{max: e.maxText}
	parts := []*zip.File{}
	sheets := 0
	for _, zf := range zr.File {
		dir, base := path.Split(zf.Name)
		switch {
		case zf.Name == "xl/sharedStrings.xml":
			parts = append(parts, zf)
		case dir == "xl/worksheets/" && strings.HasSuffix(base, ".xml"):
			parts = append(parts, zf)
			sheets++
		}
	}
	slices.SortFunc(parts, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	if len(parts) == 0 {
		return Result{}, fmt.Errorf("%w: no workbook parts", ErrBroken)
	}
	for _, part := range parts {
		if err := x.walkText(part, tb, []string{"si", "is"}, nil); err != nil {
			return Result{}, err
		}
		if tb.full {
			break
		}
	}
	return Result{Text: tb.b.String(), Pages: sheets, Truncated: tb.full}, nil
}

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
