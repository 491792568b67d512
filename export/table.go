package export

import "io"

// WriteTable writes a workbook of one sheet: the header row (frozen), then
// rows as text. It is a chat answer's list that does not fit on a phone
// screen (未回复, 催办 全部) sent as a file instead.
func WriteTable(w io.Writer, sheet string, header []string, rows [][]string) error {
	widths := make([]float64, len(header))
	for i := range widths {
		widths[i] = 24
	}
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = toRow(r)
	}
	return writeTable(w, sheetName(sheet), header, widths, cells)
}
