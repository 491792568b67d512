package export

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// SheetCells is a workbook's cells, sheet by sheet (BenchmarkLedgerWrite).
type SheetCells struct {
	Names []string
	Rows  [][][]any
}

// WriteCellsFloor writes cells as a workbook the cheapest way excelize
// offers: one stream per sheet, one style for every cell, the ledger's
// fastest deflate. It is the floor the ledger's writing is measured
// against: what excelize costs for those cells when nothing else is done.
func WriteCellsFloor(cells SheetCells, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	style, err := f.NewStyle(&excelize.Style{Border: thin})
	if err != nil {
		return err
	}
	for i, name := range cells.Names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		if err := sw.SetColStyle(1, 30, style); err != nil {
			return err
		}
		for r, row := range cells.Rows[i] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cell, row); err != nil {
				return fmt.Errorf("row %d: %w", r+1, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}
