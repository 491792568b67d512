package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/export"
	"dudaobot/rules"
	"dudaobot/storage"
)

// The rectification-item benchmarks (issue 14): 5,000 units × 10 items ×
// 10 years (500,000 items, with plans and about 460,000 events) on one
// SQLite file. 总览's items line (ProblemCounts) runs beside the same
// aggregate hand-written and prepared on the same file; the 整改台账 export
// beside the one join that reads the same rows.
const scaleItems = 10

var (
	itemsOnce  sync.Once
	itemsStore *storage.Store
	itemsErr   error
)

func itemsDB(b *testing.B) (*storage.Store, *sql.DB) {
	b.Helper()
	itemsOnce.Do(func() {
		dir, err := tempDirNoCleanup()
		if err != nil {
			itemsErr = err
			return
		}
		s, err := storage.Open(ctx, storage.Options{Driver: storage.DriverSQLite, Path: dir + "/items.db", Now: clock.NewFake(t0).Now})
		if err != nil {
			itemsErr = err
			return
		}
		units := make([]rules.Unit, scaleUnits)
		keys := make([]string, scaleUnits)
		for i := range units {
			keys[i] = fmt.Sprintf("u%04d", i)
			units[i] = rules.Unit{Key: keys[i], Name: fmt.Sprintf("单位%d", i), SortOrder: i + 1,
				Officials: []rules.Official{{Name: "x", WeChatRemark: fmt.Sprintf("r%d", i)}}}
		}
		if itemsErr = s.SyncRoster(ctx, units, testDirectors); itemsErr != nil {
			return
		}
		if itemsErr = s.EnsureYear(ctx, cal2027); itemsErr != nil {
			return
		}
		itemsErr = storage.SeedProblems(ctx, s, keys, 2027-scaleYears+1, 2027, scaleItems)
		itemsStore = s
	})
	if itemsErr != nil {
		b.Fatal(itemsErr)
	}
	return itemsStore, storage.SQLDB(itemsStore)
}

// countsSQL is the hand-written items line: the same counts, as a sum of
// three index-range counts.
const countsSQL = `SELECT
 (SELECT COUNT(*) FROM problems WHERE year = ?) + (SELECT COUNT(*) FROM problems WHERE closed_at = 0 AND year < ?) + (SELECT COUNT(*) FROM problems WHERE closed_at >= ? AND closed_at < 9223372036854775807 AND year < ?),
 (SELECT COUNT(*) FROM problems WHERE year = ? AND closed_at <> 0) + (SELECT COUNT(*) FROM problems WHERE closed_at >= ? AND closed_at < 9223372036854775807 AND year < ?),
 (SELECT COUNT(*) FROM problems WHERE year = ? AND closed_at = 0 AND NOT reported AND due <> '' AND due < ?) + (SELECT COUNT(*) FROM problems WHERE closed_at = 0 AND year < ? AND NOT reported AND due <> '' AND due < ?),
 (SELECT COUNT(*) FROM problems WHERE year = ? AND closed_at = 0 AND reported) + (SELECT COUNT(*) FROM problems WHERE closed_at = 0 AND year < ? AND reported),
 (SELECT COUNT(*) FROM problems WHERE closed_at = 0 AND year < ?) + (SELECT COUNT(*) FROM problems WHERE closed_at >= ? AND closed_at < 9223372036854775807 AND year < ?)`

// ledgerSQL reads what the 整改台账 shows: the year's items with their plans,
// and their events.
const ledgerSQL = `SELECT p.id, p.code, p.year, p.unit_key, p.seq, p.text, p.indicator, p.closed_at, pp.measure, pp.due, pp.owner
FROM problems p JOIN units u ON u.unit_key = p.unit_key LEFT JOIN problem_plans pp ON pp.problem_id = p.id
WHERE p.year = ? OR (p.year < ? AND (p.closed_at = 0 OR p.closed_at >= ?)) ORDER BY u.sort_order, p.unit_key, p.year, p.seq`

const ledgerEventsSQL = `SELECT e.problem_id, e.kind, e.at, e.actor, e.evidence FROM problem_events e JOIN problems p ON p.id = e.problem_id
WHERE p.year = ? OR (p.year < ? AND (p.closed_at = 0 OR p.closed_at >= ?)) ORDER BY e.at, e.id`

func BenchmarkProblemsScale(b *testing.B) {
	s, db := itemsDB(b)
	c := context.Background()
	start := rules.Date{Year: 2027, Month: time.January, Day: 1}.Start(shanghai).UnixNano()
	today := rules.Date{Year: 2027, Month: time.July, Day: 20}
	// 50,000 items of 2027 and every 50th of the 450,000 before (9,000).
	const wantItems = scaleUnits*scaleItems + scaleUnits*scaleItems*(scaleYears-1)/50
	// Prepared with the store's placeholders (SQLiteParams), so they stay
	// prepared as the store's do.
	prep := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(c, storage.SQLiteParams(q))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	countsSt, ledgerSt, eventsSt := prep(countsSQL), prep(ledgerSQL), prep(ledgerEventsSQL)
	b.Run("OverviewItems", func(b *testing.B) {
		for b.Loop() {
			n, err := s.ProblemCounts(c, 2027, today)
			if err != nil || n.Total != wantItems {
				b.Fatalf("%+v %v", n, err)
			}
		}
	})
	b.Run("OverviewItemsSQL", func(b *testing.B) {
		for b.Loop() {
			var total, closed, overdue, reported, carried int
			t := today.String()
			if err := countsSt.QueryRowContext(c, 2027, 2027, start, 2027, 2027, start, 2027, 2027, t, 2027, t, 2027, 2027, 2027, start, 2027).
				Scan(&total, &closed, &overdue, &reported, &carried); err != nil || total != wantItems {
				b.Fatalf("%d %v", total, err)
			}
		}
	})
	l := &export.Ledger{Store: s, Clock: clock.NewFake(time.Date(2027, 7, 20, 9, 0, 0, 0, shanghai)), Location: shanghai}
	b.Run("ItemLedger", func(b *testing.B) {
		for b.Loop() {
			if err := l.WriteProblemLedger(c, 2027, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ItemLedgerReads", func(b *testing.B) {
		for b.Loop() {
			ps, err := s.Problems(c, 2027, "")
			if err != nil || len(ps) != wantItems {
				b.Fatalf("%d %v", len(ps), err)
			}
		}
	})
	b.Run("ItemLedgerSQL", func(b *testing.B) {
		for b.Loop() {
			rows, err := ledgerSt.QueryContext(c, 2027, 2027, start)
			if n := scanAll(b, rows, err, 11); n != wantItems {
				b.Fatalf("%d rows", n)
			}
			rows, err = eventsSt.QueryContext(c, 2027, 2027, start)
			scanAll(b, rows, err, 5)
		}
	})
}
