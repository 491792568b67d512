package board_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dudaobot/board"
	"dudaobot/export"
	"dudaobot/rules"
)

var update = flag.Bool("update", false, "rewrite the golden board PNG (docs/board.png)")

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func calendar() rules.Calendar {
	return rules.Calendar{
		Year: 2027, Location: shanghai,
		SelfAssessmentDue:     rules.Date{Year: 2027, Month: time.March, Day: 1},
		InspectionStart:       rules.Date{Year: 2027, Month: time.April, Day: 1},
		InspectionEnd:         rules.Date{Year: 2027, Month: time.April, Day: 30},
		FeedbackDays:          14,
		RectificationPlanDays: 7,
	}
}

func at(m time.Month, d, h int) time.Time { return time.Date(2027, m, d, h, 0, 0, 0, shanghai) }

// fixture is n units whose statuses cycle through every category at
// 2027-05-20: unit i%5 == 0 on time everywhere, 1 late, 2 overdue, 3
// not applicable (self-assessment only), 4 nothing after its report.
func fixture(n int) (rules.Calendar, []rules.UnitYear, map[string]string, time.Time) {
	cal := calendar()
	names := map[string]string{}
	var uys []rules.UnitYear
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("u%03d", i)
		names[key] = fmt.Sprintf("县第%d责任单位", i+1)
		uy := rules.UnitYear{UnitKey: key, FirstSubmitted: map[rules.Stage]time.Time{}, LastSubmitted: map[rules.Stage]time.Time{}, Versions: map[rules.Stage]int{}}
		sub := func(s rules.Stage, t time.Time) {
			uy.FirstSubmitted[s], uy.LastSubmitted[s], uy.Versions[s] = t, t, 1
		}
		switch i % 5 {
		case 0:
			sub(rules.StageSelfAssessment, at(time.February, 20, 10))
			uy.FeedbackAt = at(time.May, 5, 10)
			sub(rules.StageRectificationPlan, at(time.May, 8, 10))
		case 1:
			sub(rules.StageSelfAssessment, at(time.March, 4, 10))
			uy.FeedbackAt = at(time.May, 18, 10)
			sub(rules.StageRectificationPlan, at(time.March, 19, 10))
		case 2:
			uy.FeedbackAt = at(time.May, 5, 10)
			uy.RectificationDue = rules.Date{Year: 2027, Month: time.May, Day: 15}
		case 3:
			sub(rules.StageSelfAssessment, at(time.February, 27, 10))
			uy.NotApplicable = map[rules.Stage]bool{rules.StageFeedback: true, rules.StageRectificationPlan: true, rules.StageRectificationDone: true}
		case 4:
			sub(rules.StageSelfAssessment, at(time.March, 1, 23))
		}
		uys = append(uys, uy)
	}
	return cal, uys, names, at(time.May, 20, 9)
}

func loadFont(t testing.TB) *board.Font {
	t.Helper()
	p, err := board.FindFont("")
	if err != nil {
		t.Fatalf("no CJK font on this machine (scripts/test installs fonts-noto-cjk): %v", err)
	}
	f, err := board.LoadFont(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// cellColour is the colour just inside the cell's top-left corner (away
// from the grid line and the centred text).
func cellColour(img image.Image, r image.Rectangle) color.RGBA {
	c := color.RGBAModel.Convert(img.At(r.Min.X+4, r.Min.Y+4)).(color.RGBA)
	return c
}

func TestBoard28UnitsOnePageColours(t *testing.T) {
	cal, uys, names, now := fixture(28)
	in := board.FromYear("阿克奇县教育督导委员会办公室", cal, uys, names, now)
	pages, err := board.Render(loadFont(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 {
		t.Fatalf("28 units: %d pages, want 1", len(pages))
	}
	img := decode(t, pages[0])
	if b := img.Bounds(); b.Dx() != board.Width || b.Dy() != board.Height(28) {
		t.Fatalf("size %v, want %dx%d", b.Size(), board.Width, board.Height(28))
	}
	// Columns: 0 自查自评, 1 书面反馈, 2 整改方案, 3 整改完成.
	want := []struct {
		row, col int
		colour   color.RGBA
		what     string
	}{
		{0, 0, board.CatOnTime.Color(), "unit 1 report on time"},
		{1, 0, board.CatLate.Color(), "unit 2 report late"},
		{2, 0, board.CatOverdue.Color(), "unit 3 report overdue"},
		{2, 3, board.CatOverdue.Color(), "unit 3 completion overdue (due 5-15)"},
		// Received before its feedback existed: it cannot be late (rules.Evaluate).
		{1, 2, board.CatOnTime.Color(), "unit 2 plan received before feedback: on time"},
		{3, 1, board.CatNotApplicable.Color(), "unit 4 not inspected: feedback n/a"},
		{3, 2, board.CatNotApplicable.Color(), "unit 4 plan n/a"},
		{4, 0, board.CatOnTime.Color(), "unit 5 report on the last day"},
		{4, 2, board.CatNotDue.Color(), "unit 5 plan: no feedback, not open"},
		{0, 2, board.CatOnTime.Color(), "unit 1 plan on time"},
		{27, 2, board.CatOverdue.Color(), "unit 28 (i%5==2) plan overdue"},
	}
	for _, w := range want {
		got := cellColour(img, board.CellRect(in, w.row, w.col))
		if got != w.colour {
			t.Errorf("%s: cell (%d,%d) colour %v, want %v", w.what, w.row, w.col, got, w.colour)
		}
	}
}

func TestBoardPagesMoreThan28Units(t *testing.T) {
	cal, uys, names, now := fixture(60)
	in := board.FromYear("督导办", cal, uys, names, now)
	pages, err := board.Render(loadFont(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("60 units: %d pages, want 3", len(pages))
	}
	heights := []int{board.Height(28), board.Height(28), board.Height(4)}
	for i, p := range pages {
		img := decode(t, p)
		if img.Bounds().Dy() != heights[i] || img.Bounds().Dx() != board.Width {
			t.Errorf("page %d: size %v", i+1, img.Bounds().Size())
		}
	}
	// Page 3, row 0 is unit 57 (i=56, i%5==1): report late.
	img := decode(t, pages[2])
	if got := cellColour(img, board.CellRect(in, 0, 0)); got != board.CatLate.Color() {
		t.Errorf("page 3 first row report colour %v, want yellow", got)
	}
}

func TestBoardNoFont(t *testing.T) {
	if _, err := board.RenderPage(nil, board.Input{}, 0); err != board.ErrNoFont {
		t.Fatalf("nil font: %v, want ErrNoFont", err)
	}
	bad := filepath.Join(t.TempDir(), "font.ttf")
	if err := os.WriteFile(bad, []byte("not a font"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := board.FindFont(bad); err == nil {
		t.Fatal("a configured file that is not a font was accepted")
	}
}

// TestBoardGolden draws the small board shown in README (docs/board.png),
// with its 评分 column, and compares it with the committed file, with a tolerance for
// antialiasing differences between font builds. -update rewrites it.
func TestBoardGolden(t *testing.T) {
	cal, uys, names, now := fixture(8)
	in := board.FromYear("阿克奇县教育督导委员会办公室", cal, uys, names, now)
	in.Columns = append(in.Columns, scoreColumn(uys))
	pages, err := board.Render(loadFont(t), in)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "docs", "board.png")
	if *update {
		if err := os.WriteFile(golden, pages[0], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("golden: %v (run go test ./board -run TestBoardGolden -update)", err)
	}
	want, got := decode(t, b), decode(t, pages[0])
	if want.Bounds() != got.Bounds() {
		t.Fatalf("size %v, golden %v", got.Bounds(), want.Bounds())
	}
	differ, total := 0, 0
	for y := got.Bounds().Min.Y; y < got.Bounds().Max.Y; y++ {
		for x := got.Bounds().Min.X; x < got.Bounds().Max.X; x++ {
			total++
			a := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA)
			c := color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
			if absDiff(a.R, c.R) > 64 || absDiff(a.G, c.G) > 64 || absDiff(a.B, c.B) > 64 {
				differ++
			}
		}
	}
	// Text is a few percent of the picture; 1% catches a moved column or a
	// wrong colour, not a different hinting.
	if differ*100 > total {
		t.Fatalf("%d of %d pixels differ from docs/board.png", differ, total)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestLedgerUsesBoardColours: the printable ledger fills its status cells
// with the board's colours.
func TestLedgerUsesBoardColours(t *testing.T) {
	hex := func(c color.RGBA) string { return fmt.Sprintf("%02X%02X%02X", c.R, c.G, c.B) }
	for _, k := range []rules.StatusKind{rules.StatusNotOpen, rules.StatusOpen, rules.StatusOnTime, rules.StatusLate, rules.StatusOverdue, rules.StatusNotApplicable} {
		if got, want := export.StatusFill(k), hex(board.CategoryOf(k).Color()); got != want {
			t.Errorf("%s: ledger fill %s, board %s", k.Label(), got, want)
		}
	}
}

// scoreColumn is the 评分 column of fixture(8): units 1, 2, 3, 5 graded
// 优秀, 良好, 合格, 不合格; unit 6 incomplete, unit 7 without scores;
// units 4 and 8 left out of scoring.
func scoreColumn(uys []rules.UnitYear) board.Column {
	m := rules.ScoringModel{Bands: rules.DefaultGradeBands()}
	results := []rules.UnitResult{
		{UnitKey: "u000", Applicable: 30, Graded: true, Weighted: 929, Grade: rules.GradeExcellent},
		{UnitKey: "u001", Applicable: 30, Graded: true, Weighted: 815, Grade: rules.GradeGood},
		{UnitKey: "u002", Applicable: 30, Graded: true, Weighted: 701, Grade: rules.GradePass},
		{UnitKey: "u004", Applicable: 30, Graded: true, Weighted: 552, Grade: rules.GradeFail},
		{UnitKey: "u005", Applicable: 30, Self: rules.SourceResult{Count: 30, Complete: true}, Missing: []rules.ScoreSource{rules.SourceInspection}},
		{UnitKey: "u006", Applicable: 30, Missing: []rules.ScoreSource{rules.SourceSelf, rules.SourceInspection}},
	}
	var keys []string
	for _, uy := range uys {
		keys = append(keys, uy.UnitKey)
	}
	return board.ScoreColumn(m, results, keys)
}

// TestBoardScoreColumn: with scores recorded the board gains a 评分 column:
// a graded unit's cell shows its weighted total and grade in the grade's
// colour, an incomplete one 未评完 in grey, a unit not scored 不参评 in
// white; the column's footer counts grades, not statuses.
func TestBoardScoreColumn(t *testing.T) {
	cal, uys, names, now := fixture(8)
	in := board.FromYear("阿克奇县教育督导委员会办公室", cal, uys, names, now)
	col := scoreColumn(uys)
	wantTexts := []string{"92.9 优秀", "81.5 良好", "70.1 合格", "不参评", "55.2 不合格", "未评完", "未评分", "不参评"}
	if !slices.Equal(col.Texts, wantTexts) {
		t.Errorf("cell texts %q, want %q", col.Texts, wantTexts)
	}
	if want := []string{"优秀1 良好1", "合格1 不合格1", "未评完2"}; !slices.Equal(col.Footer, want) {
		t.Errorf("footer %q, want %q", col.Footer, want)
	}
	// 书面反馈 at 20 May: units 1, 3, 6, 8 on time, 2 and 7 late, 5 overdue
	// (due 14 May), 4 not inspected.
	if want := []string{"按时4 逾期2", "未交1 未到期0", "不适用1"}; !slices.Equal(in.Columns[1].Footer, want) {
		t.Errorf("书面反馈 footer %q, want the status counts %q", in.Columns[1].Footer, want)
	}
	in.Columns = append(in.Columns, col)
	pages, err := board.Render(loadFont(t), in)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, pages[0])
	rgb := func(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }
	for _, w := range []struct {
		row    int
		colour color.RGBA
		what   string
	}{
		{0, rgb(0x8f, 0xd1, 0x9e), "优秀 green"},
		{1, rgb(0xa8, 0xc8, 0xf0), "良好 blue"},
		{2, rgb(0xff, 0xe0, 0x82), "合格 yellow"},
		{4, rgb(0xf2, 0x8b, 0x82), "不合格 red"},
		{5, board.CatNotDue.Color(), "未评完 grey"},
		{6, board.CatNotDue.Color(), "未评分 grey"},
		{3, board.CatNotApplicable.Color(), "不参评 white"},
	} {
		if got := cellColour(img, board.CellRect(in, w.row, 4)); got != w.colour {
			t.Errorf("评分 row %d (%s): colour %v, want %v", w.row, w.what, got, w.colour)
		}
	}
	// The stage columns keep their places' colours with five columns.
	if got := cellColour(img, board.CellRect(in, 2, 0)); got != board.CatOverdue.Color() {
		t.Errorf("unit 3 report with the 评分 column: colour %v, want red", got)
	}
}
