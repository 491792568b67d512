package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestReportPartSynonyms(t *testing.T) {
	tests := []struct {
		heading string
		want    []ReportPart
	}{
		{"一、基本情况", []ReportPart{PartBasics}},
		{"（一）总体情况", []ReportPart{PartBasics}},
		{"二、主要做法", []ReportPart{PartPractices}},
		{"2. 经验和做法", []ReportPart{PartPractices}},
		{"第三部分 取得成效", []ReportPart{PartResults}},
		{"三、主要做法及成效", []ReportPart{PartPractices, PartResults}},
		{"四、问题与不足", []ReportPart{PartProblems}},
		{"(四)存在的困难和问题", []ReportPart{PartProblems}},
		{"五、下一步工作打算", []ReportPart{PartImprovements}},
		{"五、整改措施：一是……", []ReportPart{PartImprovements}},
		{"改进措施", []ReportPart{PartImprovements}},
		// Prose is not a heading.
		{"成效方面，我局今年继续加大投入，确保各项资金及时足额拨付到位，取得了较好的效果。", nil},
		{"我局存在的问题主要是人员不足。", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := reportParts(tt.heading)
		var parts []ReportPart
		for _, p := range ReportParts {
			if got[p] {
				parts = append(parts, p)
			}
		}
		if !slices.Equal(parts, tt.want) {
			t.Errorf("%q: parts %v, want %v", tt.heading, parts, tt.want)
		}
	}
	// Every part's own name is its first synonym.
	for _, p := range ReportParts {
		if s := PartSynonyms(p); len(s) == 0 || s[0] != string(p) {
			t.Errorf("part %s: synonyms %v do not start with it", p, s)
		}
	}
}

func testRoster() []Unit {
	return []Unit{
		{Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "财政"}},
		{Key: "jkj", Name: "县教育和科学技术局", Aliases: []string{"教科局", "教育局"}},
	}
}

func testIndicators() []Indicator {
	return []Indicator{
		{Code: "一", Level: 1},
		{Code: "13", Level: 3, Keywords: []string{"地方教育附加", "职业教育", "30%"}},
		{Code: "25", Level: 3, Keywords: []string{"教育支出", "一般公共预算", "比上年增长"}},
		{Code: "29", Level: 3, Keywords: []string{"教师招聘", "师德师风"}},
	}
}

func TestCheckReport(t *testing.T) {
	full := "县财政局2026年履行教育职责自查自评报告\n一、基本情况\n县财政局……\n二、经验做法\n地方教育附加用于职业教育的比例达到32%，不低于30%。\n" +
		"三、工作成效\n一般公共预算教育支出比上年增长5%。\n四、存在的问题\n……\n五、改进措施\n……\n" + strings.Repeat("财政保障教育投入。", 100)
	tests := []struct {
		name, text string
		want       string
	}{
		{"complete", full, "内容检查：五个部分齐全；涉及指标 2/3，未涉及：29"},
		{"missing problems", strings.Replace(full, "四、存在的问题", "四、其他", 1),
			"内容检查：缺“存在的问题”部分；涉及指标 2/3，未涉及：29"},
		{"last year", strings.ReplaceAll(full, "2026", "2025"),
			"内容检查：五个部分齐全；未提及2026年或2027年，请确认不是往年的报告；涉及指标 2/3，未涉及：29"},
		{"another unit", strings.ReplaceAll(strings.ReplaceAll(full, "县财政局", "县教育和科学技术局"), "财政", "教育"),
			"内容检查：五个部分齐全；多处提及县教育和科学技术局（2次，本单位0次），请确认不是其他单位的报告；涉及指标 2/3，未涉及：29"},
		{"last year dated this year", strings.ReplaceAll(full+"2026年教育投入持续增长。", "2026", "2025") + "\n2026年2月20日",
			"内容检查：五个部分齐全；主要写的是2025年，请确认不是往年的报告；涉及指标 2/3，未涉及：29"},
		{"short letter", "县财政局：2026年工作已完成。",
			"内容检查：未见五个部分（基本情况、经验做法、工作成效、存在的问题、改进措施）的标题；篇幅较短（16字）；涉及指标 0/3，未涉及：13、25、29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CheckReport(tt.text, 3, testRoster()[0], testRoster(), testIndicators(), 2027)
			if got := c.Line(); got != tt.want {
				t.Errorf("line\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCheckReportDetailAndUnread(t *testing.T) {
	c := CheckReport("一、基本情况\n县财政局2026年……地方教育附加 职业教育", 2, testRoster()[0], testRoster(), testIndicators(), 2027)
	want := "五个部分：已有基本情况；缺经验做法、工作成效、存在的问题、改进措施\n指标覆盖：1/3\n已涉及：13\n未涉及：25、29\n" +
		"本单位名称出现：1次\n年度：提及2026年或2027年\n篇幅：27字，2页（篇幅较短）"
	if got := c.Detail(); got != want {
		t.Errorf("detail\n got %q\nwant %q", got, want)
	}
	if got := UnreadReport("格式暂不支持").Line(); got != "内容未自动检查（格式暂不支持）" {
		t.Errorf("unread line %q", got)
	}
}

func TestUnitMentionsLongestName(t *testing.T) {
	got := unitMentions("县教育和科学技术局、教育局、县财政局、财政、财政局", testRoster())
	if got["jkj"] != 2 || got["czj"] != 3 {
		t.Errorf("mentions %v, want jkj 2, czj 3", got)
	}
}

func TestNamesYear(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{{"2026年", true}, {"2026 年", true}, {"编号120261", false}, {"二〇二六年", false}, {"", false}} {
		if got := namesYear(tt.text, 2026); got != tt.want {
			t.Errorf("namesYear(%q) = %v", tt.text, got)
		}
	}
}
