package handlers_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/<name>.golden line by line; -update
// rewrites the file instead.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", name, err)
	}
	wl := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	gl := strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("golden %s line %d:\n got: %q\nwant: %q", name, i+1, g, w)
		}
	}
}

// texts joins the texts of msgs, one block per message.
func texts(msgs []rules.Outgoing) string {
	var parts []string
	for _, m := range msgs {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, "\n---\n")
}

// only returns the messages addressed to remark (or, if remark starts with
// @, to that session handle).
func only(msgs []rules.Outgoing, remark string) []rules.Outgoing {
	var out []rules.Outgoing
	for _, m := range msgs {
		if m.To.Remark == remark || (strings.HasPrefix(remark, "@") && m.To.UserName == remark) {
			out = append(out, m)
		}
	}
	return out
}

// one asserts exactly one message and returns its text.
func one(t *testing.T, msgs []rules.Outgoing) string {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1:\n%s", len(msgs), texts(msgs))
	}
	return msgs[0].Text
}

// stubLedger writes a fixed placeholder workbook.
type stubLedger struct{}

func (stubLedger) WriteLedger(_ context.Context, year int, w io.Writer) error {
	// Any OOXML zip passes the file store's xlsx check.
	_, err := w.Write(handlerstest.Docx(fmt.Sprint("ledger ", year)))
	return err
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
