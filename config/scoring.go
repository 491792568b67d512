package config

import (
	"fmt"
	"slices"
	"strings"

	"dudaobot/rules"

	"gopkg.in/yaml.v3"
)

// Scoring is the `scoring` section: how units are scored on the 30
// third-level indicators and what the totals mean. Every default follows
// the plan; where the plan is silent, config.yaml's comments state the
// interpretation.
type Scoring struct {
	Weights ScoringWeights `yaml:"weights"`
	Grades  []GradeBand    `yaml:"grades"`
	// Points maps a third-level indicator code to its full points. Empty:
	// 100 points in equal shares (rules.EqualShares). Otherwise it lists
	// every code and sums to 100.
	Points map[string]Decimal `yaml:"points"`
	// UnitIndicators maps a unit key to the codes scored for it; a unit
	// not listed is scored on every indicator.
	UnitIndicators map[string][]string `yaml:"unit_indicators"`
	// RepeatedLateness: this many late or overdue stages in a year put a
	// unit on the 约谈/通报 list.
	RepeatedLateness int `yaml:"repeated_lateness"`
}

// ScoringWeights are the percentages of the weighted total.
type ScoringWeights struct {
	Inspection     int `yaml:"inspection"`
	SelfAssessment int `yaml:"self_assessment"`
}

// GradeBand is one entry of scoring.grades.
type GradeBand struct {
	Grade string  `yaml:"grade"`
	Min   Decimal `yaml:"min"`
}

// Decimal is a number of points with at most two decimals, kept exactly
// (rules.Points, hundredths).
type Decimal struct{ rules.Points }

// UnmarshalYAML reads the scalar's text with rules.ParsePoints.
func (d *Decimal) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return invalid(n, "number", "not a single value")
	}
	p, err := rules.ParsePoints(n.Value)
	if err != nil {
		return invalid(n, "number", "want a number ≥ 0 with at most two decimals, e.g. 3.5")
	}
	d.Points = p
	return nil
}

// MarshalYAML writes the number as "3.5".
func (d Decimal) MarshalYAML() (any, error) { return d.String(), nil }

// defaultScoring is the plan's model: inspection 70, self-assessment 30,
// the four grades, equal points, every indicator for every unit.
func defaultScoring() Scoring {
	var bands []GradeBand
	for _, b := range rules.DefaultGradeBands() {
		bands = append(bands, GradeBand{Grade: b.Grade, Min: Decimal{b.Min}})
	}
	return Scoring{
		Weights:          ScoringWeights{Inspection: 70, SelfAssessment: 30},
		Grades:           bands,
		RepeatedLateness: 2,
	}
}

// thirdLevelCodes are the codes of the embedded indicators' third level,
// in document order.
func thirdLevelCodes() ([]string, error) {
	inds, err := parseIndicators(indicatorsYAML)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, in := range inds {
		if in.Level == 3 {
			codes = append(codes, in.Code)
		}
	}
	return codes, nil
}

// ScoringModel returns the scoring section as the rules use it. Call it on
// a validated config.
func (c *Config) ScoringModel() (rules.ScoringModel, error) {
	codes, err := thirdLevelCodes()
	if err != nil {
		return rules.ScoringModel{}, fmt.Errorf("config: scoring model: %w", err)
	}
	s := c.Scoring
	m := rules.ScoringModel{
		Weights: map[rules.ScoreSource]int{
			rules.SourceInspection: s.Weights.Inspection,
			rules.SourceSelf:       s.Weights.SelfAssessment,
		},
		RepeatedLateness: s.RepeatedLateness,
	}
	if len(s.Points) == 0 {
		m.Indicators = rules.EqualShares(codes)
	} else {
		for _, code := range codes {
			m.Indicators = append(m.Indicators, rules.ScoredIndicator{Code: code, Max: s.Points[code].Points})
		}
	}
	for _, b := range s.Grades {
		m.Bands = append(m.Bands, rules.GradeBand{Grade: b.Grade, Min: b.Min.Points})
	}
	if len(s.UnitIndicators) > 0 {
		m.UnitIndicators = map[string][]string{}
		for k, v := range s.UnitIndicators {
			m.UnitIndicators[k] = append([]string{}, v...)
		}
	}
	// A unit that is not evaluated (the office itself) owes nothing and has
	// no result, so nothing may be scored for it: no 自评表, no page in the
	// 评分表, and a sheet that scores it is refused.
	for _, u := range c.Roster {
		if !evaluated(u) {
			if m.UnitIndicators == nil {
				m.UnitIndicators = map[string][]string{}
			}
			m.UnitIndicators[u.Key] = []string{}
		}
	}
	return m, nil
}

func (c *Config) validateScoring(k *checker) {
	s := c.Scoring
	w := s.Weights
	for _, f := range []struct {
		path string
		v    int
	}{{"scoring.weights.inspection", w.Inspection}, {"scoring.weights.self_assessment", w.SelfAssessment}} {
		if f.v < 0 || f.v > 100 {
			k.add(f.path, fmt.Sprintf("须在 0 到 100 之间（现为 %d）", f.v), fmt.Sprintf("must be between 0 and 100 (got %d)", f.v))
		}
	}
	if sum := w.Inspection + w.SelfAssessment; sum != 100 {
		k.add("scoring.weights", fmt.Sprintf("督导评价与自评的权重之和须为 100（现为 %d）", sum),
			fmt.Sprintf("inspection and self_assessment must sum to 100 (got %d)", sum))
	}
	if w.Inspection == 0 {
		k.add("scoring.weights.inspection", "督导评价的权重不能为 0（方案：督导评价结果占总分值70%）",
			"the inspection weight must not be 0 (the plan: inspection is 70% of the total)")
	}
	validateGrades(k, s.Grades)
	codes, err := thirdLevelCodes()
	if err != nil {
		k.add("scoring", "无法读取指标体系："+err.Error(), "cannot read the indicator system: "+err.Error())
		return
	}
	validatePoints(k, s.Points, codes)
	units, unevaluated := map[string]bool{}, map[string]bool{}
	for _, u := range c.Roster {
		units[u.Key] = true
		unevaluated[u.Key] = !evaluated(u)
	}
	keys := make([]string, 0, len(s.UnitIndicators))
	for key := range s.UnitIndicators {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		up := "scoring.unit_indicators." + key
		if !units[key] {
			k.add(up, fmt.Sprintf("没有 key 为 %q 的单位（见 units[].key）", key), fmt.Sprintf("no unit has key %q (see units[].key)", key))
		}
		if unevaluated[key] && len(s.UnitIndicators[key]) > 0 {
			k.add(up, "该单位不参加评价（evaluated: false），不计分，不能列适用指标",
				"the unit is not evaluated (evaluated: false): it is not scored and can have no indicators")
		}
		seen := map[string]bool{}
		for j, code := range s.UnitIndicators[key] {
			cp := fmt.Sprintf("%s[%d]", up, j)
			switch {
			case !slices.Contains(codes, code):
				k.add(cp, fmt.Sprintf("没有三级指标 %q（三级指标编号为 1 至 %d）", code, len(codes)),
					fmt.Sprintf("no third-level indicator %q (codes are 1 to %d)", code, len(codes)))
			case seen[code]:
				k.add(cp, fmt.Sprintf("指标 %q 重复", code), fmt.Sprintf("indicator %q is listed twice", code))
			}
			seen[code] = true
		}
	}
	k.atLeast("scoring.repeated_lateness", s.RepeatedLateness, 1)
}

func validateGrades(k *checker, grades []GradeBand) {
	if len(grades) == 0 {
		k.add("scoring.grades", "至少需要一个等级", "at least one grade is required")
		return
	}
	seen := map[string]bool{}
	for i, g := range grades {
		gp := fmt.Sprintf("scoring.grades[%d]", i)
		if k.required(gp+".grade", g.Grade) && seen[g.Grade] {
			k.add(gp+".grade", fmt.Sprintf("等级 %q 重复", g.Grade), fmt.Sprintf("grade %q is listed twice", g.Grade))
		}
		seen[g.Grade] = true
		if g.Min.Points > rules.PointsOf(100) {
			k.add(gp+".min", fmt.Sprintf("不能超过 100（现为 %s）", g.Min), fmt.Sprintf("must not exceed 100 (got %s)", g.Min))
		}
		if i > 0 && g.Min.Points >= grades[i-1].Min.Points {
			k.add(gp+".min", fmt.Sprintf("须低于上一档的 %s 分（等级从高到低排列）", grades[i-1].Min),
				fmt.Sprintf("must be below the previous grade's %s (grades go from highest down)", grades[i-1].Min))
		}
	}
	if last := grades[len(grades)-1]; last.Min.Points != 0 {
		k.add(fmt.Sprintf("scoring.grades[%d].min", len(grades)-1), fmt.Sprintf("最低一档须为 0（现为 %s），否则低分没有等级", last.Min),
			fmt.Sprintf("the lowest grade must start at 0 (got %s), or low totals get no grade", last.Min))
	}
	for _, g := range []string{rules.GradeExcellent, rules.GradeFail} {
		if !seen[g] {
			k.add("scoring.grades", fmt.Sprintf("须包含等级 %q（结果清单按它列出表彰建议和不合格单位）", g),
				fmt.Sprintf("must include the grade %q (the result list is drawn from it)", g))
		}
	}
}

func validatePoints(k *checker, points map[string]Decimal, codes []string) {
	if len(points) == 0 {
		return
	}
	var unknown []string
	for code := range points {
		if !slices.Contains(codes, code) {
			unknown = append(unknown, code)
		}
	}
	slices.Sort(unknown)
	for _, code := range unknown {
		k.add("scoring.points."+code, fmt.Sprintf("没有三级指标 %q（三级指标编号为 1 至 %d）", code, len(codes)),
			fmt.Sprintf("no third-level indicator %q (codes are 1 to %d)", code, len(codes)))
	}
	var missing []string
	var sum rules.Points
	for _, code := range codes {
		p, ok := points[code]
		if !ok {
			missing = append(missing, code)
			continue
		}
		if p.Points <= 0 {
			k.add("scoring.points."+code, "分值须大于 0", "must be greater than 0")
		}
		sum += p.Points
	}
	if len(missing) > 0 {
		k.add("scoring.points", fmt.Sprintf("写了分值就须列出全部 %d 项三级指标，缺少：%s（或整段留空，按100分均分）", len(codes), strings.Join(missing, "、")),
			fmt.Sprintf("list all %d third-level indicators or none (equal shares); missing: %s", len(codes), strings.Join(missing, ", ")))
	} else if sum != rules.PointsOf(100) {
		k.add("scoring.points", fmt.Sprintf("各项分值之和须为 100（现为 %s）", sum), fmt.Sprintf("the points must sum to 100 (got %s)", sum))
	}
}

// evaluated reports whether a unit is evaluated at all: a unit whose stages
// are an empty list (evaluated: false) owes nothing and is not scored.
func evaluated(u Unit) bool {
	st := u.UnitStages()
	return st == nil || len(st) > 0
}
