package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// SheetHead is one sheet of an incoming workbook as far as recognising it
// needs: its name and its first rows (cells trimmed). The chat side
// (handlers' recogniser table) decides from the heads which template a
// workbook is, without reading the whole file.
type SheetHead struct {
	Name string
	Rows [][]string
}

// HeadRows is how many rows of each sheet SheetHeads reads: every template
// has its header row within the first five (a title, a 单位 row, then the
// header).
const HeadRows = 5

// maxHeadSheets bounds the sheets read: a 评分表 has one sheet per unit;
// a workbook with more sheets than any roster is not a template.
const maxHeadSheets = 1000

// SheetHeads reads the name and the first HeadRows rows of each sheet of an
// .xlsx workbook, in sheet order. A file that is not a workbook is
// ErrNotXLSX.
func SheetHeads(r io.Reader) ([]SheetHead, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotXLSX, err)
	}
	defer f.Close()
	var out []SheetHead
	for i, name := range f.GetSheetList() {
		if i == maxHeadSheets {
			break
		}
		rows, err := headRows(f, name)
		if err != nil {
			return nil, fmt.Errorf("%w: sheet %s: %w", ErrNotXLSX, name, err)
		}
		out = append(out, SheetHead{Name: name, Rows: rows})
	}
	return out, nil
}

// headRows streams a sheet's first HeadRows rows, so that a large sheet is
// not read whole to be recognised.
func headRows(f *excelize.File, sheet string) ([][]string, error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var rows [][]string
	for len(rows) < HeadRows && it.Next() {
		cols, err := it.Columns()
		if err != nil {
			return nil, err
		}
		for j := range cols {
			cols[j] = strings.TrimSpace(cols[j])
		}
		rows = append(rows, cols)
	}
	return rows, it.Error()
}
