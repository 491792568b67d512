package handlers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"dudaobot/rules"
)

// yearView is every unit's year at one instant, for the director's lists.
type yearView struct {
	now   time.Time
	cal   rules.Calendar
	units []rules.UnitYear
}

func (d *director) yearView(ctx context.Context) (yearView, error) {
	cal, err := d.calendar(ctx)
	if err != nil {
		return yearView{}, err
	}
	uys, err := d.store.UnitYears(ctx, d.year)
	if err != nil {
		return yearView{}, fmt.Errorf("handlers: unit years: %w", err)
	}
	return yearView{now: d.clock.Now(), cal: cal, units: uys}, nil
}

func (d *env) unitName(key string) string {
	if u, ok := d.units[key]; ok {
		return u.Name
	}
	return key
}

func stageLabel(s rules.Stage) string {
	if s == rules.StageFeedback {
		return "书面反馈意见（督导办）"
	}
	return s.Label()
}

// overview is 总览: what came since the last digest, the counts per stage,
// the units that owe (each once, when they fit on a phone screen), then the
// board picture. It is bounded by construction, not by replyLong: the
// changes line takes at most rules.MaxChangesLines, the count lines one per
// stage, and the units are listed only when the whole fits (else a pointer
// to 未交 and 逾期, which send the ledger); the board is the picture of it.
func (d *director) overview(ctx context.Context, r *Request) error {
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	lines := []string{fmt.Sprintf("%d年督导评价总览（截至%s，共%d个单位）", d.year, fmtTime(v.now, d.loc), len(v.units))}
	ch, err := d.changesLine(ctx, v, rules.AllStages)
	if err != nil {
		return err
	}
	if ch != "" {
		lines = append(lines, ch)
	}
	counts := rules.SummaryCounts(v.cal, v.units, v.now)
	if len(counts) == 0 {
		lines = append(lines, "目前没有进行中的事项。")
	}
	lines = append(lines, counts...)
	items, err := d.itemsCount(ctx, v.cal)
	if err != nil {
		return err
	}
	if items != "" {
		lines = append(lines, items)
	}
	if groups := rules.OwedGroups(v.cal, v.units, rules.UnitStages, v.now, false); len(groups) > 0 {
		used := rules.PhoneLines(strings.Join(lines, "\n"))
		if text := rules.GroupsText(groups, d.unitName, used); used+rules.PhoneLines(text) <= rules.PhoneLineBudget {
			lines = append(lines, text)
		} else {
			lines = append(lines, "未交名单请发送“未交”，逾期情况请发送“逾期”。")
		}
	}
	if err := d.reply(ctx, r, strings.Join(lines, "\n")); err != nil {
		return err
	}
	d.overviewPictures(ctx, r)
	return nil
}

// resolveUnit turns a typed name into one unit, or a user error that says
// what was wrong: unknown, or which candidates it could mean.
func (d *env) resolveUnit(name string) (rules.Unit, error) {
	m := MatchUnit(d.o.Units, name)
	switch len(m) {
	case 0:
		return rules.Unit{}, d.unknownUnit(name)
	case 1:
		return m[0], nil
	}
	return rules.Unit{}, userErr(ErrBadInput, "“"+clip(name, 20)+"”对应多个单位："+unitNames(m)+"。请写得更具体一些。")
}

// query is 查询 <单位>: the director sees any unit; an official only their
// own, and is refused for any other (no data of it is read). One unit's
// record: its length does not grow with the roster.
func (d *director) query(ctx context.Context, r *Request) error {
	name := strings.Join(r.Args, "")
	if r.ID.Role != rules.RoleDirector {
		own := d.units[r.ID.UnitKey]
		if name != "" {
			m := MatchUnit(d.o.Units, name)
			if len(m) != 1 || m[0].Key != own.Key {
				return userErr(ErrForbidden, "您只能查询本单位（"+own.Name+"）的情况。发送“状态”即可查看。")
			}
		}
		text, err := d.off.unitReport(ctx, own, true)
		if err != nil {
			return err
		}
		return d.reply(ctx, r, text)
	}
	if name == "" {
		return userErr(ErrBadInput, "请在“查询”后写单位名称，如“查询 财政局”。")
	}
	unit, err := d.resolveUnit(name)
	if err != nil {
		return err
	}
	text, err := d.off.unitReport(ctx, unit, true)
	if err != nil {
		return err
	}
	return d.reply(ctx, r, text)
}

// missing is 未交 [阶段]: the units that owe now, each once, grouped by
// what they owe; the office's own feedback in one line of its own (its
// list with 未交 反馈).
func (d *director) missing(ctx context.Context, r *Request) error {
	stages := rules.AllStages
	if arg := strings.Join(r.Args, ""); arg != "" {
		s, ok := parseStage(arg)
		if !ok {
			return userErr(ErrBadInput, "阶段“"+clip(arg, 10)+"”无法识别，可写：自查、反馈、整改方案、整改完成；不写则列出全部阶段。")
		}
		stages = []rules.Stage{s}
	}
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("未交名单（截至%s）", fmtTime(v.now, d.loc))
	if len(stages) == 1 && stages[0] == rules.StageFeedback {
		fb := d.feedbackWaiting(v)
		first, _, _ := strings.Cut(fb, "\n")
		return d.shortOrLedger(ctx, r, []string{head, fb}, []string{head, strings.TrimSuffix(first, "：")})
	}
	groups := rules.OwedGroups(v.cal, v.units, stages, v.now, false)
	owing := 0
	for _, g := range groups {
		owing += len(g.Units)
	}
	lines := []string{head}
	if owing > 0 {
		lines[0] += fmt.Sprintf("：%d个单位", owing)
	}
	ch, err := d.changesLine(ctx, v, stages)
	if err != nil {
		return err
	}
	if ch != "" {
		lines = append(lines, ch)
	}
	summary := slices.Clone(lines)
	if owing == 0 {
		lines = append(lines, "目前没有未交的单位。")
	} else {
		lines = append(lines, rules.GroupsText(groups, d.unitName, rules.PhoneLines(strings.Join(lines, "\n"))))
	}
	if len(stages) > 1 {
		if fb := d.officeFeedbackLine(v); fb != "" {
			lines = append(lines, fb)
			summary = append(summary, fb)
		}
	}
	return d.shortOrLedger(ctx, r, lines, summary)
}

// shortStatus is 「剩3天」, 「今天截止」 or 「已逾期2天」.
func shortStatus(st rules.StageStatus) string {
	switch st.Kind {
	case rules.StatusOpen:
		if st.Days <= 0 {
			return "今天截止"
		}
		return fmt.Sprintf("剩%d天", st.Days)
	case rules.StatusOverdue:
		return fmt.Sprintf("已逾期%d天", max(st.Days, 1))
	case rules.StatusLate:
		return fmt.Sprintf("逾期%d天提交", max(st.Days, 1))
	}
	return st.Kind.Label()
}

// overdue is 逾期: units past a deadline with nothing received (each
// once, grouped by what they owe), then those that submitted late (each
// once, with their late stages), then the office's own feedback when it is
// late.
func (d *director) overdue(ctx context.Context, r *Request) error {
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	groups := rules.OwedGroups(v.cal, v.units, rules.UnitStages, v.now, true)
	over := 0
	for _, g := range groups {
		over += len(g.Units)
	}
	var late []string
	for _, u := range v.units {
		var parts []string
		for _, s := range rules.UnitStages {
			if st := rules.StageStatusOf(v.cal, u, s, v.now); st.Kind == rules.StatusLate {
				parts = append(parts, s.Label()+shortStatus(st))
			}
		}
		if len(parts) > 0 {
			late = append(late, d.unitName(u.UnitKey)+"（"+strings.Join(parts, "、")+"）")
		}
	}
	var fb string
	if line := d.officeFeedbackLine(v); strings.Contains(line, "已逾期") {
		fb = line
	}
	head := fmt.Sprintf("逾期情况（截至%s）", fmtTime(v.now, d.loc))
	if over+len(late) == 0 && fb == "" {
		return d.reply(ctx, r, head+"\n目前没有逾期的单位。")
	}
	var counts []string
	if over > 0 {
		counts = append(counts, fmt.Sprintf("已逾期未交%d个单位", over))
	}
	if len(late) > 0 {
		counts = append(counts, fmt.Sprintf("逾期提交%d个", len(late)))
	}
	lines := []string{head}
	if len(counts) > 0 {
		lines[0] += "：" + strings.Join(counts, "，")
	}
	summary := slices.Clone(lines)
	if over > 0 {
		lines = append(lines, "已逾期未交：")
		lines = append(lines, rules.GroupsText(groups, d.unitName, rules.PhoneLines(strings.Join(lines, "\n"))))
	}
	if len(late) > 0 {
		lines = append(lines, "逾期提交：", strings.Join(late, "、"))
	}
	if fb != "" {
		lines = append(lines, fb)
		summary = append(summary, fb)
	}
	return d.shortOrLedger(ctx, r, lines, summary)
}

// remind is 催办 <单位|全部>: an immediate reminder to the officials of the
// units that owe something, recorded like the scheduler's reminders, and a
// confirmation listing who was reminded.
func (d *director) remind(ctx context.Context, r *Request) error {
	arg := strings.Join(r.Args, "")
	if arg == "" {
		return userErr(ErrBadInput, "请写明催办对象，如“催办 财政局”或“催办 全部”。")
	}
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	var targets []rules.UnitYear
	if arg == "全部" || arg == "所有" || arg == "所有单位" {
		targets = v.units
	} else {
		unit, err := d.resolveUnit(arg)
		if err != nil {
			return err
		}
		for _, u := range v.units {
			if u.UnitKey == unit.Key {
				targets = append(targets, u)
			}
		}
	}
	now := d.clock.Now()
	prefix := msgKey("urge", r)
	var lines, reminded []string
	var rows [][]string // the list as a file's rows, when lines are too long for a phone
	for _, u := range targets {
		var owed []rules.StageStatus
		for _, st := range rules.UnitStatus(v.cal, u, now) {
			if st.Kind.Missing() && st.Stage != rules.StageFeedback {
				owed = append(owed, st)
			}
		}
		if len(owed) == 0 {
			continue
		}
		name := d.unitName(u.UnitKey)
		parts := make([]string, len(owed))
		for i, st := range owed {
			parts[i] = fmt.Sprintf("%s（截止%s，%s）", st.Stage.Label(), st.Deadline.DueDate.Chinese(), shortStatus(st))
		}
		text := fmt.Sprintf("【催办】%s：请尽快报送%s。直接向本机器人发送文件即可，收到后会有回执。如有困难请联系县督导办。",
			name, strings.Join(parts, "、"))
		outs := d.toOfficials(u.UnitKey, "reminder", prefix, text, now)
		// The 催办 asserts what it names; the relay sends it only while all
		// of it is still owed (its one-line text cannot drop an item; what
		// stays owed keeps its scheduled reminders).
		var asserts []rules.Obligation
		for _, st := range owed {
			asserts = append(asserts, rules.Obligation{Year: d.year, UnitKey: u.UnitKey, Stage: st.Stage})
		}
		for i := range outs {
			outs[i].Asserts = asserts
		}
		rec := rules.ReminderRecord{Year: d.year, UnitKey: u.UnitKey, Stage: owed[0].Stage, Slot: "manual:" + prefix, Kind: "manual", At: now}
		if _, err := d.store.RecordReminder(ctx, rec, outs); err != nil {
			return fmt.Errorf("handlers: record reminder unit=%s: %w", u.UnitKey, err)
		}
		var who []string
		for _, o := range outs {
			who = append(who, rules.ContactLabel(d.contacts, o.To.Remark))
		}
		line := "· " + name + "：" + joinLabels(owed)
		if len(who) == 0 {
			line += "（未配置联系人，未能发送）"
		} else {
			line += " → " + strings.Join(who, "、")
		}
		lines = append(lines, line)
		sent := "未配置联系人，未能发送"
		if len(who) > 0 {
			sent = "已发给" + strings.Join(who, "、")
		}
		rows = append(rows, []string{name, joinLabels(owed), sent})
		reminded = append(reminded, u.UnitKey)
	}
	if len(lines) == 0 {
		if len(targets) == 1 {
			return d.reply(ctx, r, d.unitName(targets[0].UnitKey)+"目前没有未交的材料，无需催办。")
		}
		return d.reply(ctx, r, "目前没有未交材料的单位，无需催办。")
	}
	if err := d.audit(ctx, r, "urge", "", "units="+strings.Join(reminded, ",")); err != nil {
		return err
	}
	head := fmt.Sprintf("已向%d个单位发出催办", len(lines))
	return d.replyLong(ctx, r, head+"：\n"+strings.Join(lines, "\n"), []string{head + "：" + stageCounts(rows) + "。"},
		d.listFile(ctx, "催办名单", "各单位的催办事项和联系人见附件。", []string{"单位", "催办事项", "发送情况"}, rows))
}

// stageCounts is how many of the reminded units (rows: unit, what is owed,
// sent) owe each stage: 「自查自评报告26个，整改方案3个」.
func stageCounts(rows [][]string) string {
	var parts []string
	for _, s := range rules.UnitStages {
		n := 0
		for _, row := range rows {
			if strings.Contains(row[1], s.Label()+"（") {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s%d个", s.Label(), n))
		}
	}
	return strings.Join(parts, "，")
}

func joinLabels(sts []rules.StageStatus) string {
	parts := make([]string, len(sts))
	for i, st := range sts {
		parts[i] = st.Stage.Label() + "（" + shortStatus(st) + "）"
	}
	return strings.Join(parts, "、")
}

// inspectionEnd is 督导结束 <日期>: it moves the end of field inspection,
// which starts the office's own feedback deadline. It previews the date
// and the resulting feedback deadline; 确认 registers it.
func (d *director) inspectionEnd(ctx context.Context, r *Request) error {
	if len(r.Args) == 0 {
		return userErr(ErrBadInput, "请写明实地督导结束日期，如“督导结束 4月30日”。")
	}
	date, err := ParseDate(strings.Join(r.Args, ""), d.dateYear(), d.today())
	if err != nil {
		return err
	}
	cal, err := d.calendar(ctx)
	if err != nil {
		return err
	}
	if date.Year != d.year {
		return userErr(ErrBadInput, fmt.Sprintf("督导结束日期%s不在%d年度督导周期内，请核对后重新发送。", date.Chinese(), d.year))
	}
	if date.Before(cal.InspectionStart) {
		return userErr(ErrBadInput, "督导结束日期"+date.Chinese()+"早于实地督导开始日期（"+cal.InspectionStart.Chinese()+"），请核对后重新发送。")
	}
	preview := fmt.Sprintf("即将登记：实地督导于%s结束。督导办须在%d天内，即%s前，向各单位送达书面反馈意见。",
		date.Chinese(), cal.FeedbackDays, date.AddDays(cal.FeedbackDays).Chinese())
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmInspectionEnd, Date: date.String()}, preview)
}

// dateYear is the year a date typed without one means: the cycle's year
// while that is current or ahead (in December the director prepares the
// next cycle), else the calendar year.
func (d *env) dateYear() int {
	return max(d.year, rules.DateOf(d.clock.Now(), d.loc).Year)
}

// setInspectionEnd registers a confirmed 督导结束.
func (d *director) setInspectionEnd(ctx context.Context, r *Request, date rules.Date) error {
	cal, err := d.calendar(ctx)
	if err != nil {
		return err
	}
	if err := d.store.SetInspectionEnd(ctx, d.year, date, r.ID.Remark); err != nil {
		return fmt.Errorf("handlers: set inspection end: %w", err)
	}
	due := date.AddDays(cal.FeedbackDays)
	return d.reply(ctx, r, fmt.Sprintf("已登记：实地督导于%s结束。按规定，督导办应在%d天内，即%s前，向各单位送达书面反馈意见（发送“反馈 单位”并附文件）。",
		date.Chinese(), cal.FeedbackDays, due.Chinese()))
}

// rectificationDue is 整改期限 <单位> <日期>: previewed, set on 确认.
func (d *director) rectificationDue(ctx context.Context, r *Request) error {
	if len(r.Args) < 2 {
		return userErr(ErrBadInput, "请按“整改期限 单位 日期”填写，如“整改期限 财政局 6月30日”。")
	}
	unit, err := d.resolveUnit(r.Args[0])
	if err != nil {
		return err
	}
	date, err := ParseDate(strings.Join(r.Args[1:], ""), d.dateYear(), d.today())
	if err != nil {
		return err
	}
	if date.Before(rules.DateOf(r.At, d.loc)) {
		return userErr(ErrBadInput, "整改期限"+date.Chinese()+"已经过去，请核对后重新发送。")
	}
	preview := fmt.Sprintf("即将设定%s的整改完成期限为%s，并通知该单位联系人。", unit.Name, date.Chinese())
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmRectificationDue, Unit: unit.Key, Date: date.String()}, preview)
}

// setRectificationDue sets a confirmed 整改期限 and tells the unit.
func (d *director) setRectificationDue(ctx context.Context, r *Request, unit rules.Unit, date rules.Date) error {
	if date.Before(rules.DateOf(r.At, d.loc)) {
		return userErr(ErrBadInput, "整改期限"+date.Chinese()+"已经过去，未设定。请核对后重新发送。")
	}
	if err := d.store.SetRectificationDue(ctx, d.year, unit.Key, date, r.ID.Remark); err != nil {
		return fmt.Errorf("handlers: set rectification due unit=%s: %w", unit.Key, err)
	}
	notice := fmt.Sprintf("【整改期限】%s：督导办已设定贵单位整改完成期限为%s。请在此前报送整改完成情况，直接向本机器人发送文件即可。",
		unit.Name, date.Chinese())
	outs := d.toOfficials(unit.Key, "notice", msgKey("due", r), notice, d.clock.Now())
	outs = append(outs, d.replyMsg(r, fmt.Sprintf("已设定%s的整改完成期限为%s，并已通知该单位联系人。", unit.Name, date.Chinese())))
	if err := d.store.Enqueue(ctx, outs...); err != nil {
		return fmt.Errorf("handlers: queue rectification due unit=%s: %w", unit.Key, err)
	}
	return nil
}

// export is 导出: the year's Excel ledger, sent back as a file.
func (d *director) export(ctx context.Context, r *Request) error {
	if d.o.Ledger == nil {
		return userErr(ErrBadInput, "导出功能暂未启用，请联系管理员在电脑上运行 dudaobot export。")
	}
	return d.sendLedger(ctx, r, fmt.Sprintf("%d年督导评价台账已生成（截至%s），请查收附件。", d.year, fmtTime(d.clock.Now(), d.loc)))
}

// sendLedger replies text with the year's ledger attached.
func (d *director) sendLedger(ctx context.Context, r *Request, text string) error {
	name := fmt.Sprintf("%d年督导评价台账.xlsx", d.year)
	blob, err := d.document(ctx, "ledger", "xlsx", func(w io.Writer) error {
		return d.o.Ledger.WriteLedger(ctx, d.year, w)
	})
	if err != nil {
		return err
	}
	msgs := []rules.Outgoing{d.replyMsg(r, text), d.replyMsg(r, "")}
	msgs[1].FilePath, msgs[1].FileName = blob.Path, name
	if err := d.store.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("handlers: queue ledger: %w", err)
	}
	return nil
}
