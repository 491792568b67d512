package docstore_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"dudaobot/docstore"
)

// TestModesPrivate: under umask 0, the files folder and its shards are 0700
// and a stored document 0600 (documents are the units' own papers).
func TestModesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	s, _ := mustOpen(t)
	b, err := s.PutBytes(ctx, []byte("%PDF-1.4 test"), docstore.PutOptions{Ext: "pdf"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		s.Dir(): 0o700,
		filepath.Join(s.Dir(), filepath.Dir(b.Path)): 0o700,
		filepath.Join(s.Dir(), b.Path):               0o600,
	}
	for p, m := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != m {
			t.Errorf("%s: mode %o, want %o", p, got, m)
		}
	}
}

// manyEntries is a .docx package with [Content_Types].xml and n-1 more
// entries named with nameLen-byte names (stored, empty).
func manyEntries(t testing.TB, n, nameLen int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if _, err := zw.Create("[Content_Types].xml"); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", max(nameLen-12, 0))
	for i := 1; i < n; i++ {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("w/%s%08d.xml", pad, i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// assertNothingStored checks that the store holds no blob and no temp file.
func assertNothingStored(t *testing.T, s *docstore.Store) {
	t.Helper()
	err := filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestZipDirectoryLimits (issue 12, finding 6): a .docx with more than
// 10,000 entries, or a central directory over the limit, is refused with
// ErrArchiveTooLarge and nothing is stored; 10,000 entries pass.
func TestZipDirectoryLimits(t *testing.T) {
	for _, c := range []struct {
		name         string
		data         []byte
		ext          string
		wantTooLarge bool
	}{
		{"10,000 entries", manyEntries(t, 10000, 12), "docx", false},
		{"10,001 entries", manyEntries(t, 10001, 12), "docx", true},
		{"10,001 entries, xlsx", manyEntries(t, 10001, 12), "xlsx", true},
		{"directory over 4 MB", manyEntries(t, 3000, 1500), "docx", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := mustOpen(t)
			_, err := s.PutBytes(ctx, c.data, docstore.PutOptions{Ext: c.ext})
			if got := errors.Is(err, docstore.ErrArchiveTooLarge); got != c.wantTooLarge {
				t.Fatalf("Put: %v; want ErrArchiveTooLarge=%v", err, c.wantTooLarge)
			}
			if c.wantTooLarge {
				assertNothingStored(t, s)
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestZipCountLieRefused: an end-of-directory record that claims 10 entries
// while the directory holds 65,546 (archive/zip checks only the low 16
// bits) is refused by counting the headers.
func TestZipCountLieRefused(t *testing.T) {
	data := manyEntries(t, 65536+10, 12)
	// archive/zip writes a zip64 record for so many entries; the lie is
	// the plain record's count, which archive/zip then trusts.
	i := bytes.LastIndex(data, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(data[i+8:], 10)
	binary.LittleEndian.PutUint16(data[i+10:], 10)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) != 65546 {
		t.Fatalf("the crafted archive does not fool archive/zip: %v", err)
	}
	s, _ := mustOpen(t)
	_, err = s.PutBytes(ctx, data, docstore.PutOptions{Ext: "docx", MaxSize: 100 << 20})
	if !errors.Is(err, docstore.ErrArchiveTooLarge) {
		t.Fatalf("Put: %v, want ErrArchiveTooLarge", err)
	}
	assertNothingStored(t, s)
}

// TestQuota: content beyond QuotaLeft (but within MaxSize) fails with
// ErrQuota and nothing is stored; QuotaLeft 0 refuses at once; content
// within it is stored.
func TestQuota(t *testing.T) {
	s, _ := mustOpen(t)
	_, err := s.PutBytes(ctx, pdf, docstore.PutOptions{Ext: "pdf", Quota: true, QuotaLeft: int64(len(pdf)) - 1})
	if !errors.Is(err, docstore.ErrQuota) {
		t.Fatalf("over quota: %v", err)
	}
	_, err = s.PutBytes(ctx, pdf, docstore.PutOptions{Ext: "pdf", Quota: true, QuotaLeft: 0})
	if !errors.Is(err, docstore.ErrQuota) {
		t.Fatalf("no quota left: %v", err)
	}
	assertNothingStored(t, s)
	if _, err := s.PutBytes(ctx, pdf, docstore.PutOptions{Ext: "pdf", Quota: true, QuotaLeft: int64(len(pdf))}); err != nil {
		t.Fatalf("within quota: %v", err)
	}
}

// TestDiskReserve: with a reserve larger than the disk's free space (a real
// statfs), Put fails with ErrDiskFull and stores nothing.
func TestDiskReserve(t *testing.T) {
	s, err := docstore.OpenWith(filepath.Join(t.TempDir(), "files"), docstore.Options{MinFreeBytes: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.PutBytes(ctx, pdf, docstore.PutOptions{Ext: "pdf"}); !errors.Is(err, docstore.ErrDiskFull) {
		t.Fatalf("Put with the disk below the reserve: %v", err)
	}
	assertNothingStored(t, s)
}

// BenchmarkZipCheck compares the memory archive/zip takes to read a
// 100,000-entry package's directory (what the check did before) with the
// pre-check that refuses it.
func BenchmarkZipCheck(b *testing.B) {
	data := manyEntries(b, 100000, 12)
	b.Run("archive-zip-reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("put-refused", func(b *testing.B) {
		s, err := docstore.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.PutBytes(ctx, data, docstore.PutOptions{Ext: "docx", MaxSize: 100 << 20}); !errors.Is(err, docstore.ErrArchiveTooLarge) {
				b.Fatal(err)
			}
		}
	})
}
