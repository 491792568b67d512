// Package board draws the director's 总览 as a picture: units × stages, each
// cell coloured by its status, counts per column, the date and the office's
// name. It is pure drawing over rules types (the caller reads the year from
// storage); a font with Chinese glyphs is required (FindFont, LoadFont).
package board

//go:generate go test -run TestBoardGolden -update .

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/fogleman/gg"

	"dudaobot/rules"
)

// Width is the image width: a phone shows it full-screen, so text of
// CellPx (22 px) stays readable (the brief: at least 12 px at 1080 px).
const Width = 1080

// PageUnits is how many units one image holds; more units page into
// several images.
const PageUnits = 28

// Sizes in pixels.
const (
	TitlePx  = 34
	TextPx   = 22
	CellPx   = 22
	SmallPx  = 18
	margin   = 24
	nameColW = 300
	rowH     = 44
	headerY  = 150 // top of the column header row
	headH    = 52
	footH    = FooterLines*36 + 20 // the footer's lines of counts
)

// Colours of the drawing itself; the cells' colours are rules.StatusColor's.
var (
	paper = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink   = color.RGBA{0x20, 0x20, 0x20, 0xff}
	rule  = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
	head  = color.RGBA{0x3d, 0x5a, 0x80, 0xff}
)

// Category is what a cell's colour says (rules.StatusColor, which the
// ledger fills its status cells with too).
type Category rules.StatusColor

const (
	CatNotDue        = Category(rules.ColorNotDue)
	CatOnTime        = Category(rules.ColorOnTime)
	CatLate          = Category(rules.ColorLate)
	CatOverdue       = Category(rules.ColorOverdue)
	CatNotApplicable = Category(rules.ColorNotApplicable)
)

// CategoryOf maps a stage status to its colour category.
func CategoryOf(k rules.StatusKind) Category { return Category(rules.ColorOf(k)) }

// Color is the category's fill colour.
func (c Category) Color() color.RGBA {
	r, g, b := rules.StatusColor(c).RGB()
	return color.RGBA{r, g, b, 0xff}
}

// Label is the category's legend text.
func (c Category) Label() string {
	switch c {
	case CatOnTime:
		return "按时"
	case CatLate:
		return "逾期提交"
	case CatOverdue:
		return "逾期未交"
	case CatNotApplicable:
		return "不适用"
	}
	return "未到期"
}

var categories = []Category{CatOnTime, CatLate, CatOverdue, CatNotDue, CatNotApplicable}

// Column is one column of the board: a stage, or 评分.
type Column struct {
	Title string
	// Cells has one category per unit, in the order of Input.Units.
	Cells []Category
	// Texts has one short cell text per unit ("" = the category label).
	Texts []string
	// Fills, when set, colours the cells instead of the categories (the
	// 评分 column colours a unit by its grade).
	Fills []color.RGBA
	// Footer is the column's count lines under the table (at most
	// FooterLines); a stage column counts its status categories.
	Footer []string
}

// FooterLines is how many count lines a column's footer shows.
const FooterLines = 3

// StatusFooter is a stage column's footer: how many units are in each
// status category.
func StatusFooter(cells []Category) []string {
	n := map[Category]int{}
	for _, cat := range cells {
		n[cat]++
	}
	return []string{
		fmt.Sprintf("按时%d 逾期%d", n[CatOnTime], n[CatLate]),
		fmt.Sprintf("未交%d 未到期%d", n[CatOverdue], n[CatNotDue]),
		fmt.Sprintf("不适用%d", n[CatNotApplicable]),
	}
}

// ScoreTitle is the 评分 column's title.
const ScoreTitle = "评分"

// ScoreColumn is the 评分 column: a graded unit shows its weighted total
// and grade in the grade's colour (rules.ScoringModel.GradeRGB), a unit
// without scores 未评分 and one whose scores are incomplete 未评完 in grey,
// a unit scoring leaves out (not evaluated) 不参评 in white. Its footer
// counts the grades and the units not yet graded (未评完).
// results are rules.ComputeResults' (any order); keys are the board's
// units in row order.
func ScoreColumn(m rules.ScoringModel, results []rules.UnitResult, keys []string) Column {
	byKey := make(map[string]rules.UnitResult, len(results))
	for _, r := range results {
		byKey[r.UnitKey] = r
	}
	col := Column{Title: ScoreTitle}
	grades := map[string]int{}
	ungraded := 0
	for _, k := range keys {
		r, scored := byKey[k]
		text, cat := "不参评", CatNotApplicable
		switch {
		case r.Graded:
			text, cat = r.Weighted.String()+" "+r.Grade, CatOnTime
			grades[r.Grade]++
		case scored && r.Applicable == 0:
			text = "无适用指标"
		case scored && r.Self.Count == 0 && r.Inspection.Count == 0:
			text, cat = "未评分", CatNotDue
			ungraded++
		case scored:
			text, cat = "未评完", CatNotDue
			ungraded++
		}
		red, green, blue := m.GradeRGB(r, scored && r.Applicable > 0)
		col.Cells = append(col.Cells, cat)
		col.Texts = append(col.Texts, text)
		col.Fills = append(col.Fills, color.RGBA{red, green, blue, 0xff})
	}
	var counts []string
	for _, b := range m.Bands {
		counts = append(counts, fmt.Sprintf("%s%d", b.Grade, grades[b.Grade]))
	}
	for i := 0; i < len(counts); i += 2 {
		col.Footer = append(col.Footer, strings.Join(counts[i:min(i+2, len(counts))], " "))
	}
	col.Footer = append(col.Footer, fmt.Sprintf("未评完%d", ungraded))
	return col
}

// Input is everything one board shows.
type Input struct {
	Office string // the office's name, shown in the title
	Year   int
	Now    time.Time // the moment the statuses are for
	Loc    *time.Location
	Units  []string // unit names, roster order
	// Columns are the stage columns, left to right.
	Columns []Column
}

// FromYear builds the board's input from the year's status data: one
// column per stage of rules.AllStages (short titles), one row per unit.
// Extra columns (评分 when scoring exists) are appended by the caller.
func FromYear(office string, cal rules.Calendar, uys []rules.UnitYear, names map[string]string, now time.Time) Input {
	in := Input{Office: office, Year: cal.Year, Now: now, Loc: cal.Location}
	for _, uy := range uys {
		n := names[uy.UnitKey]
		if n == "" {
			n = uy.UnitKey
		}
		in.Units = append(in.Units, n)
	}
	for _, s := range rules.AllStages {
		col := Column{Title: ShortTitle(s)}
		for _, uy := range uys {
			st := rules.StageStatusOf(cal, uy, s, now)
			col.Cells = append(col.Cells, CategoryOf(st.Kind))
			col.Texts = append(col.Texts, cellText(st))
		}
		col.Footer = StatusFooter(col.Cells)
		in.Columns = append(in.Columns, col)
	}
	return in
}

// ShortTitle is a stage's column title on the board.
func ShortTitle(s rules.Stage) string {
	switch s {
	case rules.StageSelfAssessment:
		return "自查自评"
	case rules.StageFeedback:
		return "书面反馈"
	case rules.StageRectificationPlan:
		return "整改方案"
	case rules.StageRectificationDone:
		return "整改完成"
	}
	return s.Label()
}

// cellText is the board's cell: the shared short form, except that an
// overdue stage says 未交, since the picture has no other legend for it.
func cellText(st rules.StageStatus) string {
	if st.Kind == rules.StatusOverdue {
		return fmt.Sprintf("逾期%d天未交", max(st.Days, 1))
	}
	return st.ShortText()
}

// Pages is how many images the input needs.
func (in Input) Pages() int {
	if len(in.Units) == 0 {
		return 1
	}
	return (len(in.Units) + PageUnits - 1) / PageUnits
}

// CellRect is the rectangle of the cell of page-local row r (0-based) and
// column c: tests read its colour from the picture.
func CellRect(in Input, r, c int) image.Rectangle {
	x0, w := colX(len(in.Columns), c)
	y0 := headerY + headH + r*rowH
	return image.Rect(x0, y0, x0+w, y0+rowH)
}

func colX(ncols, c int) (x, w int) {
	w = (Width - 2*margin - nameColW) / max(ncols, 1)
	return margin + nameColW + c*w, w
}

// Height is the height of a page with n unit rows.
func Height(n int) int {
	return headerY + headH + n*rowH + footH
}

// Render draws every page as PNG bytes. Pages are independent (each
// drawing makes its own faces), so they are drawn on up to GOMAXPROCS
// goroutines: drawing is CPU-bound, and a 500-unit board is 18 pages.
func Render(f *Font, in Input) ([][]byte, error) {
	n := in.Pages()
	out := make([][]byte, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				out[p], errs[p] = renderPNG(f, in, p)
			}
		}()
	}
	for p := range n {
		next <- p
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func renderPNG(f *Font, in Input, p int) ([]byte, error) {
	img, err := RenderPage(f, in, p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// Fastest compression: a board is flat colours and text, so the
	// file stays small, and encoding is most of the drawing's time.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("board: encode page %d: %w", p+1, err)
	}
	return buf.Bytes(), nil
}

// RenderPage draws page p (0-based).
func RenderPage(f *Font, in Input, p int) (image.Image, error) {
	if f == nil {
		return nil, ErrNoFont
	}
	lo := p * PageUnits
	hi := min(lo+PageUnits, len(in.Units))
	if lo > hi {
		return nil, fmt.Errorf("board: page %d of %d", p+1, in.Pages())
	}
	rows := hi - lo
	title, err := f.Face(TitlePx)
	if err != nil {
		return nil, err
	}
	text, err := f.Face(TextPx)
	if err != nil {
		return nil, err
	}
	small, err := f.Face(SmallPx)
	if err != nil {
		return nil, err
	}
	h := Height(rows)
	dc := gg.NewContext(Width, h)
	dc.SetColor(paper)
	dc.Clear()

	// Title, date, page.
	dc.SetFontFace(title)
	dc.SetColor(ink)
	t := fmt.Sprintf("%d年督导评价总览", in.Year)
	if in.Office != "" {
		t = in.Office + " " + t
	}
	dc.DrawStringAnchored(t, margin, 50, 0, 0.5)
	dc.SetFontFace(text)
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	sub := "截至" + ChineseTime(in.Now, loc) + fmt.Sprintf("，共%d个单位", len(in.Units))
	if in.Pages() > 1 {
		sub += fmt.Sprintf("（第%d/%d页）", p+1, in.Pages())
	}
	dc.DrawStringAnchored(sub, margin, 96, 0, 0.5)

	// Legend.
	dc.SetFontFace(small)
	lx := float64(margin)
	for _, c := range categories {
		dc.SetColor(c.Color())
		dc.DrawRectangle(lx, 120, 22, 22)
		dc.FillPreserve()
		dc.SetColor(rule)
		dc.SetLineWidth(1)
		dc.Stroke()
		dc.SetColor(ink)
		dc.DrawStringAnchored(c.Label(), lx+30, 131, 0, 0.5)
		w, _ := dc.MeasureString(c.Label())
		lx += 30 + w + 28
	}

	// Column header.
	dc.SetColor(head)
	dc.DrawRectangle(margin, headerY, Width-2*margin, headH)
	dc.Fill()
	dc.SetFontFace(text)
	dc.SetColor(paper)
	dc.DrawStringAnchored("单位", margin+12, headerY+headH/2, 0, 0.5)
	for c, col := range in.Columns {
		x, w := colX(len(in.Columns), c)
		dc.DrawStringAnchored(col.Title, float64(x)+float64(w)/2, headerY+headH/2, 0.5, 0.5)
	}

	// Rows.
	for r := 0; r < rows; r++ {
		i := lo + r
		y := float64(headerY + headH + r*rowH)
		if r%2 == 1 {
			dc.SetColor(color.RGBA{0xf4, 0xf6, 0xf8, 0xff})
			dc.DrawRectangle(margin, y, nameColW, rowH)
			dc.Fill()
		}
		dc.SetFontFace(text)
		dc.SetColor(ink)
		dc.DrawStringAnchored(fit(dc, in.Units[i], nameColW-16), margin+8, y+rowH/2, 0, 0.5)
		dc.SetFontFace(small)
		for c, col := range in.Columns {
			rc := CellRect(in, r, c)
			cat := CatNotApplicable
			if i < len(col.Cells) {
				cat = col.Cells[i]
			}
			fillColour := cat.Color()
			if i < len(col.Fills) {
				fillColour = col.Fills[i]
			}
			dc.SetColor(fillColour)
			dc.DrawRectangle(float64(rc.Min.X), y, float64(rc.Dx()), rowH)
			dc.Fill()
			label := cat.Label()
			if i < len(col.Texts) && col.Texts[i] != "" {
				label = col.Texts[i]
			}
			dc.SetColor(ink)
			dc.DrawStringAnchored(label, float64(rc.Min.X)+float64(rc.Dx())/2, y+rowH/2, 0.5, 0.5)
		}
	}
	// Grid lines.
	dc.SetColor(rule)
	dc.SetLineWidth(1)
	top := float64(headerY + headH)
	bottom := top + float64(rows*rowH)
	for r := 0; r <= rows; r++ {
		y := top + float64(r*rowH) + 0.5
		dc.DrawLine(margin, y, Width-margin, y)
	}
	for c := 0; c <= len(in.Columns); c++ {
		x, _ := colX(len(in.Columns), c)
		dc.DrawLine(float64(x)+0.5, top, float64(x)+0.5, bottom)
	}
	dc.DrawLine(margin+0.5, top, margin+0.5, bottom)
	dc.Stroke()

	// Counts per column, for all units (every page shows the totals).
	dc.SetFontFace(small)
	dc.SetColor(ink)
	dc.DrawStringAnchored("合计（全部单位）", margin+8, bottom+28, 0, 0.5)
	for c, col := range in.Columns {
		x, w := colX(len(in.Columns), c)
		cx := float64(x) + float64(w)/2
		for j, l := range footerLines(col) {
			dc.DrawStringAnchored(fit(dc, l, float64(w-4)), cx, bottom+28+float64(j*36), 0.5, 0.5)
		}
	}
	return dc.Image(), nil
}

// footerLines are the column's footer, FooterLines at most (extra lines
// join the last), or its status counts when the caller set none.
func footerLines(col Column) []string {
	lines := col.Footer
	if lines == nil {
		lines = StatusFooter(col.Cells)
	}
	if len(lines) > FooterLines {
		last := strings.Join(lines[FooterLines-1:], " ")
		lines = append(append([]string{}, lines[:FooterLines-1]...), last)
	}
	return lines
}

// fit shortens s with "…" until it is at most w pixels wide.
func fit(dc *gg.Context, s string, w float64) string {
	if tw, _ := dc.MeasureString(s); tw <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if tw, _ := dc.MeasureString(string(r) + "…"); tw <= w {
			return string(r) + "…"
		}
	}
	return s
}

// ChineseTime is t as 2027年3月5日 09:30 in loc.
func ChineseTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}
