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
	// after the first sub-benchmark).
	return mkdirTemp("dudao-scale-")
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

const yearRowsSQL = `SELECT id, unit_key, stage, version, official, original_name, stored_path, size, sha256, received_at, on_time, is_text
FROM submissions WHERE year = ? AND version > 0 ORDER BY unit_key, stage, version`

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
	// The hand-written queries are prepared once, as the store's are, so
	// the ratios measure the store's own layers, not SQL parsing.
	prep := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(c, q)
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
			if _, err := s.UnitYears(c, 2027); err != nil {
				b.Fatal(err)
			}
			subs, err := s.Submissions(c, 2027, "")
			if err != nil || len(subs) != 3*scaleUnits {
				b.Fatalf("%d %v", len(subs), err)
			}
		}
	})
	b.Run("ExportSQL", func(b *testing.B) {
		for b.Loop() {
			rows, err := overviewSt.QueryContext(c, 2027, 2027, 2027)
			scanAll(b, rows, err, 7)
			rows, err = yearRowsSt.QueryContext(c, 2027)
			if n := scanAll(b, rows, err, 12); n != 3*scaleUnits {
				b.Fatalf("%d rows", n)
			}
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
	exportSQL := func(b *testing.B) {
		rows, err := overviewSt.QueryContext(c, 2027, 2027, 2027)
		scanAll(b, rows, err, 7)
		rows, err = yearRowsSt.QueryContext(c, 2027)
		if n := scanAll(b, rows, err, 12); n != 3*scaleUnits {
			b.Fatalf("%d rows", n)
		}
	}
	pair(b, "ExportVsSQL", func(b *testing.B) {
		if err := l.WriteLedger(c, 2027, io.Discard); err != nil {
			b.Fatal(err)
		}
	}, exportSQL)
	pair(b, "ExportReadsVsSQL", func(b *testing.B) {
		if _, err := s.UnitYears(c, 2027); err != nil {
			b.Fatal(err)
		}
		if subs, err := s.Submissions(c, 2027, ""); err != nil || len(subs) != 3*scaleUnits {
			b.Fatalf("%d %v", len(subs), err)
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
