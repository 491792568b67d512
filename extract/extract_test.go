package extract_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/config"
	"dudaobot/extract"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
)

var update = flag.Bool("update", false, "rewrite the golden check lines")

// contentOptions are o for a test of extracted content: its deadlines end
// only at the test's hang guard, so a loaded machine (LibreOffice starting
// under load) makes it slower, never red. The deadlines themselves have
// their own tests with input that never ends (TestConverterNeverEnds,
// TestOfficeConverterNeverEnds).
func contentOptions(t testing.TB, o extract.Options) extract.Options {
	budget := testutil.GuardBudget(t)
	o.Timeout, o.OfficeTimeout = budget, budget
	return o
}

// checkFixture extracts a fixture and checks it as 县财政局's report in the
// repository's config (cycle year 2027), the way the bot does.
func checkFixture(t *testing.T, e *extract.Extractor, name string) rules.ReportCheck {
	t.Helper()
	cfg, err := config.Load("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inds, err := cfg.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	var unit rules.Unit
	for _, u := range cfg.Units() {
		if u.Key == "czj" {
			unit = u
		}
	}
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	res, err := e.Extract(context.Background(), filepath.Join("testdata", name), ext)
	if err != nil {
		t.Logf("extract %s: %v", name, err)
		return rules.UnreadReport(extract.Reason(err))
	}
	return rules.CheckReport(res.Text, res.Pages, unit, cfg.Units(), inds, cfg.Calendar().Year)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", name, err)
	}
	if got+"\n" != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, strings.TrimSpace(string(want)))
	}
}

// TestFixtureCheckLines: each real-looking report gets its expected
// receipt line. The PDF and the .doc need poppler-utils and LibreOffice,
// which scripts/test installs: they fail, not skip, without them.
func TestFixtureCheckLines(t *testing.T) {
	e := extract.New(contentOptions(t, extract.Options{}))
	for _, name := range []string{
		"complete.docx", "missing-problems.docx", "last-year.docx", "other-unit.docx",
		"complete.pdf", "other-unit.doc", "bomb.docx",
	} {
		t.Run(name, func(t *testing.T) {
			c := checkFixture(t, e, name)
			golden(t, name, c.Line())
		})
	}
}

func TestCompleteReportDetail(t *testing.T) {
	c := checkFixture(t, extract.New(contentOptions(t, extract.Options{})), "complete.docx")
	golden(t, "complete.docx.detail", c.Detail())
}

func TestBombIsLimitNotCrash(t *testing.T) {
	e := extract.New(contentOptions(t, extract.Options{}))
	_, err := e.Extract(context.Background(), "testdata/bomb.docx", "docx")
	if !errors.Is(err, extract.ErrLimit) {
		t.Fatalf("bomb: err %v, want ErrLimit", err)
	}
}
