package rules_test

import (
	"errors"
	"testing"
	"time"

	"dudaobot/rules"
)

// Ensure every form people type in chat reads as the right day, relative
// forms against the given today (Wednesday 28 April 2027), and every
// refusal says precisely why.
func TestParseDateOn(t *testing.T) {
	today := rules.Date{Year: 2027, Month: time.April, Day: 28} // a Wednesday
	ymd := func(m time.Month, d int) rules.Date { return rules.Date{Year: 2027, Month: m, Day: d} }
	for _, tc := range []struct {
		in   string
		want rules.Date
	}{
		{"4.30", ymd(time.April, 30)},
		{"4-30", ymd(time.April, 30)},
		{"4/30", ymd(time.April, 30)},
		{"4月30", ymd(time.April, 30)},
		{"4月30号", ymd(time.April, 30)},
		{"4月30日", ymd(time.April, 30)},
		{"４．３０", ymd(time.April, 30)},
		{"6月30日前", ymd(time.June, 30)},
		{"2027-04-30", ymd(time.April, 30)},
		{"2027.4.30", ymd(time.April, 30)},
		{"2027年4月30日", ymd(time.April, 30)},
		{"今天", today},
		{"明天", ymd(time.April, 29)},
		{"后天", ymd(time.April, 30)},
		{"大后天", ymd(time.May, 1)},
		{"3天后", ymd(time.May, 1)},
		{"本月底", ymd(time.April, 30)},
		{"月底", ymd(time.April, 30)},
		{"下月底", ymd(time.May, 31)},
		{"下周五", ymd(time.May, 7)},
		{"下星期一", ymd(time.May, 3)},
		{"下周日", ymd(time.May, 9)},
		{"本周五", ymd(time.April, 30)},
		{"周五", ymd(time.April, 30)},
		{"星期三", today},
		{"下下周一", ymd(time.May, 10)},
	} {
		got, err := rules.ParseDateOn(tc.in, 2027, today)
		if err != nil || got != tc.want {
			t.Errorf("ParseDateOn(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		err  error
		want string // DateError.Chinese()
	}{
		{"2月30日", rules.ErrDateImpossible, "日期“2月30日”不存在：2027年2月只有28天。请核对后重新发送。"},
		{"2027-02-29", rules.ErrDateImpossible, "日期“2027-02-29”不存在：2027年2月只有28天。请核对后重新发送。"},
		{"13.1", rules.ErrDateImpossible, "日期“13.1”不存在：没有13月，月份应为1到12。请核对后重新发送。"},
		{"4.31", rules.ErrDateImpossible, "日期“4.31”不存在：2027年4月只有30天。请核对后重新发送。"},
		{"430", rules.ErrDateAmbiguous, "日期“430”无法确定是哪一天：请在月和日之间加点或写成“某月某日”，如“4.30”或“4月30日”。"},
		{"下周", rules.ErrDateAmbiguous, "日期“下周”无法确定是哪一天：请写明星期几，如“下周五”，或写日期“4月30日”。"},
		{"5月", rules.ErrDateAmbiguous, "日期“5月”无法确定是哪一天：请写明几日，如“5月30日”。"},
		{"周一", rules.ErrDateAmbiguous, "日期“周一”无法确定是哪一天：本周一（4月26日）已经过去，如指下周请写“下周一”或“5月3日”。"},
		{"下个月", rules.ErrDateAmbiguous, "日期“下个月”无法确定是哪一天：请写明日期，如“下月底”或“5月15日”。"},
		{"尽快", rules.ErrBadDate, "日期“尽快”无法识别，请写成“4月30日”“4.30”“2027-04-30”或“下周五”。"},
	} {
		_, err := rules.ParseDateOn(tc.in, 2027, today)
		var de *rules.DateError
		if !errors.Is(err, tc.err) || !errors.Is(err, rules.ErrBadDate) || !errors.As(err, &de) {
			t.Errorf("ParseDateOn(%q) err = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if got := de.Chinese(); got != tc.want {
			t.Errorf("ParseDateOn(%q) message\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	// Without a today (a spreadsheet) relative dates are not dates.
	if _, err := rules.ParseLooseDate("下周五", 2027); !errors.Is(err, rules.ErrBadDate) {
		t.Errorf("ParseLooseDate(下周五) err = %v, want ErrBadDate", err)
	}
}

// Ensure plan lines and problem lists typed in chat read relative dates
// against today, and without a today they stay refused.
func TestPlanLinesRelativeDates(t *testing.T) {
	today := rules.Date{Year: 2027, Month: time.April, Day: 28}
	lines, err := rules.ParsePlanLinesOn("1. 措施：补齐台账；时限：下周五\n2. 措施：建立制度；时限：6.30", 2027, today)
	if err != nil {
		t.Fatal(err)
	}
	if got := []rules.Date{lines[0].Due, lines[1].Due}; got[0] != (rules.Date{Year: 2027, Month: time.May, Day: 7}) || got[1] != (rules.Date{Year: 2027, Month: time.June, Day: 30}) {
		t.Errorf("plan dates = %v", got)
	}
	probs, err := rules.ParseProblemListOn("1. 经费台账不全；时限：下月底", 2027, today)
	if err != nil || probs[0].SuggestedDue != (rules.Date{Year: 2027, Month: time.May, Day: 31}) {
		t.Errorf("problem list = %+v, %v", probs, err)
	}
	if _, err := rules.ParsePlanLines("1. 措施：补齐台账；时限：下周五", 2027); !errors.Is(err, rules.ErrBadDate) {
		t.Errorf("without today: err = %v, want ErrBadDate", err)
	}
}
