package board_test

import (
	"fmt"
	"testing"

	"dudaobot/board"
)

// BenchmarkOverviewPicture is the picture half of 总览: statuses of every
// unit (rules.StageStatusOf), the drawing and the PNG encoding of every
// page, for the county's 28 units and for 500 (18 pages). Goals: 28 units
// under 300 ms, 500 under 2 s (BENCHMARKS.md).
func BenchmarkOverviewPicture(b *testing.B) {
	f := loadFont(b)
	for _, n := range []int{28, 500} {
		cal, uys, names, now := fixture(n)
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			bytes := 0
			for b.Loop() {
				pages, err := board.Render(f, board.FromYear("阿合奇县人民政府教育督导委员会办公室", cal, uys, names, now))
				if err != nil {
					b.Fatal(err)
				}
				bytes = 0
				for _, p := range pages {
					bytes += len(p)
				}
			}
			b.ReportMetric(float64(bytes)/1024, "KiB/op-png")
		})
	}
}
