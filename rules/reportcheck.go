package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShortReportChars is the length under which a report is flagged 篇幅较短:
// five parts with any substance do not fit in fewer characters.
const ShortReportChars = 800

// minKeywordHits is how many of an indicator's keywords a report must use
// for the indicator to count as covered: one alone (「30%」「培训」) says
// little.
const minKeywordHits = 2

// maxListedCodes bounds the uncovered codes the one-line summary lists.
const maxListedCodes = 8

// ReportCheck is what reading a report found. It only advises: a report
// that fails every check is still a submission.
type ReportCheck struct {
	// Unread is why the text could not be read ("" when it was): it is
	// shown after 内容未自动检查.
	Unread string
	Chars  int // characters, spaces excluded
	Pages  int // 0 when the format does not say

	MissingParts []ReportPart
	Indicators   int      // third-level indicators checked
	Covered      []string // codes covered, in document order
	Uncovered    []string // codes not covered, in document order

	OwnMentions int    // times the report names this unit (any of its names)
	OtherUnit   string // the roster unit named more often than this one, if any
	OtherCount  int
	CycleYear   int
	YearNamed   bool // names the cycle year or the year before
	// MainYear is the year the report names most often (「2025年」), 0 if
	// none: last year's report names the cycle's year-before once, in its
	// date, and its own year throughout.
	MainYear int
}

// UnreadReport is the check of a file whose text could not be read.
func UnreadReport(reason string) ReportCheck { return ReportCheck{Unread: reason} }

// CheckReport reads a report's text: the five parts by their headings,
// indicator coverage by keywords, whose report it is (names of every roster
// unit counted, longest name first), the year, and its size. It is pure.
func CheckReport(text string, pages int, unit Unit, roster []Unit, inds []Indicator, cycleYear int) ReportCheck {
	c := ReportCheck{Pages: pages, CycleYear: cycleYear}
	for _, r := range text {
		if !unicode.IsSpace(r) {
			c.Chars++
		}
	}
	found := reportParts(text)
	for _, p := range ReportParts {
		if !found[p] {
			c.MissingParts = append(c.MissingParts, p)
		}
	}
	// PDF text breaks lines mid-word and spaces digits from 年: terms are
	// looked for in the text without whitespace.
	flat := strings.Join(strings.Fields(text), "")
	for _, ind := range inds {
		if ind.Level != 3 {
			continue
		}
		c.Indicators++
		hits := 0
		for _, k := range ind.Keywords {
			if strings.Contains(flat, k) {
				hits++
			}
		}
		if hits >= min(minKeywordHits, len(ind.Keywords)) && hits > 0 {
			c.Covered = append(c.Covered, ind.Code)
		} else {
			c.Uncovered = append(c.Uncovered, ind.Code)
		}
	}
	counts := unitMentions(flat, roster)
	c.OwnMentions = counts[unit.Key]
	for _, u := range roster {
		if u.Key != unit.Key && counts[u.Key] > c.OwnMentions && counts[u.Key] > c.OtherCount {
			c.OtherUnit, c.OtherCount = u.Name, counts[u.Key]
		}
	}
	c.YearNamed = namesYear(flat, cycleYear) || namesYear(flat, cycleYear-1)
	c.MainYear = mainYear(flat)
	return c
}

// reportParts finds the part headings: a line that, after its numbering,
// starts with a synonym. Without numbering the line must be short (a
// heading, not a sentence that happens to start with 成效).
func reportParts(text string) map[ReportPart]bool {
	found := map[ReportPart]bool{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		rest, numbered := stripNumbering(line)
		if rest == "" || (!numbered && utf8.RuneCountInString(rest) > 20) {
			continue
		}
		// A combined heading (主要做法及成效) names several parts; only its
		// heading words count, not the sentence that may follow on the line.
		head := rest
		if i := strings.IndexAny(head, "。：:，,；;"); i >= 0 {
			head = head[:i]
		}
		starts := false
		for _, p := range ReportParts {
			for _, s := range partSynonyms[p] {
				if strings.HasPrefix(head, s) {
					starts = true
				}
			}
		}
		if !starts || utf8.RuneCountInString(head) > 20 {
			continue
		}
		for _, p := range ReportParts {
			for _, s := range partSynonyms[p] {
				if strings.Contains(head, s) {
					found[p] = true
				}
			}
		}
	}
	return found
}

var chineseNumerals = "一二三四五六七八九十"

// stripNumbering removes a heading's number: 一、 （一） (一) 1. 1、 第一部分
// 第一章 and the like.
func stripNumbering(s string) (string, bool) {
	orig := s
	s = strings.TrimPrefix(s, "第")
	trimmed := strings.TrimLeftFunc(s, func(r rune) bool {
		return strings.ContainsRune(chineseNumerals, r) || unicode.IsDigit(r) || strings.ContainsRune("（()）", r)
	})
	if trimmed == s {
		return orig, false
	}
	for _, sep := range []string{"部分", "章", "节"} {
		trimmed = strings.TrimPrefix(trimmed, sep)
	}
	trimmed = strings.TrimLeftFunc(trimmed, func(r rune) bool {
		return strings.ContainsRune("、.．:：）) \t", r)
	})
	return trimmed, true
}

// unitMentions counts how often each roster unit is named, taking the
// longest name at each position so 县教育和科学技术局 is not also counted
// as 教育局 (or as another unit's shorter alias).
func unitMentions(text string, roster []Unit) map[string]int {
	type name struct{ s, key string }
	var names []name
	for _, u := range roster {
		for _, n := range append([]string{u.Name}, u.Aliases...) {
			if utf8.RuneCountInString(n) >= 2 {
				names = append(names, name{n, u.Key})
			}
		}
	}
	slices.SortFunc(names, func(a, b name) int { return len(b.s) - len(a.s) })
	byFirst := map[rune][]name{}
	for _, n := range names {
		r, _ := utf8.DecodeRuneInString(n.s)
		byFirst[r] = append(byFirst[r], n)
	}
	counts := map[string]int{}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		adv := size
		for _, n := range byFirst[r] {
			if strings.HasPrefix(text[i:], n.s) {
				counts[n.key]++
				adv = len(n.s)
				break
			}
		}
		i += adv
	}
	return counts
}

// namesYear reports whether text names year y as a year: 2025年 or 2025 年
// or 2025—2026, not a 4-digit number inside a longer one.
func namesYear(text string, y int) bool {
	ys := strconv.Itoa(y)
	for i := 0; ; {
		j := strings.Index(text[i:], ys)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[j+len(ys):])
		if !unicode.IsDigit(before) && !unicode.IsDigit(after) {
			return true
		}
		i = j + len(ys)
	}
}

var yearRe = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)[0-9]{2})\s*年`)

// mainYear is the year most often written as 「YYYY年」; ties go to the
// later year.
func mainYear(text string) int {
	counts := map[int]int{}
	best, bestN := 0, 0
	for _, m := range yearRe.FindAllStringSubmatch(text, -1) {
		y, _ := strconv.Atoi(m[1])
		counts[y]++
		if n := counts[y]; n > bestN || (n == bestN && y > best) {
			best, bestN = y, n
		}
	}
	return best
}

// OldYear reports whether the report looks like an earlier cycle's: it
// names neither the cycle's year nor the year before, or writes mostly
// about an earlier year.
func (c ReportCheck) OldYear() bool {
	return !c.YearNamed || (c.MainYear != 0 && c.MainYear < c.CycleYear-1)
}

// Problems lists what is wrong, shortest first as people read it: the
// parts, then whose report it is, then the year, then the size.
func (c ReportCheck) Problems() []string {
	var out []string
	if len(c.MissingParts) == len(ReportParts) {
		out = append(out, "未见五个部分（基本情况、经验做法、工作成效、存在的问题、改进措施）的标题")
	} else if len(c.MissingParts) > 0 {
		out = append(out, "缺"+QuotedParts(c.MissingParts)+"部分")
	}
	if c.OtherUnit != "" {
		out = append(out, fmt.Sprintf("多处提及%s（%d次，本单位%d次），请确认不是其他单位的报告", c.OtherUnit, c.OtherCount, c.OwnMentions))
	} else if c.OwnMentions == 0 {
		out = append(out, "未提及本单位名称")
	}
	switch {
	case !c.YearNamed:
		out = append(out, fmt.Sprintf("未提及%d年或%d年，请确认不是往年的报告", c.CycleYear-1, c.CycleYear))
	case c.OldYear():
		out = append(out, fmt.Sprintf("主要写的是%d年，请确认不是往年的报告", c.MainYear))
	}
	if c.Chars < ShortReportChars {
		out = append(out, fmt.Sprintf("篇幅较短（%d字）", c.Chars))
	}
	return out
}

// Line is the one line the receipt carries.
func (c ReportCheck) Line() string {
	if c.Unread != "" {
		return "内容未自动检查（" + c.Unread + "）"
	}
	var parts []string
	if len(c.MissingParts) == 0 {
		parts = append(parts, "五个部分齐全")
	}
	parts = append(parts, c.Problems()...)
	cov := fmt.Sprintf("涉及指标 %d/%d", len(c.Covered), c.Indicators)
	if n := len(c.Uncovered); n > 0 {
		listed := c.Uncovered[:min(n, maxListedCodes)]
		cov += "，未涉及：" + strings.Join(listed, "、")
		if n > len(listed) {
			cov += fmt.Sprintf("等%d项", n)
		}
	}
	parts = append(parts, cov)
	return "内容检查：" + strings.Join(parts, "；")
}

// Detail is the full result, for 检查详情.
func (c ReportCheck) Detail() string {
	if c.Unread != "" {
		return c.Line()
	}
	var b strings.Builder
	b.WriteString("五个部分：")
	var have []string
	for _, p := range ReportParts {
		if !slices.Contains(c.MissingParts, p) {
			have = append(have, string(p))
		}
	}
	if len(c.MissingParts) == 0 {
		b.WriteString("齐全\n")
	} else {
		var miss []string
		for _, p := range c.MissingParts {
			miss = append(miss, string(p))
		}
		fmt.Fprintf(&b, "已有%s；缺%s\n", orNone(have), strings.Join(miss, "、"))
	}
	fmt.Fprintf(&b, "指标覆盖：%d/%d\n", len(c.Covered), c.Indicators)
	if len(c.Covered) > 0 {
		fmt.Fprintf(&b, "已涉及：%s\n", strings.Join(c.Covered, "、"))
	}
	if len(c.Uncovered) > 0 {
		fmt.Fprintf(&b, "未涉及：%s\n", strings.Join(c.Uncovered, "、"))
	}
	fmt.Fprintf(&b, "本单位名称出现：%d次\n", c.OwnMentions)
	if c.OtherUnit != "" {
		fmt.Fprintf(&b, "其他单位：%s出现%d次，多于本单位\n", c.OtherUnit, c.OtherCount)
	}
	switch {
	case !c.YearNamed:
		fmt.Fprintf(&b, "年度：未提及%d年或%d年\n", c.CycleYear-1, c.CycleYear)
	case c.OldYear():
		fmt.Fprintf(&b, "年度：主要写的是%d年\n", c.MainYear)
	default:
		fmt.Fprintf(&b, "年度：提及%d年或%d年\n", c.CycleYear-1, c.CycleYear)
	}
	fmt.Fprintf(&b, "篇幅：%d字", c.Chars)
	if c.Pages > 0 {
		fmt.Fprintf(&b, "，%d页", c.Pages)
	}
	if c.Chars < ShortReportChars {
		b.WriteString("（篇幅较短）")
	}
	return b.String()
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "无"
	}
	return strings.Join(xs, "、")
}
