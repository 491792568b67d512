package export_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"dudaobot/export"
	"dudaobot/internal/testutil"
)

// TestLedgerPrintable reads the ledger back: status cells filled with the
// board's colours, header row frozen, A4 landscape fitted to the width,
// the header row repeated on every page, a print title, column widths.
func TestLedgerPrintable(t *testing.T) {
	f := excelizeOpen(t, writeFixtureLedger(t, 0))
	defer f.Close()

	fill := func(sheet, cell string) string {
		t.Helper()
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Fill.Color) == 0 {
			return ""
		}
		return strings.ToUpper(strings.TrimPrefix(st.Fill.Color[0], "#"))
	}
	rows, err := f.GetRows(export.SheetOverview)
	if err != nil {
		t.Fatal(err)
	}
	rowOf := map[string]int{}
	for i, r := range rows {
		if len(r) > 1 {
			rowOf[r[1]] = i + 1
		}
	}
	// Columns: C 自查自评 status, F feedback, I plan, L completion.
	for _, tc := range []struct {
		unit, col, want, what string
	}{
		{"县财政局", "C", "8FD19E", "report on time"},
		{"县公安局", "C", "FFE082", "report late"},
		{"县国家安全局", "C", "F28B82", "report overdue"},
		{"县财政局", "F", "F28B82", "feedback overdue"},
		{"县财政局", "I", "D9D9D9", "plan not open"},
		{"县公安局", "F", "FFFFFF", "not inspected"},
	} {
		if got := fill(export.SheetOverview, tc.col+itoa(rowOf[tc.unit])); got != tc.want {
			t.Errorf("%s %s: fill %q, want %q", tc.unit, tc.what, got, tc.want)
		}
	}
	if got := fill(export.SheetOverview, "A1"); got != "3D5A80" {
		t.Errorf("header fill %q", got)
	}

	for _, sheet := range []string{export.SheetOverview, export.SheetSubmissions, export.SheetProblems, export.SheetIndicators} {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 {
			t.Errorf("%s: panes %+v, want the header row frozen", sheet, panes)
		}
		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Size == nil || *pl.Size != 9 || pl.Orientation == nil || *pl.Orientation != "landscape" ||
			pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s: page layout %+v, want A4 landscape, one page wide", sheet, pl)
		}
		props, err := f.GetSheetProps(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page off", sheet)
		}
		hf, err := f.GetHeaderFooter(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if want := export.PrintTitleHeader + "2027年督导评价台账·" + sheet + "（截至2027年5月20日）"; hf.OddHeader != want {
			t.Errorf("%s: print title %q, want %q", sheet, hf.OddHeader, want)
		}
	}
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range []string{export.SheetOverview, export.SheetSubmissions, export.SheetProblems, export.SheetIndicators} {
		if titles[sheet] != "'"+sheet+"'!$1:$1" {
			t.Errorf("%s: print titles %q, want row 1 on every page", sheet, titles[sheet])
		}
	}
	for _, tc := range []struct {
		sheet, col string
		min        float64
	}{
		{export.SheetOverview, "B", 28}, {export.SheetOverview, "C", 14}, {export.SheetOverview, "E", 19},
		{export.SheetSubmissions, "A", 28}, {export.SheetSubmissions, "D", 30}, {export.SheetIndicators, "D", 80},
	} {
		w, err := f.GetColWidth(tc.sheet, tc.col)
		if err != nil {
			t.Fatal(err)
		}
		if w < tc.min {
			t.Errorf("%s column %s width %.1f, want ≥ %.0f for its Chinese text", tc.sheet, tc.col, w, tc.min)
		}
	}
}

// TestLedgerPDF prints the ledger with LibreOffice: it converts without
// error and the header row is on every page of the overview.
func TestLedgerPDF(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("soffice not found (scripts/test installs libreoffice-calc-nogui)")
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found (scripts/test installs poppler-utils)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "台账.xlsx")
	if err := os.WriteFile(src, writeFixtureLedger(t, 120), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := testutil.ConvertPDF(t, soffice, dir, src)
	out, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", pdf, err)
	}
	pages := strings.Split(string(out), "\f")
	text := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"县财政局", "县公安局", "2027年督导评价台账·总览（截至2027年5月20日）", "第1页"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	// Every page that carries rows of a sheet starts with its header.
	headed := 0
	for _, p := range pages {
		flat := strings.Join(strings.Fields(p), "")
		for _, h := range [][]string{export.OverviewHeader(), export.SubmissionsHeader(), export.ProblemsHeader(), export.IndicatorsHeader()} {
			if strings.Contains(flat, h[0]+h[1]) {
				headed++
				break
			}
		}
	}
	if nonEmpty := countNonEmpty(pages); headed != nonEmpty || nonEmpty < 5 {
		t.Errorf("%d of %d pages carry a header row (want all, and the 123 versions on more than one page)", headed, nonEmpty)
	}
	t.Logf("ledger PDF: %d pages", countNonEmpty(pages))
}

func countNonEmpty(pages []string) int {
	n := 0
	for _, p := range pages {
		if strings.TrimSpace(p) != "" {
			n++
		}
	}
	return n
}

func itoa(i int) string { return strconv.Itoa(i) }
