package config_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"dudaobot/config"
	"dudaobot/rules"
)

func TestShippedScoringModel(t *testing.T) {
	c := mustLoad(t, "../config.yaml")
	m, err := c.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Weights; got[rules.SourceInspection] != 70 || got[rules.SourceSelf] != 30 {
		t.Errorf("weights %v, want inspection 70, self-assessment 30", got)
	}
	if len(m.Indicators) != 30 {
		t.Fatalf("%d scored indicators, want 30", len(m.Indicators))
	}
	var sum rules.Points
	for i, in := range m.Indicators {
		sum += in.Max
		if want := strconv.Itoa(i + 1); in.Code != want {
			t.Errorf("indicator %d code %q, want %q", i, in.Code, want)
		}
	}
	if sum != rules.PointsOf(100) {
		t.Errorf("full points sum to %s, want 100", sum)
	}
	want := rules.DefaultGradeBands()
	if len(m.Bands) != len(want) {
		t.Fatalf("bands %v, want %v", m.Bands, want)
	}
	for i := range want {
		if m.Bands[i] != want[i] {
			t.Errorf("band %d = %v, want %v", i, m.Bands[i], want[i])
		}
	}
	// Every unit is scored on all 30, but the office itself, which is not
	// evaluated and has nothing scored.
	if len(m.UnitIndicators) != 1 || m.UnitIndicators["ddb"] == nil || len(m.Applicable("ddb")) != 0 || m.RepeatedLateness != 2 {
		t.Errorf("unit indicators %v, repeated lateness %d; want none for ddb only, 2", m.UnitIndicators, m.RepeatedLateness)
	}
	for _, u := range c.Units() {
		if n := len(m.Applicable(u.Key)); u.Key != "ddb" && n != 30 {
			t.Errorf("%s has %d applicable indicators, want 30", u.Key, n)
		}
	}
	for _, tenths := range []struct {
		t    rules.Tenths
		want string
	}{{900, "优秀"}, {899, "良好"}, {800, "良好"}, {600, "合格"}, {599, "不合格"}, {0, "不合格"}} {
		if g := m.GradeOf(tenths.t); g != tenths.want {
			t.Errorf("GradeOf(%s) = %s, want %s", tenths.t, g, tenths.want)
		}
	}
}

func TestScoringPointsAndUnitIndicators(t *testing.T) {
	base, err := config.Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *base
	c.Scoring.Points = map[string]config.Decimal{}
	for i := 1; i <= 30; i++ {
		p := rules.Points(333)
		if i == 1 {
			p = 343 // 3.43 + 29 × 3.33 = 100
		}
		c.Scoring.Points[strconv.Itoa(i)] = config.Decimal{Points: p}
	}
	c.Scoring.UnitIndicators = map[string][]string{"czj": {"13", "5"}, "jkj": {}}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m, err := c.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := m.Indicator("1"); in.Max != 343 {
		t.Errorf("indicator 1 max %s, want 3.43", in.Max)
	}
	got := m.Applicable("czj")
	if len(got) != 2 || got[0].Code != "5" || got[1].Code != "13" {
		t.Errorf("czj applicable %v, want 5 and 13 in document order", got)
	}
	if len(m.Applicable("jkj")) != 0 || len(m.Applicable("other")) != 30 {
		t.Errorf("jkj %d, other %d; want 0 and 30", len(m.Applicable("jkj")), len(m.Applicable("other")))
	}
	c.Scoring.Points["1"] = config.Decimal{Points: 333}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "scoring.points: 各项分值之和须为 100（现为 99.9）") {
		t.Errorf("points summing to 99.9: %v", err)
	}
}

// office.inspectors are read with their remarks; a remark already used by
// an official is refused, naming both fields.
func TestInspectors(t *testing.T) {
	data, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Replace(string(data), "      wechat_remark: 主任甲\n",
		"      wechat_remark: 主任甲\n  inspectors:\n    - {name: 督学甲, wechat_remark: 督学-甲}\n", 1)
	c, err := config.Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Inspectors(); len(got) != 1 || got[0] != (rules.Inspector{Name: "督学甲", WeChatRemark: "督学-甲"}) {
		t.Errorf("Inspectors() = %v", got)
	}
	bad := strings.Replace(good, "wechat_remark: 督学-甲}", "wechat_remark: 督导-财政局}", 1)
	_, err = config.Parse([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), `units[0].officials[0].wechat_remark: "督导-财政局" 已用于 office.inspectors[0].wechat_remark`) {
		t.Errorf("a remark shared by an inspector and an official: %v", err)
	}
}

// A unit that is not evaluated has no applicable indicators whatever
// unit_indicators says of the others, and listing indicators for it is
// refused, naming the field.
func TestUnevaluatedUnitIsNotScored(t *testing.T) {
	base, err := config.Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *base
	no := false
	c.Roster = append([]config.Unit(nil), c.Roster...)
	c.Roster[1].Evaluated = &no // jkj
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m, err := c.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	if n, o := len(m.Applicable("jkj")), len(m.Applicable("czj")); n != 0 || o != 30 {
		t.Errorf("jkj has %d applicable indicators, czj %d; want 0 and 30", n, o)
	}
	c.Scoring.UnitIndicators = map[string][]string{"jkj": {"5"}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "scoring.unit_indicators.jkj: 该单位不参加评价（evaluated: false），不计分，不能列适用指标") {
		t.Errorf("indicators for an unevaluated unit: %v", err)
	}
}
