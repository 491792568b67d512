package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// itemStagePrefix marks the pseudo-stage of one rectification item in
// reminder records and obligations: "item:2027-03" (the unit is the
// record's own), short enough for the records' stage column.
const itemStagePrefix = "item:"

// ItemStage is the pseudo-stage of item p's reminders.
func ItemStage(p Problem) Stage {
	return Stage(fmt.Sprintf("%s%d-%02d", itemStagePrefix, p.Year, p.Seq))
}

// IsItemStage reports whether s is an item's pseudo-stage.
func (s Stage) IsItemStage() bool { return strings.HasPrefix(string(s), itemStagePrefix) }

// itemOf parses an item stage back into (year, seq).
func (s Stage) itemOf() (year, seq int, ok bool) {
	y, n, found := strings.Cut(strings.TrimPrefix(string(s), itemStagePrefix), "-")
	if !s.IsItemStage() || !found {
		return 0, 0, false
	}
	year, err1 := strconv.Atoi(y)
	seq, err2 := strconv.Atoi(n)
	return year, seq, err1 == nil && err2 == nil
}

// itemLabel is the item stage as people read it: 整改事项（2027年第3项）.
func (s Stage) itemLabel() string {
	if y, n, ok := s.itemOf(); ok {
		return fmt.Sprintf("整改事项（%d年第%d项）", y, n)
	}
	return string(s)
}

// findItem is the item of unitKey that stage s names, nil if none.
func findItem(ps []Problem, unitKey string, s Stage) *Problem {
	y, n, ok := s.itemOf()
	if !ok {
		return nil
	}
	for i := range ps {
		if ps[i].UnitKey == unitKey && ps[i].Year == y && ps[i].Seq == n {
			return &ps[i]
		}
	}
	return nil
}

// ItemOwed reports whether an item still asks something of its unit at
// now: it is in the year's view, has a date and is neither reported done
// nor closed. Only such items are reminded, and a reminder about an item
// is sent only while this holds.
func ItemOwed(p Problem, c Calendar, now time.Time) (ProblemStatus, bool) {
	if !ProblemInYear(p, c, now) {
		return ProblemStatus{}, false
	}
	st := ProblemStatusOf(p, c, now)
	return st, st.Kind.Open() && !st.Due.IsZero()
}

// itemDeadline is the item's current date as a deadline: it opens when
// that date was set (the plan, or the latest return or extension), so a
// moved date is reminded from when it was moved, never for days before;
// and never before the cycle year began.
func itemDeadline(p Problem, st ProblemStatus, c Calendar, now time.Time) Deadline {
	opens := p.Plan.At
	for _, e := range p.Events {
		if !e.At.After(now) && (e.Kind == EventReturned || e.Kind == EventExtended) && e.At.After(opens) {
			opens = e.At
		}
	}
	// A carried-over item is reminded in the new year from its first day:
	// the slots of the year before were that year's records.
	if start := (Date{c.Year, time.January, 1}).Start(c.Location); opens.Before(start) {
		opens = start
	}
	return Deadline{Stage: ItemStage(p), Open: true, Opens: opens, DueDate: st.Due, Due: st.Due.End(c.Location)}
}

// planItems is the reminder step of rectification items: the same
// before/due/overdue/escalation slots as a stage deadline, on each owed
// item's current date.
func planItems(s *sweep) []group {
	var out []group
	for i := range s.in.Problems {
		p := &s.in.Problems[i]
		rank, ok := s.unitRank[p.UnitKey]
		if !ok {
			continue
		}
		st, owed := ItemOwed(*p, s.c, s.now)
		if !owed {
			continue
		}
		d := itemDeadline(*p, st, s.c, s.now)
		slots := s.in.Policy.deadlineSlots(s.c, d, p.UnitKey, false, s.today)
		for k := range slots {
			slots[k].item = p
		}
		if due := s.due(slots); len(due) > 0 {
			out = append(out, group{unitKey: p.UnitKey, stage: d.Stage, slots: due, unitRank: rank, seq: i})
		}
	}
	return out
}

// itemReminderLine is an item's line in a reminder.
func itemReminderLine(it ReminderItem) string {
	p := it.Problem
	var b strings.Builder
	fmt.Fprintf(&b, "整改事项%s（%s）：完成时限为%s", p.ID, clipRunes(p.Text, 20), it.DueDate.Chinese())
	b.WriteString(daysClause(it, "今天到期"))
	fmt.Fprintf(&b, "。完成后请发送“整改完成 %d 整改情况”。", p.Seq)
	return b.String()
}
