package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
)

// openInternal opens a fresh SQLite store with three units and the 2027
// calendar.
func openInternal(tb testing.TB) *Store {
	tb.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2027, 5, 10, 9, 0, 0, 0, loc) }
	s, err := Open(ctx, Options{Driver: DriverSQLite, Path: filepath.Join(tb.TempDir(), "dudao.db"), Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	var units []rules.Unit
	for i, k := range []string{"czj", "jyj", "rsj"} {
		units = append(units, rules.Unit{Key: k, Name: "县" + k, SortOrder: i + 1,
			Officials: []rules.Official{{Name: "官员" + k, WeChatRemark: "备注-" + k}}})
	}
	if err := s.SyncRoster(ctx, units, []rules.Director{{Name: "主任", WeChatRemark: "备注-主任"}}); err != nil {
		tb.Fatal(err)
	}
	cal := rules.Calendar{Year: 2027, Location: loc, FeedbackDays: 14, RectificationPlanDays: 7,
		SelfAssessmentDue: rules.Date{Year: 2027, Month: time.March, Day: 1},
		InspectionStart:   rules.Date{Year: 2027, Month: time.April, Day: 10},
		InspectionEnd:     rules.Date{Year: 2027, Month: time.April, Day: 20}}
	if err := s.EnsureYear(ctx, cal); err != nil {
		tb.Fatal(err)
	}
	return s
}

// queryPlan is EXPLAIN QUERY PLAN of q, every parameter NULL.
func queryPlan(tb testing.TB, db *sql.DB, q string) []string {
	tb.Helper()
	args := make([]any, strings.Count(q, "?"))
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		tb.Fatalf("explain %q: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d<%d %s", id, parent, detail))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSQLiteParamsKeepPlans: writing the placeholders +? (sqliteParams)
// changes no plan of any statement it is applied to: the same indexes, the
// same joins, the same sorts.
func TestSQLiteParamsKeepPlans(t *testing.T) {
	s := openInternal(t)
	db, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, h := range s.hotList() {
		texts = append(texts, h.q)
	}
	for _, q := range texts {
		plain, plus := queryPlan(t, db, q), queryPlan(t, db, sqliteParams(q))
		if len(plain) == 0 && strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
			t.Errorf("no plan for %q", q)
		}
		if !slices.Equal(plain, plus) {
			t.Errorf("plan changed for %q:\n  with ?:  %q\n  with +?: %q", q, plain, plus)
		}
	}
	if got := sqliteParams("a = ? AND b IN (?, ?)"); got != "a = +? AND b IN (+?, +?)" {
		t.Errorf("sqliteParams: %q", got)
	}
}

// TestSQLiteParamsSameRows: a read written with +? returns exactly what
// the same read with ? returns, for text and integer parameters of the
// units' own values and of values no row has.
func TestSQLiteParamsSameRows(t *testing.T) {
	s := openInternal(t)
	ctx := context.Background()
	db, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	read := func(q string, args ...any) []string {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			var order int64
			if err := rows.Scan(&k, &order); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(k, order))
		}
		return out
	}
	const q = `SELECT u.unit_key, u.sort_order FROM units u JOIN officials o ON o.unit_key = u.unit_key
 WHERE u.unit_key = ? OR u.sort_order = ? OR u.sort_order = ? ORDER BY u.sort_order`
	for _, args := range [][]any{{"czj", 2, "3"}, {"nope", 0, int64(1)}, {nil, nil, nil}, {"rsj", "2", 9}} {
		want, got := read(q, args...), read(sqliteParams(q), args...)
		if !slices.Equal(want, got) {
			t.Errorf("args %v: with ? %q, with +? %q", args, want, got)
		}
	}
}

// BenchmarkSQLiteParams runs the reads of one unit's 状态 (the calendar
// with the unit's year, as UnitNow reads them, and the unit's items) with
// the statements as written (?) and as the store prepares them (+?), in
// turns in each iteration on the same connection pool, and reports each
// side's time a call and their ratio.
func BenchmarkSQLiteParams(b *testing.B) {
	s := openInternal(b)
	ctx := context.Background()
	db, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	start := ns(rules.Date{Year: 2027, Month: time.January, Day: 1}.Start(s.loc))
	reads := []struct {
		q    string
		args []any
	}{
		{unitNowSQL, []any{2027, 2027, 2027, 2027, "czj"}},
		{unitProblemsSQL, []any{2027, 2027, start, "czj"}},
	}
	prepare := func(rewrite func(string) string) []*sql.Stmt {
		var out []*sql.Stmt
		for _, r := range reads {
			st, err := db.PrepareContext(ctx, rewrite(r.q))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			out = append(out, st)
		}
		return out
	}
	plain, plus := prepare(func(q string) string { return q }), prepare(sqliteParams)
	run := func(sts []*sql.Stmt) time.Duration {
		t0 := time.Now()
		for i, st := range sts {
			rows, err := st.QueryContext(ctx, reads[i].args...)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	var plainTook, plusTook time.Duration
	for b.Loop() {
		plainTook += run(plain)
		plusTook += run(plus)
	}
	n := float64(b.N)
	b.ReportMetric(float64(plainTook.Microseconds())/n, "plain_us")
	b.ReportMetric(float64(plusTook.Microseconds())/n, "plus_us")
	b.ReportMetric(plainTook.Seconds()/plusTook.Seconds(), "ratio")
}
