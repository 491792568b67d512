package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Why a typed date was refused; both are also ErrBadDate, so callers that
// only ask "is it a bad date" need not know the reasons.
var (
	// ErrDateImpossible: a month or a day that does not exist (2月30日, 13月1日).
	ErrDateImpossible = errors.Join(ErrBadDate, errors.New("rules: no such date"))
	// ErrDateAmbiguous: a text that could mean more than one day (430,
	// 下周, 4月, a weekday of this week already past).
	ErrDateAmbiguous = errors.Join(ErrBadDate, errors.New("rules: ambiguous date"))
)

// DateError is a refused date with what is needed to say precisely why.
type DateError struct {
	Input string
	Err   error // ErrBadDate, ErrDateImpossible or ErrDateAmbiguous
	// Hint is the precise reason in Chinese ("2027年2月只有28天"), or "".
	Hint string
}

func (e *DateError) Error() string { return fmt.Sprintf("%v: %q", e.Err, e.Input) }
func (e *DateError) Unwrap() error { return e.Err }

// DateForms names the forms ParseDateOn reads, for the messages.
const DateForms = "“4月30日”“4.30”“2027-04-30”或“下周五”"

// Chinese is the message for the person who typed the date.
func (e *DateError) Chinese() string {
	in := "“" + clipRunes(e.Input, 16) + "”"
	switch {
	case errors.Is(e.Err, ErrDateImpossible):
		return "日期" + in + "不存在：" + e.Hint + "。请核对后重新发送。"
	case errors.Is(e.Err, ErrDateAmbiguous):
		return "日期" + in + "无法确定是哪一天：" + e.Hint + "。"
	}
	return "日期" + in + "无法识别，请写成" + DateForms + "。"
}

var (
	monthDay   = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})$`)
	monthOnly  = regexp.MustCompile(`^(\d{1,2})月份?$`)
	bareDigits = regexp.MustCompile(`^\d{3,4}$`)
	weekdayRel = regexp.MustCompile(`^(下下|下|本|这|这个)?(?:周|星期|礼拜)([一二三四五六日天1-7])$`)
	daysLater  = regexp.MustCompile(`^(\d{1,3})天[以之]?后$`)
)

var weekdayOf = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday, "五": time.Friday,
	"六": time.Saturday, "日": time.Sunday, "天": time.Sunday,
	"1": time.Monday, "2": time.Tuesday, "3": time.Wednesday, "4": time.Thursday, "5": time.Friday,
	"6": time.Saturday, "7": time.Sunday,
}

// ParseDateOn reads a date as people type it in chat: the forms of
// ParseLooseDate, 4.30, 4-30, 4/30, 4月30, 4月30号 (in year), and relative
// to today: 今天, 明天, 后天, 大后天, 本月底, 下月底, 下周五, 本周五, 周五, 3天后.
// A zero today refuses the relative forms (a spreadsheet has no "today").
// A trailing 前 (「6月30日前」) is the same day. The error is a *DateError
// that says precisely what was wrong: ErrDateImpossible (2月30日),
// ErrDateAmbiguous (430, 下周, a weekday already past) or ErrBadDate.
func ParseDateOn(s string, year int, today Date) (Date, error) {
	in := strings.TrimSpace(s)
	s = strings.ReplaceAll(foldWidth(in), " ", "")
	s = strings.TrimSuffix(s, "前")
	if d, ok, err := relativeDate(s, today); ok || err != nil {
		if err != nil {
			err.(*DateError).Input = in
		}
		return d, err
	}
	var y, m, d int
	if g := monthDay.FindStringSubmatch(s); g != nil {
		y, m, d = year, atoi(g[1]), atoi(g[2])
	} else if date, err := looseDate(s, year); err == nil {
		return date, nil
	} else if g := fullDate.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if g := cnFull.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if g := cnNoYear.FindStringSubmatch(s); g != nil {
		y, m, d = year, atoi(g[1]), atoi(g[2])
	} else {
		return Date{}, ambiguousOrBad(in, s)
	}
	return checkedDate(in, y, m, d)
}

// checkedDate builds the date or says which part does not exist.
func checkedDate(in string, y, m, d int) (Date, error) {
	switch {
	case y < 2000 || y > 2100:
		return Date{}, &DateError{Input: in, Err: ErrDateImpossible, Hint: fmt.Sprintf("年份%d不在督导周期内", y)}
	case m < 1 || m > 12:
		return Date{}, &DateError{Input: in, Err: ErrDateImpossible, Hint: fmt.Sprintf("没有%d月，月份应为1到12", m)}
	}
	last := time.Date(y, time.Month(m)+1, 0, 12, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > last {
		return Date{}, &DateError{Input: in, Err: ErrDateImpossible, Hint: fmt.Sprintf("%d年%d月只有%d天", y, m, last)}
	}
	return Date{y, time.Month(m), d}, nil
}

// ambiguousOrBad tells a text that could be several days from one that is
// no date at all.
func ambiguousOrBad(in, s string) error {
	hint := ""
	switch {
	case bareDigits.MatchString(s):
		hint = "请在月和日之间加点或写成“某月某日”，如“4.30”或“4月30日”"
	case monthOnly.MatchString(s):
		hint = "请写明几日，如“" + strings.TrimSuffix(strings.TrimSuffix(s, "份"), "月") + "月30日”"
	case s == "下周" || s == "本周" || s == "这周" || s == "下星期" || s == "周末":
		hint = "请写明星期几，如“下周五”，或写日期“4月30日”"
	case s == "下个月" || s == "下月" || s == "月中":
		hint = "请写明日期，如“下月底”或“5月15日”"
	default:
		return &DateError{Input: in, Err: ErrBadDate}
	}
	return &DateError{Input: in, Err: ErrDateAmbiguous, Hint: hint}
}

// relativeDate reads the forms that count from today; ok is false when s
// is none of them.
func relativeDate(s string, today Date) (Date, bool, error) {
	offsets := map[string]int{"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
	n, isOffset := offsets[s]
	g := weekdayRel.FindStringSubmatch(s)
	later := daysLater.FindStringSubmatch(s)
	monthEnd := map[string]int{"本月底": 0, "月底": 0, "这个月底": 0, "本月末": 0, "月末": 0, "下月底": 1, "下个月底": 1, "下月末": 1}
	months, isMonthEnd := monthEnd[s]
	if !isOffset && g == nil && later == nil && !isMonthEnd {
		return Date{}, false, nil
	}
	if today.IsZero() {
		return Date{}, false, &DateError{Err: ErrBadDate}
	}
	switch {
	case isOffset:
		return today.AddDays(n), true, nil
	case later != nil:
		return today.AddDays(atoi(later[1])), true, nil
	case isMonthEnd:
		t := time.Date(today.Year, today.Month+time.Month(months)+1, 0, 12, 0, 0, 0, time.UTC)
		return Date{t.Year(), t.Month(), t.Day()}, true, nil
	}
	// Weeks run Monday to Sunday, as on a Chinese calendar.
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	day := monday.AddDays((int(weekdayOf[g[2]]) + 6) % 7)
	switch g[1] {
	case "下":
		return day.AddDays(7), true, nil
	case "下下":
		return day.AddDays(14), true, nil
	}
	if day.Before(today) {
		next := day.AddDays(7)
		return Date{}, true, &DateError{Err: ErrDateAmbiguous, Hint: fmt.Sprintf("本周%s（%d月%d日）已经过去，如指下周请写“下周%s”或“%d月%d日”",
			g[2], int(day.Month), day.Day, g[2], int(next.Month), next.Day)}
	}
	return day, true, nil
}

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
