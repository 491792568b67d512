package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParsePoints(t *testing.T) {
	tests := []struct {
		in   string
		want Points
		err  error
	}{
		{"3", 300, nil},
		{"3.5", 350, nil},
		{"3.33", 333, nil},
		{" 3.30 ", 330, nil},
		{".5", 50, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"３．５", 350, nil},
		{"3.333", 0, ErrScoreTooPrecise},
		{"3.3300", 333, nil},
		{"-1", 0, ErrScoreNegative},
		{"-0.5", 0, ErrScoreNegative},
		{"", 0, ErrScoreNotNumber},
		{"三分", 0, ErrScoreNotNumber},
		{"3分", 0, ErrScoreNotNumber},
		{"3.", 0, ErrScoreNotNumber},
		{".", 0, ErrScoreNotNumber},
		{"1e2", 0, ErrScoreNotNumber},
		{"1,5", 0, ErrScoreNotNumber},
		{"12345678", 0, ErrScoreOverMax},
	}
	for _, tt := range tests {
		got, err := ParsePoints(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParsePoints(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestPointsAndTenthsString(t *testing.T) {
	for p, want := range map[Points]string{300: "3", 350: "3.5", 333: "3.33", 0: "0", 10000: "100", 5: "0.05"} {
		if got := p.String(); got != want {
			t.Errorf("Points(%d) = %q, want %q", p, got, want)
		}
	}
	for v, want := range map[Tenths]string{935: "93.5", 1000: "100.0", 0: "0.0", 5: "0.5"} {
		if got := v.String(); got != want {
			t.Errorf("Tenths(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestEqualShares(t *testing.T) {
	codes := make([]string, 30)
	for i := range codes {
		codes[i] = string(rune('a' + i))
	}
	got := EqualShares(codes)
	var sum Points
	for i, in := range got {
		sum += in.Max
		want := Points(333)
		if i < 10 {
			want = 334
		}
		if in.Max != want {
			t.Errorf("share %d = %s, want %s", i, in.Max, want)
		}
	}
	if sum != 10000 {
		t.Errorf("shares sum to %s, want 100", sum)
	}
	if s := EqualShares([]string{"x", "y", "z", "w"}); s[0].Max != 2500 || s[3].Max != 2500 {
		t.Errorf("4 shares: %v", s)
	}
	if len(EqualShares(nil)) != 0 {
		t.Error("no codes: want no shares")
	}
}

// fourModel has four indicators of 25 points; unit "part" is scored on two.
func fourModel() ScoringModel {
	return ScoringModel{
		Indicators:       EqualShares([]string{"1", "2", "3", "4"}),
		Weights:          map[ScoreSource]int{SourceInspection: 70, SourceSelf: 30},
		Bands:            DefaultGradeBands(),
		UnitIndicators:   map[string][]string{"part": {"2", "4"}, "none": {}},
		RepeatedLateness: 2,
	}
}

func TestCheckScore(t *testing.T) {
	m := fourModel()
	tests := []struct {
		unit, code string
		p          Points
		want       error
	}{
		{"a", "1", 2500, nil},
		{"a", "1", 0, nil},
		{"a", "1", 2501, ErrScoreOverMax},
		{"a", "1", -1, ErrScoreNegative},
		{"a", "9", 100, ErrScoreUnknownCode},
		{"part", "1", 100, ErrScoreNotApplied},
		{"part", "2", 100, nil},
		{"none", "2", 100, ErrScoreNotApplied},
	}
	for _, tt := range tests {
		if err := m.CheckScore(tt.unit, tt.code, tt.p); !errors.Is(err, tt.want) {
			t.Errorf("CheckScore(%s, %s, %s) = %v, want %v", tt.unit, tt.code, tt.p, err, tt.want)
		}
	}
}

func TestComputeResults(t *testing.T) {
	m := fourModel()
	sum := func(unit string, src ScoreSource, p Points, n int) SourceSum {
		return SourceSum{UnitKey: unit, Source: src, Sum: p, Count: n}
	}
	tests := []struct {
		name     string
		unit     ScoredUnit
		sums     []SourceSum
		graded   bool
		weighted Tenths
		grade    string
		missing  []ScoreSource
		totals   map[ScoreSource]Tenths
	}{
		{name: "full marks", unit: ScoredUnit{"a", true},
			sums:   []SourceSum{sum("a", SourceInspection, 10000, 4), sum("a", SourceSelf, 10000, 4)},
			graded: true, weighted: 1000, grade: GradeExcellent,
			totals: map[ScoreSource]Tenths{SourceInspection: 1000, SourceSelf: 1000}},
		{name: "weighted 70/30: 0.7×80 + 0.3×100 = 86.0", unit: ScoredUnit{"a", true},
			sums:   []SourceSum{sum("a", SourceInspection, 8000, 4), sum("a", SourceSelf, 10000, 4)},
			graded: true, weighted: 860, grade: GradeGood},
		{name: "half up: 0.7×89.93 + 0.3×90 = 89.951 → 90.0 优秀", unit: ScoredUnit{"a", true},
			sums:   []SourceSum{sum("a", SourceInspection, 8993, 4), sum("a", SourceSelf, 9000, 4)},
			graded: true, weighted: 900, grade: GradeExcellent,
			totals: map[ScoreSource]Tenths{SourceInspection: 899, SourceSelf: 900}},
		{name: "exactly .x5 rounds up: 0.7×59.95 + 0.3×59.95 = 59.95 → 60.0", unit: ScoredUnit{"a", true},
			sums:   []SourceSum{sum("a", SourceInspection, 5995, 4), sum("a", SourceSelf, 5995, 4)},
			graded: true, weighted: 600, grade: GradePass,
			totals: map[ScoreSource]Tenths{SourceInspection: 600, SourceSelf: 600}},
		{name: "just below the band: 59.94 → 59.9 不合格", unit: ScoredUnit{"a", true},
			sums:   []SourceSum{sum("a", SourceInspection, 5994, 4), sum("a", SourceSelf, 5994, 4)},
			graded: true, weighted: 599, grade: GradeFail},
		{name: "missing inspection cell: not graded", unit: ScoredUnit{"a", true},
			sums:    []SourceSum{sum("a", SourceInspection, 7500, 3), sum("a", SourceSelf, 10000, 4)},
			missing: []ScoreSource{SourceInspection},
			totals:  map[ScoreSource]Tenths{SourceSelf: 1000}},
		{name: "nothing scored", unit: ScoredUnit{"a", true},
			missing: []ScoreSource{SourceSelf, SourceInspection}},
		{name: "two applicable indicators: scaled to 100", unit: ScoredUnit{"part", true},
			sums:   []SourceSum{sum("part", SourceInspection, 4000, 2), sum("part", SourceSelf, 5000, 2)},
			graded: true, weighted: 860, grade: GradeGood,
			totals: map[ScoreSource]Tenths{SourceInspection: 800, SourceSelf: 1000}},
		{name: "no applicable indicator: no result", unit: ScoredUnit{"none", true},
			sums: []SourceSum{sum("none", SourceSelf, 0, 0)}},
		{name: "not inspected: self-assessment alone", unit: ScoredUnit{"a", false},
			sums:   []SourceSum{sum("a", SourceSelf, 7250, 4)},
			graded: true, weighted: 725, grade: GradePass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeResults(m, []ScoredUnit{tt.unit}, tt.sums)[0]
			if got.Graded != tt.graded || got.Weighted != tt.weighted || got.Grade != tt.grade {
				t.Errorf("graded %v weighted %s grade %q; want %v %s %q", got.Graded, got.Weighted, got.Grade, tt.graded, tt.weighted, tt.grade)
			}
			if !slices.Equal(got.Missing, tt.missing) {
				t.Errorf("missing %v, want %v", got.Missing, tt.missing)
			}
			for src, want := range tt.totals {
				if sr := got.Source(src); !sr.Complete || sr.Total != want {
					t.Errorf("%s total %s (complete %v), want %s", src, sr.Total, sr.Complete, want)
				}
			}
			if tt.graded != (got.Rank == 1) {
				t.Errorf("rank %d for a single unit (graded %v)", got.Rank, got.Graded)
			}
		})
	}
}

func TestRankResultsTies(t *testing.T) {
	rs := []UnitResult{
		{UnitKey: "a", Graded: true, Weighted: 850},
		{UnitKey: "b", Graded: true, Weighted: 910},
		{UnitKey: "c"},
		{UnitKey: "d", Graded: true, Weighted: 850},
		{UnitKey: "e", Graded: true, Weighted: 700},
	}
	RankResults(rs)
	want := map[string]int{"b": 1, "a": 2, "d": 2, "e": 4, "c": 0}
	for _, r := range rs {
		if r.Rank != want[r.UnitKey] {
			t.Errorf("%s rank %d, want %d", r.UnitKey, r.Rank, want[r.UnitKey])
		}
	}
	var order []string
	for _, r := range ByRank(rs) {
		order = append(order, r.UnitKey)
	}
	if !slices.Equal(order, []string{"b", "a", "d", "e", "c"}) {
		t.Errorf("ByRank order %v", order)
	}
}

func TestUnitTotalsSkipsNotApplicable(t *testing.T) {
	m := fourModel()
	got := UnitTotals(m, []Score{
		{UnitKey: "part", Code: "2", Source: SourceSelf, Points: 2000},
		{UnitKey: "part", Code: "1", Source: SourceSelf, Points: 2500}, // not applicable
		{UnitKey: "part", Code: "4", Source: SourceSelf, Points: 1000},
		{UnitKey: "part", Code: "4", Source: SourceInspection, Points: 500},
	})
	want := []SourceSum{{"part", SourceSelf, 3000, 2}, {"part", SourceInspection, 500, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("UnitTotals = %v, want %v", got, want)
	}
}

func TestBuildResultList(t *testing.T) {
	m := fourModel()
	results := []UnitResult{
		{UnitKey: "good", Graded: true, Weighted: 955, Grade: GradeExcellent, Rank: 1,
			Inspection: SourceResult{Complete: true, Total: 950}, Self: SourceResult{Complete: true, Total: 967}},
		{UnitKey: "bad", Graded: true, Weighted: 552, Grade: GradeFail, Rank: 4,
			Inspection: SourceResult{Complete: true, Total: 500}, Self: SourceResult{Complete: true, Total: 673}},
		{UnitKey: "late", Graded: true, Weighted: 930, Grade: GradeExcellent, Rank: 2,
			Inspection: SourceResult{Complete: true, Total: 930}, Self: SourceResult{Complete: true, Total: 930}},
		{UnitKey: "once", Graded: true, Weighted: 800, Grade: GradeGood, Rank: 3},
		{UnitKey: "item"},
	}
	stages := map[string][]StageStatus{
		"late": {
			{Stage: StageSelfAssessment, Kind: StatusLate, Days: 3},
			{Stage: StageFeedback, Kind: StatusOverdue, Days: 9}, // the office's, never the unit's
			{Stage: StageRectificationPlan, Kind: StatusOverdue, Days: 2},
		},
		"once": {{Stage: StageSelfAssessment, Kind: StatusLate, Days: 1}},
	}
	items := []OverdueItem{{UnitKey: "item", Title: "校园周边噪音治理", Due: Date{2027, time.June, 30}, Days: 5}}
	got := BuildResultList(ResultListInput{Model: m, Results: results, Stages: stages, OverdueItems: items})
	var lines []string
	for _, e := range got {
		lines = append(lines, string(e.Action)+" "+e.UnitKey+"："+strings.Join(e.Reasons, "；"))
	}
	want := []string{
		"表彰建议 good：加权总分95.5（督导评价95.0，自评96.7），等级优秀，排名第1",
		"不合格 bad：加权总分55.2（督导评价50.0，自评67.3），等级不合格，排名第4，低于60分",
		"约谈/通报建议 late：整改不力：整改方案已逾期2天未报送；多次逾期（2项）：自查自评报告逾期3天报送、整改方案已逾期2天未报送；等级为优秀，但被约谈、通报的单位取消评优资格，未列入表彰建议",
		"约谈/通报建议 item：整改事项“校园周边噪音治理”已逾期5天（期限2027年6月30日）",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("result list:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestScoredUnitsAndReport(t *testing.T) {
	units := []Unit{
		{Key: "a"},
		{Key: "self", Stages: []Stage{StageSelfAssessment}}, // never inspected
		{Key: "office", Stages: []Stage{}},                  // not evaluated
		{Key: "b"},
	}
	got := ScoredUnits(units, NewInspected([]string{"a"}))
	want := []ScoredUnit{{"a", true}, {"self", false}, {"b", false}}
	if !slices.Equal(got, want) {
		t.Errorf("ScoredUnits = %v, want %v", got, want)
	}
	m := fourModel()
	full := func(u string, src ScoreSource, sum Points) SourceSum {
		return SourceSum{UnitKey: u, Source: src, Sum: sum, Count: 4}
	}
	rep := BuildScoreReport(ScoreReportInput{Model: m, Units: units, Inspected: NewInspected([]string{"a"}),
		Sums: []SourceSum{full("a", SourceInspection, 9500), full("a", SourceSelf, 9000), full("self", SourceSelf, 5000), full("office", SourceSelf, 10000)}})
	if len(rep.Results) != 3 {
		t.Fatalf("%d results, want 3 (the office is not scored)", len(rep.Results))
	}
	if r, _ := rep.Result("a"); r.Weighted != 935 || r.Rank != 1 {
		t.Errorf("a: %s rank %d, want 93.5 rank 1", r.Weighted, r.Rank)
	}
	if r, _ := rep.Result("self"); r.Weighted != 500 || r.Grade != GradeFail || r.Rank != 2 {
		t.Errorf("self: %s %s rank %d, want 50.0 不合格 rank 2 (self-assessment alone)", r.Weighted, r.Grade, r.Rank)
	}
	if r, _ := rep.Result("b"); r.Graded || !slices.Equal(r.Missing, []ScoreSource{SourceSelf}) {
		t.Errorf("b: %+v, want missing self-assessment (not inspected: inspection does not count)", r)
	}
	if _, ok := rep.Result("office"); ok {
		t.Error("the office has a result")
	}
	if len(rep.List) != 2 || rep.List[0].Action != ActionCommend || rep.List[1].Action != ActionFail {
		t.Errorf("list %+v", rep.List)
	}
}

// Only items past their date with nothing reported are overdue items of
// the result list; the title is clipped for a chat line.
func TestOverdueItems(t *testing.T) {
	loc := time.UTC
	c := Calendar{Year: 2027, Location: loc}
	now := time.Date(2027, time.July, 5, 10, 0, 0, 0, loc)
	due := Date{2027, time.June, 30}
	ps := []Problem{
		{Year: 2027, UnitKey: "a", Text: "校园周边噪音治理", Plan: ProblemPlan{Measure: "m", Due: due}},
		{Year: 2027, UnitKey: "b", Text: "已报告", Plan: ProblemPlan{Measure: "m", Due: due},
			Events: []ProblemEvent{{Kind: EventReported, At: time.Date(2027, time.July, 1, 9, 0, 0, 0, loc)}}},
		{Year: 2027, UnitKey: "c", Text: "未到期", Plan: ProblemPlan{Measure: "m", Due: Date{2027, time.August, 1}}},
		{Year: 2027, UnitKey: "d", Text: "无计划"},
	}
	got := OverdueItems(ps, c, now)
	want := []OverdueItem{{UnitKey: "a", Title: "校园周边噪音治理", Due: due, Days: 5}}
	if !slices.Equal(got, want) {
		t.Errorf("OverdueItems = %+v, want %+v", got, want)
	}
}

// CheckedIndicators keeps a mapped unit's third-level indicators (and the
// upper levels); an unmapped unit is checked against all.
func TestCheckedIndicators(t *testing.T) {
	inds := []Indicator{{Code: "一", Level: 1}, {Code: "1", Level: 3}, {Code: "2", Level: 3}, {Code: "3", Level: 3}}
	m := ScoringModel{UnitIndicators: map[string][]string{"czj": {"2"}, "ddb": {}}}
	codes := func(is []Indicator) (out []string) {
		for _, in := range is {
			out = append(out, in.Code)
		}
		return out
	}
	for _, tc := range []struct {
		unit string
		want []string
	}{
		{"czj", []string{"一", "2"}},
		{"ddb", []string{"一"}},
		{"gaj", []string{"一", "1", "2", "3"}},
	} {
		if got := codes(m.CheckedIndicators(tc.unit, inds)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.unit, got, tc.want)
		}
	}
}
