package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TruthInput is what the send-time check knows: the state of the year
// read just before a queued message goes out.
type TruthInput struct {
	Calendar Calendar
	Units    []Unit // roster order (names of units in office reminders)
	// Years by unit key (a missing unit has submitted nothing).
	Years      map[string]UnitYear
	Broadcasts map[int64]Broadcast
	Acks       map[int64]map[string]time.Time // broadcast ID → unit key → ack time
	// Problems are the year's rectification items (ItemOwed decides).
	Problems []Problem
	// ReportChecks are the saved checks of the units' latest reports
	// (StageReportParts obligations).
	ReportChecks map[string]SavedReportCheck
	Now          time.Time
}

// Holds reports whether an obligation is still owed at in.Now. Stages go
// through StageStatusOf, the same rule the status, the overview and the
// reminder planner use, so a stage the planner would not remind about is
// never asserted at send time either.
func (in TruthInput) Holds(o Obligation) bool {
	if o.Stage == StageAck {
		if _, ok := in.Broadcasts[o.Broadcast]; !ok {
			return false // withdrawn or unknown: nothing to acknowledge
		}
		_, acked := in.Acks[o.Broadcast][o.UnitKey]
		return !acked
	}
	if o.Stage.IsItemStage() {
		p := findItem(in.Problems, o.UnitKey, o.Stage)
		if p == nil {
			return false
		}
		_, owed := ItemOwed(*p, in.Calendar, in.Now)
		return owed
	}
	uy := in.Years[o.UnitKey]
	if uy.UnitKey == "" {
		uy.UnitKey = o.UnitKey
	}
	if o.Stage == StageReportParts {
		_, _, owed := reportPartsOwed(in.Calendar, uy, in.ReportChecks[o.UnitKey], in.Now)
		return owed
	}
	return StageStatusOf(in.Calendar, uy, o.Stage, in.Now).Kind.Missing()
}

// RecheckReminder returns a reminder as it may be sent at in.Now, and
// whether it may be sent at all:
//   - none of its obligations holds: ok is false (the relay supersedes it);
//   - otherwise its numbered list is rebuilt from the obligations that still
//     hold, with the days left counted at in.Now; the header and the footer
//     are kept, and so is its Ref (ReminderNumber: logged, never in the
//     text), so a rare duplicate is still recognisable in the log.
//
// Rebuilding, rather than superseding and reminding the rest later, keeps
// what is still owed in the message that was due now: its reminder slots are
// already recorded, so no later sweep would plan them again. A message
// whose text has no numbered list (a 催办) cannot drop an item: it is sent
// only while every obligation holds, and superseded otherwise.
func RecheckReminder(in TruthInput, m Outgoing) (Outgoing, bool) {
	var hold []Obligation
	holds := make([]bool, len(m.Asserts))
	for i, o := range m.Asserts {
		if holds[i] = in.Holds(o); holds[i] {
			hold = append(hold, o)
		}
	}
	if len(hold) == 0 {
		return m, false
	}
	if m.Kind == "escalation" {
		return recheckList(m, hold, holds)
	}
	lines := strings.Split(m.Text, "\n")
	first, last := -1, -1
	for i, l := range lines {
		if itemLine.MatchString(l) || strings.HasPrefix(l, officePendingPrefix) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return m, len(hold) == len(m.Asserts)
	}
	block := in.itemLines(hold)
	var out []string
	out = append(out, lines[:first]...)
	out = append(out, block...)
	fileOwed := false
	for _, o := range hold {
		fileOwed = fileOwed || (o.Stage != StageAck && o.Stage != StageFeedback && !o.Stage.IsItemStage())
	}
	for _, l := range lines[last+1:] {
		if l == unitFileFooter && !fileOwed {
			continue
		}
		out = append(out, l)
	}
	m.Text = strings.Join(out, "\n")
	m.Asserts = hold
	return m, true
}

// itemLine is a numbered line of a reminder's list ("1. 自查自评报告：…").
var itemLine = regexp.MustCompile(`^\d+\. `)

// itemLines renders the numbered list for the obligations as the planner
// does: a unit reminder has one line per stage or acknowledgement; an office
// reminder (feedback obligations) has one item naming every unit still
// without feedback.
func (in TruthInput) itemLines(hold []Obligation) []string {
	c := in.Calendar
	if c.Location == nil {
		c.Location = time.UTC
	}
	today := DateOf(in.Now, c.Location)
	item := func(st Stage, due Date) ReminderItem {
		it := ReminderItem{Stage: st, DueDate: due}
		if days := today.DaysUntil(due); days < 0 {
			it.Overdue, it.Days = true, -days
		} else {
			it.Days = days
		}
		return it
	}
	var out []string
	var pending []string
	for _, o := range hold {
		switch o.Stage {
		case StageFeedback:
			pending = append(pending, o.UnitKey)
		case StageAck:
			b := in.Broadcasts[o.Broadcast]
			out = append(out, strconv.Itoa(len(out)+1)+". "+ackLine(ReminderItem{Stage: StageAck, Broadcast: &b}, c.Location))
		default:
			if o.Stage.IsItemStage() {
				p := findItem(in.Problems, o.UnitKey, o.Stage)
				st := ProblemStatusOf(*p, c, in.Now) // Holds found it
				it := item(o.Stage, st.Due)
				it.Problem = p
				out = append(out, strconv.Itoa(len(out)+1)+". "+stageLine(it, c))
				continue
			}
			if o.Stage == StageReportParts {
				// Holds found them: the parts missing now, which a newer
				// version may have narrowed.
				d, parts, _ := reportPartsOwed(c, in.Years[o.UnitKey], in.ReportChecks[o.UnitKey], in.Now)
				it := item(o.Stage, d.DueDate)
				it.Parts = parts
				out = append(out, strconv.Itoa(len(out)+1)+". "+stageLine(it, c))
				continue
			}
			it := item(o.Stage, DeadlineFor(c, in.Years[o.UnitKey], o.Stage).DueDate)
			out = append(out, strconv.Itoa(len(out)+1)+". "+stageLine(it, c))
		}
	}
	if len(pending) > 0 {
		units := make(map[string]*Unit, len(in.Units))
		for i := range in.Units {
			units[in.Units[i].Key] = &in.Units[i]
		}
		out = append(out, strconv.Itoa(len(out)+1)+". "+stageLine(item(StageFeedback, FeedbackDeadline(c).DueDate), c),
			fmt.Sprintf("%s（%d个）：%s", officePendingPrefix, len(pending), unitNames(units, pending)))
	}
	return out
}

// recheckList rebuilds a directors' notice whose numbered lines name one
// obligation each, in order (已停止提醒, 督办清单): the lines of the units
// that have submitted are dropped, the rest renumbered and the count
// 「（N项）」 corrected. A notice without such lines (one unit) is sent only
// while its obligation holds.
func recheckList(m Outgoing, hold []Obligation, holds []bool) (Outgoing, bool) {
	if len(hold) == len(m.Asserts) {
		return m, true
	}
	lines := strings.Split(m.Text, "\n")
	var numbered []int
	for i, l := range lines {
		if itemLine.MatchString(l) {
			numbered = append(numbered, i)
		}
	}
	if len(numbered) != len(m.Asserts) {
		return m, false // cannot drop an item it does not list one by one
	}
	drop := map[int]bool{}
	for k, i := range numbered {
		drop[i] = !holds[k]
	}
	var out []string
	n := 0
	for i, l := range lines {
		if drop[i] {
			continue
		}
		if itemLine.MatchString(l) {
			n++
			l = strconv.Itoa(n) + ". " + strings.SplitN(l, ". ", 2)[1]
		}
		out = append(out, l)
	}
	m.Text = itemCount.ReplaceAllString(strings.Join(out, "\n"), "（"+strconv.Itoa(len(hold))+"项）")
	m.Asserts = hold
	return m, true
}

// itemCount is the count of a notice's list, 「（3项）」.
var itemCount = regexp.MustCompile(`（\d+项）`)
