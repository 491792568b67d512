package export

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"dudaobot/rules"
)

// StatusFill is the fill of a status cell as RRGGBB: rules.StatusColor's
// colour, the board's too.
func StatusFill(k rules.StatusKind) string { return fill(rules.ColorOf(k)) }

func fill(c rules.StatusColor) string {
	r, g, b := c.RGB()
	return fmt.Sprintf("%02X%02X%02X", r, g, b)
}

// styles are made once per workbook; every cell refers to one of them (a
// style per cell would grow styles.xml with the rows).
type styles struct {
	head, body int
	status     [rules.NumStatusColors]int
}

var thin = []excelize.Border{
	{Type: "left", Color: "9E9E9E", Style: 1}, {Type: "right", Color: "9E9E9E", Style: 1},
	{Type: "top", Color: "9E9E9E", Style: 1}, {Type: "bottom", Color: "9E9E9E", Style: 1},
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	if s.head, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"3D5A80"}},
		Border:    thin,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
	}); err != nil {
		return s, fmt.Errorf("export: header style: %w", err)
	}
	if s.body, err = f.NewStyle(&excelize.Style{
		Border:    thin,
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return s, fmt.Errorf("export: body style: %w", err)
	}
	for c := rules.StatusColor(0); c < rules.NumStatusColors; c++ {
		if s.status[c], err = f.NewStyle(&excelize.Style{
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill(c)}},
			Border:    thin,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		}); err != nil {
			return s, fmt.Errorf("export: status style: %w", err)
		}
	}
	return s, nil
}

func (s styles) header(h []string) []interface{} {
	out := make([]interface{}, len(h))
	for i, v := range h {
		out[i] = excelize.Cell{StyleID: s.head, Value: v}
	}
	return out
}

func (s styles) row(vs ...interface{}) []interface{} {
	out := make([]interface{}, len(vs))
	for i, v := range vs {
		out[i] = excelize.Cell{StyleID: s.body, Value: v}
	}
	return out
}

// headerRow is the header's height: two lines of wrapped Chinese.
var headerRow = excelize.RowOpts{Height: 34}

// PrintTitleHeader is the page header format (&C centre, bold) before the
// title; the footer numbers the pages.
const (
	PrintTitleHeader = `&C&14&"-,Bold"` // the size before the font: a title starting with digits would extend "&14"
	PrintFooter      = "&C第 &P 页，共 &N 页"
)

// printSetup makes a sheet print on A4 landscape, fitted to the page width,
// with the header row repeated on every page and a title on top. It must
// run before the sheet's StreamWriter exists: the stream writes the page
// setup it finds then.
func printSetup(f *excelize.File, sheet, title string) error {
	size, orient, one, zero, fit := 9, "landscape", 1, 0, true // 9 = A4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return fmt.Errorf("export: page layout %s: %w", sheet, err)
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("export: fit to page %s: %w", sheet, err)
	}
	top, side := 0.8, 0.4
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Top: &top, Bottom: &top, Left: &side, Right: &side}); err != nil {
		return fmt.Errorf("export: margins %s: %w", sheet, err)
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: PrintTitleHeader + strings.ReplaceAll(title, "&", "&&"),
		OddFooter: PrintFooter,
	}); err != nil {
		return fmt.Errorf("export: print title %s: %w", sheet, err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet}); err != nil {
		return fmt.Errorf("export: print titles %s: %w", sheet, err)
	}
	return nil
}

// setWidths sets the widths of the columns from A on, one a column (a
// stream writer takes widths before its first row).
func setWidths(sw *excelize.StreamWriter, widths ...float64) {
	for i, wd := range widths {
		_ = sw.SetColWidth(i+1, i+1, wd)
	}
}

// newSheet opens a sheet's stream with its header row (row 1) frozen.
func newSheet(f *excelize.File, sheet string) (*excelize.StreamWriter, error) {
	return newSheetFrozen(f, sheet, 1)
}

// newSheetFrozen opens a sheet's stream with its first rows frozen: the
// header row, and on the score sheets the title and unit rows above it, stay
// in view while the office scrolls the indicators.
func newSheetFrozen(f *excelize.File, sheet string, rows int) (*excelize.StreamWriter, error) {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", sheet, err)
	}
	first, _ := excelize.CoordinatesToCellName(1, rows+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: rows, TopLeftCell: first, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: first, ActiveCell: first, Pane: "bottomLeft"}}}); err != nil {
		return nil, fmt.Errorf("export: freeze %s: %w", sheet, err)
	}
	return sw, nil
}
