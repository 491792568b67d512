package export_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/storage"
)

// Ensure the ledger's three sheets hold the compliance table, every version
// and the indicator system, read back from the produced .xlsx.
func TestWriteLedger(t *testing.T) {
	f := excelizeOpen(t, writeFixtureLedger(t, 0))
	defer f.Close()
	checkLedger(t, f)
}

var (
	sha1 = strings.Repeat("ab", 32)
	sha2 = strings.Repeat("cd", 32)
)

func excelizeOpen(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// writeFixtureLedger is the 2027 ledger of config.yaml's roster on 20 May:
// 县财政局 on time (and a late version 2), 县公安局 late and not inspected,
// the others overdue; extra more versions of 县财政局's report make the
// sheet 提交记录 long enough to print on several pages.
func writeFixtureLedger(t *testing.T, extra int) []byte {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Location()
	clk := clock.NewFake(time.Date(2027, 5, 20, 9, 0, 0, 0, loc))
	st, err := storage.Open(ctx, storage.Options{Path: filepath.Join(t.TempDir(), "dudao.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SyncRoster(ctx, cfg.Units(), cfg.Directors()); err != nil {
		t.Fatal(err)
	}
	inds, err := cfg.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LoadIndicators(ctx, inds); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureYear(ctx, cfg.Calendar()); err != nil {
		t.Fatal(err)
	}
	add := func(unit string, at time.Time, onTime bool, name, sha string) {
		t.Helper()
		_, err := st.AddSubmission(ctx, rules.Submission{
			Year: 2027, UnitKey: unit, Stage: rules.StageSelfAssessment, Official: "督导-财政局",
			OriginalName: name, StoredPath: sha[:2] + "/" + sha + ".docx", Size: 1234, SHA256: sha,
			ReceivedAt: at, OnTime: onTime,
		}, "督导-财政局", nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	add("czj", time.Date(2027, 2, 27, 10, 0, 0, 0, loc), true, "县财政局自查自评报告.docx", sha1)
	add("czj", time.Date(2027, 3, 5, 10, 0, 0, 0, loc), false, "县财政局自查自评报告（修订）.docx", sha2)
	add("gaj", time.Date(2027, 3, 3, 10, 0, 0, 0, loc), false, "公安局报告.docx", sha1)
	for i := 0; i < extra; i++ {
		add("czj", time.Date(2027, 3, 6, 10, i, 0, 0, loc), false, fmt.Sprintf("县财政局自查自评报告（第%d次修订）.docx", i+2), sha2)
	}

	var keys []string // every unit but 县公安局 was inspected
	for _, u := range cfg.Units() {
		if u.Key != "gaj" && u.Key != "ddb" {
			keys = append(keys, u.Key)
		}
	}
	if err := st.SetInspected(ctx, 2027, keys, "督导办主任"); err != nil {
		t.Fatal(err)
	}

	// The report checks: 县财政局's latest version lacks 存在的问题, 县公安局's
	// file could not be read.
	saveCheck := func(unit string, c rules.SavedReportCheck) {
		t.Helper()
		v, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutState(ctx, rules.ReportCheckKey(2027, unit), v); err != nil {
			t.Fatal(err)
		}
	}
	saveCheck("czj", rules.SavedReportCheck{SubmissionID: 2, Version: 2 + extra, Check: rules.ReportCheck{
		Chars: 3000, MissingParts: []rules.ReportPart{rules.PartProblems}, Indicators: 30, Covered: []string{"5", "13", "27"}}})
	saveCheck("gaj", rules.SavedReportCheck{SubmissionID: 3, Version: 1, Check: rules.UnreadReport("格式暂不支持")})

	var buf bytes.Buffer
	l := &export.Ledger{Store: st, Clock: clk, Location: loc}
	if err := l.WriteLedger(ctx, 2027, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkLedger(t *testing.T, f *excelize.File) {
	t.Helper()
	if got, want := f.GetSheetList(), []string{export.SheetOverview, export.SheetSubmissions, export.SheetProblems, export.SheetIndicators}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sheets=%v, want %v", got, want)
	}

	rows, err := f.GetRows(export.SheetOverview)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+28; got != want {
		t.Fatalf("overview rows=%d, want %d", got, want)
	}
	if got, want := strings.Join(rows[0], "|"), strings.Join(export.OverviewHeader(), "|"); got != want {
		t.Errorf("overview header=%q, want %q", got, want)
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[r[1]] = r
	}
	for _, tc := range []struct{ unit, status, due, at string }{
		{"县财政局", "按时提交", "2027-03-01", "2027-02-27 10:00:00"},
		{"县公安局", "逾期2天提交", "2027-03-01", "2027-03-03 10:00:00"},
		{"县国家安全局", "已逾期80天", "2027-03-01", ""},
	} {
		r := byName[tc.unit]
		if r == nil {
			t.Fatalf("no overview row for %s", tc.unit)
		}
		if got := cell(r, 2); got != tc.status {
			t.Errorf("%s status=%q, want %q", tc.unit, got, tc.status)
		}
		if got := cell(r, 3); got != tc.due {
			t.Errorf("%s due=%q, want %q", tc.unit, got, tc.due)
		}
		if got := cell(r, 4); got != tc.at {
			t.Errorf("%s submitted=%q, want %q", tc.unit, got, tc.at)
		}
	}
	// The latest report's check: 五部分 and 指标覆盖 after the stages.
	for _, tc := range []struct{ unit, parts, coverage string }{
		{"县财政局", "缺存在的问题", "3/30"},
		{"县公安局", "未自动检查（格式暂不支持）", ""},
		{"县国家安全局", "", ""},
	} {
		r, n := byName[tc.unit], len(export.OverviewHeader())
		if got := []string{cell(r, n-2), cell(r, n-1)}; got[0] != tc.parts || got[1] != tc.coverage {
			t.Errorf("%s 五部分/指标覆盖 = %q, want %q/%q", tc.unit, got, tc.parts, tc.coverage)
		}
	}

	// Feedback (the office's obligation) is overdue on 20 May: due 14 May.
	if got, want := cell(byName["县财政局"], 5), "已逾期6天"; got != want {
		t.Errorf("feedback status=%q, want %q", got, want)
	}

	// Stages that do not apply read 不适用, never 未提交 or 已逾期: the office's
	// own unit owes nothing; a unit not inspected gets no feedback and owes
	// no plan. Each stage has three columns from column 2 on.
	for _, tc := range []struct {
		unit string
		want []string // status per stage, in AllStages order
	}{
		{"县人民政府教育督导委员会办公室", []string{"不适用", "不适用", "不适用", "不适用"}},
		{"县公安局", []string{"逾期2天提交", "不适用", "不适用", "不适用"}},
		{"县财政局", []string{"按时提交", "已逾期6天", "未开始", "未开始"}},
	} {
		r := byName[tc.unit]
		for i, want := range tc.want {
			if got := cell(r, 2+3*i); got != want {
				t.Errorf("%s %s status=%q, want %q", tc.unit, rules.AllStages[i].Label(), got, want)
			}
			if tc.want[i] == "不适用" && cell(r, 3+3*i) != "" {
				t.Errorf("%s %s: a due date %q for a stage that does not apply", tc.unit, rules.AllStages[i].Label(), cell(r, 3+3*i))
			}
		}
	}

	subs, err := f.GetRows(export.SheetSubmissions)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(subs), 1+3; got != want {
		t.Fatalf("submission rows=%d, want %d", got, want)
	}
	want := [][]string{
		{"县财政局", "自查自评报告", "1", "县财政局自查自评报告.docx", "1234", sha1, "2027-02-27 10:00:00", "是", "督导-财政局"},
		{"县财政局", "自查自评报告", "2", "县财政局自查自评报告（修订）.docx", "1234", sha2, "2027-03-05 10:00:00", "否", "督导-财政局"},
	}
	found := 0
	for _, w := range want {
		for _, r := range subs[1:] {
			if strings.Join(r, "|") == strings.Join(w, "|") {
				found++
			}
		}
	}
	if found != len(want) {
		t.Errorf("submission sheet rows=%q, want to contain %q", subs[1:], want)
	}

	irows, err := f.GetRows(export.SheetIndicators)
	if err != nil {
		t.Fatal(err)
	}
	var levels [4]int
	for _, r := range irows[1:] {
		switch r[0] {
		case "一级指标":
			levels[1]++
		case "二级指标":
			levels[2]++
		case "三级指标":
			levels[3]++
		}
	}
	if levels != [4]int{0, 6, 15, 30} {
		t.Errorf("indicator levels=%v, want 6/15/30", levels[1:])
	}
	if !strings.Contains(strings.Join(irows[len(irows)-1], "|"), "600:1") {
		t.Errorf("last indicator row %q lacks its 600:1 threshold", irows[len(irows)-1])
	}
}

func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}
