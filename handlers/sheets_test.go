package handlers_test

import (
	"bytes"
	"testing"

	"dudaobot/export"
	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// headsOf reads a workbook's heads as the app's SheetReader does.
func headsOf(t *testing.T, write func(*bytes.Buffer) error) []handlers.SheetHead {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	hs, err := export.SheetHeads(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var out []handlers.SheetHead
	for _, h := range hs {
		out = append(out, handlers.SheetHead{Name: h.Name, Rows: h.Rows})
	}
	return out
}

// The recogniser table knows each template export writes, by its header
// signature, and who may send it; other workbooks (a problem list, a plan,
// the ledger's own tables, a sheet whose header is only "指标") match no row
// and are filed as documents.
func TestSheetKinds(t *testing.T) {
	h := handlerstest.New(t)
	m := *h.Opts.Scoring
	inds, err := h.Config.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	unit := h.Units[1]
	for _, c := range []struct {
		name   string
		write  func(*bytes.Buffer) error
		kind   string
		access handlers.Access
	}{
		{"自评表 template", func(b *bytes.Buffer) error { return export.WriteSelfScoresTemplate(b, 2027, unit, m, inds) },
			"自评表", handlers.Officials},
		{"评分表, a sheet per unit", func(b *bytes.Buffer) error { return export.WriteInspectionTemplate(b, 2027, h.Units[:3], m, inds) },
			"评分表", handlers.Directors | handlers.Inspectors},
		{"评分表, units × indicators", func(b *bytes.Buffer) error { return export.WriteInspectionMatrix(b, h.Units, m) },
			"评分表", handlers.Directors | handlers.Inspectors},
		{"problem list template", func(b *bytes.Buffer) error { return export.WriteProblemListTemplate(b) }, "问题清单模板", handlers.Directors},
		{"plan template", func(b *bytes.Buffer) error {
			return export.WritePlanTemplate(b, []rules.Problem{{Seq: 1, Text: "校舍维修"}})
		}, "整改方案模板", handlers.Officials},
	} {
		heads := headsOf(t, c.write)
		kind, access := handlers.SheetKindOf(h.Conv, heads)
		if kind != c.kind || access != c.access {
			t.Errorf("%s: recognised as %q (access %b), want %q (%b)", c.name, kind, access, c.kind, c.access)
		}
	}
	// Hand-made heads: the signature needs the whole header row.
	for _, c := range []struct {
		name  string
		heads []handlers.SheetHead
		kind  string
	}{
		{"header moved to row 4", []handlers.SheetHead{{Name: "x", Rows: [][]string{{"说明"}, {}, {}, {"自评分", "备注", "指标编号"}}}}, "自评表"},
		{"score column without codes", []handlers.SheetHead{{Name: "x", Rows: [][]string{{"自评分"}}}}, ""},
		{"a second sheet holds the 评分表", []handlers.SheetHead{{Name: "说明"}, {Name: "x", Rows: [][]string{{"指标编号", "督导评分"}}}}, "评分表"},
		{"单位 and a bare 指标 column", []handlers.SheetHead{{Name: "x", Rows: [][]string{{"单位", "指标"}}}}, ""},
		{"单位 and 指标3", []handlers.SheetHead{{Name: "x", Rows: [][]string{{"单位", "指标3"}}}}, "评分表"},
		{"no sheets", nil, ""},
	} {
		if kind, _ := handlers.SheetKindOf(h.Conv, c.heads); kind != c.kind {
			t.Errorf("%s: recognised as %q, want %q", c.name, kind, c.kind)
		}
	}
}
