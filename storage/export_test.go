package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
)

// SQLDB exposes the pool to the tests that inspect every connection.
func SQLDB(s *Store) *sql.DB {
	db, err := s.db.DB()
	if err != nil {
		panic(err)
	}
	return db
}

// BulkSubmissions inserts rows as they are (versions included) in large
// batches, to seed benchmarks far faster than AddSubmission's one
// transaction per row.
func BulkSubmissions(ctx context.Context, s *Store, subs []rules.Submission) error {
	rows := make([]submissionRow, len(subs))
	for i, sub := range subs {
		rows[i] = submissionToRow(sub)
	}
	return s.db.WithContext(ctx).CreateInBatches(rows, 500).Error
}

// ExplainUnitYear returns SQLite's query plan for the one-unit query.
func ExplainUnitYear(ctx context.Context, s *Store, year int, unitKey string) (string, error) {
	return explain(ctx, s, unitYearOneSQL, year, year, year, year, unitKey)
}

// ExplainUnitNow returns SQLite's query plan for UnitNow's query.
func ExplainUnitNow(ctx context.Context, s *Store, year int, unitKey string) (string, error) {
	return explain(ctx, s, unitNowSQL, year, year, year, year, unitKey)
}

// ExplainUnitYears returns SQLite's query plans for the overview's two
// reads: the roster's, and the year's stage sums.
func ExplainUnitYears(ctx context.Context, s *Store, year int) (roster, sums string, err error) {
	if roster, err = explain(ctx, s, rosterYearSQL, year, year); err != nil {
		return "", "", err
	}
	sums, err = explain(ctx, s, stageSumsSQL, year)
	return roster, sums, err
}

// HoldGroupCommit stops the group committer before it takes its next
// group, so that concurrent calls pile up; release lets it go on.
func HoldGroupCommit(s *Store) (release func()) {
	s.gc.hold.Lock()
	return s.gc.hold.Unlock
}

// GroupQueued is the number of calls waiting for the group committer.
func GroupQueued(s *Store) int {
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	return len(s.gc.queue)
}

// GroupStats reports how many groups of several calls were committed
// together, and how many failed and were run call by call.
func GroupStats(s *Store) (grouped, split int64) {
	return s.gc.grouped.Load(), s.gc.split.Load()
}

// GroupExec runs one SQL statement through the group committer, as one
// call; a bad statement fails the database way (and aborts the transaction
// on PostgreSQL).
func GroupExec(ctx context.Context, s *Store, sql string) error {
	return s.groupTx(ctx, func(tx *gorm.DB) error { return tx.Exec(sql).Error })
}

// ExecLogged runs one statement with bound values through gorm, as the
// Store's own statements run (its logger sees it).
func ExecLogged(ctx context.Context, s *Store, sql string, args ...any) error {
	return s.db.WithContext(ctx).Exec(sql, args...).Error
}

// ExplainClaim returns SQLite's query plan for the claim of pending rows.
func ExplainClaim(ctx context.Context, s *Store) (string, error) {
	return explain(ctx, s, "SELECT * FROM outbox WHERE "+claimWhere+" ORDER BY "+claimOrder+" LIMIT 1", "pending", 0)
}

// ExplainEnqueueTurn returns SQLite's query plan for a new outbox row's turn.
func ExplainEnqueueTurn(ctx context.Context, s *Store) (string, error) {
	return explain(ctx, s, enqueueTurnSQL, "a", "", "", 0)
}

// ExplainUnitProblems returns SQLite's query plans for one unit's items and
// their events (Problems with a unit).
func ExplainUnitProblems(ctx context.Context, s *Store, year int, unitKey string) (items, events string, err error) {
	args := []any{year, year, int64(1), unitKey}
	if items, err = explain(ctx, s, unitProblemsSQL, args...); err != nil {
		return "", "", err
	}
	events, err = explain(ctx, s, unitProblemEventsSQL, args...)
	return items, events, err
}

// ExplainReplace returns SQLite's query plan for superseding the pending
// rows a new reply replaces.
func ExplainReplace(ctx context.Context, s *Store) (string, error) {
	return explain(ctx, s, replaceSQL, "replaced by k", "reply:状态:a:0", "k", int64(1))
}

// explain returns SQLite's query plan for q, one "id parent detail" line per step.
func explain(ctx context.Context, s *Store, q string, args ...any) (string, error) {
	rows, err := s.db.WithContext(ctx).Raw("EXPLAIN QUERY PLAN "+q, args...).Rows()
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d %d %s\n", id, parent, detail)
	}
	return b.String(), rows.Err()
}

// SeedProblems fills the problem tables for benchmarks: perUnit items per
// unit and year, dated 30 June of their year. Items of earlier years are
// closed on 1 July except every 50th (carried over, overdue); this year's
// are a mix: every 5th closed, every 3rd reported, the rest planned. Each
// closed item has its report (with evidence) and verification events,
// each reported one its report. Bulk SQL, not one transaction per change.
func SeedProblems(ctx context.Context, s *Store, unitKeys []string, fromYear, toYear, perUnit int) error {
	var rows []problemRow
	for y := fromYear; y <= toYear; y++ {
		closed := time.Date(y, 7, 1, 10, 0, 0, 0, s.loc).UnixNano()
		for _, k := range unitKeys {
			for n := 1; n <= perUnit; n++ {
				r := problemRow{Code: fmt.Sprintf("%s-%d-%02d", k, y, n), Year: y, UnitKey: k, Seq: n, Text: "教育经费台账不全，问题描述",
					Indicator: "3.2.1", RaisedAt: closed, RaisedBy: "主任", DeliveredAt: closed, Due: fmt.Sprintf("%d-06-30", y)}
				i := len(rows)
				switch {
				case y < toYear && i%50 != 0, y == toYear && i%5 == 0:
					r.ClosedAt = closed
				case y == toYear && i%3 == 0:
					r.Reported = true
				}
				rows = append(rows, r)
			}
		}
	}
	db := s.db.WithContext(ctx)
	if err := db.CreateInBatches(rows, 1000).Error; err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT INTO problem_plans (problem_id, measure, due, owner, complete, planned_at, planned_by)
		 SELECT id, '补齐台账，建立制度', due, '预算科', true, raised_at, '联系人' FROM problems`,
		`INSERT INTO problem_events (problem_id, kind, at, actor, reason, new_due, judge_on_new, visit_date, evidence)
		 SELECT id, 'reported', raised_at, '联系人', '', '', false, '', '[{"Name":"台账.pdf","SHA256":"0a0b0c0d0e0f","Text":""}]' FROM problems WHERE closed_at <> 0 OR reported`,
		`INSERT INTO problem_events (problem_id, kind, at, actor, reason, new_due, judge_on_new, visit_date, evidence)
		 SELECT id, 'verified', closed_at, '主任', '', '', false, '', '' FROM problems WHERE closed_at <> 0`,
	} {
		if err := db.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// ExplainProblemCounts returns SQLite's query plan for ProblemCounts.
func ExplainProblemCounts(ctx context.Context, s *Store, year int) (string, error) {
	return explain(ctx, s, problemCountsSQL, "2027-07-01", year, year, year, int64(1), int64(1<<62), year)
}

// ExplainSubmissions returns SQLite's query plan for the year's versions
// (the ledger's 提交记录), as the store prepares it.
func ExplainSubmissions(ctx context.Context, s *Store, year int) (string, error) {
	return explain(ctx, s, submissionsSQL, year)
}

// SQLiteParams is the placeholder form the store prepares its hot SQLite
// statements with (+?), for the benchmarks' hand-written baselines: with a
// plain ? in a join or an ordered query SQLite parses and plans the
// statement again at every run, and the baseline would carry a cost the
// store does not.
func SQLiteParams(q string) string { return sqliteParams(q) }
