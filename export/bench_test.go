package export_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/rules"
)

// memStore serves the ledger's data from memory, so that a benchmark of
// the ledger measures writing the workbook and no data access.
type memStore struct {
	cal   rules.Calendar
	units []rules.Unit
	uys   []rules.UnitYear
	subs  []rules.Submission
	inds  []rules.Indicator
}

func (m *memStore) UnitNames(context.Context) (map[string]string, error) {
	names := make(map[string]string, len(m.units))
	for _, u := range m.units {
		names[u.Key] = u.Name
	}
	return names, nil
}
func (m *memStore) UnitYears(context.Context, int) ([]rules.UnitYear, error) { return m.uys, nil }
func (m *memStore) Submissions(context.Context, int, string) ([]rules.Submission, error) {
	return m.subs, nil
}
func (m *memStore) Indicators(context.Context) ([]rules.Indicator, error) { return m.inds, nil }
func (m *memStore) Calendar(context.Context, int, *time.Location) (rules.Calendar, error) {
	return m.cal, nil
}
func (m *memStore) Problems(context.Context, int, string) ([]rules.Problem, error) { return nil, nil }
func (m *memStore) ReportChecks(context.Context, int) (map[string]rules.SavedReportCheck, error) {
	return nil, nil
}

// benchUnits is the scale of storage's BenchmarkScale (goal 6): 5,000 units,
// three versions each (two of the self-assessment, one plan).
const benchUnits = 5000

func benchLedgerData(b *testing.B) (*memStore, *time.Location) {
	b.Helper()
	cfg, err := config.Load(filepath.Join("..", "config.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	loc := cfg.Location()
	m := &memStore{cal: cfg.Calendar()}
	if m.inds, err = cfg.Indicators(); err != nil {
		b.Fatal(err)
	}
	at := time.Date(m.cal.Year, 2, 20, 9, 0, 0, 0, loc)
	for i := range benchUnits {
		key := fmt.Sprintf("u%04d", i)
		m.units = append(m.units, rules.Unit{Key: key, Name: fmt.Sprintf("单位%d", i), SortOrder: i + 1})
		uy := rules.UnitYear{UnitKey: key,
			FirstSubmitted: map[rules.Stage]time.Time{}, LastSubmitted: map[rules.Stage]time.Time{}, Versions: map[rules.Stage]int{}}
		for _, v := range []struct {
			stage   rules.Stage
			version int
			at      time.Time
		}{
			{rules.StageSelfAssessment, 1, at},
			{rules.StageSelfAssessment, 2, at.Add(48 * time.Hour)},
			{rules.StageRectificationPlan, 1, at.Add(60 * 24 * time.Hour)},
		} {
			m.subs = append(m.subs, rules.Submission{ID: int64(len(m.subs) + 1), Year: m.cal.Year, UnitKey: key, Stage: v.stage,
				Version: v.version, ReceivedAt: v.at, OnTime: true, SHA256: fmt.Sprintf("%064x", len(m.subs)),
				StoredPath: "p", OriginalName: "报告.docx", Official: "r", Size: 123456})
			if v.version == 1 {
				uy.FirstSubmitted[v.stage] = v.at
			}
			uy.LastSubmitted[v.stage], uy.Versions[v.stage] = v.at, v.version
		}
		m.uys = append(m.uys, uy)
	}
	return m, loc
}

// BenchmarkLedgerWrite measures the export's writing alone, side by side
// with its floor (goal 6 of BENCHMARKS.md): "Ledger" is WriteLedger over
// data already in memory (5,000 units, 15,000 versions); "floor" is
// excelize writing the very same cells (read back from that ledger) with
// the same styles and deflate level, and nothing else: no data access, no
// statuses, no formatting. Each iteration runs both, in turns which goes
// first; reported are both times and their ratio.
func BenchmarkLedgerWrite(b *testing.B) {
	m, loc := benchLedgerData(b)
	l := &export.Ledger{Store: m, Clock: clock.NewFake(time.Date(m.cal.Year, 5, 20, 9, 0, 0, 0, loc)), Location: loc}
	c := context.Background()
	var out bytes.Buffer
	if err := l.WriteLedger(c, m.cal.Year, &out); err != nil {
		b.Fatal(err)
	}
	cells := ledgerCells(b, out.Bytes())
	ledger := func() {
		if err := l.WriteLedger(c, m.cal.Year, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	floor := func() {
		if err := export.WriteCellsFloor(cells, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	var ledgerTook, floorTook time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if i%2 == 0 {
			ledger()
		} else {
			floor()
		}
		t1 := time.Now()
		if i%2 == 0 {
			floor()
		} else {
			ledger()
		}
		t2 := time.Now()
		if i%2 == 0 {
			ledgerTook, floorTook = ledgerTook+t1.Sub(t0), floorTook+t2.Sub(t1)
		} else {
			floorTook, ledgerTook = floorTook+t1.Sub(t0), ledgerTook+t2.Sub(t1)
		}
		i++
	}
	b.ReportMetric(float64(ledgerTook.Microseconds())/1000/float64(i), "write_ms")
	b.ReportMetric(float64(floorTook.Microseconds())/1000/float64(i), "floor_ms")
	b.ReportMetric(ledgerTook.Seconds()/floorTook.Seconds(), "ratio")
	b.ReportMetric(float64(out.Len())/(1<<20), "xlsx_MB")
}

// ledgerCells reads every sheet of a ledger back as typed values: whole
// numbers as int, the rest as text.
func ledgerCells(b *testing.B, xlsx []byte) export.SheetCells {
	b.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out export.SheetCells
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			b.Fatal(err)
		}
		var typed [][]any
		for _, r := range rows {
			row := make([]any, len(r))
			for j, v := range r {
				if n, err := strconv.Atoi(v); err == nil {
					row[j] = n
				} else {
					row[j] = v
				}
			}
			typed = append(typed, row)
		}
		out.Names = append(out.Names, sheet)
		out.Rows = append(out.Rows, typed)
	}
	return out
}
