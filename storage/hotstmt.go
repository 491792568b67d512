package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// hotStmts are the statements run for every message (its inbox row, its
// replies, its handled mark), prepared once on the pool. database/sql
// prepares each on a connection the first time it runs there and keeps it,
// so a message costs no SQL parsing; and they run on the transaction's
// *sql.Tx directly, without gorm's statement building, because they run in
// the group committer, the one goroutine every message passes through.
type hotStmts struct {
	enqueue, recordInbound, markHandled *sql.Stmt
	// rosterYear and stageSums are the overview's two reads, unitYearOne
	// the one-unit read (状态, 总览, every reminder sweep), run on
	// database/sql directly: at 5,000 units gorm's Raw/Rows added as much
	// time as the query itself.
	rosterYear, stageSums, unitYearOne *sql.Stmt
	// submissions and unitSubmissions list versions (ledger, 查询, 状态),
	// rosterOrder puts the units of the year-wide list in roster order.
	submissions, unitSubmissions, rosterOrder *sql.Stmt
	// inspected reads the year's 受检单位 for unitYears.
	inspected *sql.Stmt
	// scoreSums reads the year's results aggregate (成绩, the ledger).
	scoreSums *sql.Stmt
	// unitProblems and unitProblemEvents are one unit's rectification
	// items and their events (状态, 查询).
	unitProblems, unitProblemEvents *sql.Stmt
	// units and officials read the roster (Units), unitNames its names.
	units, officials, unitNames *sql.Stmt
	// calendar is the year's row (every command that shows a deadline);
	// unitNow the year's row with one unit's year (UnitNow: 状态);
	// problemCounts 总览's items line.
	calendar, unitNow, problemCounts *sql.Stmt
}

// hotList pairs each hot statement with its SQL text (before bindvars).
func (s *Store) hotList() []hotStmt {
	h := &s.hotStmts
	return []hotStmt{
		{&h.enqueue, enqueueSQL}, {&h.recordInbound, recordInboundSQL}, {&h.markHandled, markHandledSQL},
		{&h.rosterYear, rosterYearSQL}, {&h.stageSums, stageSumsSQL}, {&h.unitYearOne, unitYearOneSQL},
		{&h.submissions, submissionsSQL}, {&h.unitSubmissions, unitSubmissionsSQL}, {&h.rosterOrder, rosterOrderSQL},
		{&h.inspected, inspectedSQL}, {&h.scoreSums, scoreSumSQL},
		{&h.unitProblems, unitProblemsSQL}, {&h.unitProblemEvents, unitProblemEventsSQL},
		{&h.units, unitsSQL}, {&h.officials, officialsSQL}, {&h.unitNames, unitNamesSQL},
		{&h.calendar, calendarSQL}, {&h.unitNow, unitNowSQL}, {&h.problemCounts, problemCountsSQL},
	}
}

type hotStmt struct {
	dst **sql.Stmt
	q   string
}

func (s *Store) prepareHot(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	for _, p := range s.hotList() {
		if *p.dst, err = sqlDB.PrepareContext(ctx, s.bindvars(p.q)); err != nil {
			s.closeHot()
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
	}
	return nil
}

func (s *Store) closeHot() {
	for _, p := range s.hotList() {
		if *p.dst != nil {
			_ = (*p.dst).Close()
		}
	}
}

// bindvars adapts the ? placeholders of q to the driver: PostgreSQL's $1,
// $2, … (gorm does that for its own statements), and SQLite's +? (see
// sqliteParams). The hot statements have no '?' anywhere else.
func (s *Store) bindvars(q string) string {
	if s.driver != DriverPostgres {
		return sqliteParams(q)
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sqliteParams writes each ? placeholder of q as +?, a no-op unary plus,
// so that a prepared statement stays prepared.
//
// The driver clears a statement's bindings before every run, and SQLite
// expires a statement on that call whenever its planner looked at a bound
// parameter: it does for every "column = ?" term that the chosen index does
// not use, in any join or ordered query (its row estimate asks whether the
// value is 0 or 1). Such a statement was parsed and planned again at every
// run, and the driver then rebuilt its column names: one unit's items
// (unitProblemsSQL) took 49 µs a call instead of 5 µs, and the enqueue of
// every reply paid it in the group committer. The planner does not look
// through a unary plus, and +? is the same value with the same (no)
// affinity, so a comparison or an index lookup is unchanged;
// TestSQLiteParamsKeepPlans checks every hot statement's plan.
func sqliteParams(q string) string {
	return strings.ReplaceAll(q, "?", "+?")
}

// execHot runs the prepared st (whose text is q) inside tx and returns the
// rows affected. Should tx not be a plain *sql.Tx, q runs through gorm.
func execHot(tx *gorm.DB, st *sql.Stmt, q string, args ...any) (int64, error) {
	if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok && st != nil {
		ctx := tx.Statement.Context
		res, err := sqlTx.StmtContext(ctx, st).ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	res := tx.Exec(q, args...)
	return res.RowsAffected, res.Error
}
