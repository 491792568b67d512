package docstore_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"dudaobot/docstore"
)

var ctx = context.Background()

// mustOpen opens a store in a fresh directory "files" inside t.TempDir(),
// so tests can check that nothing appears beside it.
func mustOpen(t *testing.T) (*docstore.Store, string) {
	t.Helper()
	parent := t.TempDir()
	s, err := docstore.Open(filepath.Join(parent, "files"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, parent
}

// zipWith builds a zip archive holding the named entries.
func zipWith(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, "<x/>")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// minimalDocx is a real (if empty) Office Open XML word package.
func minimalDocx(t testing.TB) []byte {
	return zipWith(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml")
}

var (
	pdf  = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	ole  = append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	rar  = []byte("Rar!\x1a\x07\x01\x00")
	html = []byte("  <!DOCTYPE html><html><body>404 Not Found</body></html>")
)

var blobPath = regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{64})\.([a-z]+)$`)

// checkBlob asserts the blob's path is server-generated from its content
// and that the file under the root holds exactly that content.
func checkBlob(t *testing.T, s *docstore.Store, b docstore.Blob, content []byte, ext string) {
	t.Helper()
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	m := blobPath.FindStringSubmatch(b.Path)
	if m == nil || m[1] != hexSum[:2] || m[2] != hexSum || m[3] != ext || b.SHA256 != hexSum || b.Size != int64(len(content)) {
		t.Fatalf("blob %+v, want %s/%s.%s size %d", b, hexSum[:2], hexSum, ext, len(content))
	}
	abs, err := s.Abs(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Dir(), hexSum[:2], hexSum+"."+ext); abs != want {
		t.Fatalf("Abs = %s, want %s", abs, want)
	}
	f, err := s.Open(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if !bytes.Equal(got, content) {
		t.Fatalf("stored content differs")
	}
}

// assertOnlyBlobs walks the parent of the store: the store directory is
// its only entry, and it holds only <xx>/<sha>.<ext> files — no temp file,
// nothing a name chose.
func assertOnlyBlobs(t *testing.T, parent string) {
	t.Helper()
	root := filepath.Join(parent, "files")
	err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case p == parent || p == root:
		case strings.HasPrefix(rel, ".."):
			t.Errorf("file outside the store: %s", p)
		case d.IsDir():
			if len(rel) != 2 {
				t.Errorf("unexpected directory %s", rel)
			}
		case !blobPath.MatchString(filepath.ToSlash(rel)):
			t.Errorf("unexpected file %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHostileNames(t *testing.T) {
	s, parent := mustOpen(t)
	long := strings.Repeat("督导评估自查报告", 13) + ".docx" // 312 + 5 bytes
	names := []string{
		"../../etc/passwd",
		`..\..\x`,
		"/abs",
		`C:\x`,
		"a/../../b",
		"%2e%2e%2fpasswd.txt",
		"nul\x00byte.pdf",
		"new\nline.pdf",
		"evil\u202Excod.exe",
		"doc\u202Eexe.docx",
		"CON.docx",
		long,
		"dir/",
		"name.docx/",
		"../",
		"",
		"\u2066\u200F",
		".hidden.txt",
		"自查报告（2027）.docx",
	}
	for _, name := range names {
		clean := docstore.SanitizeName(name)
		checkName(t, clean)
		ext := docstore.ExtOf(name)
		var content []byte
		switch ext {
		case "docx":
			content = minimalDocx(t)
		case "pdf":
			content = append(append([]byte{}, pdf...), name...)
		default:
			ext = "txt"
			content = []byte("整改方案：" + clean)
		}
		b, err := s.PutBytes(ctx, content, docstore.PutOptions{Ext: ext, MaxSize: 1 << 20})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		checkBlob(t, s, b, content, ext)
	}
	if got := docstore.SanitizeName(long); len(got) > 120 || !strings.HasSuffix(got, ".docx") || !utf8.ValidString(got) {
		t.Errorf("long name → %q (%d bytes)", got, len(got))
	}
	for name, want := range map[string]string{
		"../../etc/passwd":   "passwd",
		`C:\x`:               "x",
		"evil\u202Excod.exe": "evilxcod.exe",
		"name.docx/":         "name.docx",
		"":                   "未命名",
		"../":                "未命名",
		".hidden.txt":        "hidden.txt",
		"自查报告（2027）.docx":    "自查报告（2027）.docx",
	} {
		if got := docstore.SanitizeName(name); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"报告.DOCX": "docx", "a.tar.gz": "gz", "noext": "", "x.": "", ".pdf": ""} {
		if got := docstore.ExtOf(name); got != want {
			t.Errorf("ExtOf(%q) = %q, want %q", name, got, want)
		}
	}
	assertOnlyBlobs(t, parent)
}

// checkName asserts the properties every sanitised name has.
func checkName(t testing.TB, s string) {
	t.Helper()
	if !utf8.ValidString(s) || len(s) > 120 || s == "" {
		t.Fatalf("bad name %q (%d bytes)", s, len(s))
	}
	for _, r := range s {
		switch {
		case r == '/' || r == '\\':
			t.Fatalf("separator in %q", s)
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
			t.Fatalf("control %U in %q", r, s)
		case (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F:
			t.Fatalf("bidi %U in %q", r, s)
		}
	}
	if s == "." || s == ".." || strings.HasPrefix(s, ".") {
		t.Fatalf("dot name %q", s)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, seed := range []string{
		"", "a.docx", "../../etc/passwd", `..\..\x`, "/abs", `C:\x`, "nul\x00", "\n", "\u202Eexe.docx",
		"CON.docx", strings.Repeat("报告", 60) + ".docx", "dir/", "../", "\xff\xfe.pdf", " . .docx. ",
		strings.Repeat("a", 119) + "\u00e9", strings.Repeat(" ", 130) + "x.pdf", "a.verylongextension",
		"\u3000自查\u3000.docx", "x" + strings.Repeat(".", 200) + "pdf",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := docstore.SanitizeName(name)
		checkName(t, got)
		if again := docstore.SanitizeName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", name, got, again)
		}
		if ext := docstore.ExtOf(name); ext != strings.ToLower(ext) || strings.ContainsAny(ext, "./\\") {
			t.Fatalf("ExtOf(%q) = %q", name, ext)
		}
	})
}

func TestMagicBytes(t *testing.T) {
	s, parent := mustOpen(t)
	for _, c := range []struct {
		name    string
		ext     string
		content []byte
		want    error
	}{
		{"real docx", "docx", minimalDocx(t), nil},
		{"real xlsx", "xlsx", zipWith(t, "[Content_Types].xml", "xl/workbook.xml"), nil},
		{"fake docx: plain zip", "docx", zipWith(t, "readme.txt"), docstore.ErrBadContent},
		{"docx that is a pdf", "docx", pdf, docstore.ErrBadContent},
		{"pdf", "pdf", pdf, nil},
		{"HTML page named .pdf", "pdf", html, docstore.ErrBadContent},
		{"HTML page named .txt", "txt", []byte("\ufeff<html><body>error</body></html>"), docstore.ErrBadContent},
		{"doc", "doc", ole, nil},
		{"wps", "wps", ole, nil},
		{"xls that is text", "xls", []byte("hello"), docstore.ErrBadContent},
		{"ofd", "ofd", zipWith(t, "OFD.xml", "Doc_0/Document.xml"), nil},
		{"ofd without OFD.xml", "ofd", zipWith(t, "Doc_0/Document.xml"), docstore.ErrBadContent},
		{"zip", "zip", zipWith(t, "a.txt"), nil},
		{"rar", "rar", rar, nil},
		{"png", "png", png, nil},
		{"jpg", "jpg", jpeg, nil},
		{"jpeg that is png", "jpeg", png, docstore.ErrBadContent},
		{"utf-8 text", "txt", []byte("整改方案：一、加强组织领导。"), nil},
		{"gbk text", "txt", []byte{0xD5, 0xFB, 0xB8, 0xC4}, docstore.ErrBadContent},
		{"empty pdf", "pdf", nil, docstore.ErrBadContent},
		{"exe", "exe", []byte("MZ"), docstore.ErrBadType},
		{"no ext", "", []byte("x"), docstore.ErrBadType},
		{"ext with path", "../x", []byte("x"), docstore.ErrBadType},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := s.PutBytes(ctx, c.content, docstore.PutOptions{Ext: c.ext})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == nil {
				checkBlob(t, s, b, c.content, c.ext)
			}
		})
	}
	assertOnlyBlobs(t, parent)
}

func TestSizeLimit(t *testing.T) {
	s, parent := mustOpen(t)
	const maxSize = 4096
	text := func(n int) []byte { return bytes.Repeat([]byte("a"), n) }
	b, err := s.PutBytes(ctx, text(maxSize), docstore.PutOptions{Ext: "txt", MaxSize: maxSize})
	if err != nil {
		t.Fatalf("exactly MaxSize: %v", err)
	}
	checkBlob(t, s, b, text(maxSize), "txt")
	_, err = s.PutBytes(ctx, text(maxSize+1), docstore.PutOptions{Ext: "txt", MaxSize: maxSize})
	if !errors.Is(err, docstore.ErrTooLarge) {
		t.Fatalf("MaxSize+1: err = %v", err)
	}
	// A stream that never ends is cut at MaxSize+1, not read to the end.
	r := &countingReader{}
	_, err = s.Put(ctx, r, docstore.PutOptions{Ext: "txt", MaxSize: maxSize})
	if !errors.Is(err, docstore.ErrTooLarge) || r.n > maxSize+1+32*1024 {
		t.Fatalf("endless stream: err = %v after %d bytes", err, r.n)
	}
	if n, _ := s.CleanTemp(); n != 0 {
		t.Errorf("%d temp files left after rejected puts", n)
	}
	assertOnlyBlobs(t, parent)
}

type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += len(p)
	return len(p), nil
}

type failingReader struct{ after int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.after)
	for i := range n {
		p[i] = 'a'
	}
	f.after -= n
	return n, nil
}

func TestFailedPutLeavesNothing(t *testing.T) {
	s, parent := mustOpen(t)
	if _, err := s.Put(ctx, &failingReader{after: 10000}, docstore.PutOptions{Ext: "txt"}); err == nil {
		t.Fatal("put from a failing reader succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PutBytes(cctx, []byte("hello"), docstore.PutOptions{Ext: "txt"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: err = %v", err)
	}
	if n, _ := s.CleanTemp(); n != 0 {
		t.Errorf("%d temp files left", n)
	}
	assertOnlyBlobs(t, parent)
}

func TestCleanTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	// Crash leftovers from a previous run.
	for _, n := range []string{".tmp-aaaa", ".tmp-bbbb"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := docstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("Open left %d entries", len(entries))
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-cccc"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := s.PutBytes(ctx, []byte("keep me"), docstore.PutOptions{Ext: "txt"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CleanTemp()
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v; want 1", n, err)
	}
	checkBlob(t, s, b, []byte("keep me"), "txt")
}

func TestConcurrentSameContent(t *testing.T) {
	s, parent := mustOpen(t)
	content := minimalDocx(t)
	const n = 16
	blobs := make([]docstore.Blob, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.PutBytes(ctx, content, docstore.PutOptions{Ext: "docx"})
			if err != nil {
				t.Errorf("put: %v", err)
			}
			blobs[i] = b
		}()
	}
	wg.Wait()
	for _, b := range blobs {
		if b != blobs[0] {
			t.Fatalf("blobs differ: %+v vs %+v", b, blobs[0])
		}
	}
	checkBlob(t, s, blobs[0], content, "docx")
	var files int
	_ = filepath.WalkDir(s.Dir(), func(_ string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Fatalf("%d files stored, want 1", files)
	}
	assertOnlyBlobs(t, parent)
}

func TestDamagedBlobIsRepaired(t *testing.T) {
	s, _ := mustOpen(t)
	content := []byte("整改方案全文")
	b, err := s.PutBytes(ctx, content, docstore.PutOptions{Ext: "txt"})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := s.Abs(b.Path)
	if err := os.WriteFile(abs, []byte("flipped"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := s.PutBytes(ctx, content, docstore.PutOptions{Ext: "txt"})
	if err != nil || again != b {
		t.Fatalf("re-put: %+v, %v", again, err)
	}
	checkBlob(t, s, b, content, "txt")
}

func TestOpenRefusesForeignPaths(t *testing.T) {
	s, parent := mustOpen(t)
	b, err := s.PutBytes(ctx, pdf, docstore.PutOptions{Ext: "pdf"})
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(parent, "secret.pdf")
	if err := os.WriteFile(secret, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := b.SHA256
	for _, p := range []string{
		"../secret.pdf", secret, "/etc/passwd", sum[:2] + "/../../secret.pdf", "ff/" + sum + ".pdf",
		sum[:2] + "/" + sum + ".exe", sum[:2] + "/" + strings.ToUpper(sum) + ".pdf", "", ".", sum[:2],
		sum[:2] + "\\" + sum + ".pdf", sum[:2] + "/" + sum + ".pdf/",
	} {
		if f, err := s.Open(p); err == nil {
			_ = f.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
		if _, err := s.Abs(p); err == nil {
			t.Errorf("Abs(%q) succeeded", p)
		}
	}
	// A symlink planted inside the root that points outside is refused
	// by os.Root even with a well-formed name.
	fake := strings.Repeat("0", 64)
	if err := os.MkdirAll(filepath.Join(s.Dir(), "00"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Dir(), "00", fake+".pdf")); err != nil {
		t.Fatal(err)
	}
	if f, err := s.Open("00/" + fake + ".pdf"); err == nil {
		_ = f.Close()
		t.Error("Open followed a symlink out of the root")
	}
}
