package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The compliance overview of every unit is two reads (unitYearsAll):
// rosterYearSQL, each roster unit in roster order with its configured
// stages, first feedback delivery and completion due date, and
// stageSumsSQL, each (unit, stage)'s first and last time and latest version
// of the year, put into the units' entries in Go. One statement joining
// the two (units LEFT JOIN submissions, GROUP BY roster position, unit and
// stage) made SQLite sort all the year's versions in a temporary B-tree
// before aggregating them; stageSumsSQL aggregates them in the order of
// ix_sub_agg and sorts nothing (TestUnitYearsQueryPlan), and the roster
// read sorts only the units. Each read costs one index walk however many
// units there are (no N+1).
//
// Withdrawn versions (version <= 0, see WithdrawSubmission) count nowhere.
//
// FeedbackAt is the first delivery: the office's 14-day obligation is met by
// it, and the unit's 7-day plan clock starts when it first had feedback.
const (
	rosterYearSQL = `
SELECT u.unit_key, u.stages,
	(SELECT MIN(f.delivered_at) FROM feedback_deliveries f WHERE f.year = ? AND f.unit_key = u.unit_key),
	(SELECT r.due FROM rectification_dues r WHERE r.year = ? AND r.unit_key = u.unit_key)
FROM units u ORDER BY u.sort_order, u.unit_key
`
	stageSumsSQL = `
SELECT unit_key, stage, MIN(received_at), MAX(received_at), MAX(version)
FROM submissions WHERE year = ? AND version > 0
GROUP BY unit_key, stage
`
)

// unitYearOneSQL is the overview of one unit: the unit's row by its key,
// its submissions of the year by ix_sub_agg (year, unit_key), feedback and
// due date as correlated lookups, grouped and ordered by stage straight
// from that index. Filtered only outside derived tables, SQLite aggregated
// every unit's submissions of the year first (3.6 ms instead of 0.05 ms at
// 5,000 units); filtered inside derived tables, it materialised each one
// and built an automatic index and a sort tree on every call
// (TestUnitYearOneQueryPlan).
// unitYearOneSQL reads one unit's year: its stage sums, its feedback and
// completion date, its configured stages and the year's inspected set (the
// year's row joined; MAX over that one row, as grouping by it made SQLite
// sort). unitNowSQL also reads the year's calendar from that row. Both take
// the same arguments: year four times, then the unit key.
const (
	unitYearOneCols = `
SELECT u.unit_key, s.stage, MIN(s.received_at), MAX(s.received_at), MAX(s.version),
	(SELECT MIN(f.delivered_at) FROM feedback_deliveries f WHERE f.year = ? AND f.unit_key = u.unit_key),
	(SELECT r.due FROM rectification_dues r WHERE r.year = ? AND r.unit_key = u.unit_key),
	u.stages, COALESCE(MAX(y.inspected_units), '')`
	unitYearOneFrom = `
FROM units u
LEFT JOIN years y ON y.year = ?
LEFT JOIN submissions s ON s.unit_key = u.unit_key AND s.year = ? AND s.version > 0
WHERE u.unit_key = ?
GROUP BY u.unit_key, s.stage ORDER BY u.unit_key, s.stage
`
	unitYearOneSQL = unitYearOneCols + unitYearOneFrom
	unitNowSQL     = unitYearOneCols + `,
	COALESCE(MAX(y.year), 0), COALESCE(MAX(y.self_assessment_due), ''), COALESCE(MAX(y.inspection_start), ''),
	COALESCE(MAX(y.inspection_end), ''), COALESCE(MAX(y.feedback_days), 0), COALESCE(MAX(y.rectification_plan_days), 0),
	COALESCE(MAX(y.inspection_end_override), '')` + unitYearOneFrom
)

// UnitYears returns every roster unit's submissions summary for the year, in
// roster order, from the roster read and one aggregate query (unitYearsAll;
// and one read of the year's inspected set). Each carries the stages that do
// not apply to it this year (its configured stages and the year's
// inspected set), so every status computed from it shows 不适用 there.
func (s *Store) UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error) {
	out, err := s.unitYears(ctx, year, "")
	if err != nil {
		return nil, wrap(fmt.Sprintf("unit years %d", year), err)
	}
	return out, nil
}

// UnitYear returns one unit's summary; ErrNotFound if the unit is not on
// the roster.
func (s *Store) UnitYear(ctx context.Context, year int, unitKey string) (rules.UnitYear, error) {
	out, err := s.unitYears(ctx, year, unitKey)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("unit %q: %w", unitKey, ErrNotFound)
	}
	if err != nil {
		return rules.UnitYear{}, wrap(fmt.Sprintf("unit year %d unit=%s", year, unitKey), err)
	}
	return out[0], nil
}

func (s *Store) unitYears(ctx context.Context, year int, unitKey string) ([]rules.UnitYear, error) {
	if unitKey == "" {
		// The year's inspected set is read on its own: as a scalar
		// subquery in the aggregate it made the 5,000-unit overview about
		// 1.6× slower.
		var inspectedUnits sql.NullString
		if err := s.hotStmts.inspected.QueryRowContext(ctx, year).Scan(&inspectedUnits); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return s.unitYearsAll(ctx, year, decodeInspected(inspectedUnits.String))
	}
	uy, _, err := s.unitYearOne(ctx, year, unitKey, false)
	if err != nil || uy.UnitKey == "" {
		return nil, err
	}
	return []rules.UnitYear{uy}, nil
}

// UnitNow returns the year's calendar (as Calendar does) and one unit's
// year (as UnitYear does) from one query: every command acting for a unit
// reads both, 状态 above all. The calendar is the zero Calendar when the
// year has no row. ErrNotFound if the unit is not on the roster.
func (s *Store) UnitNow(ctx context.Context, year int, unitKey string, loc *time.Location) (rules.Calendar, rules.UnitYear, error) {
	uy, yr, err := s.unitYearOne(ctx, year, unitKey, true)
	if err == nil && uy.UnitKey == "" {
		err = fmt.Errorf("unit %q: %w", unitKey, ErrNotFound)
	}
	var cal rules.Calendar
	if err == nil && yr.Year != 0 {
		cal, err = calendarFromRow(yr, loc)
	}
	if err != nil {
		return rules.Calendar{}, rules.UnitYear{}, wrap(fmt.Sprintf("unit now %d unit=%s", year, unitKey), err)
	}
	return cal, uy, nil
}

// unitYearOne reads one unit's year with unitYearOneSQL, which reads the
// unit's own rows only (BenchmarkScale/OneUnitVsSQL), or (withCalendar)
// with unitNowSQL, which also returns the year's row. The UnitYear is zero
// when the unit is not on the roster, the yearRow when the year has no row.
func (s *Store) unitYearOne(ctx context.Context, year int, unitKey string, withCalendar bool) (rules.UnitYear, yearRow, error) {
	st, n := s.hotStmts.unitYearOne, 9
	if withCalendar {
		st, n = s.hotStmts.unitNow, 16
	}
	rows, err := st.QueryContext(ctx, year, year, year, year, unitKey)
	if err != nil {
		return rules.UnitYear{}, yearRow{}, err
	}
	defer rows.Close()
	var out rules.UnitYear
	var yr yearRow
	// Scanned into plain values and converted by scanCols, as in
	// unitYearsAll.
	var cols [16]any
	var dest [16]any
	for i := range cols {
		dest[i] = &cols[i]
	}
	var key, stage, due, stages string
	var firstAt, lastAt, versions, feedbackAt int64
	for rows.Next() {
		if err := rows.Scan(dest[:n]...); err != nil {
			return rules.UnitYear{}, yearRow{}, err
		}
		if err := scanCols(cols[:n], []any{&key, &stage, &firstAt, &lastAt, &versions, &feedbackAt, &due, &stages,
			&yr.InspectedUnits, &yr.Year, &yr.SelfAssessmentDue, &yr.InspectionStart, &yr.InspectionEnd,
			&yr.FeedbackDays, &yr.RectificationPlanDays, &yr.InspectionEndOverride}[:n]...); err != nil {
			return rules.UnitYear{}, yearRow{}, err
		}
		if out.UnitKey == "" {
			out = rules.UnitYear{UnitKey: key, FeedbackAt: s.tm(feedbackAt),
				NotApplicable: rules.NotApplicableStages(rules.Unit{Key: key, Stages: decodeStages(stages)}, decodeInspected(yr.InspectedUnits))}
			if out.RectificationDue, err = parseDate(due); err != nil {
				return rules.UnitYear{}, yearRow{}, err
			}
		}
		// A unit without submissions comes as one row with a NULL stage
		// (the LEFT JOIN).
		if cols[1] != nil {
			s.addStageSum(&out, rules.Stage(stage), firstAt, lastAt, versions)
		}
	}
	return out, yr, rows.Err()
}

// addStageSum records one stage's first and last time and latest version
// in u.
func (s *Store) addStageSum(u *rules.UnitYear, st rules.Stage, firstAt, lastAt, versions int64) {
	// Maps only for units that submitted something: most units have none
	// early in the year, and reading a nil map is fine.
	if u.Versions == nil {
		u.FirstSubmitted = make(map[rules.Stage]time.Time, 3)
		u.LastSubmitted = make(map[rules.Stage]time.Time, 3)
		u.Versions = make(map[rules.Stage]int, 3)
	}
	u.FirstSubmitted[st] = s.tm(firstAt)
	u.LastSubmitted[st] = s.tm(lastAt)
	u.Versions[st] = int(versions)
}

// unitYearsAll is unitYears for every roster unit: the roster read
// (rosterYearSQL) makes the entries in roster order, then the year's stage
// sums (stageSumsSQL) fill them in, found by unit key; sums of units no
// longer on the roster are left out, as the join left them out.
//
// The columns are scanned into plain values and converted by scanCols:
// database/sql's conversion into sql.Null* costs a reflection pass per
// column, and variables escaping through Scan's ...any an allocation each
// per row; at 5,000 units that was a third of the overview's time outside
// SQLite.
func (s *Store) unitYearsAll(ctx context.Context, year int, inspected rules.Inspected) ([]rules.UnitYear, error) {
	rows, err := s.hotStmts.rosterYear.QueryContext(ctx, year, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Sized from the last roster read: growing 5,000 entries by doubling
	// cost a tenth of the Go side.
	n := s.rosterSize.Load()
	out := make([]rules.UnitYear, 0, n)
	at := make(map[string]int, n)
	var (
		cols                                [5]any
		key, stage, stages, due             string
		firstAt, lastAt, versions, feedback int64
	)
	dest := [5]any{&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]}
	for rows.Next() {
		if err := rows.Scan(dest[:4]...); err != nil {
			return nil, err
		}
		if err := scanCols(cols[:4], &key, &stages, &feedback, &due); err != nil {
			return nil, err
		}
		u := rules.UnitYear{UnitKey: key, FeedbackAt: s.tm(feedback),
			NotApplicable: rules.NotApplicableStages(rules.Unit{Key: key, Stages: decodeStages(stages)}, inspected)}
		if u.RectificationDue, err = parseDate(due); err != nil {
			return nil, err
		}
		at[key] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	s.rosterSize.Store(int64(len(out)))

	sums, err := s.hotStmts.stageSums.QueryContext(ctx, year)
	if err != nil {
		return nil, err
	}
	defer sums.Close()
	for sums.Next() {
		if err := sums.Scan(dest[:]...); err != nil {
			return nil, err
		}
		if err := scanCols(cols[:], &key, &stage, &firstAt, &lastAt, &versions); err != nil {
			return nil, err
		}
		if i, ok := at[key]; ok {
			s.addStageSum(&out[i], rules.Stage(stage), firstAt, lastAt, versions)
		}
	}
	return out, sums.Err()
}

// scanCols converts the row cols, scanned into *any, into dst: each
// dst is a *string, *int64, *int or *bool, and a NULL becomes its zero
// value. The types the drivers return (string, int64, bool; SQLite's
// booleans are the integers 0 and 1) are converted directly; anything
// else goes through database/sql's own conversion (sql.NullString,
// sql.NullInt64, sql.NullBool), with its errors.
func scanCols(cols []any, dst ...any) error {
	for i, d := range dst {
		switch d := d.(type) {
		case *string:
			switch v := cols[i].(type) {
			case string:
				*d = v
			case nil:
				*d = ""
			default:
				var n sql.NullString
				if err := n.Scan(v); err != nil {
					return fmt.Errorf("column %d: %w", i, err)
				}
				*d = n.String
			}
		case *int64:
			switch v := cols[i].(type) {
			case int64:
				*d = v
			case nil:
				*d = 0
			default:
				var n sql.NullInt64
				if err := n.Scan(v); err != nil {
					return fmt.Errorf("column %d: %w", i, err)
				}
				*d = n.Int64
			}
		case *int:
			var n int64
			if err := scanCols(cols[i:i+1], &n); err != nil {
				return err
			}
			*d = int(n)
		case *bool:
			switch v := cols[i].(type) {
			case bool:
				*d = v
			case nil:
				*d = false
			case int64:
				if v != 0 && v != 1 {
					return fmt.Errorf("column %d: %d is not a boolean", i, v)
				}
				*d = v == 1
			default:
				var n sql.NullBool
				if err := n.Scan(v); err != nil {
					return fmt.Errorf("column %d: %w", i, err)
				}
				*d = n.Bool
			}
		default:
			return fmt.Errorf("column %d: cannot scan into %T", i, d)
		}
	}
	return nil
}

// lockUnit checks that the unit is on the roster and, on PostgreSQL, locks
// its row until the transaction ends, which serialises version numbering
// per unit (SQLite's BEGIN IMMEDIATE already serialises all writers; gorm's
// SQLite dialect drops the FOR UPDATE).
func lockUnit(tx *gorm.DB, unitKey string) error {
	var u unitRow
	err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Select("unit_key").Take(&u, "unit_key = ?", unitKey).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("unit %q: %w", unitKey, ErrNotFound)
	}
	return err
}

// nextVersion returns max(version)+1 over the live versions of (year,
// unit, stage) inside tx; a withdrawn version's number is free again.
func nextVersion(tx *gorm.DB, year int, unitKey string, stage rules.Stage) (int, error) {
	var v sql.NullInt64
	err := tx.Model(&submissionRow{}).
		Where("year = ? AND unit_key = ? AND stage = ? AND version > 0", year, unitKey, string(stage)).
		Select("MAX(version)").Scan(&v).Error
	return int(v.Int64) + 1, err
}

// insertSubmission numbers sub as the next version of its unit's stage
// (max+1) and inserts it, setting its Version and ID.
func insertSubmission(tx *gorm.DB, sub *rules.Submission) error {
	v, err := nextVersion(tx, sub.Year, sub.UnitKey, sub.Stage)
	if err != nil {
		return err
	}
	sub.Version = v
	row := submissionToRow(*sub)
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	sub.ID = row.ID
	return nil
}

// AddSubmission stores a new version of a unit's document. In one
// transaction it numbers the version (max+1 for year/unit/stage), inserts it,
// queues the messages outs returns for the saved row (the receipt) and writes
// the audit row; if any step fails nothing is kept. ReceivedAt defaults to
// the clock. ErrNotFound if the unit is not on the roster.
func (s *Store) AddSubmission(ctx context.Context, sub rules.Submission, actor string,
	outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error) {
	op := fmt.Sprintf("add submission unit=%s stage=%s", sub.UnitKey, sub.Stage)
	if !sub.Stage.Valid() {
		return rules.Submission{}, fmt.Errorf("storage: %s: unknown stage", op)
	}
	if sub.ReceivedAt.IsZero() {
		sub.ReceivedAt = s.now()
	}
	saved := sub
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockUnit(tx, sub.UnitKey); err != nil {
			return err
		}
		if err := insertSubmission(tx, &saved); err != nil {
			return err
		}
		return s.finishSubmissionTx(tx, actor, "submission", saved, outs)
	})
	if err != nil {
		return rules.Submission{}, wrap(op, err)
	}
	return saved, nil
}

// RefileSubmission moves material kept as supporting (补充材料) to the stage
// the official chose, as the next version of that stage, with its on-time
// flag, its outbox rows and its audit row in one transaction. ErrNotFound
// for an unknown id; ErrConflict if the row is not supporting material.
func (s *Store) RefileSubmission(ctx context.Context, id int64, stage rules.Stage, onTime bool, actor string,
	outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error) {
	op := fmt.Sprintf("refile submission id=%d stage=%s", id, stage)
	if !slices.Contains(rules.UnitStages, stage) {
		return rules.Submission{}, fmt.Errorf("storage: %s: not a unit stage", op)
	}
	var saved rules.Submission
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var row submissionRow
		if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Take(&row, "id = ?", id).Error; err != nil {
			return err
		}
		if row.WithdrawnAt != 0 {
			return fmt.Errorf("withdrawn: %w", ErrConflict)
		}
		if rules.Stage(row.Stage) != rules.StageSupporting {
			return fmt.Errorf("already filed as %s: %w", row.Stage, ErrConflict)
		}
		if err := lockUnit(tx, row.UnitKey); err != nil {
			return err
		}
		v, err := nextVersion(tx, row.Year, row.UnitKey, stage)
		if err != nil {
			return err
		}
		if err := tx.Model(&submissionRow{}).Where("id = ?", id).Updates(map[string]any{
			"stage": string(stage), "version": v, "on_time": onTime,
		}).Error; err != nil {
			return err
		}
		row.Stage, row.Version, row.OnTime = string(stage), v, onTime
		saved = s.submissionFromRow(row)
		return s.finishSubmissionTx(tx, actor, "refile", saved, outs)
	})
	if err != nil {
		return rules.Submission{}, wrap(op, err)
	}
	return saved, nil
}

// WithdrawSubmission withdraws (撤回) a version: the row and its file stay
// for the audit, but from now on it counts nowhere: not in versions, not
// in the first-submitted time that decides lateness, not in the lists.
// Its version number moves to -id, so the stage's next version reuses the
// number it had, as if it had never arrived. The update, the outbox rows
// outs returns and the audit row commit together. It returns the row as it
// was (its original version). ErrNotFound for an unknown id; ErrConflict if
// it is already withdrawn. A repeat by the same actor with the same at (the
// same 撤回 re-run after a crash) returns the earlier withdrawal of the
// unit and changes nothing, whichever id it names.
func (s *Store) WithdrawSubmission(ctx context.Context, id int64, actor string, at time.Time,
	outs func(was rules.Submission) []rules.Outgoing) (rules.Submission, error) {
	op := fmt.Sprintf("withdraw submission id=%d", id)
	if at.IsZero() {
		at = s.now()
	}
	var was rules.Submission
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var row submissionRow
		if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Take(&row, "id = ?", id).Error; err != nil {
			return err
		}
		if err := lockUnit(tx, row.UnitKey); err != nil {
			return err
		}
		var done []submissionRow
		if err := tx.Where("year = ? AND unit_key = ? AND withdrawn_by = ? AND withdrawn_at = ?",
			row.Year, row.UnitKey, actor, ns(at)).Limit(1).Find(&done).Error; err != nil {
			return err
		}
		if len(done) == 1 {
			done[0].Version = done[0].WithdrawnVersion
			was = s.submissionFromRow(done[0])
			return nil
		}
		if row.WithdrawnAt != 0 || row.Version <= 0 {
			return fmt.Errorf("already withdrawn: %w", ErrConflict)
		}
		if err := markWithdrawn(tx, row, actor, at); err != nil {
			return err
		}
		was = s.submissionFromRow(row)
		return s.finishSubmissionTx(tx, actor, "withdraw", was, outs)
	})
	if err != nil {
		return rules.Submission{}, wrap(op, err)
	}
	return was, nil
}

// markWithdrawn takes a live version out of the counts: its number moves
// to -id (the stage's next version reuses it), the row and file stay.
func markWithdrawn(tx *gorm.DB, row submissionRow, actor string, at time.Time) error {
	return tx.Model(&submissionRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"version": -row.ID, "withdrawn_at": ns(at), "withdrawn_by": actor, "withdrawn_version": row.Version,
	}).Error
}

// Submissions lists every live (not withdrawn) version received in the year, for one unit or
// (unitKey "") all, ordered by unit (roster order; units no longer on the
// roster last, by key), stage (cycle order, rules.AllStages, then supporting
// material) and version.
func (s *Store) Submissions(ctx context.Context, year int, unitKey string) ([]rules.Submission, error) {
	st, args, sizeHint := s.hotStmts.submissions, []any{year}, &s.yearSubmissions
	if unitKey != "" {
		st, args, sizeHint = s.hotStmts.unitSubmissions, []any{year, unitKey}, nil
	}
	out, err := s.scanSubmissions(ctx, year, sizeHint, unitKey == "", st, args...)
	if err != nil {
		return nil, wrap(fmt.Sprintf("submissions %d unit=%s", year, unitKey), err)
	}
	return out, nil
}

// submissionsSQL lists a year's versions in the order of ux_sub_version
// (year, unit_key, stage, version), so the database walks that index and
// sorts nothing; scanSubmissions puts the units in roster order and the
// stages in cycle order. With the roster and cycle order in its ORDER BY
// (a join key and a CASE), SQLite sorted all 15,000 rows of 5,000 units in
// a temporary B-tree, a quarter of the ledger's reads. It runs on
// database/sql directly: gorm's row mapping doubled the cost of those reads.
// The units' roster positions are read on their own (rosterOrderSQL, one
// row a unit) and found by key: joined to every row, they cost each of the
// 15,000 rows two more index searches in units, a fifth of the query's time.
const (
	submissionsSelect = `SELECT id, unit_key, stage, version, official, original_name, stored_path,
	size, sha256, received_at, on_time, is_text
FROM submissions
WHERE year = ? AND version > 0 `
	submissionsSQL     = submissionsSelect + `ORDER BY unit_key, stage, version`
	unitSubmissionsSQL = submissionsSelect + `AND unit_key = ? ORDER BY stage, version`
	rosterOrderSQL     = `SELECT unit_key, sort_order FROM units`
)

// stageRank is a stage's place in the cycle order of the lists: the
// compliance table's stages, then everything else (supporting material).
func stageRank(st rules.Stage) uint8 {
	if i := slices.Index(rules.AllStages, st); i >= 0 {
		return uint8(i)
	}
	return uint8(len(rules.AllStages))
}

// unitRun is one unit's rows in the scan: [start, end), and the unit's
// roster position (offRoster once it has left the roster).
type unitRun struct {
	start, end int
	sortOrder  int64
}

const offRoster = int64(1) << 62

// scanSubmissions runs st and returns its rows in list order; with
// byRoster, its units in roster order (st's rows may be of many units),
// else as they came. sizeHint, when not nil, is the length of the last
// such list: the scan is sized from it, because growing a slice of 15,000
// structs by doubling cost about as much as scanning them.
func (s *Store) scanSubmissions(ctx context.Context, year int, sizeHint *atomic.Int64, byRoster bool, st *sql.Stmt, args ...any) ([]rules.Submission, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var scanned []rules.Submission
	var ranks []uint8
	if sizeHint != nil {
		n := sizeHint.Load()
		scanned, ranks = make([]rules.Submission, 0, n), make([]uint8, 0, n)
	}
	var (
		runs       []unitRun
		stage      string
		receivedAt int64
		// Scanned into plain values and converted by scanCols, as in
		// unitYearsAll: a third less time outside SQLite.
		cols [12]any
		dest [12]any
	)
	for i := range dest {
		dest[i] = &cols[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest[:]...); err != nil {
			return nil, err
		}
		scanned = append(scanned, rules.Submission{Year: year})
		r := &scanned[len(scanned)-1]
		if err := scanCols(cols[:], &r.ID, &r.UnitKey, &stage, &r.Version, &r.Official, &r.OriginalName,
			&r.StoredPath, &r.Size, &r.SHA256, &receivedAt, &r.OnTime, &r.IsText); err != nil {
			return nil, err
		}
		r.Stage, r.ReceivedAt = rules.Stage(stage), s.tm(receivedAt)
		ranks = append(ranks, stageRank(r.Stage))
		if n := len(runs); n == 0 || scanned[runs[n-1].start].UnitKey != r.UnitKey {
			runs = append(runs, unitRun{start: len(scanned) - 1})
		}
		runs[len(runs)-1].end = len(scanned)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if sizeHint != nil {
		sizeHint.Store(int64(len(scanned)))
	}
	if byRoster && len(runs) > 1 {
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := s.rosterOrder(ctx, scanned, runs); err != nil {
			return nil, err
		}
	}
	return inListOrder(scanned, ranks, runs), nil
}

// rosterOrder sets each run's sortOrder to its unit's roster position
// (offRoster for a unit no longer on the roster), read by rosterOrderSQL.
func (s *Store) rosterOrder(ctx context.Context, scanned []rules.Submission, runs []unitRun) error {
	rows, err := s.hotStmts.rosterOrder.QueryContext(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	pos := make(map[string]int64, s.rosterSize.Load())
	var (
		cols      [2]any
		key       string
		sortOrder int64
	)
	dest := [2]any{&cols[0], &cols[1]}
	for rows.Next() {
		if err := rows.Scan(dest[:]...); err != nil {
			return err
		}
		if err := scanCols(cols[:], &key, &sortOrder); err != nil {
			return err
		}
		pos[key] = sortOrder
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.rosterSize.Store(int64(len(pos)))
	for i := range runs {
		so, ok := pos[scanned[runs[i].start].UnitKey]
		if !ok {
			so = offRoster
		}
		runs[i].sortOrder = so
	}
	return nil
}

// inListOrder returns the scanned rows (each unit's rows together, by
// stage name and version; ranks[i] is row i's stageRank) in list order:
// units by roster position (a stable sort, so units at the same position,
// and those off the roster, stay in key order), within a unit the stages
// in cycle order, each by version.
func inListOrder(scanned []rules.Submission, ranks []uint8, runs []unitRun) []rules.Submission {
	if len(scanned) == 0 {
		return nil
	}
	slices.SortStableFunc(runs, func(a, b unitRun) int { return cmp.Compare(a.sortOrder, b.sortOrder) })
	out := make([]rules.Submission, 0, len(scanned))
	for _, run := range runs {
		for rank := range uint8(len(rules.AllStages)) + 1 {
			for i := run.start; i < run.end; i++ {
				if ranks[i] == rank {
					out = append(out, scanned[i])
				}
			}
		}
	}
	return out
}

// SetRectificationDue sets (or, with the zero Date, clears) the date by
// which the unit reports its rectification as done.
func (s *Store) SetRectificationDue(ctx context.Context, year int, unitKey string, d rules.Date, actor string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockUnit(tx, unitKey); err != nil {
			return err
		}
		if d.IsZero() {
			if err := tx.Where("year = ? AND unit_key = ?", year, unitKey).Delete(&rectificationDueRow{}).Error; err != nil {
				return err
			}
		} else if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}, {Name: "unit_key"}},
			DoUpdates: clause.AssignmentColumns([]string{"due"}),
		}).Create(&rectificationDueRow{Year: year, UnitKey: unitKey, Due: d.String()}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "rectification_due", year, unitKey, dateText(d))
	})
	return wrap(fmt.Sprintf("set rectification due %d unit=%s", year, unitKey), err)
}

func submissionToRow(s rules.Submission) submissionRow {
	return submissionRow{
		ID: s.ID, Year: s.Year, UnitKey: s.UnitKey, Stage: string(s.Stage), Version: s.Version,
		Official: s.Official, OriginalName: s.OriginalName, StoredPath: s.StoredPath, Size: s.Size,
		SHA256: s.SHA256, ReceivedAt: ns(s.ReceivedAt), OnTime: s.OnTime, IsText: s.IsText,
		Resembles: encodeResemblance(s.Resembles),
	}
}

func (s *Store) submissionFromRow(r submissionRow) rules.Submission {
	return rules.Submission{
		ID: r.ID, Year: r.Year, UnitKey: r.UnitKey, Stage: rules.Stage(r.Stage), Version: r.Version,
		Official: r.Official, OriginalName: r.OriginalName, StoredPath: r.StoredPath, Size: r.Size,
		SHA256: r.SHA256, ReceivedAt: s.tm(r.ReceivedAt), OnTime: r.OnTime, IsText: r.IsText,
		Resembles: s.decodeResemblance(r),
	}
}

// finishSubmissionTx writes, in the transaction that changed sub, the
// outbox rows outs returns for it (outs may be nil) and the audit row of
// action.
func (s *Store) finishSubmissionTx(tx *gorm.DB, actor, action string, sub rules.Submission, outs func(rules.Submission) []rules.Outgoing) error {
	if outs != nil {
		if err := s.enqueueTx(tx, outs(sub)); err != nil {
			return err
		}
	}
	return s.audit(tx, actor, action, sub.Year, sub.UnitKey, submissionDetail(sub))
}

func submissionDetail(s rules.Submission) string {
	return fmt.Sprintf("id=%d stage=%s version=%d on_time=%t text=%t size=%d sha256=%s name=%q",
		s.ID, s.Stage, s.Version, s.OnTime, s.IsText, s.Size, s.SHA256, s.OriginalName)
}

// inspectedSQL reads the year's inspected set (see yearRow.InspectedUnits).
const inspectedSQL = `SELECT COALESCE(inspected_units, '') FROM years WHERE year = ?`
