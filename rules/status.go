package rules

import (
	"fmt"
	"time"
)

// StatusKind is where a stage stands at one instant.
type StatusKind int

const (
	StatusNotOpen StatusKind = iota // 未开始: no deadline yet (e.g. no feedback delivered)
	StatusOpen                      // 进行中: not submitted, time left
	StatusOnTime                    // 按时提交
	StatusLate                      // 逾期提交: submitted after the deadline
	StatusOverdue                   // 已逾期: not submitted and the deadline has passed
	// StatusNotApplicable (不适用): the stage does not apply to this unit
	// this year (UnitYear.NotApplicable); neither owed nor submitted.
	StatusNotApplicable
)

// Label is the kind's short Chinese name.
func (k StatusKind) Label() string {
	switch k {
	case StatusOpen:
		return "未提交"
	case StatusOnTime:
		return "按时提交"
	case StatusLate:
		return "逾期提交"
	case StatusOverdue:
		return "已逾期"
	case StatusNotApplicable:
		return "不适用"
	}
	return "未开始"
}

// ShortText is the status in the short form a table cell holds on one
// line (the board, the sandbox panel): 按时, 逾期2天交, 剩9天, 今天截止,
// 逾期60天, 不适用, 未开始.
func (st StageStatus) ShortText() string {
	switch st.Kind {
	case StatusOnTime:
		return "按时"
	case StatusLate:
		return fmt.Sprintf("逾期%d天交", max(st.Days, 1))
	case StatusOpen:
		if st.Days <= 0 {
			return "今天截止"
		}
		return fmt.Sprintf("剩%d天", st.Days)
	case StatusOverdue:
		return fmt.Sprintf("逾期%d天", max(st.Days, 1))
	case StatusNotApplicable:
		return "不适用"
	}
	return "未开始"
}

// Submitted reports whether the stage has at least one version.
func (k StatusKind) Submitted() bool { return k == StatusOnTime || k == StatusLate }

// Missing reports whether something is owed now (open or overdue).
func (k StatusKind) Missing() bool { return k == StatusOpen || k == StatusOverdue }

// Deadline is when a stage opens and when it is due.
type Deadline struct {
	Stage   Stage
	Open    bool      // false: the stage has no deadline yet (status 未开始)
	Opens   time.Time // before this instant the stage is not open
	DueDate Date      // the last day, as people say it
	Due     time.Time // first late instant: the end of DueDate in the zone
}

// SelfAssessmentDeadline: each unit reports by the due date (每年3月1日前),
// judged at the end of that day in the configured zone. The stage opens on
// 1 January of the cycle year, when the year's rules are issued.
func SelfAssessmentDeadline(c Calendar) Deadline {
	return Deadline{
		Stage:   StageSelfAssessment,
		Open:    true,
		Opens:   Date{c.Year, time.January, 1}.Start(c.Location),
		DueDate: c.SelfAssessmentDue,
		Due:     c.SelfAssessmentDue.End(c.Location),
	}
}

// FeedbackDeadline: the office gives written feedback within FeedbackDays
// (14) after field inspection ends (实地督评结束14天内). It opens when the
// inspection starts.
func FeedbackDeadline(c Calendar) Deadline {
	due := c.InspectionEnd.AddDays(c.FeedbackDays)
	return Deadline{
		Stage:   StageFeedback,
		Open:    true,
		Opens:   c.InspectionStart.Start(c.Location),
		DueDate: due,
		Due:     due.End(c.Location),
	}
}

// RectificationPlanDeadline: a unit submits its plan within
// RectificationPlanDays (7) of receiving *its own* feedback (收到反馈意见7天内).
// The clock is that unit's delivery time; counted in calendar days and
// judged at the end of the last day, because officials are told a date, not
// an hour. With no feedback delivered yet the stage is not open.
func RectificationPlanDeadline(c Calendar, feedbackAt time.Time) Deadline {
	if feedbackAt.IsZero() {
		return Deadline{Stage: StageRectificationPlan}
	}
	due := DateOf(feedbackAt, c.Location).AddDays(c.RectificationPlanDays)
	return Deadline{
		Stage:   StageRectificationPlan,
		Open:    true,
		Opens:   feedbackAt,
		DueDate: due,
		Due:     due.End(c.Location),
	}
}

// RectificationDoneDeadline: completion is tracked only where the director
// set a date for the unit (整改期限).
func RectificationDoneDeadline(c Calendar, due Date, feedbackAt time.Time) Deadline {
	if due.IsZero() {
		return Deadline{Stage: StageRectificationDone}
	}
	opens := feedbackAt
	if opens.IsZero() {
		opens = Date{c.Year, time.January, 1}.Start(c.Location)
	}
	return Deadline{Stage: StageRectificationDone, Open: true, Opens: opens, DueDate: due, Due: due.End(c.Location)}
}

// DeadlineFor returns the deadline of stage for one unit.
func DeadlineFor(c Calendar, u UnitYear, s Stage) Deadline {
	switch s {
	case StageSelfAssessment:
		return SelfAssessmentDeadline(c)
	case StageFeedback:
		return FeedbackDeadline(c)
	case StageRectificationPlan:
		return RectificationPlanDeadline(c, u.FeedbackAt)
	case StageRectificationDone:
		return RectificationDoneDeadline(c, u.RectificationDue, u.FeedbackAt)
	}
	return Deadline{Stage: s}
}

// StageStatus is the status of one stage of one unit at one instant.
type StageStatus struct {
	Stage       Stage
	Kind        StatusKind
	Deadline    Deadline
	SubmittedAt time.Time     // first version (lateness is judged on it)
	LastAt      time.Time     // latest version
	Versions    int           // number of versions received
	Left        time.Duration // StatusOpen: time until the deadline
	Late        time.Duration // StatusLate: how late; StatusOverdue: how long overdue
	// Days is calendar days: left (Open, 0 = today is the last day), late
	// (Late) or overdue (Overdue), counted in the configured zone.
	Days int
}

// Evaluate decides a stage's status at now from its deadline and the time
// of its first version (zero: nothing received).
func Evaluate(d Deadline, first time.Time, loc *time.Location, now time.Time) StageStatus {
	st := StageStatus{Stage: d.Stage, Deadline: d, SubmittedAt: first}
	switch {
	case !first.IsZero() && !d.Open:
		// Received before any deadline existed (e.g. a completion report
		// before the director set a date): it cannot be late.
		st.Kind = StatusOnTime
	case !first.IsZero() && first.Before(d.Due):
		st.Kind = StatusOnTime
	case !first.IsZero():
		st.Kind = StatusLate
		st.Late = first.Sub(d.Due)
		st.Days = d.DueDate.DaysUntil(DateOf(first, loc))
	case !d.Open || now.Before(d.Opens):
		st.Kind = StatusNotOpen
	case now.Before(d.Due):
		st.Kind = StatusOpen
		st.Left = d.Due.Sub(now)
		st.Days = DateOf(now, loc).DaysUntil(d.DueDate)
	default:
		st.Kind = StatusOverdue
		st.Late = now.Sub(d.Due)
		st.Days = d.DueDate.DaysUntil(DateOf(now, loc))
	}
	return st
}

// StageStatusOf evaluates one stage of one unit. A stage that does not
// apply to the unit this year is StatusNotApplicable unless something was
// received for it anyway (that is shown as received: it is true).
func StageStatusOf(c Calendar, u UnitYear, s Stage, now time.Time) StageStatus {
	var first time.Time
	if s == StageFeedback {
		first = u.FeedbackAt
	} else {
		first = u.FirstSubmitted[s]
	}
	if !u.Applies(s) && first.IsZero() {
		return StageStatus{Stage: s, Kind: StatusNotApplicable, Deadline: Deadline{Stage: s}}
	}
	st := Evaluate(DeadlineFor(c, u, s), first, c.Location, now)
	if s == StageFeedback {
		if !u.FeedbackAt.IsZero() {
			st.Versions, st.LastAt = 1, u.FeedbackAt
		}
	} else {
		st.Versions, st.LastAt = u.Versions[s], u.LastSubmitted[s]
	}
	return st
}

// UnitStatus evaluates every stage of one unit, in AllStages order.
func UnitStatus(c Calendar, u UnitYear, now time.Time) []StageStatus {
	out := make([]StageStatus, 0, len(AllStages))
	for _, s := range AllStages {
		out = append(out, StageStatusOf(c, u, s, now))
	}
	return out
}

// Text is a short Chinese description such as 「按时提交（3月1日）」 or 「已逾期2天」.
func (s StageStatus) Text() string {
	switch s.Kind {
	case StatusOnTime:
		return "按时提交"
	case StatusLate:
		return fmt.Sprintf("逾期%d天提交", max(s.Days, 1))
	case StatusOpen:
		if s.Days <= 0 {
			return "未提交（今天截止）"
		}
		return fmt.Sprintf("未提交（剩%d天）", s.Days)
	case StatusOverdue:
		return fmt.Sprintf("已逾期%d天", max(s.Days, 1))
	case StatusNotApplicable:
		return "不适用"
	}
	return "未开始"
}

// SubmissionCandidates lists the stages a file sent now by this unit could
// be for, in the order the bot offers them. The rectification plan comes
// first once the unit's feedback is delivered and the plan is still
// wanted; the self-assessment report while it is open or still owed; the
// completion report where the director set a date. A file sent during or
// after the unit's current stage (the latest that has opened) is a new
// version of it, even past its deadline: a corrected report is version 2,
// not supporting material. An empty result means the file is kept as
// supporting material (补充材料).
func SubmissionCandidates(c Calendar, u UnitYear, now time.Time) []Stage {
	order := []Stage{StageSelfAssessment, StageRectificationPlan, StageRectificationDone}
	opened := func(s Stage) bool {
		if !u.Applies(s) {
			return false
		}
		d := DeadlineFor(c, u, s)
		return d.Open && !now.Before(d.Opens)
	}
	var current Stage
	for _, s := range order {
		if opened(s) {
			current = s
		}
	}
	var out []Stage
	for _, s := range []Stage{StageRectificationPlan, StageSelfAssessment, StageRectificationDone} {
		if !opened(s) {
			continue
		}
		// Still owed, a new version before the deadline, or a new version
		// of the current stage.
		if u.FirstSubmitted[s].IsZero() || now.Before(DeadlineFor(c, u, s).Due) || s == current {
			out = append(out, s)
		}
	}
	return out
}

// OnTime reports whether a version received at `at` counts as on time for
// the stage. Only the first version's time decides the stage's status; this
// flag is recorded per version for the ledger.
func OnTime(d Deadline, at time.Time) bool { return !d.Open || at.Before(d.Due) }
