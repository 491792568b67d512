package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/storage"
)

// The scale benchmarks (issue #7): 5,000 units × 10 years × 3 versions
// (150,000 submission rows) on one SQLite file; each store call runs beside
// the single hand-written SQL query computing the same answer on the same
// file. scripts/bench prints the ratios.
const scaleUnits, scaleYears = 5000, 10

var (
	scaleOnce  sync.Once
	scaleStore *storage.Store
	scaleErr   error
	scaleRost  []rules.Unit
)

func scaleDB(b *testing.B) (*storage.Store, *sql.DB) {
	b.Helper()
	scaleOnce.Do(func() {
		dir, err := tempDirNoCleanup()
		if err != nil {
			scaleErr = err
			return
		}
		clk := clock.NewFake(t0)
		s, err := storage.Open(ctx, storage.Options{Driver: storage.DriverSQLite, Path: dir + "/scale.db", Now: clk.Now})
		if err != nil {
			scaleErr = err
			return
		}
		scaleRost = make([]rules.Unit, scaleUnits)
		for i := range scaleRost {
			scaleRost[i] = rules.Unit{Key: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("单位%d", i), SortOrder: i + 1,
				Officials: []rules.Official{{Name: "x", WeChatRemark: fmt.Sprintf("r%d", i)}}}
		}
		if scaleErr = s.SyncRoster(ctx, scaleRost, testDirectors); scaleErr != nil {
			return
		}
		if scaleErr = s.EnsureYear(ctx, cal2027); scaleErr != nil {
			return
		}
		var subs []rules.Submission
		for y := 2027 - scaleYears + 1; y <= 2027; y++ {
			at := time.Date(y, 2, 20, 9, 0, 0, 0, shanghai)
			for _, u := range scaleRost {
				for _, v := range []struct {
					stage   rules.Stage
					version int
					at      time.Time
				}{
					{rules.StageSelfAssessment, 1, at},
					{rules.StageSelfAssessment, 2, at.Add(48 * time.Hour)},
					{rules.StageRectificationPlan, 1, at.Add(60 * 24 * time.Hour)},
				} {
					subs = append(subs, rules.Submission{Year: y, UnitKey: u.Key, Stage: v.stage, Version: v.version,
						ReceivedAt: v.at, OnTime: true, SHA256: "x", StoredPath: "p", OriginalName: "报告.docx", Official: "r"})
				}
			}
		}
		scaleErr = storage.BulkSubmissions(ctx, s, subs)
		scaleStore = s
	})
	if scaleErr != nil {
		b.Fatal(scaleErr)
	}
	return scaleStore, storage.SQLDB(scaleStore)
}

func tempDirNoCleanup() (string, error) {
	// One file for the whole benchmark binary (b.TempDir would be removed
	// after the first sub-benchmark); TestMain removes it at the end (a
	// 50 MB database was left behind by every run before).
	dir, err := mkdirTemp("dudao-scale-")
	if err == nil {
		benchDirsMu.Lock()
		benchDirs = append(benchDirs, dir)
		benchDirsMu.Unlock()
	}
	return dir, err
}

var (
	benchDirsMu sync.Mutex
	benchDirs   []string // made by tempDirNoCleanup, removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	benchDirsMu.Lock()
	for _, d := range benchDirs {
		_ = os.RemoveAll(d)
	}
	benchDirsMu.Unlock()
	os.Exit(code)
}

// overviewSQL is the hand-written overview: one row per (unit, stage) with
// the same answer UnitYears gives — each stage's first and last time and
// version count, the unit's first feedback delivery and its rectification
// due date; withdrawn versions (version <= 0) excluded like the store does.
const overviewSQL = `SELECT u.unit_key, s.stage, MIN(s.received_at), MAX(s.received_at), MAX(s.version),
  (SELECT MIN(f.delivered_at) FROM feedback_deliveries f WHERE f.year = ? AND f.unit_key = u.unit_key),
  (SELECT r.due FROM rectification_dues r WHERE r.year = ? AND r.unit_key = u.unit_key)
FROM units u LEFT JOIN submissions s ON s.unit_key = u.unit_key AND s.year = ? AND s.version > 0
GROUP BY u.sort_order, u.unit_key, s.stage ORDER BY u.sort_order, u.unit_key, s.stage`

// oneUnitSQL is overviewSQL for one unit.
const oneUnitSQL = `SELECT s.stage, MIN(s.received_at), MAX(s.received_at), MAX(s.version),
  (SELECT MIN(f.delivered_at) FROM feedback_deliveries f WHERE f.year = ? AND f.unit_key = ?),
  (SELECT r.due FROM rectification_dues r WHERE r.year = ? AND r.unit_key = ?)
FROM submissions s WHERE s.year = ? AND s.unit_key = ? AND s.version > 0 GROUP BY s.stage`

// unitRowsSQL is one unit's versions with every column Submissions returns.
const unitRowsSQL = `SELECT id, unit_key, stage, version, official, original_name, stored_path, size, sha256, received_at, on_time, is_text
FROM submissions WHERE year = ? AND unit_key = ? AND version > 0 ORDER BY stage, version`

// yearRowsSQL is the year's versions with every column Submissions
// returns and each unit's roster position, which the list is ordered by:
// the rows the store reads, in index order. Putting them in roster and
// cycle order is left to the store's side (Submissions does it in Go); an
// ORDER BY doing it here made SQLite sort the rows in a temporary B-tree
// and this baseline slower than the store.
const yearRowsSQL = `SELECT s.id, s.unit_key, s.stage, s.version, s.official, s.original_name, s.stored_path, s.size, s.sha256,
  s.received_at, s.on_time, s.is_text, u.sort_order
FROM submissions s LEFT JOIN units u ON u.unit_key = s.unit_key WHERE s.year = ? AND s.version > 0 ORDER BY s.unit_key, s.stage, s.version`

// The ledger's other reads, hand-written: the year's calendar row (with
// the inspected set the overview reads), the unit names (all the ledger
// takes from the roster), the indicators, the saved report checks, and
// the 整改台账's items and events (ledgerSQL, ledgerEventsSQL).
const (
	calendarRowSQL = `SELECT year, self_assessment_due, inspection_start, inspection_end, feedback_days, rectification_plan_days,
  inspection_end_override, inspected_units FROM years WHERE year = ?`
	unitNamesSQL    = `SELECT unit_key, name FROM units`
	indicatorsSQL   = `SELECT code, level, parent_code, text, thresholds FROM indicators ORDER BY position, id`
	reportChecksSQL = `SELECT key, value FROM state WHERE key LIKE ?`
)

func scanAll(b *testing.B, rows *sql.Rows, err error, cols int) int {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	vals := make([]any, cols)
	ptrs := make([]any, cols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

func BenchmarkScale(b *testing.B) {
	s, db := scaleDB(b)
	c := context.Background()
	// The hand-written queries are prepared once, as the store's are, and
	// with the same placeholders (SQLiteParams) so that they stay prepared:
	// the ratios measure the store's own layers, not SQL parsing.
	prep := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(c, storage.SQLiteParams(q))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	overviewSt, oneUnitSt, unitRowsSt, yearRowsSt := prep(overviewSQL), prep(oneUnitSQL), prep(unitRowsSQL), prep(yearRowsSQL)
	b.Run("Overview", func(b *testing.B) {
		for b.Loop() {
			got, err := s.UnitYears(c, 2027)
			if err != nil || len(got) != scaleUnits {
				b.Fatalf("%d %v", len(got), err)
			}
		}
	})
	b.Run("OverviewSQL", func(b *testing.B) {
		for b.Loop() {
			rows, err := overviewSt.QueryContext(c, 2027, 2027, 2027)
			if n := scanAll(b, rows, err, 7); n != 2*scaleUnits {
				b.Fatalf("%d rows", n)
			}
		}
	})
	b.Run("OneUnit", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.UnitYear(c, 2027, "u2500"); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Submissions(c, 2027, "u2500"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OneUnitSQL", func(b *testing.B) {
		for b.Loop() {
			rows, err := oneUnitSt.QueryContext(c, 2027, "u2500", 2027, "u2500", 2027, "u2500")
			scanAll(b, rows, err, 6)
			rows, err = unitRowsSt.QueryContext(c, 2027, "u2500")
			scanAll(b, rows, err, 12)
		}
	})
	l := &export.Ledger{Store: s, Clock: clock.NewFake(t0), Location: shanghai}
	b.Run("Export", func(b *testing.B) {
		for b.Loop() {
			if err := l.WriteLedger(c, 2027, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The export's reads alone (what the ledger loads before excelize
	// encodes it), to separate data access from xlsx encoding.
	b.Run("ExportReads", func(b *testing.B) {
		for b.Loop() {
			if err := ledgerReads(c, s, 2027); err != nil {
				b.Fatal(err)
			}
		}
	})
	calendarSt, namesSt, indicatorsSt, checksSt := prep(calendarRowSQL), prep(unitNamesSQL), prep(indicatorsSQL), prep(reportChecksSQL)
	itemsSt, itemEventsSt := prep(ledgerSQL), prep(ledgerEventsSQL)
	yearStart := rules.Date{Year: 2027, Month: time.January, Day: 1}.Start(shanghai).UnixNano()
	// exportSQL reads what the ledger shows, hand-written, prepared: the
	// same data as ledgerReads, no more, no less.
	exportSQL := func(b *testing.B) {
		rows, err := calendarSt.QueryContext(c, 2027)
		scanAll(b, rows, err, 8)
		rows, err = namesSt.QueryContext(c)
		if n := scanAll(b, rows, err, 2); n != scaleUnits {
			b.Fatalf("%d names", n)
		}
		rows, err = overviewSt.QueryContext(c, 2027, 2027, 2027)
		scanAll(b, rows, err, 7)
		rows, err = yearRowsSt.QueryContext(c, 2027)
		if n := scanAll(b, rows, err, 13); n != 3*scaleUnits {
			b.Fatalf("%d rows", n)
		}
		rows, err = indicatorsSt.QueryContext(c)
		scanAll(b, rows, err, 5)
		rows, err = checksSt.QueryContext(c, rules.ReportCheckKeyPrefix(2027)+"%")
		scanAll(b, rows, err, 2)
		rows, err = itemsSt.QueryContext(c, 2027, 2027, yearStart)
		scanAll(b, rows, err, 11)
		rows, err = itemEventsSt.QueryContext(c, 2027, 2027, yearStart)
		scanAll(b, rows, err, 5)
	}
	b.Run("ExportSQL", func(b *testing.B) {
		for b.Loop() {
			exportSQL(b)
		}
	})
	// Side by side: each iteration runs the store call and its hand-written
	// SQL back to back (in turns, which goes first), so that both meet the
	// same load; scripts/bench judges the goals on these ratios.
	pair(b, "OverviewVsSQL", func(b *testing.B) {
		if got, err := s.UnitYears(c, 2027); err != nil || len(got) != scaleUnits {
			b.Fatalf("%d %v", len(got), err)
		}
	}, func(b *testing.B) {
		rows, err := overviewSt.QueryContext(c, 2027, 2027, 2027)
		if n := scanAll(b, rows, err, 7); n != 2*scaleUnits {
			b.Fatalf("%d rows", n)
		}
	})
	// One unit takes tens of microseconds: 200 calls a turn, so that a
	// turn is long against the scheduler's time slice.
	const oneUnitReps = 200
	pair(b, "OneUnitVsSQL", func(b *testing.B) {
		for range oneUnitReps {
			if _, err := s.UnitYear(c, 2027, "u2500"); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Submissions(c, 2027, "u2500"); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for range oneUnitReps {
			rows, err := oneUnitSt.QueryContext(c, 2027, "u2500", 2027, "u2500", 2027, "u2500")
			scanAll(b, rows, err, 6)
			rows, err = unitRowsSt.QueryContext(c, 2027, "u2500")
			scanAll(b, rows, err, 12)
		}
	})
	pair(b, "ExportVsSQL", func(b *testing.B) {
		if err := l.WriteLedger(c, 2027, io.Discard); err != nil {
			b.Fatal(err)
		}
	}, exportSQL)
	pair(b, "ExportReadsVsSQL", func(b *testing.B) {
		if err := ledgerReads(c, s, 2027); err != nil {
			b.Fatal(err)
		}
	}, exportSQL)

	// Reminder planning for 5,000 units on the due date, half of them
	// owing the report: the pure planner, and the data it reads.
	uys, err := s.UnitYears(c, 2027)
	if err != nil {
		b.Fatal(err)
	}
	for i := range uys {
		if i%2 == 0 {
			uys[i].FirstSubmitted = nil
			uys[i].Versions = nil
		}
	}
	now := time.Date(2027, 3, 1, 10, 5, 0, 0, shanghai)
	b.Run("PlanReminders", func(b *testing.B) {
		for b.Loop() {
			p := rules.PlanReminders(rules.ReminderInput{
				Calendar: cal2027, Policy: rules.DefaultReminderPolicy(), Units: scaleRost, Directors: testDirectors,
				Years: uys, LastSweep: now.Add(-24 * time.Hour), Now: now,
			})
			if len(p.Items) == 0 {
				b.Fatal("nothing planned")
			}
		}
	})
}

// ledgerReads makes the reads export.Ledger.WriteLedger makes (a ledger
// without score sheets), in its order; TestLedgerReadsAreTheLedgers holds
// the two together.
func ledgerReads(c context.Context, st export.Store, year int) error {
	if _, err := st.Calendar(c, year, shanghai); err != nil {
		return err
	}
	if _, err := st.UnitNames(c); err != nil {
		return err
	}
	if _, err := st.UnitYears(c, year); err != nil {
		return err
	}
	if _, err := st.Submissions(c, year, ""); err != nil {
		return err
	}
	if _, err := st.Indicators(c); err != nil {
		return err
	}
	if _, err := st.ReportChecks(c, year); err != nil {
		return err
	}
	_, err := st.Problems(c, year, "")
	return err
}

// pair runs store and sql in each iteration, in turns which goes first,
// and reports each one's time per iteration and their ratio.
func pair(b *testing.B, name string, store, sql func(b *testing.B)) {
	b.Run(name, func(b *testing.B) {
		var storeTook, sqlTook time.Duration
		i := 0
		for b.Loop() {
			first, second, firstTook, secondTook := store, sql, &storeTook, &sqlTook
			if i%2 == 1 {
				first, second, firstTook, secondTook = sql, store, &sqlTook, &storeTook
			}
			t := time.Now()
			first(b)
			t2 := time.Now()
			second(b)
			*firstTook += t2.Sub(t)
			*secondTook += time.Since(t2)
			i++
		}
		b.ReportMetric(float64(storeTook.Microseconds())/1000/float64(i), "store_ms")
		b.ReportMetric(float64(sqlTook.Microseconds())/1000/float64(i), "sql_ms")
		b.ReportMetric(storeTook.Seconds()/sqlTook.Seconds(), "ratio")
	})
}

func mkdirTemp(prefix string) (string, error) { return os.MkdirTemp("", prefix) }
