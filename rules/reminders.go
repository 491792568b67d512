package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// TimeOfDay is a wall-clock time in the configured zone, such as the 10:00
// reminder slot or the 21:00 start of quiet hours.
type TimeOfDay struct {
	Hour, Minute int
}

// String formats t as 15:04.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// On returns the instant of t on date d in loc.
func (t TimeOfDay) On(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, t.Hour, t.Minute, 0, 0, loc)
}

func (t TimeOfDay) minutes() int { return t.Hour*60 + t.Minute }

// ReminderPolicy is the reminders: section of config.yaml, parsed.
type ReminderPolicy struct {
	// BeforeDays: remind N days before the due date (0 = on the due date).
	BeforeDays []int
	// OverdueEveryDays and OverdueMax: after the due date, remind every N
	// days, M times; after those, once a week (WeeklyAfterMax) until the
	// unit submits or the deadline closes.
	OverdueEveryDays int
	OverdueMax       int
	// EscalateAfterDays: overdue reminders from this many days overdue on
	// also go to the unit's backup official, and the director's digest names
	// the unit. 0 disables escalation.
	EscalateAfterDays int
	// AckAfter: a broadcast or feedback not acknowledged (收到) after this
	// long gets one reminder, at the next slot. 0 disables ack reminders.
	AckAfter time.Duration
	// QuietStart–QuietEnd: no reminders inside this window (it may cross
	// midnight); a slot inside it is deferred to QuietEnd. Equal = no quiet hours.
	QuietStart, QuietEnd TimeOfDay
	// SkipWeekends moves a Saturday or Sunday slot to the Friday before, at
	// the slot time: a reminder ahead of a deadline must not come later
	// than planned. A slot that may not go out that early (an overdue
	// reminder whose Friday is not yet past the deadline, an acknowledgement
	// reminder whose wait is not over) goes to the Monday after instead.
	SkipWeekends bool
	// SlotTime is the time of day of every reminder slot (the daily sweep's
	// time, e.g. 10:00). Slots, not sweeps, decide what is sent, so the sweep
	// may run as often as it likes.
	SlotTime TimeOfDay
	// CatchupGrace: a slot that fell due while the bot was down is sent once
	// as a catch-up if the bot is back within this window; beyond it the slot
	// is recorded as missed and the director is told.
	CatchupGrace time.Duration
}

// WeeklyAfterMax is the interval of the reminders that follow the last of
// the OverdueMax overdue reminders while the unit still owes the stage.
const WeeklyAfterMax = 7

// DefaultBeforeDays are the default reminder offsets before a deadline.
// The first comes a month ahead: a self-assessment report needs weeks of
// data collection, so a first reminder 7 days before comes too late.
var DefaultBeforeDays = []int{30, 14, 7, 3, 1, 0}

// DefaultReminderPolicy is the policy shipped in config.yaml.
func DefaultReminderPolicy() ReminderPolicy {
	return ReminderPolicy{
		BeforeDays:        append([]int(nil), DefaultBeforeDays...),
		OverdueEveryDays:  1,
		OverdueMax:        5,
		EscalateAfterDays: 3,
		AckAfter:          48 * time.Hour,
		QuietStart:        TimeOfDay{21, 0},
		QuietEnd:          TimeOfDay{8, 0},
		SkipWeekends:      true,
		SlotTime:          TimeOfDay{10, 0},
		CatchupGrace:      6 * time.Hour,
	}
}

// Reminder kinds recorded in ReminderRecord.Kind.
const (
	ReminderBefore   = "before"   // N days before the due date
	ReminderDue      = "due"      // on the due date
	ReminderOverdue  = "overdue"  // after the due date
	ReminderEscalate = "escalate" // overdue ≥ EscalateAfterDays: the backup is told too
	ReminderAck      = "ack"      // broadcast/feedback not acknowledged
	ReminderOffice   = "office"   // the office's own feedback deadline (to the directors)
	// ReminderStopped: the last of the OverdueMax overdue reminders of a
	// (unit, stage) went out and the unit still owes it; the directors are
	// told once (Slot SlotStopped) that its reminders are now weekly.
	ReminderStopped = "stopped"
)

// SlotStopped is the Slot of the one ReminderStopped record of a (unit, stage).
const SlotStopped = "stopped"

// StageAck is the pseudo-stage of acknowledgement reminders in
// ReminderRecord (Slot "ack:<broadcast id>"). It is not a submission stage.
const StageAck Stage = "ack"

// Key is the unique identity of a reminder record: (Year, UnitKey, Stage, Slot).
func (r ReminderRecord) Key() string {
	return fmt.Sprintf("%d|%s|%s|%s", r.Year, r.UnitKey, r.Stage, r.Slot)
}

// SlotName formats a dated slot the way it is stored: "2027-02-22@10:00".
func SlotName(d Date, t TimeOfDay) string { return d.String() + "@" + t.String() }

// ReminderInput is everything PlanReminders needs. It is read from the
// database and the clock by the scheduler; PlanReminders itself is pure.
type ReminderInput struct {
	Calendar  Calendar
	Policy    ReminderPolicy
	Units     []Unit // roster order, with officials and backups
	Directors []Director
	Years     []UnitYear // one per unit (missing = nothing submitted)
	// Broadcasts and Acks (broadcast ID → unit key → ack time) drive the
	// acknowledgement reminders.
	Broadcasts []Broadcast
	Acks       map[int64]map[string]time.Time
	// Problems are the year's rectification items (carry-overs included);
	// each owed item with a date is reminded like a stage deadline.
	Problems []Problem
	// ReportChecks are the saved checks of the units' latest
	// self-assessment reports (by unit key): a report lacking a part is
	// named in the unit's reminders until the due date.
	ReportChecks map[string]SavedReportCheck
	// Recorded are the reminder records already written (sent or missed).
	Recorded []ReminderRecord
	// LastSweep is when a sweep last completed (zero: never). A slot that
	// fell due after it fell due while no sweep ran: the grace rule applies.
	// Before the very first sweep there was no bot to be down: nothing is
	// missed, and what is still owed is reminded once.
	LastSweep time.Time
	Now       time.Time
}

// ReminderWrite is one reminder record with the outbox rows to write in the
// same transaction (Store.RecordReminder). A message that covers several
// records is attached to the first of them only.
type ReminderWrite struct {
	Record ReminderRecord
	Outs   []Outgoing
}

// ReminderItem is one (unit, stage) that a message reminds about.
type ReminderItem struct {
	UnitKey string // "" for the office's feedback deadline
	Stage   Stage
	Kind    string
	DueDate Date
	Days    int // days left (≥0) or overdue (>0 with Overdue)
	Overdue bool
	Catchup bool // sent late after downtime, or several slots collapsed
	Slots   []string
	Pending []string // office item: units still without feedback
	// Broadcast for ack items.
	Broadcast *Broadcast
	// Problem for rectification items (Stage is its ItemStage).
	Problem *Problem
	// Parts for StageReportParts: what the unit's latest report lacks.
	Parts []ReportPart
}

// ReminderPlan is what a sweep must do now.
type ReminderPlan struct {
	// Writes, in order: every due record (with its messages) and then every
	// missed record (the first carries the director's alert).
	Writes []ReminderWrite
	// Messages are all outbox rows of Writes, in order.
	Messages []Outgoing
	// Missed are the records of slots beyond grace (also in Writes).
	Missed []ReminderRecord
	// Items are the (unit, stage) reminders sent now.
	Items []ReminderItem
	// Deferred counts items held back by the one-message-a-day cap.
	Deferred int
}

// slot is one planned reminder instant of one (unit, stage).
type slot struct {
	rec       ReminderRecord
	nominal   time.Time
	effective time.Time
	dueDate   Date
	bc        *Broadcast
	item      *Problem
	parts     []ReportPart
}

// Effective moves a nominal slot instant out of quiet hours and, when
// weekends are skipped, off Saturday and Sunday to the Friday before.
func (p ReminderPolicy) Effective(t time.Time, loc *time.Location) time.Time {
	return p.effectiveFrom(t, time.Time{}, loc)
}

// effectiveFrom is Effective for a slot that must not go out before floor:
// a weekend slot whose Friday would be before floor goes forward to the
// Monday after instead.
func (p ReminderPolicy) effectiveFrom(t, floor time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	if p.SkipWeekends && weekend(t) {
		back := 1
		if t.Weekday() == time.Sunday {
			back = 2
		}
		if fri := p.SlotTime.On(DateOf(t, loc).AddDays(-back), loc); !fri.Before(floor) {
			t = fri
		}
	}
	for range 16 {
		d := DateOf(t, loc)
		if p.SkipWeekends && weekend(t) {
			add := 1
			if t.Weekday() == time.Saturday {
				add = 2
			}
			t = p.SlotTime.On(d.AddDays(add), loc)
			continue
		}
		if end, quiet := p.QuietUntil(t, loc); quiet {
			t = end
			continue
		}
		break
	}
	return t
}

func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// QuietUntil reports whether t falls in quiet hours and, if so, the instant
// they end (in loc). The planner moves slots with it and the relay holds
// queued messages with it: one rule for both.
func (p ReminderPolicy) QuietUntil(t time.Time, loc *time.Location) (time.Time, bool) {
	t = t.In(loc)
	if !p.inQuiet(t) {
		return time.Time{}, false
	}
	d := DateOf(t, loc)
	end := p.QuietEnd.On(d, loc)
	if !end.After(t) {
		end = p.QuietEnd.On(d.AddDays(1), loc)
	}
	return end, true
}

func (p ReminderPolicy) inQuiet(t time.Time) bool {
	s, e := p.QuietStart.minutes(), p.QuietEnd.minutes()
	m := t.Hour()*60 + t.Minute()
	switch {
	case s == e:
		return false
	case s < e:
		return m >= s && m < e
	default:
		return m >= s || m < e
	}
}

// deadlineSlots lists the dated slots of one deadline that fall after the
// stage opened, in time order: BeforeDays, OverdueMax overdue slots, then
// one a week up to until (the sweep's day: later ones are not due yet,
// except a weekend slot moved to the Friday before).
func (p ReminderPolicy) deadlineSlots(c Calendar, d Deadline, unitKey string, office bool, until Date) []slot {
	loc := c.Location
	var out []slot
	seen := map[Date]bool{}
	add := func(day Date, kind string) {
		if seen[day] {
			return
		}
		seen[day] = true
		at := p.SlotTime.On(day, loc)
		if at.Before(d.Opens) {
			return
		}
		// A reminder before the deadline may go out as early as the stage
		// opens; one after it never before the deadline has passed.
		floor := d.Opens
		if kind == ReminderOverdue || kind == ReminderEscalate {
			floor = d.Due
		}
		if office {
			kind = ReminderOffice
		}
		out = append(out, slot{
			rec:       ReminderRecord{Year: c.Year, UnitKey: unitKey, Stage: d.Stage, Slot: SlotName(day, p.SlotTime), Kind: kind},
			nominal:   at,
			effective: p.effectiveFrom(at, floor, loc),
			dueDate:   d.DueDate,
		})
	}
	for _, n := range p.BeforeDays {
		if n < 0 {
			continue
		}
		kind := ReminderBefore
		if n == 0 {
			kind = ReminderDue
		}
		add(d.DueDate.AddDays(-n), kind)
	}
	every := max(p.OverdueEveryDays, 1)
	overdueKind := func(days int) string {
		if p.EscalateAfterDays > 0 && days >= p.EscalateAfterDays {
			return ReminderEscalate
		}
		return ReminderOverdue
	}
	for k := 1; k <= p.OverdueMax; k++ {
		add(d.DueDate.AddDays(k*every), overdueKind(k*every))
	}
	until = until.AddDays(2)
	for days := p.OverdueMax*every + WeeklyAfterMax; !until.Before(d.DueDate.AddDays(days)); days += WeeklyAfterMax {
		add(d.DueDate.AddDays(days), overdueKind(days))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].nominal.Before(out[j].nominal) })
	return out
}

// ackSlot is the one acknowledgement reminder of a broadcast: the first
// slot time at or after SentAt+AckAfter.
func (p ReminderPolicy) ackSlot(c Calendar, b *Broadcast, unitKey string) slot {
	loc := c.Location
	from := b.SentAt.Add(p.AckAfter).In(loc)
	day := DateOf(from, loc)
	at := p.SlotTime.On(day, loc)
	if at.Before(from) {
		day = day.AddDays(1)
		at = p.SlotTime.On(day, loc)
	}
	return slot{
		rec:       ReminderRecord{Year: c.Year, UnitKey: unitKey, Stage: StageAck, Slot: fmt.Sprintf("ack:%d", b.ID), Kind: ReminderAck},
		nominal:   at,
		effective: p.effectiveFrom(at, from, loc),
		bc:        b,
	}
}

// ReminderNumber is a reminder message's reference (Outgoing.Ref):
// TX-20270222-czj-1 (official 1 of czj), TX-20270222-czj-B (its backup),
// TX-20270222-office-1 (director 1). It is data, not text: the outbox row
// keeps it and the relay logs it (reminder_id) with every outcome of the
// row, while the reader sees no code. A duplicate stays recognisable: the
// outbox key (ReminderOutboxKey, one reminder per person per day) keeps a
// second row from being queued, and a row sent twice (its lease expired
// after a send whose MarkSent was lost) logs the same reminder_id and
// outbox id twice; the reader sees the same text twice.
func ReminderNumber(day Date, unitKey, who string) string {
	if unitKey == "" {
		unitKey = "office"
	}
	return fmt.Sprintf("TX-%04d%02d%02d-%s-%s", day.Year, int(day.Month), day.Day, unitKey, who)
}

// ReminderOutboxKey is the outbox key of a person's reminder message of a
// day: at most one reminder message per person per day.
func ReminderOutboxKey(year int, remark string, day Date) string {
	return fmt.Sprintf("reminder:%d:%s:%s", year, remark, day)
}

func reminderOut(c Calendar, remark, text string, now time.Time) Outgoing {
	return Outgoing{
		Key:       ReminderOutboxKey(c.Year, remark, DateOf(now, c.Location)),
		Kind:      "reminder",
		To:        Recipient{Remark: remark},
		Text:      text,
		Status:    OutboxPending,
		NextTry:   now,
		CreatedAt: now,
	}
}

// daysClause is how far a reminder line's date is: overdue by N days,
// today (in the line's own word), or N days left.
func daysClause(it ReminderItem, today string) string {
	switch {
	case it.Overdue:
		// Firmer than the friendly text before the deadline: the lateness
		// is recorded and reported, and the reader is told so.
		return fmt.Sprintf("，已记为逾期%d天，将在年度报告中体现", it.Days)
	case it.Days == 0:
		return "，" + today
	}
	return fmt.Sprintf("，还剩%d天", it.Days)
}

func stageLine(it ReminderItem, c Calendar) string {
	if it.Problem != nil {
		return itemReminderLine(it)
	}
	if it.Stage == StageReportParts {
		return reportPartsLine(it)
	}
	var b strings.Builder
	b.WriteString(it.Stage.Label())
	b.WriteString("：截止日期为")
	b.WriteString(it.DueDate.Chinese())
	b.WriteString(daysClause(it, "今天截止"))
	if it.Stage == StageRectificationPlan {
		fmt.Fprintf(&b, "（收到反馈意见后%d日内报送）", c.RectificationPlanDays)
	}
	b.WriteString("。")
	return b.String()
}

func ackLine(it ReminderItem, loc *time.Location) string {
	b := it.Broadcast
	what := "通知"
	if b.Kind == "feedback" {
		what = "书面反馈意见"
	}
	title := b.OriginalName
	if title == "" {
		r := []rune(strings.TrimSpace(b.Text))
		if len(r) > 20 {
			r = append(r[:20], '…')
		}
		title = string(r)
	}
	if title != "" {
		title = "《" + title + "》"
	}
	return fmt.Sprintf("督导办于%s发给贵单位的%s%s尚未确认收到，请回复“收到”确认。", DateOf(b.SentAt, loc).Chinese(), what, title)
}

func unitMessages(c Calendar, u Unit, items []ReminderItem, now time.Time) []Outgoing {
	day := DateOf(now, c.Location)
	var lines []string
	catchup, needFile, overdueFile, escalate := false, false, false, false
	for _, it := range items {
		catchup = catchup || it.Catchup
		if it.Stage == StageAck {
			lines = append(lines, ackLine(it, c.Location))
			continue
		}
		needFile = needFile || it.Problem == nil
		overdueFile = overdueFile || (it.Problem == nil && it.Overdue)
		escalate = escalate || it.Kind == ReminderEscalate
		lines = append(lines, stageLine(it, c))
	}
	body := func(header, footer string) string {
		var b strings.Builder
		b.WriteString(header)
		b.WriteString("\n")
		for i, l := range lines {
			fmt.Fprintf(&b, "%d. %s\n", i+1, l)
		}
		if footer != "" {
			b.WriteString(footer)
			b.WriteString("\n")
		}
		if catchup {
			b.WriteString("（系统恢复运行后补发）\n")
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	footer := ""
	switch {
	case overdueFile:
		footer = unitOverdueFooter
	case needFile:
		footer = unitFileFooter
	}
	var asserts []Obligation
	for _, it := range items {
		asserts = append(asserts, it.obligation(c.Year, u.Key))
	}
	var outs []Outgoing
	for i, o := range u.Officials {
		if o.WeChatRemark == "" {
			continue
		}
		text := body(fmt.Sprintf("【督导提醒】%s：您好！贵单位以下事项尚未完成：", u.Name), footer)
		out := reminderOut(c, o.WeChatRemark, text, now)
		out.Ref = ReminderNumber(day, u.Key, fmt.Sprint(i+1))
		out.Asserts = asserts
		outs = append(outs, out)
	}
	if escalate && u.Backup != nil && u.Backup.WeChatRemark != "" {
		var esc []string
		var escAsserts []Obligation
		onlyItems := true
		for _, it := range items {
			if it.Kind == ReminderEscalate {
				esc = append(esc, stageLine(it, c))
				escAsserts = append(escAsserts, it.obligation(c.Year, u.Key))
				onlyItems = onlyItems && it.Problem != nil
			}
		}
		lines = esc
		header, footer := "贵单位以下材料已逾期，尚未报送：", "请协助督促尽快报送，直接把文件发给我即可。"
		if onlyItems {
			header, footer = "贵单位以下整改事项已逾期，尚未完成：", "请协助督促尽快完成整改。"
		}
		text := body(fmt.Sprintf("【督导提醒】您是%s的备用联系人。", u.Name)+header, footer)
		out := reminderOut(c, u.Backup.WeChatRemark, text, now)
		out.Ref = ReminderNumber(day, u.Key, "B")
		out.Asserts = escAsserts
		outs = append(outs, out)
	}
	return outs
}

// unitFileFooter closes a unit reminder that asks for a file;
// unitOverdueFooter one that asks for a file already overdue.
const (
	unitFileFooter    = "请尽快报送，直接把文件发给我即可。"
	unitOverdueFooter = "请立即报送，直接把文件发给我即可。"
)

// obligation is what a reminder item asserts about unitKey.
func (it ReminderItem) obligation(year int, unitKey string) Obligation {
	o := Obligation{Year: year, UnitKey: unitKey, Stage: it.Stage}
	if it.Stage == StageAck && it.Broadcast != nil {
		o.Broadcast = it.Broadcast.ID
	}
	return o
}

func unitNames(units map[string]*Unit, keys []string) string {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		if u := units[k]; u != nil {
			names = append(names, u.Name)
		} else {
			names = append(names, k)
		}
	}
	return strings.Join(names, "、")
}

func officeMessages(c Calendar, ds []Director, units map[string]*Unit, items []ReminderItem, now time.Time) []Outgoing {
	day := DateOf(now, c.Location)
	var outs []Outgoing
	for i, d := range ds {
		if d.WeChatRemark == "" {
			continue
		}
		var b strings.Builder
		b.WriteString("【督导提醒】主任您好！督导办的以下事项尚未完成：\n")
		catchup := false
		for j, it := range items {
			catchup = catchup || it.Catchup
			fmt.Fprintf(&b, "%d. %s\n", j+1, stageLine(it, c))
			fmt.Fprintf(&b, "%s（%d个）：%s\n", officePendingPrefix, len(it.Pending), unitNames(units, it.Pending))
		}
		if items[len(items)-1].Overdue {
			b.WriteString("已过期限，请尽快向上述单位送达书面反馈意见。\n")
		} else {
			b.WriteString("请按期向上述单位送达书面反馈意见。\n")
		}
		if catchup {
			b.WriteString("（系统恢复运行后补发）\n")
		}
		out := reminderOut(c, d.WeChatRemark, strings.TrimSuffix(b.String(), "\n"), now)
		out.Ref = ReminderNumber(day, "", fmt.Sprint(i+1))
		// The office owes each pending unit its feedback: one obligation
		// per unit, so the list shrinks as feedback is delivered.
		for _, it := range items {
			for _, k := range it.Pending {
				out.Asserts = append(out.Asserts, Obligation{Year: c.Year, UnitKey: k, Stage: StageFeedback})
			}
		}
		outs = append(outs, out)
	}
	return outs
}

// officePendingPrefix starts the line under an office item naming the
// units still without feedback.
const officePendingPrefix = "   尚未反馈的单位"

func missedAlert(c Calendar, ds []Director, units map[string]*Unit, missed []slot, now time.Time) []Outgoing {
	var b strings.Builder
	fmt.Fprintf(&b, "【系统告警】机器人停机超过补发宽限，以下%d条提醒未能按时发出，已记为错过，不再补发：\n", len(missed))
	for i, s := range missed {
		who := "督导办"
		if u := units[s.rec.UnitKey]; u != nil {
			who = u.Name
		}
		what := s.rec.Stage.Label()
		if s.rec.Stage == StageAck {
			what = "确认收到"
		}
		fmt.Fprintf(&b, "%d. %s %s（%s %s）\n", i+1, who, what, DateOf(s.nominal, c.Location).Chinese(), s.nominal.In(c.Location).Format("15:04"))
	}
	b.WriteString("如有需要，请直接联系上述单位。")
	first := missed[0].rec
	var outs []Outgoing
	for _, d := range ds {
		if d.WeChatRemark == "" {
			continue
		}
		outs = append(outs, Outgoing{
			Key:       fmt.Sprintf("alert:missed:%s:%s", first.Key(), d.WeChatRemark),
			Kind:      "alert",
			To:        Recipient{Remark: d.WeChatRemark},
			Text:      b.String(),
			Status:    OutboxPending,
			NextTry:   now,
			CreatedAt: now,
		})
	}
	return outs
}

// Escalation is a unit overdue long enough that its backup is reminded too.
type Escalation struct {
	UnitKey string
	Stage   Stage
	Days    int // days overdue
}

// Digest is the director's daily summary (pure; the scheduler queues it).
type Digest struct {
	Date        Date
	Counts      []StageCounts
	Overdue     map[string]map[Stage]int // unit → stage → days overdue
	Escalations []Escalation
	// ReportGaps are the units whose latest report lacks a part or names
	// another unit (ReportGaps; the caller sets them): the directors' text
	// lists them.
	ReportGaps []ReportGap
	// ToVerify are the year's files that resemble another unit's
	// (Submission.Resembles; the caller sets them): the directors' text
	// lists those received since the last digest, each unit once.
	ToVerify []Submission
	// Since is when the digest before this one was made (DigestState):
	// what was received after it leads the text. Zero: no changes line.
	Since time.Time
	names map[string]string
	c     Calendar
	p     ReminderPolicy
	years []UnitYear // roster order
	now   time.Time
}

// BuildDigest summarises every unit at now: per-stage counts, who still owes
// what, and the escalated units (overdue ≥ p.EscalateAfterDays).
func BuildDigest(c Calendar, p ReminderPolicy, units []Unit, years []UnitYear, now time.Time) Digest {
	byKey := make(map[string]UnitYear, len(years))
	for _, y := range years {
		byKey[y.UnitKey] = y
	}
	d := Digest{Date: DateOf(now, c.Location), Overdue: map[string]map[Stage]int{}, names: map[string]string{}, c: c, p: p, now: now}
	ordered := make([]UnitYear, 0, len(units))
	for _, u := range units {
		d.names[u.Key] = u.Name
		y, ok := byKey[u.Key]
		if !ok {
			y = UnitYear{UnitKey: u.Key}
		}
		ordered = append(ordered, y)
		for _, st := range UnitStatus(c, y, now) {
			if st.Kind != StatusOverdue {
				continue
			}
			if d.Overdue[u.Key] == nil {
				d.Overdue[u.Key] = map[Stage]int{}
			}
			days := max(st.Days, 1)
			d.Overdue[u.Key][st.Stage] = days
			if st.Stage != StageFeedback && p.EscalateAfterDays > 0 && days >= p.EscalateAfterDays {
				d.Escalations = append(d.Escalations, Escalation{u.Key, st.Stage, days})
			}
		}
	}
	d.Counts = Overview(c, ordered, now)
	d.years = ordered
	return d
}

func (d Digest) name(k string) string {
	if n, ok := d.names[k]; ok {
		return n
	}
	return k
}

// body is the short answer: what was received since the last digest, the
// count lines, then the units that owe, each named once (OwedGroups); the
// director's copy closes with how many of them were escalated, not a
// second list of them.
func (d Digest) body(withEsc bool) string {
	var lines []string
	if ch := ChangesLineWithin(ChangesSince(d.years, d.Since, d.now), d.name, ""); ch != "" {
		lines = append(lines, ch)
	}
	counts := SummaryCounts(d.c, d.years, d.now)
	if len(counts) == 0 {
		return strings.Join(append(lines, "目前没有进行中的事项。"), "\n")
	}
	lines = append(lines, counts...)
	groups := OwedGroups(d.c, d.years, UnitStages, d.now, false)
	// Lines kept for the header, the escalation and the gaps line (which
	// fits itself into the room left), and on the director's copy for the
	// files to verify after them.
	reserve := 3
	if v := d.verifyText(); withEsc && v != "" {
		reserve += PhoneLines(v)
	}
	if len(groups) > 0 {
		text := GroupsText(groups, d.name, PhoneLines(strings.Join(lines, "\n"))+reserve)
		if PhoneLines(strings.Join(lines, "\n")+"\n"+text)+reserve > PhoneLineBudget {
			text = "未交单位较多，请发送“未交”查看名单。"
		}
		lines = append(lines, text)
	}
	if withEsc && len(d.Escalations) > 0 {
		esc := map[string]bool{}
		for _, e := range d.Escalations {
			esc[e.UnitKey] = true
		}
		listed := 0
		for _, g := range groups {
			listed += len(g.Units)
		}
		if len(esc) == listed {
			lines = append(lines, fmt.Sprintf("以上单位均已逾期%d天以上，已同时提醒备用联系人。", d.p.EscalateAfterDays))
		} else {
			lines = append(lines, fmt.Sprintf("其中%d个单位已逾期%d天以上，已同时提醒备用联系人。", len(esc), d.p.EscalateAfterDays))
		}
	}
	return strings.Join(lines, "\n")
}

// DirectorText is the digest sent to each director.
func (d Digest) DirectorText() string {
	text := fmt.Sprintf("【督导日报】%s\n%s", d.Date.Chinese(), d.body(true))
	v := d.verifyText()
	room := PhoneLineBudget - PhoneLines(text)
	if v != "" {
		room -= PhoneLines(v)
	}
	if gaps := d.gapsText(room); gaps != "" {
		text += "\n" + gaps
	}
	if v != "" {
		text += "\n" + v
	}
	return text
}

// Number is the digest's reference (Outgoing.Ref), RB-20270304: kept on its
// outbox rows and logged by the relay (digest_id), never in the text. A
// digest is queued once per recipient per day (its key), so a duplicate is
// a row sent twice, recognisable by the same digest_id in the log.
func (d Digest) Number() string {
	return fmt.Sprintf("RB-%04d%02d%02d", d.Date.Year, int(d.Date.Month), d.Date.Day)
}

// maxGapReasons: up to this many units the digest says what each report
// lacks; more are listed by name only, to stay phone-short.
const maxGapReasons = 5

// gapsText is the digest's line of reports to improve ("" when none),
// within room phone lines: with what each report lacks for a few units,
// names only for more, and the first names with the count (「……等40个」)
// when even the names would not fit. A digest is pushed, not asked for, so
// it carries no file: it stays a phone screen by construction.
func (d Digest) gapsText(room int) string {
	if len(d.ReportGaps) == 0 {
		return ""
	}
	head := fmt.Sprintf("自查自评报告内容待完善（%d个）：", len(d.ReportGaps))
	parts := make([]string, len(d.ReportGaps))
	for i, g := range d.ReportGaps {
		parts[i] = d.name(g.UnitKey)
		if len(d.ReportGaps) <= maxGapReasons {
			parts[i] += "（" + g.Short() + "）"
		}
	}
	if line := head + strings.Join(parts, "、"); PhoneLines(line) <= room {
		return line
	}
	n := len(parts)
	for n > 1 && PhoneLines(head+strings.Join(parts[:n], "、")+fmt.Sprintf("等%d个", len(parts))) > room {
		n--
	}
	return head + strings.Join(parts[:n], "、") + fmt.Sprintf("等%d个", len(parts))
}

// GroupText is the optional group digest: counts and missing units, no
// @-tags and no escalation details.
func (d Digest) GroupText() string {
	return fmt.Sprintf("【督导进度】%s\n%s\n如已报送请忽略；报送方式：直接把文件私聊发给我即可。", d.Date.Chinese(), d.body(false))
}
