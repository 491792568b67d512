package rules

// Hooks for the external tests of the reminder planner's steps.

// StepGroup is a planned group as the step tests see it.
type StepGroup struct {
	UnitKey string
	Stage   Stage
	Slots   []string // record slots, in time order
	Kinds   []string // record kinds, one per slot
}

// ReminderStepNames are the names of reminderSteps, in order.
func ReminderStepNames() []string {
	var names []string
	for _, st := range reminderSteps {
		names = append(names, st.name)
	}
	return names
}

// NoticeStepNames are the names of noticeSteps, in order.
func NoticeStepNames() []string {
	var names []string
	for _, st := range noticeSteps {
		names = append(names, st.name)
	}
	return names
}

// RunReminderStep runs the named reminder step alone on in.
func RunReminderStep(name string, in ReminderInput) []StepGroup {
	s := newSweep(in)
	for _, st := range reminderSteps {
		if st.name != name {
			continue
		}
		var out []StepGroup
		for _, g := range st.plan(s) {
			sg := StepGroup{UnitKey: g.unitKey, Stage: g.stage}
			for _, sl := range g.slots {
				sg.Slots = append(sg.Slots, sl.rec.Slot)
				sg.Kinds = append(sg.Kinds, sl.rec.Kind)
			}
			out = append(out, sg)
		}
		return out
	}
	panic("no reminder step " + name)
}

// RunNoticeStep runs the named notice step alone on in, with a plan that
// writes nothing else.
func RunNoticeStep(name string, in ReminderInput) ReminderPlan {
	s := newSweep(in)
	var plan ReminderPlan
	for _, st := range noticeSteps {
		if st.name == name {
			st.plan(s, &plan)
			return plan
		}
	}
	panic("no notice step " + name)
}

// GroupRank is the order of a planned group.
type GroupRank struct{ UnitRank, Step, Seq int }

// OfficeRank is the unit rank of the office's own deadline.
const OfficeRank = officeRank

// CompareGroupRanks compares two groups with these ranks the way the
// planner orders them.
func CompareGroupRanks(a, b GroupRank) int {
	return compareGroups(group{unitRank: a.UnitRank, step: a.Step, seq: a.Seq}, group{unitRank: b.UnitRank, step: b.Step, seq: b.Seq})
}
