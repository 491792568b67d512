package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Field names as the templates and messages name them.
const (
	FieldProblem   = "问题描述"
	FieldIndicator = "对应指标"
	FieldSuggested = "整改时限建议"
	FieldMeasure   = "整改措施"
	FieldDue       = "完成时限"
	FieldOwner     = "责任人"
)

// ItemError is one thing wrong with one item of a list or plan.
type ItemError struct {
	Item  int    // 序号; 0 when the error is about the whole text
	Field string // FieldMeasure, FieldDue, …; "" for the item itself
	Value string // what was written, for bad dates and stray text
	Range PlanRange
	Err   error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("rules: item %d %s %q: %v", e.Item, e.Field, e.Value, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// Chinese is the error as the sender reads it, e.g. 「第3项缺少完成时限」.
func (e *ItemError) Chinese() string {
	item := fmt.Sprintf("第%d项", e.Item)
	switch {
	case errors.Is(e.Err, ErrNoProblems):
		return "没有找到编号的事项，请每行一项，如“1. ……”"
	case errors.Is(e.Err, ErrUnnumbered):
		return "“" + clipRunes(e.Value, 12) + "”前面缺少序号，请每行一项，如“1. ……”"
	case errors.Is(e.Err, ErrDuplicateItem):
		return item + "序号重复"
	case errors.Is(e.Err, ErrUnknownItem):
		return "问题清单中没有" + item
	case errors.Is(e.Err, ErrEmptyItem):
		return item + "没有内容"
	case errors.Is(e.Err, ErrMissingField):
		return item + "缺少" + e.Field
	case errors.Is(e.Err, ErrDateImpossible) || errors.Is(e.Err, ErrDateAmbiguous):
		what := "无法确定是哪一天："
		if errors.Is(e.Err, ErrDateImpossible) {
			what = "不存在："
		}
		var de *DateError
		if errors.As(e.Err, &de) {
			return item + e.Field + "“" + clipRunes(e.Value, 16) + "”" + what + de.Hint
		}
		fallthrough
	case errors.Is(e.Err, ErrBadDate):
		return fmt.Sprintf("%s%s“%s”无法识别，请写成6月30日或2027-06-30", item, e.Field, clipRunes(e.Value, 16))
	case errors.Is(e.Err, ErrDateOutOfRange):
		return fmt.Sprintf("%s%s%s不在%s", item, e.Field, e.Value, e.Range.Text())
	}
	return item + "有误"
}

// ItemErrors is every problem found in one list or plan, in item order.
type ItemErrors []*ItemError

func (es ItemErrors) Error() string { return ListText(es) }

// Unwrap lets errors.Is see every item's error.
func (es ItemErrors) Unwrap() []error { return ListUnwrap(es) }

// Chinese lists the problems one a line.
func (es ItemErrors) Chinese() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Chinese()
	}
	return strings.Join(parts, "\n")
}

// orNil returns nil for an empty list, so a clean result is a nil error.
func (es ItemErrors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// PlanRange is the dates a plan may name: the cycle year, or also the next
// one where config allows it (calendar.plan_next_year).
type PlanRange struct{ From, To Date }

// PlanDates is the PlanRange of a cycle year.
func PlanDates(year int, nextYear bool) PlanRange {
	to := year
	if nextYear {
		to++
	}
	return PlanRange{Date{year, time.January, 1}, Date{to, time.December, 31}}
}

// Has reports whether d is inside r.
func (r PlanRange) Has(d Date) bool { return !d.Before(r.From) && !d.After(r.To) }

// Text is 「2027年内」 or 「2027年至2028年内」.
func (r PlanRange) Text() string {
	if r.From.Year == r.To.Year {
		return fmt.Sprintf("%d年内", r.From.Year)
	}
	return fmt.Sprintf("%d年至%d年内", r.From.Year, r.To.Year)
}

// ProblemLine is one parsed line of a problem list.
type ProblemLine struct {
	Seq          int
	Text         string
	Indicator    string
	SuggestedDue Date
}

// PlanLine is one parsed plan line; a field not written is empty.
type PlanLine struct {
	Seq     int
	Measure string
	Due     Date
	DueText string // as written (kept for messages)
	Owner   string
}

var (
	numbered = regexp.MustCompile(`^[(（]?(\d{1,3})\s*[.、．)）:：]\s*(.*)$`)
	fullDate = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	cnFull   = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$`)
	cnNoYear = regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]?$`)
	slashMD  = regexp.MustCompile(`^(\d{1,2})[-/](\d{1,2})$`)
)

// foldWidth turns full-width digits and the date separators ．／－ into
// ASCII (phones type either) and the ideographic space into a space; other
// full-width punctuation is the text's own and stays.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '０' && r <= '９', r == '．', r == '／', r == '－':
			return r - 0xFEE0
		}
		return r
	}, s)
}

// ParseLooseDate reads a date as people write it: 2027-06-30, 2027/6/30,
// 2027.6.30, 2027年6月30日, or 6月30日, 6/30 and 6.30 (in year). Impossible
// dates such as 2月30日 are ErrBadDate. It is ParseDateOn without a today:
// no relative dates.
func ParseLooseDate(s string, year int) (Date, error) { return ParseDateOn(s, year, Date{}) }

// looseDate is ParseLooseDate's absolute forms, for ParseDateOn.
func looseDate(s string, year int) (Date, error) {
	s = strings.ReplaceAll(foldWidth(strings.TrimSpace(s)), " ", "")
	var y, m, d string
	if g := fullDate.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := cnFull.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := cnNoYear.FindStringSubmatch(s); g != nil {
		y, m, d = strconv.Itoa(year), g[1], g[2]
	} else if g := slashMD.FindStringSubmatch(s); g != nil {
		y, m, d = strconv.Itoa(year), g[1], g[2]
	} else {
		return Date{}, fmt.Errorf("%w: %q", ErrBadDate, s)
	}
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	t := time.Date(yi, time.Month(mi), di, 12, 0, 0, 0, time.UTC)
	if yi < 2000 || yi > 2100 || mi < 1 || mi > 12 || t.Day() != di {
		return Date{}, fmt.Errorf("%w: %q", ErrBadDate, s)
	}
	return Date{yi, time.Month(mi), di}, nil
}

// numberedLines splits text into numbered items; an unnumbered line after
// an item continues it (long problems wrap on phones).
func numberedLines(text string) ([]ProblemLine, ItemErrors) {
	var out []ProblemLine
	var errs ItemErrors
	seen := map[int]bool{}
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(foldWidth(raw))
		if line == "" {
			continue
		}
		g := numbered.FindStringSubmatch(line)
		if g == nil {
			if len(out) == 0 {
				if len(errs) == 0 {
					errs = append(errs, &ItemError{Value: line, Err: ErrUnnumbered})
				}
				continue
			}
			out[len(out)-1].Text += line
			continue
		}
		n, _ := strconv.Atoi(g[1])
		if seen[n] {
			errs = append(errs, &ItemError{Item: n, Err: ErrDuplicateItem})
			continue
		}
		seen[n] = true
		out = append(out, ProblemLine{Seq: n, Text: strings.TrimSpace(g[2])})
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &ItemError{Err: ErrNoProblems})
	}
	return out, errs
}

// segments splits an item's text at 「；」 into its keyed parts (「时限：6月30日」)
// and the rest, in order.
func segments(text string, keys map[string]string) (fields map[string]string, rest []string) {
	fields = map[string]string{}
	for _, seg := range strings.FieldsFunc(text, func(r rune) bool { return r == '；' || r == ';' }) {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		k, v, ok := strings.Cut(strings.Replace(seg, ":", "：", 1), "：")
		if f, known := keys[strings.TrimSpace(k)]; ok && known {
			fields[f] = strings.TrimSpace(v)
			continue
		}
		rest = append(rest, seg)
	}
	return fields, rest
}

var problemKeys = map[string]string{
	"指标": FieldIndicator, "对应指标": FieldIndicator,
	"时限": FieldSuggested, "建议时限": FieldSuggested, "整改时限建议": FieldSuggested, "整改时限": FieldSuggested,
}

// ParseProblemList reads a problem list sent in chat, one numbered item a
// line: 「1. 问题描述」, optionally 「；指标：3.2.1；时限：6月30日」. Errors: no
// items, duplicate numbers, text before the first number, an empty item,
// a bad suggested date (all of them, as ItemErrors).
func ParseProblemList(text string, year int) ([]ProblemLine, error) {
	return ParseProblemListOn(text, year, Date{})
}

// ParseProblemListOn is ParseProblemList with today for relative dates
// (「时限：下月底」, see ParseDateOn).
func ParseProblemListOn(text string, year int, today Date) ([]ProblemLine, error) {
	lines, errs := numberedLines(text)
	for i := range lines {
		l := &lines[i]
		fields, rest := segments(l.Text, problemKeys)
		l.Text = strings.Join(rest, "；")
		l.Indicator = fields[FieldIndicator]
		if v := fields[FieldSuggested]; v != "" {
			d, err := ParseDateOn(v, year, today)
			if err != nil {
				errs = append(errs, &ItemError{Item: l.Seq, Field: FieldSuggested, Value: v, Err: err})
			}
			l.SuggestedDue = d
		}
		if l.Text == "" {
			errs = append(errs, &ItemError{Item: l.Seq, Err: ErrEmptyItem})
		}
	}
	if err := sortedErrs(errs).orNil(); err != nil {
		return nil, err
	}
	return lines, nil
}

var planKeys = map[string]string{
	"措施": FieldMeasure, "整改措施": FieldMeasure,
	"时限": FieldDue, "完成时限": FieldDue, "整改时限": FieldDue,
	"责任人": FieldOwner,
}

// ParsePlanLines reads plan lines 「2. 措施：……；时限：6月30日；责任人：……」
// (an unkeyed part is the measure). A field not written stays empty: a
// plan may arrive in parts. Dates must be readable; whether they are in
// range and whether anything is missing is MergePlan's and CheckPlan's.
func ParsePlanLines(text string, year int) ([]PlanLine, error) {
	return ParsePlanLinesOn(text, year, Date{})
}

// ParsePlanLinesOn is ParsePlanLines with today for relative dates
// (「时限：下周五」, see ParseDateOn).
func ParsePlanLinesOn(text string, year int, today Date) ([]PlanLine, error) {
	lines, errs := numberedLines(text)
	out := make([]PlanLine, 0, len(lines))
	for _, l := range lines {
		fields, rest := segments(l.Text, planKeys)
		p := PlanLine{Seq: l.Seq, Measure: fields[FieldMeasure], Owner: fields[FieldOwner], DueText: fields[FieldDue]}
		if p.Measure == "" {
			p.Measure = strings.Join(rest, "；")
		}
		if p.DueText != "" {
			d, err := ParseDateOn(p.DueText, year, today)
			if err != nil {
				errs = append(errs, &ItemError{Item: l.Seq, Field: FieldDue, Value: p.DueText, Err: err})
			}
			p.Due = d
		}
		if p.Measure == "" && p.DueText == "" && p.Owner == "" {
			errs = append(errs, &ItemError{Item: l.Seq, Err: ErrEmptyItem})
		}
		out = append(out, p)
	}
	if err := sortedErrs(errs).orNil(); err != nil {
		return nil, err
	}
	return out, nil
}

// MergePlan lays plan lines over the plans already kept for the unit's
// items (seq → plan): a line sets the fields it writes. Refused as a whole
// (nothing merged) for an item the list does not have, a duplicate line
// or a date outside r.
func MergePlan(items []int, have map[int]ProblemPlan, lines []PlanLine, r PlanRange) (map[int]ProblemPlan, error) {
	var errs ItemErrors
	if len(lines) == 0 {
		errs = append(errs, &ItemError{Err: ErrNoProblems})
	}
	out := make(map[int]ProblemPlan, len(have))
	for k, v := range have {
		out[k] = v
	}
	seen := map[int]bool{}
	for _, l := range lines {
		switch {
		case !slices.Contains(items, l.Seq):
			errs = append(errs, &ItemError{Item: l.Seq, Err: ErrUnknownItem})
			continue
		case seen[l.Seq]:
			errs = append(errs, &ItemError{Item: l.Seq, Err: ErrDuplicateItem})
			continue
		case !l.Due.IsZero() && !r.Has(l.Due):
			errs = append(errs, &ItemError{Item: l.Seq, Field: FieldDue, Value: l.Due.Chinese(), Range: r, Err: ErrDateOutOfRange})
			continue
		}
		seen[l.Seq] = true
		p := out[l.Seq]
		if l.Measure != "" {
			p.Measure = l.Measure
		}
		if !l.Due.IsZero() {
			p.Due = l.Due
		}
		if l.Owner != "" {
			p.Owner = l.Owner
		}
		out[l.Seq] = p
	}
	if err := sortedErrs(errs).orNil(); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckPlan names what every item still lacks (「第3项缺少完成时限」); nil
// when the plan is complete: only then is it the unit's 整改方案.
func CheckPlan(items []int, plans map[int]ProblemPlan) error {
	var errs ItemErrors
	for _, n := range slices.Sorted(slices.Values(items)) {
		p := plans[n]
		if p.Measure == "" {
			errs = append(errs, &ItemError{Item: n, Field: FieldMeasure, Err: ErrMissingField})
		}
		if p.Due.IsZero() {
			errs = append(errs, &ItemError{Item: n, Field: FieldDue, Err: ErrMissingField})
		}
	}
	return errs.orNil()
}

func sortedErrs(es ItemErrors) ItemErrors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Item < es[j].Item })
	return es
}
