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
}

func (s *Store) prepareHot(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.hotStmts.enqueue, enqueueSQL}, {&s.hotStmts.recordInbound, recordInboundSQL}, {&s.hotStmts.markHandled, markHandledSQL},
		{&s.hotStmts.rosterYear, rosterYearSQL}, {&s.hotStmts.stageSums, stageSumsSQL}, {&s.hotStmts.unitYearOne, unitYearOneSQL},
		{&s.hotStmts.submissions, submissionsSQL}, {&s.hotStmts.unitSubmissions, unitSubmissionsSQL}, {&s.hotStmts.rosterOrder, rosterOrderSQL},
		{&s.hotStmts.inspected, inspectedSQL}, {&s.hotStmts.scoreSums, scoreSumSQL},
		{&s.hotStmts.unitProblems, unitProblemsSQL}, {&s.hotStmts.unitProblemEvents, unitProblemEventsSQL},
		{&s.hotStmts.units, unitsSQL}, {&s.hotStmts.officials, officialsSQL}, {&s.hotStmts.unitNames, unitNamesSQL},
	} {
		if *p.dst, err = sqlDB.PrepareContext(ctx, s.bindvars(p.q)); err != nil {
			s.closeHot()
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
	}
	return nil
}

func (s *Store) closeHot() {
	for _, st := range []*sql.Stmt{s.hotStmts.enqueue, s.hotStmts.recordInbound, s.hotStmts.markHandled, s.hotStmts.rosterYear, s.hotStmts.stageSums, s.hotStmts.unitYearOne, s.hotStmts.submissions, s.hotStmts.unitSubmissions, s.hotStmts.rosterOrder, s.hotStmts.inspected, s.hotStmts.scoreSums, s.hotStmts.unitProblems, s.hotStmts.unitProblemEvents, s.hotStmts.units, s.hotStmts.officials, s.hotStmts.unitNames} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// bindvars turns the ? placeholders of q into PostgreSQL's $1, $2, …
// (gorm does that for its own statements). The hot statements have no '?'
// anywhere else.
func (s *Store) bindvars(q string) string {
	if s.driver != DriverPostgres {
		return q
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
