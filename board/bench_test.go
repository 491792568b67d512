package board_test

import (
	"fmt"
	"testing"

	"dudaobot/board"
	"dudaobot/rules"
)

// BenchmarkOverviewPicture is the picture half of 总览: statuses of every
// unit (rules.StageStatusOf), the drawing and the PNG encoding of every
// page, for the county's 28 units and for 500 (18 pages), without and
// with the 评分 column. Goals: 28 units under 300 ms, 500 under 2 s
// (BENCHMARKS.md).
func BenchmarkOverviewPicture(b *testing.B) {
	f := loadFont(b)
	for _, n := range []int{28, 500} {
		for _, scored := range []bool{false, true} {
			cal, uys, names, now := fixture(n)
			name := fmt.Sprintf("units=%d", n)
			if scored {
				name += "/评分"
			}
			benchmarkPicture(b, f, name, func() board.Input {
				in := board.FromYear("阿合奇县人民政府教育督导委员会办公室", cal, uys, names, now)
				if scored {
					in.Columns = append(in.Columns, gradedColumn(uys))
				}
				return in
			})
		}
	}
}

// gradedColumn is a 评分 column with every unit graded, the grades in turn.
func gradedColumn(uys []rules.UnitYear) board.Column {
	m := rules.ScoringModel{Bands: rules.DefaultGradeBands()}
	grades := []string{rules.GradeExcellent, rules.GradeGood, rules.GradePass, rules.GradeFail}
	var results []rules.UnitResult
	var keys []string
	for i, uy := range uys {
		keys = append(keys, uy.UnitKey)
		results = append(results, rules.UnitResult{UnitKey: uy.UnitKey, Applicable: 30, Graded: true, Weighted: rules.Tenths(950 - 100*(i%4)), Grade: grades[i%4]})
	}
	return board.ScoreColumn(m, results, keys)
}

// benchmarkPicture times input (the statuses, and the 评分 column when
// asked), the drawing and the encoding, as 总览 does them.
func benchmarkPicture(b *testing.B, f *board.Font, name string, input func() board.Input) {
	b.Run(name, func(b *testing.B) {
		bytes := 0
		for b.Loop() {
			pages, err := board.Render(f, input())
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
