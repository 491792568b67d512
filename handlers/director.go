package handlers

import (
	"bytes"
	"context"
	"fmt"
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

// overview is 总览: counts per stage and the names of the units owing it.
func (d *director) overview(ctx context.Context, r *Request) error {
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d年督导评价总览（截至%s，共%d个单位）", d.year, fmtTime(v.now, d.loc), len(v.units))
	for _, sc := range rules.Overview(v.cal, v.units, v.now) {
		fmt.Fprintf(&b, "\n%s：按时%d，逾期提交%d，未交%d（其中已逾期%d），未开始%d",
			stageLabel(sc.Stage), sc.OnTime, sc.Late, sc.Open+sc.Overdue, sc.Overdue, sc.NotOpen)
		if sc.NotApplicable > 0 {
			fmt.Fprintf(&b, "，不适用%d", sc.NotApplicable)
		}
		if len(sc.Missing) > 0 {
			names := make([]string, len(sc.Missing))
			for i, k := range sc.Missing {
				names[i] = d.unitName(k)
			}
			b.WriteString("\n  未交：" + strings.Join(names, "、"))
		}
	}
	if err := d.reply(ctx, r, b.String()); err != nil {
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
		return rules.Unit{}, userErr(ErrBadInput, "没有找到名为“"+clip(name, 20)+"”的单位，请使用单位全称或常用简称，如“财政局”。")
	case 1:
		return m[0], nil
	}
	return rules.Unit{}, userErr(ErrBadInput, "“"+clip(name, 20)+"”对应多个单位："+unitNames(m)+"。请写得更具体一些。")
}

// query is 查询 <单位>: the director sees any unit; an official only their
// own, and is refused for any other (no data of it is read).
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

// missing is 未交 [阶段]: the units that owe a stage now.
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
	var b strings.Builder
	fmt.Fprintf(&b, "未交名单（截至%s）", fmtTime(v.now, d.loc))
	for _, s := range stages {
		var items []string
		for _, u := range v.units {
			if st := rules.StageStatusOf(v.cal, u, s, v.now); st.Kind.Missing() {
				items = append(items, d.unitName(u.UnitKey)+"（"+shortStatus(st)+"）")
			}
		}
		if len(items) == 0 {
			fmt.Fprintf(&b, "\n%s：无未交单位", stageLabel(s))
			continue
		}
		fmt.Fprintf(&b, "\n%s 未交%d个：%s", stageLabel(s), len(items), strings.Join(items, "、"))
	}
	return d.reply(ctx, r, b.String())
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

// overdue is 逾期: units past a deadline with nothing received, and those
// that submitted late.
func (d *director) overdue(ctx context.Context, r *Request) error {
	v, err := d.yearView(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "逾期情况（截至%s）", fmtTime(v.now, d.loc))
	found := false
	for _, s := range rules.AllStages {
		var over, late []string
		for _, u := range v.units {
			st := rules.StageStatusOf(v.cal, u, s, v.now)
			switch st.Kind {
			case rules.StatusOverdue:
				over = append(over, d.unitName(u.UnitKey)+"（"+shortStatus(st)+"）")
			case rules.StatusLate:
				late = append(late, d.unitName(u.UnitKey)+"（"+shortStatus(st)+"）")
			}
		}
		if len(over) > 0 {
			fmt.Fprintf(&b, "\n%s 已逾期未交%d个：%s", stageLabel(s), len(over), strings.Join(over, "、"))
		}
		if len(late) > 0 {
			fmt.Fprintf(&b, "\n%s 逾期提交%d个：%s", stageLabel(s), len(late), strings.Join(late, "、"))
		}
		found = found || len(over)+len(late) > 0
	}
	if !found {
		b.WriteString("\n目前没有逾期的单位。")
	}
	return d.reply(ctx, r, b.String())
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
			who = append(who, o.To.Remark)
		}
		line := "· " + name + "：" + joinLabels(owed)
		if len(who) == 0 {
			line += "（未配置联系人，未能发送）"
		} else {
			line += " → " + strings.Join(who, "、")
		}
		lines = append(lines, line)
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
	return d.reply(ctx, r, fmt.Sprintf("已向%d个单位发出催办：\n%s", len(lines), strings.Join(lines, "\n")))
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
	date, err := ParseDate(strings.Join(r.Args, ""), d.dateYear())
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

// feedback is 反馈 <单位>: it pairs with a file sent within ten minutes
// before or after, and delivers it to the unit's officials.
func (d *director) feedback(ctx context.Context, r *Request) error {
	if len(r.Args) == 0 {
		return userErr(ErrBadInput, "请写明反馈对象，如“反馈 财政局”，并在10分钟内发送反馈意见文件。")
	}
	unit, err := d.resolveUnit(strings.Join(r.Args, ""))
	if err != nil {
		return err
	}
	if err := d.requireFeedbackApplies(ctx, unit); err != nil {
		return err
	}
	held, ok, err := d.takeHeld(ctx, r)
	if err != nil {
		return err
	}
	if ok {
		return d.askFeedback(ctx, r, unit, held.File)
	}
	if err := d.putState(ctx, awaitKey(r.ID.Remark), awaiting{Kind: "feedback", Unit: unit.Key, At: r.At}); err != nil {
		return err
	}
	return d.reply(ctx, r, "好的，请在10分钟内发送给"+unit.Name+"的书面反馈意见文件。")
}

// deliverFeedback records the confirmed delivery (the unit's plan clock
// starts now), and queues the file, the officials' notice and the
// confirmation in the same transaction.
func (d *director) deliverFeedback(ctx context.Context, r *Request, unit rules.Unit, doc stored) error {
	cal, err := d.calendar(ctx)
	if err != nil {
		return err
	}
	// A re-run of the same 确认 after a crash must not deliver twice.
	bs, err := d.store.Broadcasts(ctx, d.year)
	if err != nil {
		return fmt.Errorf("handlers: broadcasts: %w", err)
	}
	for _, b := range bs {
		if b.Kind == "feedback" && b.UnitKey == unit.Key && b.SentAt.Equal(r.At) {
			return nil
		}
	}
	due := rules.RectificationPlanDeadline(cal, r.At).DueDate
	now := d.clock.Now()
	prefix := msgKey("feedback", r)
	notice := fmt.Sprintf("【书面反馈意见】%s：督导办已向贵单位送达书面反馈意见（文件《%s》）。请根据反馈意见制定整改方案，于%s前报送：直接发送文件，或发送“整改方案 方案全文”。收到请回复“收到”。",
		unit.Name, doc.Name, due.Chinese())
	var outs []rules.Outgoing
	var who []string
	for _, p := range d.officials[unit.Key] {
		to := rules.Recipient{Remark: p.WeChatRemark}
		outs = append(outs,
			rules.Outgoing{Kind: "feedback", Key: prefix + ":" + p.WeChatRemark + ":file", To: to, FilePath: doc.Path, FileName: doc.Name, CreatedAt: now},
			rules.Outgoing{Kind: "feedback", Key: prefix + ":" + p.WeChatRemark + ":text", To: to, Text: notice, CreatedAt: now})
		who = append(who, p.WeChatRemark)
	}
	confirm := fmt.Sprintf("已向%s（%s）送达书面反馈意见《%s》，送达时间%s。该单位须于%s前报送整改方案，逾期机器人会提醒。",
		unit.Name, strings.Join(who, "、"), doc.Name, fmtTime(r.At, d.loc), due.Chinese())
	outs = append(outs, d.replyMsg(r, confirm))
	f := rules.FeedbackDelivery{
		Year: d.year, UnitKey: unit.Key, DeliveredAt: r.At, Director: r.ID.Remark,
		OriginalName: doc.Name, StoredPath: doc.Path, SHA256: doc.SHA256, Size: doc.Size,
	}
	if _, err := d.store.RecordFeedback(ctx, f, outs); err != nil {
		return fmt.Errorf("handlers: record feedback unit=%s: %w", unit.Key, err)
	}
	return nil
}

// directorFile pairs a director's file with a waiting 反馈 or 下发, or holds
// it for ten minutes for the command to follow. handled is false when the
// director also answers for a unit and no command waits: then the file is
// that unit's submission.
func (d *director) directorFile(ctx context.Context, r *Request, doc stored) (bool, error) {
	a, ok, err := d.takeAwaiting(ctx, r)
	if err != nil {
		return true, err
	}
	if ok {
		switch a.Kind {
		case "feedback":
			return true, d.askFeedback(ctx, r, d.units[a.Unit], doc)
		case "broadcast":
			return true, d.askBroadcast(ctx, r, "", &doc)
		}
	}
	if r.ID.UnitKey != "" {
		return false, nil
	}
	if err := d.putState(ctx, heldKey(r.ID.Remark), heldFile{File: doc, At: r.At}); err != nil {
		return true, err
	}
	return true, d.reply(ctx, r, "已收到文件《"+doc.Name+"》。如需作为书面反馈意见送达某单位，请在10分钟内发送“反馈 单位名称”；如需下发给全部单位，请发送“下发”。")
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
	date, err := ParseDate(strings.Join(r.Args[1:], ""), d.dateYear())
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

// broadcast is 下发 [文字]: a preview of the text; a bare 下发 pairs with a
// held file or waits ten minutes for the file or text. 确认 sends.
func (d *director) broadcast(ctx context.Context, r *Request) error {
	if r.Body != "" {
		if isPlaceholder(r.Body) {
			return userErr(ErrBadInput, noticeProblem(r.Body))
		}
		return d.askBroadcast(ctx, r, r.Body, nil)
	}
	held, ok, err := d.takeHeld(ctx, r)
	if err != nil {
		return err
	}
	if ok {
		return d.askBroadcast(ctx, r, "", &held.File)
	}
	if err := d.putState(ctx, awaitKey(r.ID.Remark), awaiting{Kind: "broadcast", At: r.At}); err != nil {
		return err
	}
	return d.reply(ctx, r, "好的，请在10分钟内发送要下发给全部单位的文件或文字。")
}

// sendBroadcast sends a confirmed notice (text or file) to every unit's
// officials, with the director's confirmation, in one transaction.
func (d *director) sendBroadcast(ctx context.Context, r *Request, text string, doc *stored) error {
	// A re-run after a crash must not create a second notice.
	bs, err := d.store.Broadcasts(ctx, d.year)
	if err != nil {
		return fmt.Errorf("handlers: broadcasts: %w", err)
	}
	for _, b := range bs {
		if b.Kind == "broadcast" && b.By == r.ID.Remark && b.SentAt.Equal(r.At) {
			return nil
		}
	}
	now := d.clock.Now()
	prefix := msgKey("broadcast", r)
	notice := "【督导办通知】\n" + text + "\n收到请回复“收到”。"
	b := rules.Broadcast{Year: d.year, Kind: "broadcast", Text: text, SentAt: r.At, By: r.ID.Remark}
	if doc != nil {
		notice = "【督导办通知】督导办下发文件《" + doc.Name + "》，请查阅。收到请回复“收到”。"
		b.OriginalName, b.StoredPath = doc.Name, doc.Path
	}
	var outs []rules.Outgoing
	people := 0
	for _, u := range d.o.Units {
		for _, p := range d.officials[u.Key] {
			to := rules.Recipient{Remark: p.WeChatRemark}
			if doc != nil {
				outs = append(outs, rules.Outgoing{Kind: "broadcast", Key: prefix + ":" + p.WeChatRemark + ":file", To: to,
					FilePath: doc.Path, FileName: doc.Name, CreatedAt: now})
			}
			outs = append(outs, rules.Outgoing{Kind: "broadcast", Key: prefix + ":" + p.WeChatRemark + ":text", To: to, Text: notice, CreatedAt: now})
			people++
		}
	}
	outs = append(outs, d.replyMsg(r, fmt.Sprintf("已向%d个单位的%d位联系人下发通知。各单位回复“收到”后，发送“未回复”可查看尚未确认的单位。",
		len(d.o.Units), people)))
	if _, err := d.store.CreateBroadcast(ctx, b, outs); err != nil {
		return fmt.Errorf("handlers: create broadcast: %w", err)
	}
	return nil
}

// unacknowledged is 未回复: units that have not answered the latest notice
// with 收到.
func (d *director) unacknowledged(ctx context.Context, r *Request) error {
	bs, err := d.store.Broadcasts(ctx, d.year)
	if err != nil {
		return fmt.Errorf("handlers: broadcasts: %w", err)
	}
	var last *rules.Broadcast
	for i := range bs {
		if bs[i].Kind == "broadcast" {
			last = &bs[i]
		}
	}
	if last == nil {
		return d.reply(ctx, r, "今年还没有下发过通知。发送“下发 通知内容”即可向全部单位下发。")
	}
	keys, err := d.store.Unacknowledged(ctx, last.ID)
	if err != nil {
		return fmt.Errorf("handlers: unacknowledged %d: %w", last.ID, err)
	}
	what := "“" + clip(strings.ReplaceAll(last.Text, "\n", " "), 15) + "”"
	if last.OriginalName != "" {
		what = "文件《" + last.OriginalName + "》"
	}
	head := fmt.Sprintf("最近一次下发（%s，%s）：", fmtTime(last.SentAt, d.loc), what)
	if len(keys) == 0 {
		return d.reply(ctx, r, head+"全部单位均已回复“收到”。")
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = d.unitName(k)
	}
	return d.reply(ctx, r, fmt.Sprintf("%s%d个单位中已有%d个回复“收到”，尚有%d个未回复：%s。可发送“催办 单位”提醒。",
		head, len(d.o.Units), len(d.o.Units)-len(keys), len(keys), strings.Join(names, "、")))
}

// export is 导出: the year's Excel ledger, sent back as a file.
func (d *director) export(ctx context.Context, r *Request) error {
	if d.o.Ledger == nil {
		return userErr(ErrBadInput, "导出功能暂未启用，请联系管理员在电脑上运行 dudaobot export。")
	}
	var buf bytes.Buffer
	if err := d.o.Ledger.WriteLedger(ctx, d.year, &buf); err != nil {
		return fmt.Errorf("handlers: write ledger: %w", err)
	}
	name := fmt.Sprintf("%d年督导评价台账.xlsx", d.year)
	blob, err := d.files.PutBytes(ctx, buf.Bytes(), PutOptions{Ext: "xlsx"})
	if err != nil {
		return fmt.Errorf("handlers: store ledger: %w", err)
	}
	text := fmt.Sprintf("%d年督导评价台账已生成（截至%s），请查收附件。", d.year, fmtTime(d.clock.Now(), d.loc))
	msgs := []rules.Outgoing{d.replyMsg(r, text), d.replyMsg(r, "")}
	msgs[1].FilePath, msgs[1].FileName = blob.Path, name
	if err := d.store.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("handlers: queue ledger: %w", err)
	}
	return nil
}
