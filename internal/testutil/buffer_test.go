package testutil_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"dudaobot/internal/testutil"
)

// TestLockedBufferConcurrent: writers and a reader at once lose no write
// (run with -race: no data race either).
func TestLockedBufferConcurrent(t *testing.T) {
	var b testutil.LockedBuffer
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "w%d-%d\n", w, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(seen) != 800 {
		t.Errorf("%d distinct lines, want 800 (a write was torn or lost)", len(seen))
	}
}
