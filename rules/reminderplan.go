package rules

import (
	"cmp"
	"slices"
	"time"
)

// A sweep plans its reminders in named steps. Each reminder step finds the
// (unit, stage) groups of one kind whose slots are due now; the groups of
// all steps are merged in one order (compareGroups), split into what is
// sent now, what is missed and what waits for tomorrow, and turned into one
// message per person. Notice steps then tell the directors what follows
// from the records the sweep writes. Adding a kind of reminder is adding a
// step to reminderSteps: its place in the list is the place of its items in
// a unit's message.

// reminderStep plans the due groups of one kind of reminder.
type reminderStep struct {
	name string
	plan func(*sweep) []group
}

// reminderSteps are the reminder planners, in the order their items appear
// in a person's message: a unit's stages in cycle order, the parts its
// latest report lacks, its rectification items, then its acknowledgements. The office's feedback deadline goes to the directors,
// whose messages hold nothing else.
var reminderSteps = append(stageSteps(UnitStages),
	reminderStep{name: "report_parts", plan: planReportParts},
	reminderStep{name: "problem_items", plan: planItems},
	reminderStep{name: "office_feedback", plan: planOfficeFeedback},
	reminderStep{name: "ack", plan: planAcks},
)

// noticeStep adds to the plan the directors' notices that follow from the
// records already written and those the plan writes now.
type noticeStep struct {
	name string
	plan func(*sweep, *ReminderPlan)
}

// noticeSteps run after the reminders are planned, in this order.
var noticeSteps = []noticeStep{
	{name: "stopped", plan: planStoppedNotices},
}

// officeRank is the unit rank of the office's own deadline: before every
// unit of the roster.
const officeRank = -1

// group is one (unit, stage) with its unrecorded slots that are due now.
type group struct {
	unitKey string // "" for the office
	stage   Stage
	slots   []slot
	// unitRank is the unit's roster index (officeRank for the office), step
	// the index of the planner in reminderSteps and seq the order of the
	// group among one step's groups of one unit (broadcast order for acks).
	unitRank, step, seq int
}

// compareGroups orders groups by unit in roster order (the office first),
// then by planner step, then by the step's own order.
func compareGroups(a, b group) int {
	return cmp.Or(
		cmp.Compare(a.unitRank, b.unitRank),
		cmp.Compare(a.step, b.step),
		cmp.Compare(a.seq, b.seq),
	)
}

// catchupLabelAfter: a slot sent this long after it fell due, while no sweep
// ran in between, is labelled a catch-up (补发) in the message.
const catchupLabelAfter = 10 * time.Minute

// recordKey is the identity of a reminder record as a map key.
type recordKey struct {
	year       int
	unit, slot string
	stage      Stage
}

func keyOf(r ReminderRecord) recordKey { return recordKey{r.Year, r.UnitKey, r.Slot, r.Stage} }

// slotCacheKey identifies a deadline's slot template: most units share a
// deadline (self-assessment), so its slots are planned once per sweep.
type slotCacheKey struct {
	stage Stage
	due   Date
	opens int64
}

// sweep is what every step of one PlanReminders call reads.
type sweep struct {
	in    ReminderInput
	c     Calendar // in.Calendar with a Location
	now   time.Time
	today Date
	// recorded holds the keys of in.Recorded; messagedToday the unit keys
	// ("" = office) that already got a reminder today.
	recorded      map[recordKey]bool
	messagedToday map[string]bool
	years         map[string]UnitYear
	unitRank      map[string]int
	units         map[string]*Unit
	// noFeedback are the units (roster order) still without the office's
	// feedback, when the feedback stage applies to them.
	noFeedback []string
	slotCache  map[slotCacheKey][]slot
}

func newSweep(in ReminderInput) *sweep {
	c := in.Calendar
	if c.Location == nil {
		c.Location = time.UTC
	}
	s := &sweep{
		in: in, c: c, now: in.Now, today: DateOf(in.Now, c.Location),
		recorded:      make(map[recordKey]bool, len(in.Recorded)),
		messagedToday: map[string]bool{},
		years:         make(map[string]UnitYear, len(in.Years)),
		unitRank:      make(map[string]int, len(in.Units)),
		units:         make(map[string]*Unit, len(in.Units)),
		slotCache:     map[slotCacheKey][]slot{},
	}
	for _, r := range in.Recorded {
		s.recorded[keyOf(r)] = true
		// Notices to the directors about units do not count as the unit's
		// reminder of the day.
		if r.Kind == ReminderStopped {
			continue
		}
		if !r.Missed && !r.At.IsZero() && DateOf(r.At, c.Location) == s.today {
			s.messagedToday[r.UnitKey] = true
		}
	}
	for _, y := range in.Years {
		s.years[y.UnitKey] = y
	}
	for i := range in.Units {
		u := &in.Units[i]
		s.unitRank[u.Key] = i
		s.units[u.Key] = u
		if uy := s.yearOf(u.Key); uy.FeedbackAt.IsZero() && uy.Applies(StageFeedback) {
			s.noFeedback = append(s.noFeedback, u.Key)
		}
	}
	return s
}

// yearOf is the unit's year (nothing submitted when it has no row).
func (s *sweep) yearOf(unitKey string) UnitYear {
	uy := s.years[unitKey]
	if uy.UnitKey == "" {
		uy.UnitKey = unitKey
	}
	return uy
}

// due keeps the slots whose time has come and that are not yet recorded.
func (s *sweep) due(slots []slot) []slot {
	var out []slot
	for _, sl := range slots {
		if sl.effective.After(s.now) || s.recorded[keyOf(sl.rec)] {
			continue
		}
		out = append(out, sl)
	}
	return out
}

// stageSteps is one reminder step per submission stage.
func stageSteps(stages []Stage) []reminderStep {
	steps := make([]reminderStep, 0, len(stages))
	for _, st := range stages {
		steps = append(steps, reminderStep{name: string(st), plan: func(s *sweep) []group { return planStage(s, st) }})
	}
	return steps
}

// planStage plans the before/due/overdue/escalation reminders of one stage
// for every unit that owes it and whose deadline is open.
func planStage(s *sweep, st Stage) []group {
	var out []group
	for i, u := range s.in.Units {
		uy := s.yearOf(u.Key)
		if !uy.Applies(st) {
			continue
		}
		d := DeadlineFor(s.c, uy, st)
		if !d.Open || !uy.FirstSubmitted[st].IsZero() || s.now.Before(d.Opens) {
			continue
		}
		ck := slotCacheKey{st, d.DueDate, d.Opens.UnixNano()}
		tmpl, ok := s.slotCache[ck]
		if !ok {
			tmpl = s.in.Policy.deadlineSlots(s.c, d, "", false, s.today)
			s.slotCache[ck] = tmpl
		}
		slots := make([]slot, len(tmpl))
		for k, sl := range tmpl {
			sl.rec.UnitKey = u.Key
			slots[k] = sl
		}
		if due := s.due(slots); len(due) > 0 {
			out = append(out, group{unitKey: u.Key, stage: st, slots: due, unitRank: i})
		}
	}
	return out
}

// planOfficeFeedback plans the office's own feedback deadline, to the
// directors, while any unit lacks feedback.
func planOfficeFeedback(s *sweep) []group {
	if len(s.noFeedback) == 0 || s.c.InspectionEnd.IsZero() {
		return nil
	}
	d := FeedbackDeadline(s.c)
	// The office is reminded from the last inspection day on, not while it
	// is still inspecting (a month ahead would fall in the inspection).
	if last := s.c.InspectionEnd.Start(s.c.Location); last.After(d.Opens) {
		d.Opens = last
	}
	if s.now.Before(d.Opens) {
		return nil
	}
	due := s.due(s.in.Policy.deadlineSlots(s.c, d, "", true, s.today))
	if len(due) == 0 {
		return nil
	}
	return []group{{unitKey: "", stage: StageFeedback, slots: due, unitRank: officeRank}}
}

// planAcks plans one reminder per broadcast or feedback that a unit of the
// roster has not acknowledged after Policy.AckAfter.
func planAcks(s *sweep) []group {
	if s.in.Policy.AckAfter <= 0 {
		return nil
	}
	var out []group
	for bi := range s.in.Broadcasts {
		b := &s.in.Broadcasts[bi]
		if b.Year != 0 && b.Year != s.c.Year {
			continue
		}
		acked := s.in.Acks[b.ID]
		targets := []string{b.UnitKey}
		if b.UnitKey == "" {
			targets = make([]string, 0, len(s.in.Units))
			for _, u := range s.in.Units {
				targets = append(targets, u.Key)
			}
		}
		for _, uk := range targets {
			if _, ok := acked[uk]; ok {
				continue
			}
			rank, ok := s.unitRank[uk]
			if !ok {
				continue
			}
			if due := s.due([]slot{s.in.Policy.ackSlot(s.c, b, uk)}); len(due) > 0 {
				out = append(out, group{unitKey: uk, stage: StageAck, slots: due, unitRank: rank, seq: bi})
			}
		}
	}
	return out
}

// PlanReminders works out which reminder slots are due at in.Now and
// builds their messages. Rules:
//
//   - A slot is a day at Policy.SlotTime, moved out of quiet hours and
//     weekends (when skipped). It is due when that time has come, it is not
//     yet recorded, and the unit still owes the stage now.
//   - A due slot that fell due after LastSweep (no sweep ran since) and more
//     than CatchupGrace ago is missed: recorded as missed, not sent, and
//     reported once to the directors. With no sweep ever (the bot's first
//     start, e.g. deployed in the middle of the cycle) nothing is missed.
//   - All other due slots of the same (unit, stage) collapse into one
//     reminder item; all of a person's items go into ONE message, and a
//     person who already got a reminder today gets nothing more until the
//     next day (the item stays due and is sent then).
//   - After the OverdueMax overdue slots, one slot a week while owed.
//   - Then the notice steps: 转为每周提醒, once per (unit, stage) (stopped.go).
func PlanReminders(in ReminderInput) ReminderPlan {
	s := newSweep(in)
	var groups []group
	for i, step := range reminderSteps {
		for _, g := range step.plan(s) {
			g.step = i
			groups = append(groups, g)
		}
	}
	slices.SortStableFunc(groups, compareGroups)
	plan := s.planMessages(groups)
	for _, step := range noticeSteps {
		step.plan(s, &plan)
	}
	return plan
}

// pendingItem is one reminder item with the records it writes.
type pendingItem struct {
	item    ReminderItem
	records []ReminderRecord
}

// planMessages splits the due slots of the ordered groups into sent and
// missed, applies the one-message-a-day rule, and builds one message per
// person (then the directors' alert about missed slots).
func (s *sweep) planMessages(groups []group) ReminderPlan {
	in, p, now := s.in, s.in.Policy, s.now
	var plan ReminderPlan
	var missed []slot
	byUnit := map[string][]pendingItem{}
	var unitOrder []string
	for _, g := range groups {
		var send []slot
		for _, sl := range g.slots {
			if !in.LastSweep.IsZero() && sl.effective.After(in.LastSweep) && now.Sub(sl.effective) > p.CatchupGrace {
				missed = append(missed, sl)
				continue
			}
			send = append(send, sl)
		}
		if len(send) == 0 {
			continue
		}
		if s.messagedToday[g.unitKey] {
			plan.Deferred++
			continue
		}
		last := send[len(send)-1]
		item := ReminderItem{
			Problem:   last.item,
			Parts:     last.parts,
			UnitKey:   g.unitKey,
			Stage:     g.stage,
			Kind:      last.rec.Kind,
			DueDate:   last.dueDate,
			Broadcast: last.bc,
			// Labelled a catch-up only when downtime made it late; slots
			// collapsed because a date was set late are not "补发".
			Catchup: !in.LastSweep.IsZero() && now.Sub(last.effective) > catchupLabelAfter && last.effective.After(in.LastSweep),
		}
		if g.stage != StageAck {
			n := s.today.DaysUntil(last.dueDate)
			if n < 0 {
				item.Overdue, item.Days = true, -n
			} else {
				item.Days = n
			}
		}
		if g.unitKey == "" {
			item.Pending = s.noFeedback
		}
		var recs []ReminderRecord
		for _, sl := range send {
			r := sl.rec
			r.At = now
			item.Slots = append(item.Slots, r.Slot)
			recs = append(recs, r)
		}
		if _, ok := byUnit[g.unitKey]; !ok {
			unitOrder = append(unitOrder, g.unitKey)
		}
		byUnit[g.unitKey] = append(byUnit[g.unitKey], pendingItem{item, recs})
	}

	for _, uk := range unitOrder {
		ps := byUnit[uk]
		var items []ReminderItem
		for _, pd := range ps {
			items = append(items, pd.item)
		}
		var outs []Outgoing
		if uk == "" {
			outs = officeMessages(s.c, in.Directors, s.units, items, now)
		} else if u := s.units[uk]; u != nil {
			outs = unitMessages(s.c, *u, items, now)
		}
		first := true
		for _, pd := range ps {
			plan.Items = append(plan.Items, pd.item)
			for _, r := range pd.records {
				w := ReminderWrite{Record: r}
				if first {
					w.Outs = outs
					first = false
				}
				plan.Writes = append(plan.Writes, w)
			}
		}
		plan.Messages = append(plan.Messages, outs...)
	}

	if len(missed) > 0 {
		alert := missedAlert(s.c, in.Directors, s.units, missed, now)
		for i, sl := range missed {
			r := sl.rec
			r.Missed, r.At = true, now
			w := ReminderWrite{Record: r}
			if i == 0 {
				w.Outs = alert
				plan.Messages = append(plan.Messages, alert...)
			}
			plan.Writes = append(plan.Writes, w)
			plan.Missed = append(plan.Missed, r)
		}
	}
	return plan
}
