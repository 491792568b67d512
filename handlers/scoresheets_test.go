package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// sentFile returns the content of the one file among msgs.
func sentFile(t *testing.T, h *handlerstest.Harness, msgs []rules.Outgoing) (name string, data []byte) {
	t.Helper()
	for _, m := range msgs {
		if m.FilePath == "" {
			continue
		}
		f, err := h.Files.Open(m.FilePath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return m.FileName, b
	}
	t.Fatalf("no file among %d messages:\n%s", len(msgs), texts(msgs))
	return "", nil
}

// fillXLSX sets cells of a workbook (sheet → cell → value), as a person
// filling the template in Excel would.
func fillXLSX(t *testing.T, data []byte, cells map[string]map[string]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sh, cs := range cells {
		for c, v := range cs {
			if err := f.SetCellValue(sh, c, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// column fills rows from..from+n-1 of one column with value(i), i from 0.
func column(col string, from, n int, value func(i int) any) map[string]any {
	out := map[string]any{}
	for i := 0; i < n; i++ {
		out[fmt.Sprintf("%s%d", col, from+i)] = value(i)
	}
	return out
}

// An official gets the unit's 自评表 with 自评表, fills it and sends it
// back: a sheet with bad cells is refused naming each cell and stores
// nothing; the clean sheet is summarised, stored only on 确认, and the
// receipt states the total.
func TestSelfScoresSheetInChat(t *testing.T) {
	h := handlerstest.New(t)
	h.At(2027, 2, 20, 10, 0)
	ctx := context.Background()
	czj := h.Official("czj")

	h.Text(czj, "自评表")
	out := h.Drain()
	golden(t, "self_template_answer", texts(out))
	name, tmpl := sentFile(t, h, out)
	if name != "2027年自评表（县财政局）.xlsx" {
		t.Errorf("template file name %q", name)
	}

	bad := fillXLSX(t, tmpl, map[string]map[string]any{"自评表": {
		"D4": "三分", "D5": -1, "D6": 9, "D7": 3.333, "A8": "31", "D8": 2,
	}})
	h.File(czj, "财政局自评表.xlsx", bad)
	golden(t, "self_sheet_refused", texts(h.Drain()))
	if got, _ := h.Store.Scores(ctx, 2027, "czj"); len(got) != 0 {
		t.Fatalf("a refused sheet stored %d scores", len(got))
	}

	// 29 of 30 indicators, 3 points each: 87; indicator 30 left blank.
	good := fillXLSX(t, tmpl, map[string]map[string]any{"自评表": column("D", 4, 29, func(int) any { return 3 })})
	h.File(czj, "财政局自评表.xlsx", good)
	golden(t, "self_sheet_preview", texts(h.Drain()))
	if got, _ := h.Store.Scores(ctx, 2027, "czj"); len(got) != 0 {
		t.Fatalf("stored %d scores before 确认", len(got))
	}
	h.Text(czj, "确认")
	golden(t, "self_sheet_receipt", texts(h.Drain()))
	got, err := h.Store.Scores(ctx, 2027, "czj")
	if err != nil || len(got) != 29 {
		t.Fatalf("stored %d scores (%v), want 29", len(got), err)
	}

	// A later sheet fills the last cell and changes one: only those two
	// change; the history keeps all 31 values.
	later := fillXLSX(t, tmpl, map[string]map[string]any{"自评表": {"D4": 2.5, "D33": 3.33}})
	h.File(czj, "自评表补充.xlsx", later)
	h.Drain()
	h.Text(czj, "确认")
	receipt := texts(h.Drain())
	if !strings.Contains(receipt, "县财政局：自评分30项已齐，合计89.83分（满分100分）") {
		t.Errorf("later receipt: %q", receipt)
	}
	got, _ = h.Store.Scores(ctx, 2027, "czj")
	hist, _ := h.Store.ScoreHistory(ctx, 2027, "czj")
	if len(got) != 30 || len(hist) != 31 {
		t.Errorf("%d current scores and %d history rows, want 30 and 31", len(got), len(hist))
	}
	for _, s := range got {
		if want := rules.PointsOf(3); s.Code != "1" && s.Code != "30" && s.Points != want {
			t.Errorf("indicator %s changed to %s", s.Code, s.Points)
		}
	}
}

// Each sender only what is theirs: an official may not send another
// unit's 自评表 nor a 评分表; the director's 自评表 needs a unit; nothing is
// stored from a refused sheet.
func TestScoreSheetSenders(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir, czj := h.Director(), h.Official("czj")

	h.Text(dir, "自评表")
	if got := texts(h.Drain()); got != "请写明单位，如“自评表 财政局”。" {
		t.Errorf("bare 自评表 from the director: %q", got)
	}
	h.Text(dir, "自评表 教科局")
	_, jkj := sentFile(t, h, h.Drain())
	h.File(czj, "教科局自评表.xlsx", fillXLSX(t, jkj, map[string]map[string]any{"自评表": {"D4": 3}}))
	if got := texts(h.Drain()); got != "《教科局自评表.xlsx》填的是县教育和科学技术局的自评分，未登记。您只能报送本单位（县财政局）的自评表。" {
		t.Errorf("another unit's 自评表: %q", got)
	}
	h.Text(czj, "自评表 教科局")
	if got := texts(h.Drain()); got != "您只能领取本单位的自评表。" {
		t.Errorf("自评表 of another unit: %q", got)
	}

	h.Text(dir, "评分表")
	_, insp := sentFile(t, h, h.Drain())
	h.File(czj, "评分表.xlsx", fillXLSX(t, insp, map[string]map[string]any{"县财政局": {"D4": 3}}))
	if got := texts(h.Drain()); got != "《评分表.xlsx》是评分表，未登记。评分表由督学或督导办主任报送。" {
		t.Errorf("a 评分表 from an official: %q", got)
	}
	h.File(dir, "自评表.xlsx", fillXLSX(t, jkj, map[string]map[string]any{"自评表": {"D4": 3}}))
	if got := texts(h.Drain()); got != "《自评表.xlsx》是自评表，未登记。自评表由各责任单位联系人报送本单位的自评分。" {
		t.Errorf("a 自评表 from the director: %q", got)
	}
	if got, _ := h.Store.Scores(ctx, 2027, ""); len(got) != 0 {
		t.Errorf("refused sheets stored %d scores", len(got))
	}
}

// An inspector (督学) gets the blank 评分表, sends it with one bad cell
// (refused, nothing stored), then corrected: a summary, 确认, a receipt.
// Anything else an inspector sends is answered with what they may do.
func TestInspectorSheet(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	ins := h.Inspector()

	h.Text(ins, "帮助")
	golden(t, "help_inspector", texts(h.Drain()))
	for _, cmd := range []string{"成绩", "总览", "查询 财政局", "自评表", "结果清单", "你好"} {
		h.Text(ins, cmd)
		if got := texts(h.Drain()); got != "督学可以发送“评分表”领取空白评分表，填好后把.xlsx文件发给机器人。发送“帮助”查看说明。" {
			t.Errorf("inspector %s: %q", cmd, got)
		}
	}
	h.File(ins, "照片.docx", handlerstest.Docx("督导记录"))
	if got := texts(h.Drain()); !strings.HasPrefix(got, "《照片.docx》不是评分表，未登记。") {
		t.Errorf("an inspector's other file: %q", got)
	}

	h.Text(ins, "评分表")
	out := h.Drain()
	golden(t, "inspection_template_answer", texts(out))
	_, tmpl := sentFile(t, h, out)
	scores := func(i int) any { return 3 }
	bad := fillXLSX(t, tmpl, map[string]map[string]any{
		"县财政局":      column("D", 4, 30, scores),
		"县教育和科学技术局": column("D", 4, 30, scores),
		"县公安局":      {"D4": 3, "D5": 3.5},
	})
	h.File(ins, "督导评分表.xlsx", bad)
	golden(t, "inspection_sheet_refused", texts(h.Drain()))
	if got, _ := h.Store.Scores(ctx, 2027, ""); len(got) != 0 {
		t.Fatalf("a refused sheet stored %d scores", len(got))
	}
	good := fillXLSX(t, tmpl, map[string]map[string]any{
		"县财政局":      column("D", 4, 30, scores),
		"县教育和科学技术局": column("D", 4, 30, scores),
		"县公安局":      {"D4": 3, "D5": 3.33},
	})
	h.File(ins, "督导评分表.xlsx", good)
	golden(t, "inspection_sheet_preview", texts(h.Drain()))
	h.Text(ins, "确认")
	golden(t, "inspection_sheet_receipt", texts(h.Drain()))
	got, _ := h.Store.Scores(ctx, 2027, "")
	if len(got) != 62 {
		t.Errorf("stored %d scores, want 62", len(got))
	}
	for _, s := range got {
		if s.Source != rules.SourceInspection || s.By != handlerstest.InspectorRemark {
			t.Errorf("score %+v: want an inspection score by the inspector", s)
		}
	}
}
