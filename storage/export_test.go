package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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

// ExplainUnitYears returns SQLite's query plan for the overview query.
func ExplainUnitYears(ctx context.Context, s *Store, year int) (string, error) {
	return explain(ctx, s, unitYearSQL+"ORDER BY u.sort_order, u.unit_key, s.stage", year, year, year)
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
