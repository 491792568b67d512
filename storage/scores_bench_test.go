package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// The results benchmark (issue 15): weighted totals and ranking for 5,000
// units × 30 indicators × 2 sources × 10 years (3,000,000 score rows) on one
// SQLite file, the store's aggregate plus rules.ComputeResults beside one
// hand-written SQL query giving the weighted totals and ranks.
const scoreUnits, scoreYears, scoreCodes = 5000, 10, 30

var (
	scoreOnce  sync.Once
	scoreStore *storage.Store
	scoreErr   error
)

// seedScoresSQL fills the scores table in one statement (a recursive CTE
// per dimension), far faster than 3 million ORM inserts.
const seedScoresSQL = `WITH RECURSIVE
  y(v) AS (SELECT ? UNION ALL SELECT v + 1 FROM y WHERE v < ?),
  u(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM u WHERE v < ?),
  c(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM c WHERE v < ?),
  s(v) AS (SELECT 'inspection' UNION ALL SELECT 'self_assessment')
INSERT INTO scores (year, unit_key, source, code, points, note, actor, at)
SELECT y.v, printf('u%04d', u.v), s.v, CAST(c.v AS TEXT), (u.v * 7 + c.v * 13 + y.v) % 334, '', 'bench', 0
FROM y, u, c, s`

// seedTotalsSQL builds the aggregate SaveScores keeps, for every year.
const seedTotalsSQL = `INSERT INTO score_totals (year, unit_key, source, total_points, scored)
SELECT year, unit_key, source, SUM(points), COUNT(*) FROM scores GROUP BY year, unit_key, source`

func scoreDB(b *testing.B) *storage.Store {
	b.Helper()
	scoreOnce.Do(func() {
		dir, err := tempDirNoCleanup()
		if err != nil {
			scoreErr = err
			return
		}
		s, err := storage.Open(ctx, storage.Options{Driver: storage.DriverSQLite, Path: dir + "/scores.db", Now: clock.NewFake(t0).Now})
		if err != nil {
			scoreErr = err
			return
		}
		if scoreErr = storage.ExecLogged(ctx, s, seedScoresSQL, 2027-scoreYears+1, 2027, scoreUnits-1, scoreCodes); scoreErr != nil {
			return
		}
		scoreErr = storage.ExecLogged(ctx, s, seedTotalsSQL)
		scoreStore = s
	})
	if scoreErr != nil {
		b.Fatal(scoreErr)
	}
	return scoreStore
}

// resultsSQL is the hand-written answer from the same aggregate: each
// unit's weighted sum (70/30) where both sources are complete, and its rank
// with ties.
const resultsSQL = `SELECT unit_key, w, RANK() OVER (ORDER BY w DESC) FROM (
  SELECT unit_key, SUM(CASE source WHEN 'inspection' THEN 70 ELSE 30 END * total_points) AS w
  FROM score_totals WHERE year = ? GROUP BY unit_key
  HAVING SUM(CASE WHEN source = 'inspection' AND scored = ? THEN 1 ELSE 0 END) = 1
     AND SUM(CASE WHEN source = 'self_assessment' AND scored = ? THEN 1 ELSE 0 END) = 1)`

// rawResultsSQL is the same answer computed from the score cells
// themselves, without the kept aggregate (for comparison).
const rawResultsSQL = `SELECT unit_key, w, RANK() OVER (ORDER BY w DESC) FROM (
  SELECT unit_key, SUM(CASE source WHEN 'inspection' THEN 70 ELSE 30 END * points) AS w
  FROM scores WHERE year = ? GROUP BY unit_key
  HAVING SUM(source = 'inspection') = ? AND SUM(source = 'self_assessment') = ?)`

func BenchmarkScoreResults(b *testing.B) {
	s := scoreDB(b)
	c := context.Background()
	model := rules.ScoringModel{
		Weights: map[rules.ScoreSource]int{rules.SourceInspection: 70, rules.SourceSelf: 30},
		Bands:   rules.DefaultGradeBands(),
	}
	codes := make([]string, scoreCodes)
	for i := range codes {
		codes[i] = fmt.Sprint(i + 1)
	}
	model.Indicators = rules.EqualShares(codes)
	units := make([]rules.ScoredUnit, scoreUnits)
	for i := range units {
		units[i] = rules.ScoredUnit{Key: fmt.Sprintf("u%04d", i), Inspected: true}
	}
	st, err := storage.SQLDB(s).PrepareContext(c, storage.SQLiteParams(resultsSQL))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	raw, err := storage.SQLDB(s).PrepareContext(c, storage.SQLiteParams(rawResultsSQL))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	// ResultsVsSQL runs the store's answer and the hand-written query in
	// turns in each iteration, so that their ratio holds on a busy machine.
	pair(b, "ResultsVsSQL", func(b *testing.B) {
		sums, err := s.ScoreSums(c, 2027)
		if err != nil {
			b.Fatal(err)
		}
		rs := rules.ComputeResults(model, units, sums)
		if !rs[0].Graded || rs[0].Rank == 0 {
			b.Fatalf("unit 0 not ranked: %+v", rs[0])
		}
	}, func(b *testing.B) {
		rows, err := st.QueryContext(c, 2027, scoreCodes, scoreCodes)
		if n := scanRows(b, rows, err, 3); n != scoreUnits {
			b.Fatalf("%d rows", n)
		}
	})
	b.Run("ResultsRawSQL", func(b *testing.B) {
		for b.Loop() {
			rows, err := raw.QueryContext(c, 2027, scoreCodes, scoreCodes)
			if n := scanRows(b, rows, err, 3); n != scoreUnits {
				b.Fatalf("%d rows", n)
			}
		}
	})
}

func scanRows(b *testing.B, rows *sql.Rows, err error, cols int) int {
	b.Helper()
	return scanAll(b, rows, err, cols)
}
