package rules

import (
	"fmt"
	"strings"
	"time"
)

// stoppedItem is one (unit, stage) whose overdue reminders are used up
// while the unit still owes the stage.
type stoppedItem struct {
	unit  Unit
	stage Stage
	days  int // days overdue now
}

// A unit is never dropped silently once its overdue reminders are used up:
// its reminders go on once a week (deadlineSlots), and once the last of the
// OverdueMax overdue reminders of a (unit, stage) is recorded (sent, or
// missed while the bot was down) and the stage is still owed, the directors
// are told once 「转为每周提醒：X单位 自查自评报告 已逾期N天」 (one record per
// (unit, stage), Slot SlotStopped, so restarts never repeat it):
// planStoppedNotices. The daily digest keeps listing the unit.

// exhausted is one (unit, stage) whose last overdue reminder is recorded
// and that is still owed, with its 已停止提醒 record if there is one.
type exhausted struct {
	item    stoppedItem
	stopped ReminderRecord
	told    bool // the 已停止提醒 record exists
}

// recordsDone are the records written before this sweep and those the plan
// writes now, by key.
func recordsDone(s *sweep, plan *ReminderPlan) map[string]ReminderRecord {
	done := make(map[string]ReminderRecord, len(s.in.Recorded)+len(plan.Writes))
	for _, r := range s.in.Recorded {
		done[r.Key()] = r
	}
	for _, w := range plan.Writes {
		done[w.Record.Key()] = w.Record
	}
	return done
}

// exhaustedItems lists, in roster and stage order, the (unit, stage)s
// whose overdue reminders are used up while the stage is still owed.
func exhaustedItems(s *sweep, done map[string]ReminderRecord) []exhausted {
	c, p, now := s.c, s.in.Policy, s.now
	if p.OverdueMax <= 0 || len(s.in.Directors) == 0 {
		return nil
	}
	every := max(p.OverdueEveryDays, 1)
	var out []exhausted
	for _, u := range s.in.Units {
		uy := s.yearOf(u.Key)
		for _, st := range UnitStages {
			ss := StageStatusOf(c, uy, st, now)
			if ss.Kind != StatusOverdue {
				continue
			}
			last := ss.Deadline.DueDate.AddDays(p.OverdueMax * every)
			lastRec := ReminderRecord{Year: c.Year, UnitKey: u.Key, Stage: st, Slot: SlotName(last, p.SlotTime)}
			if _, ok := done[lastRec.Key()]; !ok {
				continue
			}
			e := exhausted{
				item:    stoppedItem{unit: u, stage: st, days: max(ss.Days, 1)},
				stopped: ReminderRecord{Year: c.Year, UnitKey: u.Key, Stage: st, Slot: SlotStopped, Kind: ReminderStopped},
			}
			if r, ok := done[e.stopped.Key()]; ok {
				e.stopped, e.told = r, true
			}
			out = append(out, e)
		}
	}
	return out
}

// planStoppedNotices tells the directors once, in one notice, about every
// (unit, stage) whose chasing stopped since the last sweep.
func planStoppedNotices(s *sweep, plan *ReminderPlan) {
	var items []stoppedItem
	var recs []ReminderRecord
	for _, e := range exhaustedItems(s, recordsDone(s, plan)) {
		if e.told {
			continue
		}
		r := e.stopped
		r.At = s.now
		items = append(items, e.item)
		recs = append(recs, r)
	}
	if len(items) == 0 {
		return
	}
	outs := stoppedNotice(s.c, s.in.Policy, s.in.Directors, items, recs[0], s.now)
	for i, r := range recs {
		w := ReminderWrite{Record: r}
		if i == 0 {
			w.Outs = outs
			plan.Messages = append(plan.Messages, outs...)
		}
		plan.Writes = append(plan.Writes, w)
	}
}

// directorOuts are the messages of one notice to every director. The
// notice asserts that each listed unit still owes its stage, in list order,
// so the relay drops the units that submitted before it went out
// (RecheckReminder).
func directorOuts(ds []Director, key func(remark string) string, text string, items []stoppedItem, year int, now time.Time) []Outgoing {
	var asserts []Obligation
	for _, it := range items {
		asserts = append(asserts, Obligation{Year: year, UnitKey: it.unit.Key, Stage: it.stage})
	}
	var outs []Outgoing
	for _, d := range ds {
		if d.WeChatRemark == "" {
			continue
		}
		outs = append(outs, Outgoing{
			Key:       key(d.WeChatRemark),
			Kind:      "escalation",
			To:        Recipient{Remark: d.WeChatRemark},
			Text:      text,
			Asserts:   asserts,
			Status:    OutboxPending,
			NextTry:   now,
			CreatedAt: now,
		})
	}
	return outs
}

// stoppedNotice tells the directors that these items are now reminded
// weekly.
func stoppedNotice(c Calendar, p ReminderPolicy, ds []Director, items []stoppedItem, first ReminderRecord, now time.Time) []Outgoing {
	var b strings.Builder
	if len(items) == 1 {
		it := items[0]
		fmt.Fprintf(&b, "【督导提醒】转为每周提醒：%s %s 已逾期%d天\n", it.unit.Name, it.stage.Label(), it.days)
		fmt.Fprintf(&b, "该单位已收到%d次逾期提醒，仍未报送。", p.OverdueMax)
	} else {
		fmt.Fprintf(&b, "【督导提醒】以下%d项转为每周提醒：\n", len(items))
		for i, it := range items {
			fmt.Fprintf(&b, "%d. %s %s 已逾期%d天\n", i+1, it.unit.Name, it.stage.Label(), it.days)
		}
		fmt.Fprintf(&b, "以上单位已收到%d次逾期提醒，仍未报送。", p.OverdueMax)
	}
	b.WriteString("此后每周提醒一次，直至报送。建议您直接联系督促。")
	return directorOuts(ds, func(remark string) string {
		return fmt.Sprintf("stopped:%s:%s", first.Key(), remark)
	}, b.String(), items, c.Year, now)
}
