package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scoring (评分): every unit is scored per third-level indicator of Annex 2
// twice, by itself (自评) and by the inspection team (督导评价); the
// inspection result weighs 70% of the total (方案第五节第3条). All arithmetic
// is integer: points are kept in hundredths, totals in tenths, and each shown
// figure is rounded once, to 0.1 point, half up.

// Points are scoring points in hundredths of a point: 3.33 points is 333.
// Sheets may give at most two decimals.
type Points int64

// PointsOf converts whole points (used by tests and defaults).
func PointsOf(whole int) Points { return Points(whole * 100) }

// ParsePoints reads a score as people write it: "3", "3.5", "3.33",
// full-width digits allowed. Text, a negative number and more than two
// decimals are refused with the errors above.
func ParsePoints(s string) (Points, error) {
	s = strings.TrimSpace(toHalfWidthDigits(s))
	if s == "" {
		return 0, ErrScoreNotNumber
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(whole) || !allDigits(frac) || whole == "" && frac == "" || hasDot && frac == "" {
		return 0, ErrScoreNotNumber
	}
	if neg {
		if strings.Trim(whole+frac, "0") == "" {
			return 0, nil
		}
		return 0, ErrScoreNegative
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return 0, ErrScoreTooPrecise
	}
	if len(whole) > 6 {
		// No indicator is worth a million points; refusing here keeps the
		// arithmetic far from overflow.
		return 0, ErrScoreOverMax
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return Points(w*100 + f), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func toHalfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		case r == '－':
			return '-'
		}
		return r
	}, s)
}

// String writes the points with at most two decimals: "3", "3.5", "3.33".
func (p Points) String() string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	s := fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Tenths is a total on the 100-point scale in tenths: 93.5 is 935.
type Tenths int64

// String writes the total with one decimal: "93.5", "100.0".
func (t Tenths) String() string { return fmt.Sprintf("%d.%d", t/10, t%10) }

// roundHalfUp divides num by den (both ≥ 0, den > 0) rounding half up.
func roundHalfUp(num, den int64) int64 { return (2*num + den) / (2 * den) }

// ScoreSource is who gave a score.
type ScoreSource string

const (
	SourceSelf       ScoreSource = "self_assessment" // 自评
	SourceInspection ScoreSource = "inspection"      // 督导评价
)

// ScoreSources in the order they are shown.
var ScoreSources = []ScoreSource{SourceSelf, SourceInspection}

// Label is the source's Chinese name.
func (s ScoreSource) Label() string {
	switch s {
	case SourceSelf:
		return "自评"
	case SourceInspection:
		return "督导评价"
	}
	return string(s)
}

// ScoredIndicator is a third-level indicator with its full points.
type ScoredIndicator struct {
	Code string
	Max  Points
}

// GradeBand is a grade and the lowest weighted total (in points) that
// earns it.
type GradeBand struct {
	Grade string
	Min   Points
}

// Grade names.
const (
	GradeExcellent = "优秀"
	GradeGood      = "良好"
	GradePass      = "合格"
	GradeFail      = "不合格"
)

// ScoringModel is the config's scoring section as the rules use it.
type ScoringModel struct {
	// Indicators are the third-level indicators in document order with
	// their full points.
	Indicators []ScoredIndicator
	// Weights are the percentages of the weighted total per source; they
	// sum to 100.
	Weights map[ScoreSource]int
	// Bands are ordered from the highest Min down; the last has Min 0.
	Bands []GradeBand
	// UnitIndicators maps a unit key to the codes that apply to it; a unit
	// not in the map is scored on every indicator.
	UnitIndicators map[string][]string
	// RepeatedLateness is how many late or overdue stages of a year make
	// 「多次逾期」 (约谈/通报建议).
	RepeatedLateness int
}

// DefaultGradeBands are the plan's grades: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60,
// 不合格 below.
func DefaultGradeBands() []GradeBand {
	return []GradeBand{
		{GradeExcellent, PointsOf(90)}, {GradeGood, PointsOf(80)},
		{GradePass, PointsOf(60)}, {GradeFail, 0},
	}
}

// EqualShares divides 100 points among the codes in hundredths. Where 100
// does not divide evenly the first codes get one hundredth more (largest
// remainder), so the shares sum to exactly 100: 30 indicators get 3.34
// (the first 10) and 3.33 (the other 20).
func EqualShares(codes []string) []ScoredIndicator {
	out := make([]ScoredIndicator, len(codes))
	if len(codes) == 0 {
		return out
	}
	n := int64(len(codes))
	base, extra := int64(10000)/n, int64(10000)%n
	for i, c := range codes {
		p := base
		if int64(i) < extra {
			p++
		}
		out[i] = ScoredIndicator{Code: c, Max: Points(p)}
	}
	return out
}

// Indicator returns the indicator with code.
func (m ScoringModel) Indicator(code string) (ScoredIndicator, bool) {
	for _, in := range m.Indicators {
		if in.Code == code {
			return in, true
		}
	}
	return ScoredIndicator{}, false
}

// Applicable returns the indicators scored for a unit, in document order.
func (m ScoringModel) Applicable(unitKey string) []ScoredIndicator {
	codes, ok := m.UnitIndicators[unitKey]
	if !ok {
		return m.Indicators
	}
	out := make([]ScoredIndicator, 0, len(codes))
	for _, in := range m.Indicators {
		if slices.Contains(codes, in.Code) {
			out = append(out, in)
		}
	}
	return out
}

// Applies reports whether indicator code is scored for the unit.
func (m ScoringModel) Applies(unitKey, code string) bool {
	if _, ok := m.Indicator(code); !ok {
		return false
	}
	codes, ok := m.UnitIndicators[unitKey]
	return !ok || slices.Contains(codes, code)
}

// CheckScore validates one score for a unit and indicator:
// ErrScoreUnknownCode, ErrScoreNotApplied, ErrScoreNegative, ErrScoreOverMax.
func (m ScoringModel) CheckScore(unitKey, code string, p Points) error {
	in, ok := m.Indicator(code)
	switch {
	case !ok:
		return ErrScoreUnknownCode
	case !m.Applies(unitKey, code):
		return ErrScoreNotApplied
	case p < 0:
		return ErrScoreNegative
	case p > in.Max:
		return ErrScoreOverMax
	}
	return nil
}

// GradeOf returns the grade of a weighted total.
func (m ScoringModel) GradeOf(t Tenths) string {
	for _, b := range m.Bands {
		if int64(t)*10 >= int64(b.Min) {
			return b.Grade
		}
	}
	return ""
}

// Score is one cell: a unit's score on one indicator from one source.
type Score struct {
	Year    int
	UnitKey string
	Code    string
	Source  ScoreSource
	Points  Points
	Note    string // 说明/佐证 (self-assessment) or the inspector's remark
	// By and At say who stored the value and when (set by storage).
	By string
	At time.Time
}

// SourceSum is the storage aggregate of one unit's scores from one source:
// the sum and how many indicators were scored.
type SourceSum struct {
	UnitKey string
	Source  ScoreSource
	Sum     Points
	Count   int
}

// ScoredUnit is a unit as scoring sees it: its key and whether it was
// inspected this year (a unit not inspected has no inspection score and is
// weighed on its other sources alone).
type ScoredUnit struct {
	Key       string
	Inspected bool
}

// SourceResult is one unit's total from one source.
type SourceResult struct {
	Sum      Points
	Count    int    // indicators scored
	Complete bool   // every applicable indicator scored
	Total    Tenths // on the 100-point scale; set only when Complete
}

// UnitResult is one unit's result for the year.
type UnitResult struct {
	UnitKey    string
	Applicable int    // indicators scored for this unit
	MaxSum     Points // their full points
	// Self and Inspection are the two sources' totals (see Source).
	Self, Inspection SourceResult
	// Missing lists the weighted sources still incomplete, in ScoreSources
	// order; a unit with any missing has no weighted total, grade or rank.
	Missing  []ScoreSource
	Graded   bool
	Weighted Tenths
	Grade    string
	Rank     int // 1 = best; ties share a rank (1, 2, 2, 4)
}

// Source returns the unit's total from source s.
func (r UnitResult) Source(s ScoreSource) SourceResult {
	if s == SourceInspection {
		return r.Inspection
	}
	return r.Self
}

func (r *UnitResult) setSource(s ScoreSource, sr SourceResult) {
	if s == SourceInspection {
		r.Inspection = sr
	} else {
		r.Self = sr
	}
}

// weighs reports whether source s counts for the unit: a positive weight,
// and inspection only for an inspected unit.
func (m ScoringModel) weighs(u ScoredUnit, s ScoreSource) bool {
	return m.Weights[s] > 0 && (s != SourceInspection || u.Inspected)
}

// ComputeResults turns the per-source sums into each unit's result, in the
// order of units, with ranks set.
//
// A source's total is its sum over the full points of the unit's applicable
// indicators, on the 100-point scale (so a unit scored on fewer indicators
// is comparable), rounded to 0.1 half up. A missing score is not counted as
// zero: the source stays incomplete and the unit is listed as missing
// scores, without a weighted total, until every cell is scored. The
// weighted total is Σ weight × sum / (full points × Σ weights of the
// sources that count), from the unrounded sums, rounded once. A unit with no
// applicable indicator has no result (Applicable 0, not graded).
func ComputeResults(m ScoringModel, units []ScoredUnit, sums []SourceSum) []UnitResult {
	// One slot per (unit, source), found through one map of unit keys: at
	// 5,000 units a map per unit cost more than the arithmetic.
	at := make(map[string]int, len(units))
	for i, u := range units {
		at[u.Key] = i
	}
	byUnit := make([][2]SourceSum, len(units))
	for _, s := range sums {
		i, ok := at[s.UnitKey]
		j := slices.Index(ScoreSources, s.Source)
		if ok && j >= 0 {
			byUnit[i][j] = s
		}
	}
	allMax := Points(0)
	for _, in := range m.Indicators {
		allMax += in.Max
	}
	out := make([]UnitResult, 0, len(units))
	for i, u := range units {
		r := UnitResult{UnitKey: u.Key}
		if _, some := m.UnitIndicators[u.Key]; some {
			for _, in := range m.Applicable(u.Key) {
				r.Applicable++
				r.MaxSum += in.Max
			}
		} else {
			r.Applicable, r.MaxSum = len(m.Indicators), allMax
		}
		var num, den int64
		for j, src := range ScoreSources {
			got := byUnit[i][j]
			sr := SourceResult{Sum: got.Sum, Count: got.Count}
			if r.Applicable > 0 && got.Count >= r.Applicable {
				sr.Complete = true
				sr.Total = Tenths(roundHalfUp(1000*int64(got.Sum), int64(r.MaxSum)))
			}
			r.setSource(src, sr)
			if r.Applicable == 0 || !m.weighs(u, src) {
				continue
			}
			if !sr.Complete {
				r.Missing = append(r.Missing, src)
				continue
			}
			num += int64(m.Weights[src]) * int64(got.Sum)
			den += int64(m.Weights[src])
		}
		if r.Applicable > 0 && len(r.Missing) == 0 && den > 0 {
			r.Graded = true
			r.Weighted = Tenths(roundHalfUp(1000*num, int64(r.MaxSum)*den))
			r.Grade = m.GradeOf(r.Weighted)
		}
		out = append(out, r)
	}
	RankResults(out)
	return out
}

// RankResults sets Rank on the graded results: 1 + the number of units
// with a strictly higher weighted total, so ties share a rank (1, 2, 2, 4).
// Ungraded results get rank 0.
func RankResults(rs []UnitResult) {
	totals := make([]Tenths, 0, len(rs))
	for _, r := range rs {
		if r.Graded {
			totals = append(totals, r.Weighted)
		}
	}
	slices.Sort(totals)
	for i := range rs {
		if !rs[i].Graded {
			rs[i].Rank = 0
			continue
		}
		// totals is ascending: the units above are those after the last
		// position holding this total.
		at, _ := slices.BinarySearch(totals, rs[i].Weighted+1)
		rs[i].Rank = len(totals) - at + 1
	}
}

// ByRank returns the graded results best first (ties in the given order),
// then the ungraded ones in the given order.
func ByRank(rs []UnitResult) []UnitResult {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b UnitResult) int {
		switch {
		case a.Graded != b.Graded:
			if a.Graded {
				return -1
			}
			return 1
		case !a.Graded:
			return 0
		}
		return a.Rank - b.Rank
	})
	return out
}

// UnitTotals adds one unit's scores (as read per indicator) into the sums
// ComputeResults takes, counting only indicators that apply to the unit.
func UnitTotals(m ScoringModel, scores []Score) []SourceSum {
	idx := map[[2]string]int{}
	var out []SourceSum
	for _, s := range scores {
		if !m.Applies(s.UnitKey, s.Code) {
			continue
		}
		k := [2]string{s.UnitKey, string(s.Source)}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, SourceSum{UnitKey: s.UnitKey, Source: s.Source})
		}
		out[i].Sum += s.Points
		out[i].Count++
	}
	return out
}

// CheckedIndicators are the indicators a unit's report is checked against:
// with the unit in UnitIndicators, the third-level indicators that apply to
// it (and every indicator of the other levels, which the check skips);
// otherwise all of inds.
func (m ScoringModel) CheckedIndicators(unitKey string, inds []Indicator) []Indicator {
	codes, ok := m.UnitIndicators[unitKey]
	if !ok {
		return inds
	}
	out := make([]Indicator, 0, len(codes))
	for _, in := range inds {
		if in.Level != 3 || slices.Contains(codes, in.Code) {
			out = append(out, in)
		}
	}
	return out
}
