package rules

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// A Problem is one numbered item of a unit's problem list (问题清单): the
// supervision group lists the problems it found, the unit plans a measure
// and a date for each (整改措施、时限), reports it done with evidence, and
// the director verifies it closed (销号). Everything that happens to an
// item after it was raised is a ProblemEvent, so its history is never
// overwritten: the ledger shows the item from the day it was raised to the
// day it was verified closed.
type Problem struct {
	ID      string // stable id, ProblemID: 财政-2027-03
	Year    int    // the cycle year the item was raised in
	UnitKey string
	Seq     int // 序号 in the unit's list of that year, from 1
	Text    string
	// Indicator is the number of the Annex 2 third-level indicator the
	// problem belongs to (对应指标), "" when none was given.
	Indicator string
	// SuggestedDue is the office's 整改时限建议 (zero: none).
	SuggestedDue Date
	RaisedAt     time.Time
	RaisedBy     string
	// DeliveredAt is when 反馈 delivered the list to the unit (zero: not yet).
	DeliveredAt time.Time
	Plan        ProblemPlan
	Events      []ProblemEvent // in time order
}

// ProblemPlan is the unit's plan for one item. A plan lacking a measure or
// a date is a draft: it never counts as the 整改方案 submitted.
type ProblemPlan struct {
	Measure string
	Due     Date
	Owner   string // 责任人, optional
	At      time.Time
	By      string
}

// Complete reports whether the plan has both a measure and a date.
func (p ProblemPlan) Complete() bool { return p.Measure != "" && !p.Due.IsZero() }

// ProblemEventKind is what happened to an item.
type ProblemEventKind string

const (
	// EventReported: the unit reported the item done (整改完成 N) with evidence.
	EventReported ProblemEventKind = "reported"
	// EventVerified: the director verified it closed (销号).
	EventVerified ProblemEventKind = "verified"
	// EventReturned: the director returned the report (退回) with a reason;
	// the item reopens with NewDue.
	EventReturned ProblemEventKind = "returned"
	// EventExtended: the director moved the date (延期) with a reason. The
	// original date stays on record and lateness is judged on it unless
	// JudgeOnNew.
	EventExtended ProblemEventKind = "extended"
	// EventVisit: the office's follow-up visit (跟踪检查) on Date.
	EventVisit ProblemEventKind = "visit"
)

// Label is the event's Chinese name.
func (k ProblemEventKind) Label() string {
	switch k {
	case EventReported:
		return "报告整改完成"
	case EventVerified:
		return "销号"
	case EventReturned:
		return "退回"
	case EventExtended:
		return "延期"
	case EventVisit:
		return "跟踪检查"
	}
	return string(k)
}

// Valid reports whether k is a known event kind.
func (k ProblemEventKind) Valid() bool {
	switch k {
	case EventReported, EventVerified, EventReturned, EventExtended, EventVisit:
		return true
	}
	return false
}

// Evidence is one piece of evidence of an item's report: a stored file
// (name, path, SHA-256) or text.
type Evidence struct {
	Name       string // sanitized original file name ("" for text)
	StoredPath string
	SHA256     string
	Size       int64
	Text       string
	// SubmissionID is the submission whose file this is, when the official
	// sent it before 整改完成 (0: received as the evidence itself).
	SubmissionID int64 `json:",omitempty"`
}

// Label names the evidence in the ledger: the file name with the first 8
// hex digits of its SHA-256, or the start of the text.
func (e Evidence) Label() string {
	if e.Name != "" {
		h := e.SHA256
		if len(h) > 8 {
			h = h[:8]
		}
		return e.Name + "（" + h + "）"
	}
	return "文字：" + clipRunes(e.Text, 30)
}

// ProblemEvent is one thing that happened to an item.
type ProblemEvent struct {
	ID     int64
	Kind   ProblemEventKind
	At     time.Time
	Actor  string // the official's or director's name
	Reason string // 退回/延期 reason; visit notes
	// NewDue is the date a returned or extended item is due by now.
	NewDue Date
	// JudgeOnNew (延期 only): the director said lateness is judged on NewDue.
	JudgeOnNew bool
	// Date is the visit's date (跟踪检查).
	Date     Date
	Evidence []Evidence
}

// ProblemStatusKind is where an item stands at one instant.
type ProblemStatusKind int

const (
	ProblemOpen     ProblemStatusKind = iota // 待制定措施: no complete plan yet
	ProblemPlanned                           // 整改中: planned, the date is not near
	ProblemDue                               // 临期: the date is within ProblemDueSoonDays
	ProblemOverdue                           // 已逾期: the date passed and nothing reported since
	ProblemReported                          // 待销号: reported done, awaiting verification
	ProblemReturned                          // 已退回: returned, reopened with a new date
	ProblemClosed                            // 已销号
	ProblemExtended                          // 已延期: the director moved the date
)

// ProblemDueSoonDays: an item whose date is this many days away or fewer
// counts as due (临期), the same horizon as the first stage reminder.
const ProblemDueSoonDays = 7

// Label is the kind's short Chinese name.
func (k ProblemStatusKind) Label() string {
	switch k {
	case ProblemPlanned:
		return "整改中"
	case ProblemDue:
		return "临期"
	case ProblemOverdue:
		return "已逾期"
	case ProblemReported:
		return "待销号"
	case ProblemReturned:
		return "已退回"
	case ProblemClosed:
		return "已销号"
	case ProblemExtended:
		return "已延期"
	}
	return "待制定措施"
}

// ProblemStatus is the status of one item at one instant.
type ProblemStatus struct {
	Kind ProblemStatusKind
	// Due is the date the item is due by now (the plan's, or the latest
	// return's or extension's); zero without a plan.
	Due Date
	// JudgedDue is the date lateness is judged on: the plan's date unless
	// an extension said otherwise.
	JudgedDue Date
	// Days: days left (Planned, Due, Returned, Extended; 0 = today is the
	// last day) or overdue (Overdue), in the configured zone.
	Days int
	// Late: closed or reported after JudgedDue.
	Late bool
	// CarriedOver (上年度遗留): raised in an earlier cycle year and still
	// open when this one started, or closed in this one.
	CarriedOver bool
	ReportedAt  time.Time // the latest report (zero: none)
	ClosedAt    time.Time // verification time (zero: not closed)
	ClosedBy    string
	Returns     int // how many times it was returned
	Extensions  int
}

// Text is the status as a phone-short phrase, e.g. 「已逾期3天」 or
// 「上年度遗留·整改中（剩12天）」.
func (s ProblemStatus) Text() string {
	var t string
	switch s.Kind {
	case ProblemOverdue:
		t = fmt.Sprintf("已逾期%d天", max(s.Days, 1))
	case ProblemPlanned, ProblemDue, ProblemReturned, ProblemExtended:
		if s.Days <= 0 {
			t = s.Kind.Label() + "（今天到期）"
		} else {
			t = fmt.Sprintf("%s（剩%d天）", s.Kind.Label(), s.Days)
		}
	case ProblemClosed, ProblemReported:
		t = s.Kind.Label()
		if s.Late {
			t += "（逾期）"
		}
	default:
		t = s.Kind.Label()
	}
	if s.CarriedOver {
		t = "上年度遗留·" + t
	}
	return t
}

// Open reports whether the item still needs work from the unit (everything
// but reported and closed).
func (k ProblemStatusKind) Open() bool { return k != ProblemReported && k != ProblemClosed }

// ProblemInYear reports whether the item belongs to cycle year y's views:
// raised in y, or raised earlier and not closed before y started
// (carry-over; closing it counts in the year it closes).
func ProblemInYear(p Problem, c Calendar, now time.Time) bool {
	if p.Year == c.Year {
		return true
	}
	if p.Year > c.Year {
		return false
	}
	st := ProblemStatusOf(p, c, now)
	return st.Kind != ProblemClosed || !st.ClosedAt.Before(Date{c.Year, time.January, 1}.Start(c.Location))
}

// ProblemStatusOf decides an item's status at now for cycle year c (events
// after now are not seen, so the year can be replayed). The latest
// decisive event wins: 销号 closes, a report awaits verification, a return
// reopens with its date; an extension moves the date. An open item whose
// date has ended is overdue.
func ProblemStatusOf(p Problem, c Calendar, now time.Time) ProblemStatus {
	loc := c.Location
	st := ProblemStatus{Due: p.Plan.Due, JudgedDue: p.Plan.Due, CarriedOver: p.Year < c.Year}
	var last ProblemEventKind
	var lastReport time.Time
	for _, e := range p.Events {
		if e.At.After(now) {
			break
		}
		switch e.Kind {
		case EventReported:
			last, lastReport, st.ReportedAt = e.Kind, e.At, e.At
		case EventVerified:
			last, st.ClosedAt, st.ClosedBy = e.Kind, e.At, e.Actor
		case EventReturned:
			last, st.Returns = e.Kind, st.Returns+1
			if !e.NewDue.IsZero() {
				st.Due = e.NewDue
			}
		case EventExtended:
			st.Extensions++
			if last != EventReported && last != EventVerified {
				last = e.Kind
			}
			st.Due = e.NewDue
			if e.JudgeOnNew {
				st.JudgedDue = e.NewDue
			}
		}
	}
	if st.JudgedDue.IsZero() {
		st.JudgedDue = st.Due
	}
	lateAt := func(t time.Time) bool { return !st.JudgedDue.IsZero() && !t.Before(st.JudgedDue.End(loc)) }
	switch last {
	case EventVerified:
		st.Kind = ProblemClosed
		done := lastReport
		if done.IsZero() { // closed on the spot, without a report
			done = st.ClosedAt
		}
		st.Late = lateAt(done)
		if st.CarriedOver && st.ClosedAt.Before(Date{c.Year, time.January, 1}.Start(loc)) {
			st.CarriedOver = false // closed in its own year: not a carry-over of this one
		}
		return st
	case EventReported:
		st.Kind = ProblemReported
		st.Late = lateAt(lastReport)
		return st
	}
	if st.Due.IsZero() {
		st.Kind = ProblemOpen
		return st
	}
	today := DateOf(now, loc)
	if !now.Before(st.Due.End(loc)) {
		st.Kind = ProblemOverdue
		st.Days = st.Due.DaysUntil(today)
		return st
	}
	st.Days = today.DaysUntil(st.Due)
	switch {
	case last == EventReturned:
		st.Kind = ProblemReturned
	case last == EventExtended:
		st.Kind = ProblemExtended
	case !p.Plan.Complete():
		st.Kind = ProblemOpen
	case st.Days <= ProblemDueSoonDays:
		st.Kind = ProblemDue
	default:
		st.Kind = ProblemPlanned
	}
	return st
}

// ProblemID is an item's stable id: the unit's short name, the year and a
// two-digit sequence number, e.g. 财政-2027-03.
func ProblemID(short string, year, seq int) string {
	return fmt.Sprintf("%s-%d-%02d", short, year, seq)
}

// ShortName is the unit's shortest alias (the first of equal length), the
// name people type and the prefix of its item ids; Name without aliases.
func (u Unit) ShortName() string {
	best := u.Name
	for _, a := range u.Aliases {
		if a != "" && utf8.RuneCountInString(a) < utf8.RuneCountInString(best) {
			best = a
		}
	}
	return best
}

// ProblemCounts is the rectification line of 总览: items in the year's
// view, how many are closed and how many overdue.
type ProblemCounts struct {
	Total, Closed, Overdue, Reported, CarriedOver int
}

// CountProblems counts the items of cycle year c at now.
func CountProblems(ps []Problem, c Calendar, now time.Time) ProblemCounts {
	var n ProblemCounts
	for _, p := range ps {
		if !ProblemInYear(p, c, now) {
			continue
		}
		st := ProblemStatusOf(p, c, now)
		n.Total++
		switch st.Kind {
		case ProblemClosed:
			n.Closed++
		case ProblemOverdue:
			n.Overdue++
		case ProblemReported:
			n.Reported++
		}
		if st.CarriedOver {
			n.CarriedOver++
		}
	}
	return n
}

// Text is the 总览 line: 「整改事项：共12项，已销号5项，逾期2项」.
func (n ProblemCounts) Text() string {
	t := fmt.Sprintf("整改事项：共%d项，已销号%d项，逾期%d项", n.Total, n.Closed, n.Overdue)
	if n.CarriedOver > 0 {
		t += fmt.Sprintf("（含上年度遗留%d项）", n.CarriedOver)
	}
	return t
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// CheckProblemEvent says whether event e may happen to item p now (all of
// p's events are in the past): a closed item takes only visits, a return
// needs a pending report, a return or extension needs its new date, and
// an extension needs a planned date to move.
func CheckProblemEvent(p Problem, e ProblemEvent) error {
	if !e.Kind.Valid() {
		return fmt.Errorf("%w: %q", ErrUnknownEvent, e.Kind)
	}
	var last ProblemEventKind
	for _, old := range p.Events {
		if old.Kind == EventReported || old.Kind == EventVerified || old.Kind == EventReturned {
			last = old.Kind
		}
	}
	switch {
	case e.Kind == EventVisit:
		return nil
	case last == EventVerified:
		return fmt.Errorf("%s: %w", p.ID, ErrProblemClosed)
	case e.Kind == EventReturned && last != EventReported:
		return fmt.Errorf("%s: %w", p.ID, ErrNotReported)
	case (e.Kind == EventReturned || e.Kind == EventExtended) && e.NewDue.IsZero():
		return fmt.Errorf("%s: %w", p.ID, ErrNoNewDate)
	case e.Kind == EventExtended && p.Plan.Due.IsZero():
		return fmt.Errorf("%s: %w", p.ID, ErrNoPlan)
	}
	return nil
}

// ProblemList is a problem list to store for one unit and year.
type ProblemList struct {
	Year    int
	UnitKey string
	Short   string // the unit's short name: the ids' prefix
	Items   []ProblemLine
	By      string
	At      time.Time // zero: the store's clock
	// DeliveredAt is set when the unit already has its feedback: the list
	// goes to it now.
	DeliveredAt time.Time
}

// PlanSave is a unit's plan lines merged over what it had (MergePlan).
type PlanSave struct {
	Year    int
	UnitKey string
	Plans   map[int]ProblemPlan // item number → plan
	By      string
	At      time.Time // zero: the store's clock
	// Submission, if set, is stored as the unit's 整改方案 version in the
	// same transaction when, and only when, every item of the unit's year
	// has a complete plan after this save (Stage and Year are set).
	Submission *Submission
}

// PlanSaved is what saving a plan did.
type PlanSaved struct {
	Problems   []Problem // the unit's items of the year, after the save
	Complete   bool      // every item has a measure and a date
	Submission Submission
	Submitted  bool // Submission was stored (version assigned)
}
