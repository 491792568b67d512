package rules

import (
	"fmt"
	"time"
)

// StageReportParts is the pseudo-stage of the reminders that a unit's
// latest self-assessment report lacks a part (records and obligations):
// before the due date the unit's next reminders name the missing parts, so
// it can still send a complete version. It is not a submission stage.
const StageReportParts Stage = "report_parts"

// reportPartsOwed is what a unit's report still lacks at now: the missing
// parts of the check of its latest version, while the self-assessment due
// date has not passed (after it, the report is the office's to judge). ok
// is false when nothing is owed, or nothing is known (no check yet, a newer
// version not yet checked, a file that was not read).
func reportPartsOwed(c Calendar, uy UnitYear, s SavedReportCheck, now time.Time) (Deadline, []ReportPart, bool) {
	if !uy.Applies(StageSelfAssessment) || uy.FirstSubmitted[StageSelfAssessment].IsZero() {
		return Deadline{}, nil, false
	}
	check, ok := s.Current(uy)
	if !ok || len(check.MissingParts) == 0 {
		return Deadline{}, nil, false
	}
	d := DeadlineFor(c, uy, StageSelfAssessment)
	if !d.Open || DateOf(now, c.Location).DaysUntil(d.DueDate) < 0 {
		return Deadline{}, nil, false
	}
	return d, check.MissingParts, true
}

// planReportParts plans, for every unit whose latest report lacks a part,
// the before/due slots of its self-assessment deadline that come after the
// latest version arrived: each names the parts still missing.
func planReportParts(s *sweep) []group {
	var out []group
	for i, u := range s.in.Units {
		uy := s.yearOf(u.Key)
		d, parts, ok := reportPartsOwed(s.c, uy, s.in.ReportChecks[u.Key], s.now)
		if !ok {
			continue
		}
		d.Stage = StageReportParts
		d.Opens = uy.LastSubmitted[StageSelfAssessment]
		var slots []slot
		for _, sl := range s.in.Policy.deadlineSlots(s.c, d, u.Key, false, s.today) {
			if sl.rec.Kind == ReminderBefore || sl.rec.Kind == ReminderDue {
				sl.parts = parts
				slots = append(slots, sl)
			}
		}
		if due := s.due(slots); len(due) > 0 {
			out = append(out, group{unitKey: u.Key, stage: StageReportParts, slots: due, unitRank: i})
		}
	}
	return out
}

// reportPartsLine is a reminder's line about the missing parts.
func reportPartsLine(it ReminderItem) string {
	return fmt.Sprintf("贵单位报告尚缺%s部分，请补充后于%s前重新报送%s。", QuotedParts(it.Parts), it.DueDate.Chinese(), daysClause(it, "今天截止"))
}
