package docstore

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// allowed are the accepted extensions. Text plans sent in chat are stored
// as "txt".
var allowed = map[string]bool{
	"docx": true, "xlsx": true, "pdf": true, "doc": true, "xls": true, "wps": true, "et": true,
	"ofd": true, "zip": true, "rar": true, "jpg": true, "jpeg": true, "png": true, "txt": true,
}

// AllowedExts lists the accepted extensions, for the reply that names them.
func AllowedExts() []string {
	return []string{"docx", "doc", "wps", "pdf", "ofd", "xlsx", "xls", "et", "zip", "rar", "jpg", "jpeg", "png", "txt"}
}

var (
	magicPDF  = []byte("%PDF-")
	magicOLE  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicZip  = []byte("PK\x03\x04")
	magicZipE = []byte("PK\x05\x06") // empty archive
	magicRar  = []byte("Rar!\x1a\x07")
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
)

// checkContent validates the n bytes written to f against ext. The sender's
// extension is a claim: WeChat's media endpoint can hand back an HTML error
// page with status 200, and a .docx is only a .docx if the zip holds an
// OOXML package.
func checkContent(f *os.File, n int64, ext string) error {
	head := make([]byte, min(n, 512))
	if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
		return fmt.Errorf("docstore: put: read back: %w", err)
	}
	if looksHTML(head) {
		return fmt.Errorf("%w: an HTML page, not a %s", ErrBadContent, ext)
	}
	bad := func(what string) error { return fmt.Errorf("%w: not a %s file (%s)", ErrBadContent, ext, what) }
	switch ext {
	case "pdf":
		if !bytes.HasPrefix(head, magicPDF) {
			return bad("no %PDF- header")
		}
	case "doc", "xls", "wps", "et":
		if !bytes.HasPrefix(head, magicOLE) {
			return bad("no OLE header")
		}
	case "docx", "xlsx":
		if err := checkZipDirectory(f, n); err != nil {
			return err
		}
		if !zipHas(f, n, "[Content_Types].xml") {
			return bad("not an Office Open XML package")
		}
	case "ofd":
		if err := checkZipDirectory(f, n); err != nil {
			return err
		}
		if !zipHas(f, n, "OFD.xml") {
			return bad("not an OFD package")
		}
	case "zip":
		if !bytes.HasPrefix(head, magicZip) && !bytes.HasPrefix(head, magicZipE) {
			return bad("no zip header")
		}
	case "rar":
		if !bytes.HasPrefix(head, magicRar) {
			return bad("no rar header")
		}
	case "jpg", "jpeg":
		if !bytes.HasPrefix(head, magicJPEG) {
			return bad("no JPEG header")
		}
	case "png":
		if !bytes.HasPrefix(head, magicPNG) {
			return bad("no PNG header")
		}
	case "txt":
		ok, err := validUTF8(io.NewSectionReader(f, 0, n))
		if err != nil {
			return fmt.Errorf("docstore: put: read back: %w", err)
		}
		if !ok {
			return bad("not UTF-8 text")
		}
	default:
		return fmt.Errorf("%w: %q", ErrBadType, ext)
	}
	return nil
}

// looksHTML reports whether the content starts like an HTML document.
func looksHTML(head []byte) bool {
	h := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	h = bytes.TrimLeft(h, " \t\r\n\f")
	h = bytes.ToLower(h[:min(len(h), 16)])
	return bytes.HasPrefix(h, []byte("<html")) || bytes.HasPrefix(h, []byte("<!doctype"))
}

// zipHas reports whether f is a zip archive with an entry named name at its
// top level (OOXML's [Content_Types].xml, OFD's OFD.xml).
func zipHas(f *os.File, n int64, name string) bool {
	zr, err := zip.NewReader(f, n)
	if err != nil {
		return false
	}
	for _, e := range zr.File {
		if e.Name == name {
			return true
		}
	}
	return false
}

// validUTF8 streams r and reports whether it is valid UTF-8.
func validUTF8(r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		c, size, err := br.ReadRune()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if c == utf8.RuneError && size == 1 {
			return false, nil
		}
	}
}

// maxNameBytes bounds a sanitised name: long enough for any real document
// title, short enough for a chat line and a database column.
const maxNameBytes = 120

// maxExtBytes is the longest suffix treated as an extension when a name
// is shortened; anything longer is just part of the name.
const maxExtBytes = 10

// unnamed replaces a name that sanitises to nothing.
const unnamed = "未命名"

// SanitizeName turns a sender's file name into a name that is safe to store
// and show: only the last path element is kept (both / and \ separate),
// invalid UTF-8, control characters and invisible format characters (bidi
// overrides such as U+202E, which make "exe.docx" display as "xcod.exe",
// zero-width characters, the BOM) are removed, leading dots and surrounding
// spaces are trimmed, and the result is at most 120 bytes with the extension
// kept. An empty result becomes 未命名. The name is metadata only: it never
// becomes a file path. SanitizeName is idempotent.
func SanitizeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		i += size
		if (r == utf8.RuneError && size == 1) || dropRune(r) {
			continue
		}
		b.WriteRune(mapSpace(r))
	}
	s := b.String()
	s = strings.ReplaceAll(s, `\`, "/")
	// The last non-empty path element: "dir/name.docx" → "name.docx";
	// "name.docx/" → "name.docx".
	s = strings.TrimRight(s, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	s = trimName(s)
	if len(s) > maxNameBytes {
		stem, ext := s, ""
		if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i-1 <= maxExtBytes && len(s)-i-1 > 0 {
			stem, ext = s[:i], s[i:]
		}
		stem = truncateUTF8(stem, maxNameBytes-len(ext))
		stem = trimName(stem)
		if stem == "" {
			s = trimName(truncateUTF8(s, maxNameBytes))
		} else {
			s = stem + ext
		}
	}
	if s == "" {
		return unnamed
	}
	return s
}

// trimName removes what may not begin or end a name: spaces, and dots
// (a leading dot hides a file, "." and ".." are path elements, Windows
// drops trailing dots).
func trimName(s string) string {
	s = strings.TrimLeft(s, " .")
	return strings.TrimRight(s, " .")
}

// dropRune reports whether r is removed from names: controls (C0, DEL,
// C1), format characters (Cf: the bidi controls U+202A–202E, U+2066–2069,
// U+200E/F and U+061C, zero-width characters, the BOM, soft hyphen) and the
// line/paragraph separators. They are invisible, so they only ever serve to
// make a name look like something it is not.
func dropRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029
}

// mapSpace turns exotic spaces (NBSP, the ideographic space common in
// Chinese titles, …) into a plain space, so trimming sees them.
func mapSpace(r rune) rune {
	if r != ' ' && unicode.IsSpace(r) {
		return ' '
	}
	return r
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ExtOf returns the lower-case extension of name, without the dot, after
// sanitising ("" if it has none).
func ExtOf(name string) string {
	s := SanitizeName(name)
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return ""
	}
	return strings.ToLower(s[i+1:])
}
