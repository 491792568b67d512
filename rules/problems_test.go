package rules_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"dudaobot/rules"
)

// on10 is 10:00 on a 2027 date in Asia/Shanghai.
func on10(t testing.TB, m time.Month, d int) time.Time {
	return time.Date(2027, m, d, 10, 0, 0, 0, loadZone(t, "Asia/Shanghai"))
}

func TestProblemStatus(t *testing.T) {
	c := calendar2027(t)
	c28 := calendar2028(t)
	loc := c.Location
	plan := rules.ProblemPlan{Measure: "补齐台账", Due: ymd(2027, time.June, 30)}
	base := func(events ...rules.ProblemEvent) rules.Problem {
		return rules.Problem{ID: "财政-2027-01", Year: 2027, Seq: 1, Text: "台账不全", Plan: plan, Events: events}
	}
	rep := func(tm time.Time) rules.ProblemEvent { return rules.ProblemEvent{Kind: rules.EventReported, At: tm} }
	ver := func(tm time.Time) rules.ProblemEvent {
		return rules.ProblemEvent{Kind: rules.EventVerified, At: tm, Actor: "主任"}
	}
	ret := func(tm time.Time, d rules.Date) rules.ProblemEvent {
		return rules.ProblemEvent{Kind: rules.EventReturned, At: tm, NewDue: d, Reason: "证明材料不全"}
	}
	ext := func(tm time.Time, d rules.Date, judgeNew bool) rules.ProblemEvent {
		return rules.ProblemEvent{Kind: rules.EventExtended, At: tm, NewDue: d, JudgeOnNew: judgeNew, Reason: "资金未到位"}
	}
	type want struct {
		Kind        rules.ProblemStatusKind
		Days        int
		Late        bool
		CarriedOver bool
		Due         rules.Date
		Text        string
	}
	lastMoment := ymd(2027, time.June, 30).End(loc).Add(-time.Second)
	tests := []struct {
		name string
		p    rules.Problem
		c    rules.Calendar
		now  time.Time
		want want
	}{
		{"open: no plan", rules.Problem{Year: 2027}, c, on10(t, time.May, 20),
			want{Kind: rules.ProblemOpen, Text: "待制定措施"}},
		{"open: draft with a measure only", rules.Problem{Year: 2027, Plan: rules.ProblemPlan{Measure: "x"}}, c, on10(t, time.May, 20),
			want{Kind: rules.ProblemOpen, Text: "待制定措施"}},
		{"planned", base(), c, on10(t, time.May, 20),
			want{Kind: rules.ProblemPlanned, Days: 41, Due: plan.Due, Text: "整改中（剩41天）"}},
		{"due: 7 days left", base(), c, on10(t, time.June, 23),
			want{Kind: rules.ProblemDue, Days: 7, Due: plan.Due, Text: "临期（剩7天）"}},
		{"due: last day, last second", base(), c, lastMoment,
			want{Kind: rules.ProblemDue, Days: 0, Due: plan.Due, Text: "临期（今天到期）"}},
		{"overdue: first instant after the day", base(), c, ymd(2027, time.June, 30).End(loc),
			want{Kind: rules.ProblemOverdue, Days: 1, Due: plan.Due, Text: "已逾期1天"}},
		{"overdue: 5 days", base(), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemOverdue, Days: 5, Due: plan.Due, Text: "已逾期5天"}},
		{"reported on time", base(rep(on10(t, time.June, 20))), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemReported, Due: plan.Due, Text: "待销号"}},
		{"reported late", base(rep(on10(t, time.July, 2))), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemReported, Late: true, Due: plan.Due, Text: "待销号（逾期）"}},
		{"report not yet made at now", base(rep(on10(t, time.July, 2))), c, on10(t, time.June, 1),
			want{Kind: rules.ProblemPlanned, Days: 29, Due: plan.Due, Text: "整改中（剩29天）"}},
		{"closed on time (judged on the report)", base(rep(lastMoment), ver(on10(t, time.July, 3))), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemClosed, Due: plan.Due, Text: "已销号"}},
		{"closed on the spot, late", base(ver(on10(t, time.July, 3))), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemClosed, Late: true, Due: plan.Due, Text: "已销号（逾期）"}},
		{"returned, new date ahead", base(rep(on10(t, time.June, 20)), ret(on10(t, time.June, 22), ymd(2027, time.July, 15))), c, on10(t, time.June, 25),
			want{Kind: rules.ProblemReturned, Days: 20, Due: ymd(2027, time.July, 15), Text: "已退回（剩20天）"}},
		{"returned, new date passed: overdue", base(rep(on10(t, time.June, 20)), ret(on10(t, time.June, 22), ymd(2027, time.July, 15))), c, on10(t, time.July, 17),
			want{Kind: rules.ProblemOverdue, Days: 2, Due: ymd(2027, time.July, 15), Text: "已逾期2天"}},
		{"returned then closed: late on the original date", base(rep(on10(t, time.June, 20)), ret(on10(t, time.June, 22), ymd(2027, time.July, 15)), rep(on10(t, time.July, 10)), ver(on10(t, time.July, 11))), c, on10(t, time.July, 20),
			want{Kind: rules.ProblemClosed, Late: true, Due: ymd(2027, time.July, 15), Text: "已销号（逾期）"}},
		{"extended", base(ext(on10(t, time.June, 25), ymd(2027, time.July, 31), false)), c, on10(t, time.July, 5),
			want{Kind: rules.ProblemExtended, Days: 26, Due: ymd(2027, time.July, 31), Text: "已延期（剩26天）"}},
		{"extended then closed: late on the original date", base(ext(on10(t, time.June, 25), ymd(2027, time.July, 31), false), rep(on10(t, time.July, 20)), ver(on10(t, time.July, 21))), c, on10(t, time.July, 25),
			want{Kind: rules.ProblemClosed, Late: true, Due: ymd(2027, time.July, 31), Text: "已销号（逾期）"}},
		{"extended, judged on the new date: on time", base(ext(on10(t, time.June, 25), ymd(2027, time.July, 31), true), rep(on10(t, time.July, 20)), ver(on10(t, time.July, 21))), c, on10(t, time.July, 25),
			want{Kind: rules.ProblemClosed, Due: ymd(2027, time.July, 31), Text: "已销号"}},
		{"extended date passed: overdue", base(ext(on10(t, time.June, 25), ymd(2027, time.July, 31), false)), c, on10(t, time.August, 2),
			want{Kind: rules.ProblemOverdue, Days: 2, Due: ymd(2027, time.July, 31), Text: "已逾期2天"}},
		{"visit changes nothing", base(rules.ProblemEvent{Kind: rules.EventVisit, At: on10(t, time.May, 20), Date: ymd(2027, time.May, 20)}), c, on10(t, time.May, 20),
			want{Kind: rules.ProblemPlanned, Days: 41, Due: plan.Due, Text: "整改中（剩41天）"}},
		{"carried over: still overdue next year", base(), c28, time.Date(2028, time.March, 1, 10, 0, 0, 0, loc),
			want{Kind: rules.ProblemOverdue, Days: 245, CarriedOver: true, Due: plan.Due, Text: "上年度遗留·已逾期245天"}},
		{"carried over: closed in the new year counts there", base(ver(time.Date(2028, time.January, 5, 10, 0, 0, 0, loc))), c28, time.Date(2028, time.March, 1, 10, 0, 0, 0, loc),
			want{Kind: rules.ProblemClosed, Late: true, CarriedOver: true, Due: plan.Due, Text: "上年度遗留·已销号（逾期）"}},
		{"closed in its own year: no carry-over", base(rep(on10(t, time.June, 1)), ver(on10(t, time.June, 2))), c28, time.Date(2028, time.March, 1, 10, 0, 0, 0, loc),
			want{Kind: rules.ProblemClosed, Due: plan.Due, Text: "已销号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := rules.ProblemStatusOf(tt.p, tt.c, tt.now)
			got := want{st.Kind, st.Days, st.Late, st.CarriedOver, st.Due, st.Text()}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestProblemInYearAndCounts(t *testing.T) {
	c28 := calendar2028(t)
	loc := c28.Location
	now := time.Date(2028, time.March, 1, 10, 0, 0, 0, loc)
	due := rules.ProblemPlan{Measure: "m", Due: ymd(2027, time.June, 30)}
	closed27 := rules.Problem{Year: 2027, Plan: due, Events: []rules.ProblemEvent{{Kind: rules.EventVerified, At: on10(t, time.June, 1)}}}
	open27 := rules.Problem{Year: 2027, Plan: due}
	closed28 := rules.Problem{Year: 2027, Plan: due, Events: []rules.ProblemEvent{{Kind: rules.EventVerified, At: time.Date(2028, time.February, 1, 9, 0, 0, 0, loc)}}}
	new28 := rules.Problem{Year: 2028}
	next := rules.Problem{Year: 2029}
	for _, tt := range []struct {
		name string
		p    rules.Problem
		want bool
	}{{"closed the year before", closed27, false}, {"open from the year before", open27, true},
		{"closed this year", closed28, true}, {"raised this year", new28, true}, {"a later year", next, false}} {
		if got := rules.ProblemInYear(tt.p, c28, now); got != tt.want {
			t.Errorf("%s: ProblemInYear = %v, want %v", tt.name, got, tt.want)
		}
	}
	n := rules.CountProblems([]rules.Problem{closed27, open27, closed28, new28, next}, c28, now)
	if want := (rules.ProblemCounts{Total: 3, Closed: 1, Overdue: 1, CarriedOver: 2}); n != want {
		t.Errorf("CountProblems = %+v, want %+v", n, want)
	}
	if got, want := n.Text(), "整改事项：共3项，已销号1项，逾期1项（含上年度遗留2项）"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestProblemIDAndShortName(t *testing.T) {
	u := rules.Unit{Name: "县财政局", Aliases: []string{"财政局", "财政", "县财政"}}
	if got := rules.ProblemID(u.ShortName(), 2027, 3); got != "财政-2027-03" {
		t.Errorf("ProblemID = %q", got)
	}
	if got := (rules.Unit{Name: "县委办公室"}).ShortName(); got != "县委办公室" {
		t.Errorf("ShortName without aliases = %q", got)
	}
	if got := rules.ProblemID("教科", 2027, 12); got != "教科-2027-12" {
		t.Errorf("ProblemID = %q", got)
	}
}

func TestParseProblemList(t *testing.T) {
	got, err := rules.ParseProblemList("1. 教育经费台账不全\n2、 学校安全隐患\n 未及时整改；指标：3.2.1；时限：6月30日\n（３）控辍保学；对应指标：B2", 2027)
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.ProblemLine{
		{Seq: 1, Text: "教育经费台账不全"},
		{Seq: 2, Text: "学校安全隐患未及时整改", Indicator: "3.2.1", SuggestedDue: ymd(2027, time.June, 30)},
		{Seq: 3, Text: "控辍保学", Indicator: "B2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseProblemListErrors(t *testing.T) {
	tests := []struct {
		name, text string
		is         error
		chinese    string
	}{
		{"empty", "", rules.ErrNoProblems, "没有找到编号的事项，请每行一项，如“1. ……”"},
		{"no numbers", "经费不足", rules.ErrUnnumbered, "“经费不足”前面缺少序号，请每行一项，如“1. ……”"},
		{"duplicate", "1. a\n2. b\n2. c", rules.ErrDuplicateItem, "第2项序号重复"},
		{"empty item", "1. a\n2. ", rules.ErrEmptyItem, "第2项没有内容"},
		{"bad suggested date", "1. a；时限：2月30日", rules.ErrBadDate, "第1项整改时限建议“2月30日”不存在：2027年2月只有28天"},
		{"several, in item order", "3. \n1. a\n1. b", rules.ErrDuplicateItem, "第1项序号重复\n第3项没有内容"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.ParseProblemList(tt.text, 2027)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			var es rules.ItemErrors
			if !errors.As(err, &es) {
				t.Fatalf("err %T is not ItemErrors", err)
			}
			if got := es.Chinese(); got != tt.chinese {
				t.Errorf("Chinese = %q, want %q", got, tt.chinese)
			}
		})
	}
}

func TestPlanParseMergeCheck(t *testing.T) {
	items := []int{1, 2, 3}
	r := rules.PlanDates(2027, false)
	lines, err := rules.ParsePlanLines("1. 措施：补齐台账；时限：6月30日；责任人：张三\n2. 排查隐患；完成时限：2027-07-15\n3. 措施：建立机制", 2027)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := rules.MergePlan(items, nil, lines, r)
	if err != nil {
		t.Fatal(err)
	}
	err = rules.CheckPlan(items, plans)
	var es rules.ItemErrors
	if !errors.As(err, &es) || es.Chinese() != "第3项缺少完成时限" || !errors.Is(err, rules.ErrMissingField) {
		t.Fatalf("CheckPlan = %v", err)
	}
	if p := plans[1]; p.Measure != "补齐台账" || p.Due != ymd(2027, time.June, 30) || p.Owner != "张三" || !p.Complete() {
		t.Errorf("item 1 = %+v", p)
	}
	if p := plans[2]; p.Measure != "排查隐患" || p.Due != ymd(2027, time.July, 15) {
		t.Errorf("item 2 = %+v", p)
	}
	fix, err := rules.ParsePlanLines("3. 时限：8月31日", 2027)
	if err != nil {
		t.Fatal(err)
	}
	plans, err = rules.MergePlan(items, plans, fix, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.CheckPlan(items, plans); err != nil {
		t.Fatalf("complete plan: %v", err)
	}
	if p := plans[3]; p.Measure != "建立机制" || p.Due != ymd(2027, time.August, 31) {
		t.Errorf("item 3 after the fix = %+v", p)
	}
	if err := rules.CheckPlan(items, nil); err == nil || err.(rules.ItemErrors).Chinese() !=
		"第1项缺少整改措施\n第1项缺少完成时限\n第2项缺少整改措施\n第2项缺少完成时限\n第3项缺少整改措施\n第3项缺少完成时限" {
		t.Errorf("empty plan: %v", err)
	}
}

func TestPlanErrors(t *testing.T) {
	items := []int{1, 2, 3}
	tests := []struct {
		name, text string
		r          rules.PlanRange
		is         error
		chinese    string
	}{
		{"no items", "请查收", rules.PlanDates(2027, false), rules.ErrUnnumbered, "“请查收”前面缺少序号，请每行一项，如“1. ……”"},
		{"unknown item", "7. 措施：x；时限：6月30日", rules.PlanDates(2027, false), rules.ErrUnknownItem, "问题清单中没有第7项"},
		{"duplicate", "1. a\n1. b", rules.PlanDates(2027, false), rules.ErrDuplicateItem, "第1项序号重复"},
		{"bad date", "2. 措施：x；时限：下个月", rules.PlanDates(2027, false), rules.ErrBadDate, "第2项完成时限“下个月”无法确定是哪一天：请写明日期，如“下月底”或“5月15日”"},
		{"date before the year", "2. 措施：x；时限：2026-12-31", rules.PlanDates(2027, false), rules.ErrDateOutOfRange, "第2项完成时限2026年12月31日不在2027年内"},
		{"next year not allowed", "2. 措施：x；时限：2028-01-15", rules.PlanDates(2027, false), rules.ErrDateOutOfRange, "第2项完成时限2028年1月15日不在2027年内"},
		{"beyond the next year", "2. 措施：x；时限：2029-01-01", rules.PlanDates(2027, true), rules.ErrDateOutOfRange, "第2项完成时限2029年1月1日不在2027年至2028年内"},
		{"empty line", "2.", rules.PlanDates(2027, false), rules.ErrEmptyItem, "第2项没有内容"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := rules.ParsePlanLines(tt.text, 2027)
			if err == nil {
				_, err = rules.MergePlan(items, nil, lines, tt.r)
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if got := err.(rules.ItemErrors).Chinese(); got != tt.chinese {
				t.Errorf("Chinese = %q, want %q", got, tt.chinese)
			}
		})
	}
	lines, _ := rules.ParsePlanLines("2. 措施：x；时限：2028-01-15", 2027)
	if _, err := rules.MergePlan(items, nil, lines, rules.PlanDates(2027, true)); err != nil {
		t.Errorf("next year allowed: %v", err)
	}
	if _, err := rules.MergePlan(items, nil, nil, rules.PlanDates(2027, true)); !errors.Is(err, rules.ErrNoProblems) {
		t.Errorf("no lines: %v", err)
	}
}

func TestParseLooseDate(t *testing.T) {
	for in, want := range map[string]rules.Date{
		"6月30日": ymd(2027, time.June, 30), "2028年1月5日": ymd(2028, time.January, 5), "2027-6-30": ymd(2027, time.June, 30),
		"2027/06/30": ymd(2027, time.June, 30), "2027.6.30": ymd(2027, time.June, 30), "6/30": ymd(2027, time.June, 30),
		"６月３０号": ymd(2027, time.June, 30),
	} {
		got, err := rules.ParseLooseDate(in, 2027)
		if err != nil || got != want {
			t.Errorf("ParseLooseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2月30日", "13月1日", "下周", "2027-02-29", "1999-01-01"} {
		if _, err := rules.ParseLooseDate(in, 2027); !errors.Is(err, rules.ErrBadDate) {
			t.Errorf("ParseLooseDate(%q) err = %v, want ErrBadDate", in, err)
		}
	}
}

func TestEvidenceLabel(t *testing.T) {
	if got := (rules.Evidence{Name: "照片.jpg", SHA256: "0123456789abcdef"}).Label(); got != "照片.jpg（01234567）" {
		t.Errorf("file label = %q", got)
	}
	if got := (rules.Evidence{Text: "已补齐2026年全部台账并由局长签字确认归档备查"}).Label(); got != "文字：已补齐2026年全部台账并由局长签字确认归档备查" {
		t.Errorf("text label = %q", got)
	}
}

func TestCheckProblemEvent(t *testing.T) {
	d := ymd(2027, time.July, 31)
	planned := rules.Problem{ID: "财政-2027-01", Plan: rules.ProblemPlan{Measure: "m", Due: ymd(2027, time.June, 30)}}
	with := func(p rules.Problem, kinds ...rules.ProblemEventKind) rules.Problem {
		for _, k := range kinds {
			p.Events = append(p.Events, rules.ProblemEvent{Kind: k})
		}
		return p
	}
	tests := []struct {
		name string
		p    rules.Problem
		e    rules.ProblemEvent
		want error
	}{
		{"report", planned, rules.ProblemEvent{Kind: rules.EventReported}, nil},
		{"report again", with(planned, rules.EventReported), rules.ProblemEvent{Kind: rules.EventReported}, nil},
		{"verify on the spot", planned, rules.ProblemEvent{Kind: rules.EventVerified}, nil},
		{"return a report", with(planned, rules.EventReported), rules.ProblemEvent{Kind: rules.EventReturned, NewDue: d}, nil},
		{"return without a report", planned, rules.ProblemEvent{Kind: rules.EventReturned, NewDue: d}, rules.ErrNotReported},
		{"return twice", with(planned, rules.EventReported, rules.EventReturned), rules.ProblemEvent{Kind: rules.EventReturned, NewDue: d}, rules.ErrNotReported},
		{"return without a date", with(planned, rules.EventReported), rules.ProblemEvent{Kind: rules.EventReturned}, rules.ErrNoNewDate},
		{"extend", planned, rules.ProblemEvent{Kind: rules.EventExtended, NewDue: d}, nil},
		{"extend without a date", planned, rules.ProblemEvent{Kind: rules.EventExtended}, rules.ErrNoNewDate},
		{"extend without a plan", rules.Problem{}, rules.ProblemEvent{Kind: rules.EventExtended, NewDue: d}, rules.ErrNoPlan},
		{"report a closed item", with(planned, rules.EventVerified), rules.ProblemEvent{Kind: rules.EventReported}, rules.ErrProblemClosed},
		{"close twice", with(planned, rules.EventReported, rules.EventVerified), rules.ProblemEvent{Kind: rules.EventVerified}, rules.ErrProblemClosed},
		{"visit a closed item", with(planned, rules.EventVerified), rules.ProblemEvent{Kind: rules.EventVisit}, nil},
		{"unknown kind", planned, rules.ProblemEvent{Kind: "deleted"}, rules.ErrUnknownEvent},
	}
	for _, tt := range tests {
		err := rules.CheckProblemEvent(tt.p, tt.e)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}
