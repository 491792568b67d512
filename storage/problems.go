package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// problemRow is one item of a unit's problem list (rules.Problem). Code is
// the stable id (财政-2027-03). ClosedAt repeats the verification event's
// time so the carry-over filter of a year is one indexed condition; the
// event rows stay the record.
type problemRow struct {
	ID           int64  `gorm:"primaryKey"`
	Code         string `gorm:"size:128;not null;uniqueIndex:ux_problem_code"`
	Year         int    `gorm:"not null;uniqueIndex:ux_problem_seq,priority:1;index:ix_problem_view,priority:1;index:ix_problem_closed,priority:2"`
	UnitKey      string `gorm:"size:64;not null;uniqueIndex:ux_problem_seq,priority:2;index:ix_problem_unit"`
	Seq          int    `gorm:"not null;uniqueIndex:ux_problem_seq,priority:3"`
	Text         string `gorm:"not null"`
	Indicator    string
	SuggestedDue string
	RaisedAt     int64 `gorm:"not null"`
	RaisedBy     string
	DeliveredAt  int64 `gorm:"not null;default:0"`
	ClosedAt     int64 `gorm:"not null;default:0;index:ix_problem_view,priority:2;index:ix_problem_closed,priority:1"`
	// Due (the item's current date: the plan's, or the latest return's or
	// extension's) and Reported (a report awaits verification) repeat what
	// the plan and the events say, so ProblemCounts is one aggregate, read
	// from the two indexes alone (ix_problem_view for the year's items,
	// ix_problem_closed for the carried-over ones).
	Due      string `gorm:"not null;default:'';index:ix_problem_view,priority:4;index:ix_problem_closed,priority:4"`
	Reported bool   `gorm:"not null;default:false;index:ix_problem_view,priority:3;index:ix_problem_closed,priority:3"`
}

func (problemRow) TableName() string { return "problems" }

// problemPlanRow is the unit's plan for one item: a draft until it has a
// measure and a date (Complete).
type problemPlanRow struct {
	ProblemID int64  `gorm:"primaryKey;autoIncrement:false"`
	Measure   string `gorm:"not null"`
	Due       string `gorm:"not null"`
	Owner     string
	Complete  bool   `gorm:"not null"`
	PlannedAt int64  `gorm:"not null"`
	PlannedBy string // "by" is an SQL keyword
}

func (problemPlanRow) TableName() string { return "problem_plans" }

// problemEventRow is one rules.ProblemEvent; append-only.
type problemEventRow struct {
	ID         int64  `gorm:"primaryKey"`
	ProblemID  int64  `gorm:"not null;index:ix_problem_event,priority:1"`
	Kind       string `gorm:"size:16;not null"`
	At         int64  `gorm:"not null;index:ix_problem_event,priority:2"`
	Actor      string
	Reason     string
	NewDue     string
	JudgeOnNew bool `gorm:"not null"`
	VisitDate  string
	Evidence   string // JSON of []rules.Evidence
}

func (problemEventRow) TableName() string { return "problem_events" }

// problemViewSQL selects the items of a year's views: raised that year, or
// raised earlier and not closed before the year began (carry-over).
const problemViewSQL = `(p.year = ? OR (p.year < ? AND (p.closed_at = 0 OR p.closed_at >= ?)))`

// AddProblems stores a unit's problem list, its audit row and the messages
// outs returns, in one transaction. Items of the same year and unit not yet
// delivered, planned or acted on are replaced (the director corrects the
// list before 反馈); an item number that is already delivered is
// ErrConflict. ErrNotFound if the unit is not on the roster.
func (s *Store) AddProblems(ctx context.Context, l rules.ProblemList, outs func([]rules.Problem) []rules.Outgoing) ([]rules.Problem, error) {
	op := fmt.Sprintf("add problems %d unit=%s", l.Year, l.UnitKey)
	if l.At.IsZero() {
		l.At = s.now()
	}
	var saved []rules.Problem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		saved = nil
		if err := lockUnit(tx, l.UnitKey); err != nil {
			return err
		}
		// Drop the undelivered, untouched items: the new list replaces them.
		untouched := tx.Model(&problemRow{}).Select("id").
			Where("year = ? AND unit_key = ? AND delivered_at = 0", l.Year, l.UnitKey).
			Where("id NOT IN (?)", tx.Model(&problemPlanRow{}).Select("problem_id")).
			Where("id NOT IN (?)", tx.Model(&problemEventRow{}).Select("problem_id"))
		var drop []int64
		if err := untouched.Find(&drop).Error; err != nil {
			return err
		}
		if len(drop) > 0 {
			if err := tx.Where("id IN ?", drop).Delete(&problemRow{}).Error; err != nil {
				return err
			}
		}
		for _, it := range l.Items {
			row := problemRow{
				Code: rules.ProblemID(l.Short, l.Year, it.Seq), Year: l.Year, UnitKey: l.UnitKey, Seq: it.Seq,
				Text: it.Text, Indicator: it.Indicator, SuggestedDue: dateText(it.SuggestedDue),
				RaisedAt: ns(l.At), RaisedBy: l.By, DeliveredAt: ns(l.DeliveredAt),
			}
			if err := tx.Create(&row).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return fmt.Errorf("item %s: %w", row.Code, ErrConflict)
				}
				return err
			}
			p, err := s.problemFromRow(row, nil, nil)
			if err != nil {
				return err
			}
			saved = append(saved, p)
		}
		if outs != nil {
			if err := s.enqueueTx(tx, outs(saved)); err != nil {
				return err
			}
		}
		return s.audit(tx, l.By, "problems", l.Year, l.UnitKey, fmt.Sprintf("items=%d replaced=%d", len(l.Items), len(drop)))
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return saved, nil
}

// markProblemsDelivered stamps a unit's undelivered items of the year with
// the feedback's delivery time (inside RecordFeedback's transaction).
func markProblemsDelivered(tx *gorm.DB, year int, unitKey string, at time.Time) error {
	return tx.Model(&problemRow{}).Where("year = ? AND unit_key = ? AND delivered_at = 0", year, unitKey).
		Update("delivered_at", ns(at)).Error
}

// Problems returns the items of cycle year's views (raised that year, or
// earlier and not closed before it began), with plans and events, ordered
// by roster, year and number. unitKey "" = every unit. Two queries,
// whatever the number of items.
func (s *Store) Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error) {
	read := func() ([]rules.Problem, error) { return s.problems(ctx, s.db.WithContext(ctx), year, unitKey, "") }
	if unitKey != "" {
		read = func() ([]rules.Problem, error) { return s.unitProblems(ctx, year, unitKey) }
	}
	out, err := read()
	if err != nil {
		return nil, wrap(fmt.Sprintf("problems %d unit=%s", year, unitKey), err)
	}
	return out, nil
}

// Problem returns one item by its id (财政-2027-03); ErrNotFound if none.
func (s *Store) Problem(ctx context.Context, code string) (rules.Problem, error) {
	out, err := s.problems(ctx, s.db.WithContext(ctx), 0, "", code)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("item %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return rules.Problem{}, wrap("problem "+code, err)
	}
	return out[0], nil
}

type problemJoin struct {
	Row       problemRow `gorm:"embedded"`
	Measure   *string
	Due       *string
	Owner     *string
	PlannedAt *int64
	PlannedBy *string
	Complete  *bool
}

func (s *Store) problems(ctx context.Context, db *gorm.DB, year int, unitKey, code string) ([]rules.Problem, error) {
	q := db.Table("problems p").
		Select("p.*, pp.measure, pp.due, pp.owner, pp.planned_at, pp.planned_by, pp.complete").
		Joins("LEFT JOIN problem_plans pp ON pp.problem_id = p.id").
		Joins("JOIN units u ON u.unit_key = p.unit_key")
	if code != "" {
		q = q.Where("p.code = ?", code)
	} else {
		q = q.Where(problemViewSQL, year, year, ns(rules.Date{Year: year, Month: time.January, Day: 1}.Start(s.loc)))
	}
	if unitKey != "" {
		q = q.Where("p.unit_key = ?", unitKey)
	}
	var rows []problemJoin
	if err := q.Order("u.sort_order, p.unit_key, p.year, p.seq").Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.Row.ID
	}
	events := map[int64][]problemEventRow{}
	// Batches keep the IN list under PostgreSQL's and SQLite's parameter limits.
	for start := 0; start < len(ids); start += 10000 {
		var evs []problemEventRow
		if err := db.Where("problem_id IN ?", ids[start:min(start+10000, len(ids))]).Order("at, id").Find(&evs).Error; err != nil {
			return nil, err
		}
		for _, e := range evs {
			events[e.ProblemID] = append(events[e.ProblemID], e)
		}
	}
	out := make([]rules.Problem, 0, len(rows))
	for _, r := range rows {
		var plan *problemPlanRow
		if r.Measure != nil {
			plan = &problemPlanRow{ProblemID: r.Row.ID, Measure: *r.Measure, Due: *r.Due, Owner: deref(r.Owner), PlannedAt: *r.PlannedAt, PlannedBy: deref(r.PlannedBy), Complete: *r.Complete}
		}
		p, err := s.problemFromRow(r.Row, plan, events[r.Row.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// unitProblemsSQL and unitProblemEventsSQL are Problems for one unit (every
// 状态 and 查询 reads it) on prepared statements: through gorm, building
// and preparing the join and scanning by reflection cost more CPU than the
// query itself. Arguments: the view's three (problemViewSQL), the unit.
const (
	unitProblemsSQL = `SELECT p.id, p.code, p.year, p.unit_key, p.seq, p.text, p.indicator, p.suggested_due,
 p.raised_at, p.raised_by, p.delivered_at, pp.measure, pp.due, pp.owner, pp.planned_at, pp.planned_by, pp.complete
 FROM problems p LEFT JOIN problem_plans pp ON pp.problem_id = p.id JOIN units u ON u.unit_key = p.unit_key
 WHERE ` + problemViewSQL + ` AND p.unit_key = ? ORDER BY p.year, p.seq`
	unitProblemEventsSQL = `SELECT e.id, e.problem_id, e.kind, e.at, e.actor, e.reason, e.new_due, e.judge_on_new, e.visit_date, e.evidence
 FROM problem_events e JOIN problems p ON p.id = e.problem_id
 WHERE ` + problemViewSQL + ` AND p.unit_key = ? ORDER BY e.at, e.id`
)

// unitProblems is problems(year, unitKey) read with unitProblemsSQL and,
// when the unit has items, unitProblemEventsSQL.
func (s *Store) unitProblems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error) {
	args := []any{year, year, ns(rules.Date{Year: year, Month: time.January, Day: 1}.Start(s.loc)), unitKey}
	rows, err := s.hotStmts.unitProblems.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type item struct {
		row  problemRow
		plan *problemPlanRow
	}
	var items []item
	for rows.Next() {
		var it item
		var indicator, suggested, raisedBy, measure, due, owner, plannedBy sql.NullString
		var plannedAt sql.NullInt64
		var complete sql.NullBool
		r := &it.row
		if err := rows.Scan(&r.ID, &r.Code, &r.Year, &r.UnitKey, &r.Seq, &r.Text, &indicator, &suggested,
			&r.RaisedAt, &raisedBy, &r.DeliveredAt, &measure, &due, &owner, &plannedAt, &plannedBy, &complete); err != nil {
			return nil, err
		}
		r.Indicator, r.SuggestedDue, r.RaisedBy = indicator.String, suggested.String, raisedBy.String
		if measure.Valid {
			it.plan = &problemPlanRow{ProblemID: r.ID, Measure: measure.String, Due: due.String, Owner: owner.String,
				PlannedAt: plannedAt.Int64, PlannedBy: plannedBy.String, Complete: complete.Bool}
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, nil
	}
	events := map[int64][]problemEventRow{}
	evRows, err := s.hotStmts.unitProblemEvents.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer evRows.Close()
	for evRows.Next() {
		var e problemEventRow
		var actor, reason, newDue, visit, evidence sql.NullString
		if err := evRows.Scan(&e.ID, &e.ProblemID, &e.Kind, &e.At, &actor, &reason, &newDue, &e.JudgeOnNew, &visit, &evidence); err != nil {
			return nil, err
		}
		e.Actor, e.Reason, e.NewDue, e.VisitDate, e.Evidence = actor.String, reason.String, newDue.String, visit.String, evidence.String
		events[e.ProblemID] = append(events[e.ProblemID], e)
	}
	if err := evRows.Err(); err != nil {
		return nil, err
	}
	out := make([]rules.Problem, 0, len(items))
	for _, it := range items {
		p, err := s.problemFromRow(it.row, it.plan, events[it.row.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Store) problemFromRow(r problemRow, plan *problemPlanRow, evs []problemEventRow) (rules.Problem, error) {
	p := rules.Problem{
		ID: r.Code, Year: r.Year, UnitKey: r.UnitKey, Seq: r.Seq, Text: r.Text, Indicator: r.Indicator,
		RaisedAt: s.tm(r.RaisedAt), RaisedBy: r.RaisedBy, DeliveredAt: s.tm(r.DeliveredAt),
	}
	var err error
	if p.SuggestedDue, err = parseDate(r.SuggestedDue); err != nil {
		return p, err
	}
	if plan != nil {
		p.Plan = rules.ProblemPlan{Measure: plan.Measure, Owner: plan.Owner, At: s.tm(plan.PlannedAt), By: plan.PlannedBy}
		if p.Plan.Due, err = parseDate(plan.Due); err != nil {
			return p, err
		}
	}
	for _, e := range evs {
		ev := rules.ProblemEvent{ID: e.ID, Kind: rules.ProblemEventKind(e.Kind), At: s.tm(e.At), Actor: e.Actor,
			Reason: e.Reason, JudgeOnNew: e.JudgeOnNew}
		if ev.NewDue, err = parseDate(e.NewDue); err != nil {
			return p, err
		}
		if ev.Date, err = parseDate(e.VisitDate); err != nil {
			return p, err
		}
		if e.Evidence != "" {
			if err := json.Unmarshal([]byte(e.Evidence), &ev.Evidence); err != nil {
				return p, fmt.Errorf("item %s event %d evidence: %w", r.Code, e.ID, err)
			}
		}
		p.Events = append(p.Events, ev)
	}
	return p, nil
}

// SaveProblemPlan writes a unit's item plans (drafts or complete) and,
// when the whole plan is complete, its 整改方案 submission, with the audit
// rows and the messages outs returns, in one transaction. An item number
// the unit's year does not have is ErrNotFound and nothing is written.
func (s *Store) SaveProblemPlan(ctx context.Context, ps rules.PlanSave, outs func(rules.PlanSaved) []rules.Outgoing) (rules.PlanSaved, error) {
	op := fmt.Sprintf("save problem plan %d unit=%s", ps.Year, ps.UnitKey)
	if ps.At.IsZero() {
		ps.At = s.now()
	}
	var res rules.PlanSaved
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res = rules.PlanSaved{}
		if err := lockUnit(tx, ps.UnitKey); err != nil {
			return err
		}
		var rows []problemRow
		if err := tx.Where("year = ? AND unit_key = ?", ps.Year, ps.UnitKey).Order("seq").Find(&rows).Error; err != nil {
			return err
		}
		bySeq := map[int]int64{}
		for _, r := range rows {
			bySeq[r.Seq] = r.ID
		}
		seqs := make([]int, 0, len(ps.Plans))
		for n := range ps.Plans {
			seqs = append(seqs, n)
		}
		sort.Ints(seqs)
		for _, n := range seqs {
			id, ok := bySeq[n]
			if !ok {
				return fmt.Errorf("item %d: %w", n, ErrNotFound)
			}
			p := ps.Plans[n]
			row := problemPlanRow{ProblemID: id, Measure: p.Measure, Due: dateText(p.Due), Owner: p.Owner,
				Complete: p.Complete(), PlannedAt: ns(ps.At), PlannedBy: ps.By}
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
				return err
			}
			if err := refreshDue(tx, id, row.Due); err != nil {
				return err
			}
		}
		var incomplete int64
		if err := tx.Model(&problemRow{}).
			Where("year = ? AND unit_key = ?", ps.Year, ps.UnitKey).
			Where("id NOT IN (?)", tx.Model(&problemPlanRow{}).Select("problem_id").Where("complete = ?", true)).
			Count(&incomplete).Error; err != nil {
			return err
		}
		res.Complete = len(rows) > 0 && incomplete == 0
		if res.Complete && ps.Submission != nil {
			sub := *ps.Submission
			sub.Year, sub.UnitKey, sub.Stage = ps.Year, ps.UnitKey, rules.StageRectificationPlan
			if sub.ReceivedAt.IsZero() {
				sub.ReceivedAt = ps.At
			}
			if err := insertSubmission(tx, &sub); err != nil {
				return err
			}
			res.Submission, res.Submitted = sub, true
			if err := s.audit(tx, ps.By, "submission", sub.Year, sub.UnitKey, submissionDetail(sub)); err != nil {
				return err
			}
		}
		all, err := s.problems(ctx, tx, ps.Year, ps.UnitKey, "")
		if err != nil {
			return err
		}
		for _, p := range all {
			if p.Year == ps.Year {
				res.Problems = append(res.Problems, p)
			}
		}
		if outs != nil {
			if err := s.enqueueTx(tx, outs(res)); err != nil {
				return err
			}
		}
		return s.audit(tx, ps.By, "problem_plan", ps.Year, ps.UnitKey,
			fmt.Sprintf("items=%v complete=%t submitted=%t", seqs, res.Complete, res.Submitted))
	})
	if err != nil {
		return rules.PlanSaved{}, wrap(op, err)
	}
	return res, nil
}

// AddProblemEvent records one event of an item (整改完成, 销号, 退回, 延期,
// 跟踪检查) with its audit row and the messages outs returns, in one
// transaction. Evidence naming a submission (Evidence.SubmissionID: the
// file the official sent just before 整改完成) is that submission's file;
// a stage version among them is withdrawn in the same transaction, so the
// photo no longer counts as, say, the 整改报告. The item is re-read inside the transaction and
// rules.CheckProblemEvent decides whether the event may happen: a refusal
// wraps both ErrConflict and the rule's error. ErrNotFound for an unknown id.
func (s *Store) AddProblemEvent(ctx context.Context, code string, e rules.ProblemEvent, outs func(rules.Problem) []rules.Outgoing) (rules.Problem, error) {
	op := fmt.Sprintf("add problem event %s kind=%s", code, e.Kind)
	if e.At.IsZero() {
		e.At = s.now()
	}
	var saved rules.Problem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var row problemRow
		if err := tx.Select("unit_key").Take(&row, "code = ?", code).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("item %q: %w", code, ErrNotFound)
			}
			return err
		}
		if err := lockUnit(tx, row.UnitKey); err != nil {
			return err
		}
		ps, err := s.problems(ctx, tx, 0, "", code)
		if err != nil {
			return err
		}
		p := ps[0]
		if err := rules.CheckProblemEvent(p, e); err != nil {
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
		ev := problemEventRow{ProblemID: 0, Kind: string(e.Kind), At: ns(e.At), Actor: e.Actor, Reason: e.Reason,
			NewDue: dateText(e.NewDue), JudgeOnNew: e.JudgeOnNew, VisitDate: dateText(e.Date)}
		if err := tx.Model(&problemRow{}).Select("id").Where("code = ?", code).Scan(&ev.ProblemID).Error; err != nil {
			return err
		}
		if err := s.evidenceFromSubmissions(tx, p, e); err != nil {
			return err
		}
		if err := createEvent(tx, &ev, e.Evidence); err != nil {
			return err
		}
		var set map[string]any
		switch e.Kind {
		case rules.EventVerified:
			set = map[string]any{"closed_at": ev.At}
		case rules.EventReported:
			set = map[string]any{"reported": true}
		case rules.EventReturned:
			set = map[string]any{"reported": false, "due": ev.NewDue}
		case rules.EventExtended:
			set = map[string]any{"due": ev.NewDue}
		}
		if set != nil {
			if err := tx.Model(&problemRow{}).Where("id = ?", ev.ProblemID).Updates(set).Error; err != nil {
				return err
			}
		}
		e.ID = ev.ID
		p.Events = append(p.Events, e)
		saved = p
		if outs != nil {
			if err := s.enqueueTx(tx, outs(saved)); err != nil {
				return err
			}
		}
		return s.audit(tx, e.Actor, "problem_"+string(e.Kind), p.Year, p.UnitKey, problemEventDetail(code, e))
	})
	if err != nil {
		return rules.Problem{}, wrap(op, err)
	}
	return saved, nil
}

// evidenceFromSubmissions checks that each evidence submission is the
// item's unit's own live file and withdraws it as a stage version (it
// stays supporting material otherwise), with its audit row.
func (s *Store) evidenceFromSubmissions(tx *gorm.DB, p rules.Problem, e rules.ProblemEvent) error {
	for _, ev := range e.Evidence {
		if ev.SubmissionID == 0 {
			continue
		}
		var row submissionRow
		if err := tx.Take(&row, "id = ?", ev.SubmissionID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("evidence submission %d: %w", ev.SubmissionID, ErrNotFound)
			}
			return err
		}
		if row.UnitKey != p.UnitKey || row.SHA256 != ev.SHA256 || row.WithdrawnAt != 0 || row.Version <= 0 {
			return fmt.Errorf("evidence submission %d of %s: %w", ev.SubmissionID, p.ID, ErrConflict)
		}
		if rules.Stage(row.Stage) == rules.StageSupporting {
			continue
		}
		if err := markWithdrawn(tx, row, e.Actor, e.At); err != nil {
			return err
		}
		if err := s.audit(tx, e.Actor, "withdraw", row.Year, row.UnitKey, submissionDetail(s.submissionFromRow(row))+" as_evidence="+p.ID); err != nil {
			return err
		}
	}
	return nil
}

func problemEventDetail(code string, e rules.ProblemEvent) string {
	d := fmt.Sprintf("item=%s event=%d", code, e.ID)
	if !e.NewDue.IsZero() {
		d += fmt.Sprintf(" new_due=%s judge_on_new=%t", e.NewDue, e.JudgeOnNew)
	}
	if !e.Date.IsZero() {
		d += " date=" + e.Date.String()
	}
	if e.Reason != "" {
		d += fmt.Sprintf(" reason=%q", e.Reason)
	}
	for _, ev := range e.Evidence {
		if ev.Name != "" {
			d += fmt.Sprintf(" evidence=%q sha256=%s", ev.Name, ev.SHA256)
		} else {
			d += fmt.Sprintf(" evidence_text=%d", len([]rune(ev.Text)))
		}
	}
	return d
}

// RecordVisit records the office's follow-up visit (跟踪检查) to a unit as
// a visit event of every item of the year's view not yet closed, with one
// audit row and the messages outs returns, in one transaction. The items
// visited are returned; none is ErrNotFound.
func (s *Store) RecordVisit(ctx context.Context, year int, unitKey string, e rules.ProblemEvent, outs func([]rules.Problem) []rules.Outgoing) ([]rules.Problem, error) {
	op := fmt.Sprintf("record visit %d unit=%s", year, unitKey)
	e.Kind = rules.EventVisit
	if e.At.IsZero() {
		e.At = s.now()
	}
	var visited []rules.Problem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		visited = nil
		if err := lockUnit(tx, unitKey); err != nil {
			return err
		}
		ps, err := s.problems(ctx, tx, year, unitKey, "")
		if err != nil {
			return err
		}
		var ids []int64
		for _, p := range ps {
			var row problemRow
			if err := tx.Select("id", "closed_at").Take(&row, "code = ?", p.ID).Error; err != nil {
				return err
			}
			if row.ClosedAt != 0 {
				continue
			}
			ev := problemEventRow{ProblemID: row.ID, Kind: string(rules.EventVisit), At: ns(e.At), Actor: e.Actor, Reason: e.Reason, VisitDate: dateText(e.Date)}
			if err := createEvent(tx, &ev, e.Evidence); err != nil {
				return err
			}
			e.ID = ev.ID
			p.Events = append(p.Events, e)
			visited = append(visited, p)
			ids = append(ids, ev.ID)
		}
		if len(visited) == 0 {
			return fmt.Errorf("no open items: %w", ErrNotFound)
		}
		if outs != nil {
			if err := s.enqueueTx(tx, outs(visited)); err != nil {
				return err
			}
		}
		return s.audit(tx, e.Actor, "problem_visit", year, unitKey, fmt.Sprintf("date=%s items=%d events=%v reason=%q", e.Date, len(visited), ids, e.Reason))
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return visited, nil
}

// refreshDue sets an item's current date after its plan changed: the
// latest return's or extension's date if any, else the plan's.
func refreshDue(tx *gorm.DB, id int64, planDue string) error {
	var moved []string
	if err := tx.Model(&problemEventRow{}).Where("problem_id = ? AND kind IN ?", id, []string{string(rules.EventReturned), string(rules.EventExtended)}).
		Order("at DESC, id DESC").Limit(1).Pluck("new_due", &moved).Error; err != nil {
		return err
	}
	due := planDue
	if len(moved) > 0 && moved[0] != "" {
		due = moved[0]
	}
	return tx.Model(&problemRow{}).Where("id = ?", id).Update("due", due).Error
}

// problemCountsSQL is the 总览 line in one aggregate over the year's view
// (ix_problem_view): items, closed, overdue (neither closed nor reported,
// its current date before today), carried over from earlier years.
//
// The view's OR is split into three disjoint index ranges (this year's
// items; earlier ones still open; earlier ones closed this year): as one
// OR, SQLite scanned all 500,000 items of ten years (BenchmarkProblemsScale).
const problemCountsSQL = `SELECT COUNT(*),
	COALESCE(SUM(CASE WHEN p.closed_at <> 0 THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.closed_at = 0 AND NOT p.reported AND p.due <> '' AND p.due < ? THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.closed_at = 0 AND p.reported THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.year < ? THEN 1 ELSE 0 END), 0)
FROM (
	SELECT year, closed_at, reported, due FROM problems WHERE year = ?
	UNION ALL
	SELECT year, closed_at, reported, due FROM problems WHERE closed_at = 0 AND year < ?
	UNION ALL
	SELECT year, closed_at, reported, due FROM problems WHERE closed_at >= ? AND closed_at < ? AND year < ?
) p`

// ProblemCounts is rules.CountProblems of the year's view at today, in one
// aggregate query (总览 reads it; the items themselves are not loaded).
func (s *Store) ProblemCounts(ctx context.Context, year int, today rules.Date) (rules.ProblemCounts, error) {
	var n rules.ProblemCounts
	start := ns(rules.Date{Year: year, Month: time.January, Day: 1}.Start(s.loc))
	// closed_at's upper bound makes it the two-sided range SQLite's planner
	// prefers to year < ? (which would read all earlier years' items).
	err := s.hotStmts.problemCounts.QueryRowContext(ctx, today.String(), year, year, year, start, int64(math.MaxInt64), year).
		Scan(&n.Total, &n.Closed, &n.Overdue, &n.Reported, &n.CarriedOver)
	if err != nil {
		return n, wrap(fmt.Sprintf("problem counts %d", year), err)
	}
	return n, nil
}

// createEvent stores an item's event row, its evidence as JSON.
func createEvent(tx *gorm.DB, ev *problemEventRow, evidence []rules.Evidence) error {
	if len(evidence) > 0 {
		b, err := json.Marshal(evidence)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		ev.Evidence = string(b)
	}
	return tx.Create(ev).Error
}
