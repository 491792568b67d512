package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/internal/testutil"
	"dudaobot/report"
	"dudaobot/rules"
)

var update = flag.Bool("update", false, "rebuild template.docx from template/")

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(m time.Month, d, h int) time.Time { return time.Date(2027, m, d, h, 0, 0, 0, shanghai) }

// fixture is n units at 2027-05-20: i%5 == 0 on time everywhere, 1 late,
// 2 nothing (report overdue, completion overdue), 3 not inspected, 4
// report on the last day and no feedback yet.
func fixture(n int) report.Input {
	in := report.Input{
		Office: "阿合奇县人民政府教育督导委员会办公室",
		Calendar: rules.Calendar{
			Year: 2027, Location: shanghai,
			SelfAssessmentDue:     rules.Date{Year: 2027, Month: time.March, Day: 1},
			InspectionStart:       rules.Date{Year: 2027, Month: time.April, Day: 1},
			InspectionEnd:         rules.Date{Year: 2027, Month: time.April, Day: 30},
			FeedbackDays:          14,
			RectificationPlanDays: 7,
		},
		Now: at(time.May, 20, 9),
	}
	var keys []string
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("u%03d", i)
		in.Units = append(in.Units, rules.Unit{Key: key, Name: fmt.Sprintf("县第%d责任单位", i+1), SortOrder: i})
		uy := rules.UnitYear{UnitKey: key, FirstSubmitted: map[rules.Stage]time.Time{}, LastSubmitted: map[rules.Stage]time.Time{}, Versions: map[rules.Stage]int{}}
		sub := func(s rules.Stage, t time.Time) { uy.FirstSubmitted[s], uy.LastSubmitted[s], uy.Versions[s] = t, t, 1 }
		switch i % 5 {
		case 0:
			sub(rules.StageSelfAssessment, at(time.February, 20, 10))
			uy.FeedbackAt = at(time.May, 5, 10)
			sub(rules.StageRectificationPlan, at(time.May, 8, 10))
		case 1:
			sub(rules.StageSelfAssessment, at(time.March, 4, 10))
			uy.FeedbackAt = at(time.May, 18, 10)
		case 2:
			uy.FeedbackAt = at(time.May, 5, 10)
			uy.RectificationDue = rules.Date{Year: 2027, Month: time.May, Day: 15}
		case 3:
			sub(rules.StageSelfAssessment, at(time.February, 27, 10))
			uy.NotApplicable = map[rules.Stage]bool{rules.StageFeedback: true, rules.StageRectificationPlan: true, rules.StageRectificationDone: true}
		case 4:
			sub(rules.StageSelfAssessment, at(time.March, 1, 23))
		}
		if i%5 != 3 {
			keys = append(keys, key)
		}
		in.UnitYears = append(in.UnitYears, uy)
	}
	in.Inspected = rules.NewInspected(keys)
	return in
}

// buildDocx zips a template source directory the way go generate does:
// [Content_Types].xml first, then the parts in name order, fixed times.
func buildDocx(t *testing.T, dir string) []byte {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(names, func(a, b string) int {
		if a == "[Content_Types].xml" {
			return -1
		}
		if b == "[Content_Types].xml" {
			return 1
		}
		return strings.Compare(a, b)
	})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parts(t *testing.T, docx []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

// TestTemplateMatchesSource keeps the shipped template.docx equal to the
// readable parts under template/ (-update rebuilds it).
func TestTemplateMatchesSource(t *testing.T) {
	built := buildDocx(t, "template")
	if *update {
		if err := os.WriteFile("template.docx", built, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, got := parts(t, built), parts(t, report.DefaultTemplate)
	if len(want) != len(got) {
		t.Fatalf("template.docx has %d parts, template/ %d (go generate ./report)", len(got), len(want))
	}
	for n, b := range want {
		if !bytes.Equal(got[n], b) {
			t.Errorf("template.docx part %s differs from template/ (go generate ./report)", n)
		}
	}
	if err := report.CheckTemplate(report.DefaultTemplate); err != nil {
		t.Fatal(err)
	}
}

// documentText parses word/document.xml (it must be well-formed XML) and
// returns its paragraphs' texts and the paragraph styles used.
func documentText(t *testing.T, doc []byte) (paras []string, styles map[string]int, tables int) {
	t.Helper()
	styles = map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var cur strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("word/document.xml is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "p":
				cur.Reset()
			case "t":
				inText = true
			case "pStyle", "tblStyle":
				for _, a := range e.Attr {
					if a.Name.Local == "val" {
						styles[a.Value]++
					}
				}
			case "tbl":
				tables++
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "p":
				paras = append(paras, cur.String())
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				cur.Write(e)
			}
		}
	}
	return paras, styles, tables
}

func TestReportDocxSections(t *testing.T) {
	in := fixture(28)
	var buf bytes.Buffer
	if err := report.Write(&buf, report.DefaultTemplate, in); err != nil {
		t.Fatal(err)
	}
	got, tmpl := parts(t, buf.Bytes()), parts(t, report.DefaultTemplate)
	for n, b := range tmpl {
		if n == "word/document.xml" {
			continue
		}
		if !bytes.Equal(got[n], b) {
			t.Errorf("part %s changed; only word/document.xml may", n)
		}
	}
	paras, styles, tables := documentText(t, got["word/document.xml"])
	text := strings.Join(paras, "\n")
	if paras[0] != "2027年度履行教育职责督导评估报告" {
		t.Errorf("title %q", paras[0])
	}
	if paras[1] != "（草稿）阿合奇县人民政府教育督导委员会办公室　2027年5月20日" {
		t.Errorf("subtitle %q", paras[1])
	}
	last := -1
	for _, s := range report.SectionTitles {
		i := slices.Index(paras, s)
		if i <= last {
			t.Fatalf("section %s at paragraph %d, after %d", s, i, last)
		}
		last = i
	}
	if styles["Heading1"] != 8 || styles[report.TableStyle] != 1 || tables != 1 {
		t.Errorf("styles %v, tables %d: want 8 Heading1 and one ReportTable", styles, tables)
	}
	for _, u := range in.Units {
		if !strings.Contains(text, u.Name) {
			t.Errorf("unit %s missing", u.Name)
		}
	}
	for _, want := range []string{
		"纳入督导评价的责任单位共28个",
		"自查自评报告截止日期为2027年3月1日；实地督导时间为2027年4月1日至2027年4月30日；书面反馈意见应于2027年5月14日前送达",
		"截至2027年5月20日，22个单位报送了自查自评报告（按时16个，逾期6个），6个单位尚未报送",
		"逾期报送（6个）：县第2责任单位（逾期3天）、",
		"逾期未报送（6个）：县第3责任单位、县第8责任单位、",
		"督导办确定的受检单位23个",
		"已送达书面反馈意见18份：县第1责任单位（2027年5月5日）、",
		"尚未送达书面反馈意见的受检单位5个",
		report.NoScores + "实地督导评分待录入后补充",
		report.NoScores + "暂无加权总分、等级和排名",
		report.NoProblems,
		report.NoItems,
		"整改方案：按时报送6个，逾期报送0个，逾期未报送6个，期限未到6个，尚未收到反馈5个",
		"整改完成情况：督导办为6个单位设定了整改期限；按时报送整改完成情况0个，逾期报送0个，逾期未报送6个，期限未到0个",
		report.NoResults,
		report.NextSteps,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// TestReportPDF converts the report with LibreOffice (as the office will
// open it) and reads the PDF back with pdftotext.
func TestReportPDF(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("soffice not found (scripts/test installs libreoffice-writer-nogui)")
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found (scripts/test installs poppler-utils)")
	}
	in := fixture(28)
	dir := t.TempDir()
	src := filepath.Join(dir, "报告.docx")
	var buf bytes.Buffer
	if err := report.Write(&buf, report.DefaultTemplate, in); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := testutil.ConvertPDF(t, soffice, dir, src)
	out, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext puts a space between Chinese and digits (县第 1 责任单位)
	// and breaks lines: compare without white space.
	text := strings.Join(strings.Fields(string(out)), "")
	for _, u := range in.Units {
		if !strings.Contains(text, u.Name+"按时提交") && !strings.Contains(text, u.Name+"逾期") && !strings.Contains(text, u.Name+"已逾期") {
			t.Errorf("PDF lacks unit %s with its status", u.Name)
		}
	}
	for _, s := range report.SectionTitles {
		if !strings.Contains(text, s) {
			t.Errorf("PDF lacks section %s", s)
		}
	}
}

// TestTemplateEditedInWord: an office's template whose placeholders Word
// split into runs is filled; an unknown placeholder and a template without
// {{正文}} are refused by name.
func TestTemplateEditedInWord(t *testing.T) {
	src := parts(t, report.DefaultTemplate)
	mk := func(body string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for n, b := range src {
			if n == "word/document.xml" {
				b = []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `<w:sectPr/></w:body></w:document>`)
			}
			w, _ := zw.Create(n)
			_, _ = w.Write(b)
		}
		_ = zw.Close()
		return buf.Bytes()
	}
	split := mk(`<w:p w14:paraId="1" xmlns:w14="x"><w:pPr><w:jc w:val="center"/><w:rPr><w:i/></w:rPr></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>{{</w:t></w:r><w:r><w:t>年度</w:t></w:r><w:r><w:t xml:space="preserve">}} 年 &amp; 报告</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>{{正</w:t></w:r><w:r><w:t>文}}</w:t></w:r></w:p>`)
	var buf bytes.Buffer
	if err := report.Write(&buf, split, fixture(3)); err != nil {
		t.Fatal(err)
	}
	doc := string(parts(t, buf.Bytes())["word/document.xml"])
	if !strings.Contains(doc, `<w:p w14:paraId="1" xmlns:w14="x"><w:pPr><w:jc w:val="center"/><w:rPr><w:i/></w:rPr></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">2027 年 &amp; 报告</w:t></w:r></w:p>`) {
		t.Errorf("split placeholder not filled with the first run's format:\n%s", doc[:min(len(doc), 600)])
	}
	paras, styles, _ := documentText(t, []byte(doc))
	if !slices.Contains(paras, report.SectionTitles[0]) {
		t.Error("body not inserted at the split {{正文}}")
	}
	if styles[report.TableStyle] != 1 {
		t.Errorf("table style not used: %v", styles)
	}

	err := report.Write(io.Discard, mk(`<w:p><w:r><w:t>{{单位}}</w:t></w:r></w:p><w:p><w:r><w:t>{{正文}}</w:t></w:r></w:p>`), fixture(3))
	if !errors.Is(err, report.ErrTemplate) || !strings.Contains(err.Error(), "{{单位}}") {
		t.Errorf("unknown placeholder: %v", err)
	}
	noBody := mk(`<w:p><w:r><w:t>{{年度}}</w:t></w:r></w:p>`)
	if err := report.Write(io.Discard, noBody, fixture(3)); !errors.Is(err, report.ErrTemplate) || !strings.Contains(err.Error(), "{{正文}}") {
		t.Errorf("no body placeholder: %v", err)
	}
	p := filepath.Join(t.TempDir(), "office.docx")
	if err := os.WriteFile(p, noBody, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := report.LoadTemplate(p); err == nil || !strings.Contains(err.Error(), "report.template") {
		t.Errorf("LoadTemplate of a template without {{正文}}: %v", err)
	}
	if _, err := report.LoadTemplate(filepath.Join(t.TempDir(), "none.docx")); err == nil || !strings.Contains(err.Error(), "report.template") {
		t.Errorf("LoadTemplate of a missing file: %v", err)
	}
}

// TestReportProblems: with problem lists recorded, 存在的主要问题 groups this
// year's items by indicator (most first, counts, examples) and 整改落实情况
// counts the items in the year's view, carry-overs included.
func TestReportProblems(t *testing.T) {
	in := fixture(5)
	d := func(y int, m time.Month, day int) rules.Date { return rules.Date{Year: y, Month: m, Day: day} }
	in.Indicators = []rules.Indicator{
		{Code: "3", Level: 3, Text: "落实教育经费“两个只增不减”"},
		{Code: "7", Level: 3, Text: "保障学校安全"},
	}
	in.Problems = []rules.Problem{
		{ID: "一-2027-01", Year: 2027, UnitKey: "u000", Seq: 1, Indicator: "3", Text: "教育经费未足额拨付",
			Plan: rules.ProblemPlan{Measure: "追加预算", Due: d(2027, time.May, 10)}},
		{ID: "二-2027-01", Year: 2027, UnitKey: "u001", Seq: 1, Indicator: "3", Text: "生均公用经费拨付滞后",
			Plan: rules.ProblemPlan{Measure: "按季度拨付", Due: d(2027, time.June, 30)}},
		{ID: "三-2027-01", Year: 2027, UnitKey: "u002", Seq: 1, Indicator: "7", Text: "校园周边交通安全隐患"},
		{ID: "一-2026-02", Year: 2026, UnitKey: "u000", Seq: 2, Indicator: "7", Text: "上年遗留：校舍维修",
			Plan: rules.ProblemPlan{Measure: "维修", Due: d(2026, time.December, 1)},
			Events: []rules.ProblemEvent{
				{Kind: rules.EventReported, At: at(time.January, 10, 10)},
				{Kind: rules.EventVerified, At: at(time.February, 1, 10), Actor: "督导办主任"},
			}},
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.DefaultTemplate, in); err != nil {
		t.Fatal(err)
	}
	paras, _, tables := documentText(t, parts(t, buf.Bytes())["word/document.xml"])
	text := strings.Join(paras, "\n")
	if tables != 2 {
		t.Errorf("%d tables, want the status table and the indicator table", tables)
	}
	for _, want := range []string{
		"实地督导共反馈问题3个，涉及3个单位、2项指标",
		"指标3：落实教育经费“两个只增不减”\n2\n2\n县第1责任单位：教育经费未足额拨付；县第2责任单位：生均公用经费拨付滞后",
		"指标7：保障学校安全\n1\n1\n县第3责任单位：校园周边交通安全隐患",
		"整改事项共4项（其中上年度遗留1项）：已制定整改措施3项，已销号1项，已报完成待销号0项，逾期未完成1项，尚未制定措施1项。",
		"逾期未完成的事项：一-2027-01。",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(text, report.NoProblems) || strings.Contains(text, report.NoItems) {
		t.Error("says the problem list is missing although it is recorded")
	}
	if t.Failed() {
		t.Log(text)
	}
}

// TestReportScores: with scores stored, 评价结果 has the ranked table
// (totals with one decimal, grades, what is missing) and 结果运用建议 the
// 结果清单; 实地督导情况 says how many units have inspection scores.
func TestReportScores(t *testing.T) {
	in := fixture(3)
	model := rules.ScoringModel{
		Indicators: rules.EqualShares([]string{"1", "2", "3", "4"}),
		Weights:    map[rules.ScoreSource]int{rules.SourceInspection: 70, rules.SourceSelf: 30},
		Bands:      rules.DefaultGradeBands(), RepeatedLateness: 2,
	}
	stages := map[string][]rules.StageStatus{}
	for _, uy := range in.UnitYears {
		stages[uy.UnitKey] = rules.UnitStatus(in.Calendar, uy, in.Now)
	}
	sr := rules.BuildScoreReport(rules.ScoreReportInput{
		Model: model, Units: in.Units, Inspected: in.Inspected, Stages: stages,
		Sums: []rules.SourceSum{
			{UnitKey: "u000", Source: rules.SourceSelf, Sum: rules.PointsOf(95), Count: 4},
			{UnitKey: "u000", Source: rules.SourceInspection, Sum: rules.PointsOf(92), Count: 4},
			{UnitKey: "u001", Source: rules.SourceSelf, Sum: rules.PointsOf(80), Count: 4},
			{UnitKey: "u001", Source: rules.SourceInspection, Sum: rules.PointsOf(70), Count: 4},
			{UnitKey: "u002", Source: rules.SourceSelf, Sum: rules.PointsOf(40), Count: 2},
		},
	})
	in.Scores = &sr
	var buf bytes.Buffer
	if err := report.Write(&buf, report.DefaultTemplate, in); err != nil {
		t.Fatal(err)
	}
	paras, _, tables := documentText(t, parts(t, buf.Bytes())["word/document.xml"])
	text := strings.Join(paras, "\n")
	if tables != 2 {
		t.Errorf("%d tables, want the status table and the results table", tables)
	}
	for _, want := range []string{
		"督导评价评分已录入2个单位，其中2个单位全部指标评分完整。",
		"参评单位3个，评分完整并评定等级的2个：优秀1个，合格1个；1个单位评分不完整，暂不评定等级。加权总分保留一位小数。",
		"1\n县第1责任单位\n95.0\n92.0\n92.9\n优秀\n",
		"2\n县第2责任单位\n80.0\n70.0\n73.0\n合格\n",
		"\n县第3责任单位\n\n\n\n\n自评缺2项，督导评价缺4项",
		"表彰建议（1个）：县第1责任单位",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(text, report.NoScores) || strings.Contains(text, report.NoResults) {
		t.Error("says scores are missing although they are stored")
	}
	if t.Failed() {
		t.Log(text)
	}
}
