package archtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"dudaobot/internal/archtest"
)

// pending are rules of DESIGN.md that the code does not keep yet, each with
// the work that removes the violation. A pending rule is still checked: its
// violations are logged instead of failing the test. Delete its line when
// that work lands, and the test enforces the rule.
var pending = map[string]string{}

// moduleGraph is the module's import graph as `go list -deps -json ./...`
// reports it (production imports only).
func moduleGraph(t *testing.T) []archtest.Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []archtest.Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p archtest.Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestArchitecture fails on any forbidden arrow of DESIGN.md in the real
// import graph.
func TestArchitecture(t *testing.T) {
	pkgs := moduleGraph(t)
	var seen int
	for _, p := range pkgs {
		if strings.HasPrefix(p.ImportPath, archtest.Module+"/") {
			seen++
		}
	}
	// The graph must be the module's, not an empty or foreign listing.
	for _, want := range []string{"dudaobot/rules", "dudaobot/handlers", "dudaobot/storage", "dudaobot/bot", "gorm.io/gorm"} {
		if !slices.ContainsFunc(pkgs, func(p archtest.Package) bool { return p.ImportPath == want }) {
			t.Fatalf("go list found no %s among %d packages (%d of ours)", want, len(pkgs), seen)
		}
	}
	byRule := map[string][]archtest.Violation{}
	for _, v := range archtest.Check(pkgs, archtest.Rules) {
		byRule[v.Rule.Text] = append(byRule[v.Rule.Text], v)
	}
	for _, r := range archtest.Rules {
		vs := byRule[r.Text]
		why, isPending := pending[r.Text]
		switch {
		case isPending && len(vs) == 0:
			t.Logf("pending rule %s now holds: delete it from pending so it is enforced", r.Text)
		case isPending:
			for _, v := range vs {
				t.Logf("pending (%s): %s", why, v)
			}
		default:
			for _, v := range vs {
				t.Error(v)
			}
		}
	}
	for text := range pending {
		if !slices.ContainsFunc(archtest.Rules, func(r archtest.Rule) bool { return r.Text == text }) {
			t.Errorf("pending names no rule: %s", text)
		}
	}
}

// TestCheckReportsForbiddenArrow proves the checker fails a graph where
// handlers imports storage, directly or through another package, and names
// the arrow and the rule.
func TestCheckReportsForbiddenArrow(t *testing.T) {
	graph := func(handlersImports ...string) []archtest.Package {
		return []archtest.Package{
			{ImportPath: "dudaobot/rules"},
			{ImportPath: "dudaobot/clock", Imports: []string{"time"}},
			{ImportPath: "dudaobot/storage", Imports: []string{"dudaobot/rules", "gorm.io/gorm"}},
			{ImportPath: "dudaobot/app", Imports: []string{"dudaobot/storage", "dudaobot/handlers"}},
			{ImportPath: "dudaobot/ledger", Imports: []string{"dudaobot/storage"}},
			{ImportPath: "dudaobot/handlers", Imports: handlersImports},
			{ImportPath: "gorm.io/gorm", Imports: []string{"database/sql"}},
			{ImportPath: "time", Standard: true},
			{ImportPath: "database/sql", Standard: true},
		}
	}
	tests := []struct {
		name      string
		handlers  []string
		wantChain [][]string
		wantText  string
	}{
		{
			name:     "Clean",
			handlers: []string{"dudaobot/rules", "dudaobot/clock", "time"},
		},
		{
			name:      "HandlersImportsStorage",
			handlers:  []string{"dudaobot/rules", "dudaobot/storage"},
			wantChain: [][]string{{"dudaobot/handlers", "dudaobot/storage"}},
			wantText:  "forbidden import dudaobot/handlers → dudaobot/storage: DESIGN.md says `handlers` never imports `storage`",
		},
		{
			name:      "HandlersReachesStorageThroughAnotherPackage",
			handlers:  []string{"dudaobot/ledger"},
			wantChain: [][]string{{"dudaobot/handlers", "dudaobot/ledger", "dudaobot/storage"}},
			wantText:  "forbidden import dudaobot/handlers → dudaobot/storage (via dudaobot/handlers → dudaobot/ledger → dudaobot/storage): DESIGN.md says `handlers` never imports `storage`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := archtest.Check(graph(tt.handlers...), archtest.Rules)
			var chains [][]string
			for _, v := range vs {
				chains = append(chains, v.Chain)
			}
			if !slices.EqualFunc(chains, tt.wantChain, slices.Equal[[]string]) {
				t.Fatalf("violations %v, want chains %v", vs, tt.wantChain)
			}
			if tt.wantText != "" && vs[0].String() != tt.wantText {
				t.Errorf("reported\n%s\nwant\n%s", vs[0], tt.wantText)
			}
		})
	}
}

// TestCheckEveryRule: each rule fails a graph made to break it, and only
// that rule fails.
func TestCheckEveryRule(t *testing.T) {
	tests := []struct {
		rule string
		pkg  archtest.Package
	}{
		{"`rules` imports nothing of ours", archtest.Package{ImportPath: "dudaobot/rules", Imports: []string{"dudaobot/clock"}}},
		{"only `storage` imports gorm", archtest.Package{ImportPath: "dudaobot/outbox", Imports: []string{"gorm.io/gorm"}}},
		{"only `bot` imports openwechat", archtest.Package{ImportPath: "dudaobot/app", Imports: []string{"github.com/eatmoreapple/openwechat"}}},
		{"only `export` imports excelize", archtest.Package{ImportPath: "dudaobot/report", Imports: []string{"github.com/xuri/excelize/v2"}}},
		{"`handlers` never imports `bot`", archtest.Package{ImportPath: "dudaobot/handlers", Imports: []string{"dudaobot/bot"}}},
		{"`handlers` never imports `storage`", archtest.Package{ImportPath: "dudaobot/handlers", Imports: []string{"dudaobot/storage/storagetest"}}},
		{"`handlers` never imports `docstore`", archtest.Package{ImportPath: "dudaobot/handlers", Imports: []string{"dudaobot/docstore"}}},
		{"`scheduler` never imports `handlers`", archtest.Package{ImportPath: "dudaobot/scheduler", Imports: []string{"dudaobot/handlers"}}},
		{"`wxsim` imports nothing of ours", archtest.Package{ImportPath: "dudaobot/wxsim", Imports: []string{"dudaobot/rules"}}},
		{"`bot` does not import `clock`", archtest.Package{ImportPath: "dudaobot/bot", Imports: []string{"dudaobot/clock"}}},
	}
	if len(tests) != len(archtest.Rules) {
		t.Fatalf("%d cases for %d rules", len(tests), len(archtest.Rules))
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			vs := archtest.Check([]archtest.Package{tt.pkg}, archtest.Rules)
			if len(vs) != 1 || vs[0].Rule.Text != tt.rule {
				t.Errorf("violations %v, want one of %s", vs, tt.rule)
			}
		})
	}
	// The exempt package keeps its own import.
	for _, ok := range []archtest.Package{
		{ImportPath: "dudaobot/storage", Imports: []string{"gorm.io/gorm"}},
		{ImportPath: "dudaobot/bot", Imports: []string{"github.com/eatmoreapple/openwechat"}},
		{ImportPath: "dudaobot/export", Imports: []string{"github.com/xuri/excelize/v2"}},
	} {
		if vs := archtest.Check([]archtest.Package{ok}, archtest.Rules); len(vs) != 0 {
			t.Errorf("%s: %v", ok.ImportPath, vs)
		}
	}
}

// TestDesignTableMatchesRules: DESIGN.md's table "Forbidden imports" lists
// exactly the rules the test checks, in the same order.
func TestDesignTableMatchesRules(t *testing.T) {
	f, err := os.Open("../../DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Forbidden imports"
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| ---") || strings.HasPrefix(line, "| rule ") {
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		rows = append(rows, cell)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range archtest.Rules {
		want = append(want, r.Text)
	}
	if !slices.Equal(rows, want) {
		t.Errorf("DESIGN.md's forbidden imports:\n%s\nthe test's rules:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
