package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/board"
	"dudaobot/config"
	"dudaobot/report"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestReportAndBoardThroughWeChat: through the real openwechat client, the
// director's 总览 is answered with the text and the board as an image
// (decoded here: its size, and 县财政局's report cell green), and 报告 with
// the year's report draft as a Word file naming every unit.
func TestReportAndBoardThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj := h.Director(), h.Official("czj")
	h.SetTime(2027, time.February, 20, 10, 0)
	h.SendFile(czj, "县财政局2026年度自查自评报告.docx", apptest.Docx("县财政局2026年度自查自评报告"))
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))

	h.SetTime(2027, time.March, 5, 9, 0)
	h.Say(dir, "总览")
	h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览"))
	pic := h.WaitFor(dir, func(s wxsim.Sent) bool { return s.Kind == "image" })
	img, err := png.Decode(bytes.NewReader(h.OpenSent(pic)))
	if err != nil {
		t.Fatalf("the 总览 image is not a PNG: %v", err)
	}
	units := h.Cfg.Units()
	if b := img.Bounds(); b.Dx() != board.Width || b.Dy() != board.Height(len(units)) {
		t.Errorf("board %v, want %dx%d", b.Size(), board.Width, board.Height(len(units)))
	}
	row := slices.IndexFunc(units, func(u rules.Unit) bool { return u.Key == "czj" })
	in := board.Input{Columns: make([]board.Column, 4)}
	cell := board.CellRect(in, row, 0)
	if got := color.RGBAModel.Convert(img.At(cell.Min.X+4, cell.Min.Y+4)); got != board.CatOnTime.Color() {
		t.Errorf("县财政局 自查自评 cell %v, want green (on time)", got)
	}
	other := board.CellRect(in, (row+1)%len(units), 0)
	if got := color.RGBAModel.Convert(img.At(other.Min.X+4, other.Min.Y+4)); got != board.CatOverdue.Color() && got != board.CatNotApplicable.Color() {
		t.Errorf("%s 自查自评 cell %v, want red (overdue) or white (not evaluated)", units[(row+1)%len(units)].Name, got)
	}

	h.Say(dir, "报告")
	h.WaitFor(dir, apptest.TextPrefix("2027年度履行教育职责督导评估报告（草稿）已生成"))
	docx := h.WaitFor(dir, apptest.FileNamed("2027年度督导评估报告（草稿）.docx"))
	doc := documentXML(t, h.OpenSent(docx))
	for _, u := range units {
		if !strings.Contains(doc, u.Name) {
			t.Errorf("report lacks %s", u.Name)
		}
	}
	for _, s := range report.SectionTitles {
		if !strings.Contains(doc, s) {
			t.Errorf("report lacks section %s", s)
		}
	}
	if !strings.Contains(doc, "按时报送（1个）：县财政局。") {
		t.Error("report does not list 县财政局 as on time")
	}

	// Once scores are recorded the board gains a 评分 column: 县财政局,
	// scored in full by both sources, in its grade's colour (优秀 green);
	// a unit without scores grey.
	model, err := h.Cfg.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	var scores []rules.Score
	for _, src := range []rules.ScoreSource{rules.SourceSelf, rules.SourceInspection} {
		for _, ind := range model.Applicable("czj") {
			scores = append(scores, rules.Score{Year: 2027, UnitKey: "czj", Code: ind.Code, Source: src, Points: ind.Max})
		}
	}
	if _, err := h.App.Store.SaveScores(context.Background(), 2027, scores, "督导组", nil); err != nil {
		t.Fatal(err)
	}
	h.Say(dir, "总览")
	h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览"))
	pic = h.WaitFor(dir, func(s wxsim.Sent) bool { return s.Kind == "image" })
	img, err = png.Decode(bytes.NewReader(h.OpenSent(pic)))
	if err != nil {
		t.Fatalf("the 总览 image with scores is not a PNG: %v", err)
	}
	in = board.Input{Columns: make([]board.Column, 5)}
	red, green, blue := model.GradeRGB(rules.UnitResult{Graded: true, Grade: rules.GradeExcellent}, true)
	cell = board.CellRect(in, row, 4)
	if got := color.RGBAModel.Convert(img.At(cell.Min.X+4, cell.Min.Y+4)); got != (color.RGBA{red, green, blue, 0xff}) {
		t.Errorf("县财政局 评分 cell %v, want the 优秀 colour", got)
	}
	unscored := slices.IndexFunc(units, func(u rules.Unit) bool { return u.Key == "jkj" })
	cell = board.CellRect(in, unscored, 4)
	if got := color.RGBAModel.Convert(img.At(cell.Min.X+4, cell.Min.Y+4)); got != board.CatNotDue.Color() {
		t.Errorf("%s 评分 cell %v, want grey (未评分)", units[unscored].Name, got)
	}
}

func documentXML(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("report is not a .docx: %v", err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(x)
}

// TestOverviewWithoutFont: with no usable font for Chinese (report.font
// names a file that is not a font), 总览 is answered with the text only,
// and the missing font is logged once, not at every 总览.
func TestOverviewWithoutFont(t *testing.T) {
	t.Parallel()
	notFont := filepath.Join(t.TempDir(), "not-a-font.ttf")
	if err := os.WriteFile(notFont, []byte("not a font"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := apptest.Start(t, apptest.WithConfig(func(c *config.Config) { c.Report.Font = notFont }))
	dir := h.Director()
	h.SetTime(2027, time.March, 5, 9, 0)
	for i := 0; i < 2; i++ {
		h.Say(dir, "总览")
		h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览"))
	}
	// 帮助 is answered after both 总览: had a picture been queued, it
	// would have been sent before this answer.
	h.Say(dir, "帮助")
	h.WaitFor(dir, apptest.TextPrefix("您好，主任"))
	for _, m := range h.Messages(dir) {
		if m.Kind != "text" {
			t.Errorf("a %s was sent without a font: %+v", m.Kind, m)
		}
	}
	if n := strings.Count(h.Logs(), "no font with Chinese glyphs"); n != 1 {
		t.Errorf("the missing font logged %d times, want once", n)
	}
}
