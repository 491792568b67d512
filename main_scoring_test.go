package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ensure `check` prints the scoring model of the shipped config.
func TestCheckPrintsScoringModel(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", "config.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("check exit=%d, stderr=%s", code, errb.String())
	}
	for _, want := range []string{
		"评分模型：\n",
		"  加权总分 = 督导评价 × 70% + 自评 × 30%（均按百分制；保留一位小数，四舍五入）\n",
		"  等级：优秀 ≥ 90，良好 ≥ 80，合格 ≥ 60，不合格 < 60\n",
		"  指标分值：三级指标 30 项，合计 100 分：第1–10项各 3.34 分；第11–30项各 3.33 分\n",
		"  适用指标：县人民政府教育督导委员会办公室 无适用指标（不计分）；其余单位全部 30 项\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}

// Ensure weights that do not sum to 100 and a unit mapped to unknown
// indicators are refused by check, naming the config field.
func TestCheckRefusesBadScoring(t *testing.T) {
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "    self_assessment: 30 ", "    self_assessment: 20 ", 1)
	bad = strings.Replace(bad, "  # unit_indicators:", "  unit_indicators: {czj: [\"5\", \"31\"]}\n  #", 1)
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", p}, &out, &errb); code != 1 {
		t.Fatalf("exit=%d, want 1; stdout=%s", code, out.String())
	}
	got := errb.String()
	for _, want := range []string{
		"scoring.weights: 督导评价与自评的权重之和须为 100（现为 90）",
		"scoring.unit_indicators.czj[1]: 没有三级指标 \"31\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
}
