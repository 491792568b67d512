package docstore_test

import (
	"os"
	"path/filepath"
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
