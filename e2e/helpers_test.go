package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/app/apptest"
	"dudaobot/wxsim"
)

var (
	update = flag.Bool("update", false, "rewrite e2e/testdata/*.golden from the current output")
)

// golden compares got with e2e/testdata/<name>.golden (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test ./e2e/ -update)", name, err)
	}
	if w := strings.TrimSuffix(string(want), "\n"); got != w {
		t.Errorf("%s differs from %s\n--- got:\n%s\n--- want:\n%s", name, path, got, w)
	}
}

// handlersGolden is a reply text pinned by the handlers' own tests
// (handlers/testdata): the same conversation through real WeChat must give
// the same words.
func handlersGolden(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(apptest.ModuleRoot(t), "handlers", "testdata", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// expectGolden waits for the next text to who and compares it with a
// handlers golden.
func expectGolden(t *testing.T, h *apptest.Harness, who, name string) string {
	t.Helper()
	want := handlersGolden(t, name)
	got := h.WaitFor(who, func(s wxsim.Sent) bool { return s.Kind == "text" }).Text
	if got != want {
		t.Errorf("reply to %s differs from handlers/testdata/%s.golden\n--- got:\n%s\n--- want:\n%s", who, name, got, want)
	}
	return got
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// texts counts the messages to who whose text has the prefix.
func countPrefix(msgs []wxsim.Sent, prefix string) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == "text" && strings.HasPrefix(m.Text, prefix) {
			n++
		}
	}
	return n
}

// logLineHas reports whether one line of logs holds every part.
func logLineHas(logs string, parts ...string) bool {
	for _, l := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}
