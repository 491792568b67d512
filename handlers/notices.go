package handlers

import (
	"context"
	"fmt"
	"strings"

	"dudaobot/rules"
)

// notices are what the office sends to the units and what comes back: 反馈
// (a feedback file to one unit), 下发 (a notice to every unit), the file a
// director sends before or after either command, and 未回复.
type notices struct {
	*env
	confirms *confirmations
}

// feedback is 反馈 <单位>: it pairs with a file sent within ten minutes
// before or after, and delivers it to the unit's officials.
func (d *notices) feedback(ctx context.Context, r *Request) error {
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

// askFeedback previews delivering a feedback file to one unit.
func (d *notices) askFeedback(ctx context.Context, r *Request, unit rules.Unit, doc stored) error {
	cal, err := d.calendar(ctx)
	if err != nil {
		return err
	}
	who := d.contactNames(unit.Key)
	if len(who) == 0 {
		who = []string{"未配置联系人"}
	}
	due := rules.RectificationPlanDeadline(cal, r.At).DueDate
	preview := fmt.Sprintf("即将向%s（%s）送达书面反馈意见《%s》。送达后该单位须于%s前报送整改方案。",
		unit.Name, strings.Join(who, "、"), doc.Name, due.Chinese())
	// The checks a person would make before sending: the file's name names
	// another unit, or the unit has not even sent its report.
	if named := rules.UnitsNamedIn(doc.Name, d.o.Units, unit.Key); len(named) > 0 {
		preview = fmt.Sprintf("文件名提到“%s”，确认发给“%s”吗？\n", unitNames(named), unit.Name) + preview
	}
	uy, err := d.store.UnitYear(ctx, d.year, unit.Key)
	if err != nil {
		return fmt.Errorf("handlers: unit year %s: %w", unit.Key, err)
	}
	if uy.Versions[rules.StageSelfAssessment] == 0 {
		preview += "\n提示：" + unit.Name + "尚未报送自查自评报告。"
	}
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmFeedback, Unit: unit.Key, File: &doc}, preview)
}

// deliverFeedback records the confirmed delivery (the unit's plan clock
// starts now), and queues the file, the officials' notice and the
// confirmation in the same transaction.
func (d *notices) deliverFeedback(ctx context.Context, r *Request, unit rules.Unit, doc stored) error {
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
	// The unit's problem list goes with it (RecordFeedback marks it delivered).
	list, sheets, err := d.undeliveredList(ctx, unit, due)
	if err != nil {
		return err
	}
	if list != "" {
		notice = list
	}
	var outs []rules.Outgoing
	for _, p := range d.officials[unit.Key] {
		to := rules.Recipient{Remark: p.WeChatRemark}
		outs = append(outs,
			rules.Outgoing{Kind: "feedback", Key: prefix + ":" + p.WeChatRemark + ":file", To: to, FilePath: doc.Path, FileName: doc.Name, CreatedAt: now},
			rules.Outgoing{Kind: "feedback", Key: prefix + ":" + p.WeChatRemark + ":text", To: to, Text: notice, CreatedAt: now})
		outs = append(outs, filesTo(to, "feedback", prefix+":"+p.WeChatRemark, sheets, now)...)
	}
	who := d.contactNames(unit.Key)
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

// directorFile holds a director's file that no 反馈 or 下发 waited for
// (awaitedFile) for ten minutes, for the command to follow. handled is
// false when the director also answers for a unit: then the file is that
// unit's submission.
func (d *notices) directorFile(ctx context.Context, r *Request, doc stored) (bool, error) {
	if r.ID.UnitKey != "" {
		return false, nil
	}
	if err := d.putState(ctx, heldKey(r.ID.Remark), heldFile{File: doc, At: r.At}); err != nil {
		return true, err
	}
	return true, d.reply(ctx, r, "已收到文件《"+doc.Name+"》。如需作为书面反馈意见送达某单位，请在10分钟内发送“反馈 单位名称”；如需下发给全部单位，请发送“下发”。")
}

// awaitedFile pairs a director's file with the 反馈 or 下发 that waits for
// one; handled is false when none waits.
func (d *notices) awaitedFile(ctx context.Context, r *Request, doc stored) (bool, error) {
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
	return false, nil
}

// broadcast is 下发 [文字]: a preview of the text; a bare 下发 pairs with a
// held file or waits ten minutes for the file or text. 确认 sends.
func (d *notices) broadcast(ctx context.Context, r *Request) error {
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

// broadcastReach counts the units and people a notice goes to.
func (d *notices) broadcastReach() (units, people int) {
	for _, u := range d.o.Units {
		units++
		people += len(d.officials[u.Key])
	}
	return units, people
}

// askBroadcast previews a notice (text or file) to every unit.
func (d *notices) askBroadcast(ctx context.Context, r *Request, text string, doc *stored) error {
	units, people := d.broadcastReach()
	what := "通知：\n“" + clip(strings.TrimSpace(text), 60) + "”"
	if doc != nil {
		what = "文件《" + doc.Name + "》。"
	}
	preview := fmt.Sprintf("即将向%d个单位的%d位联系人下发%s", units, people, what)
	if doc != nil {
		if named := rules.UnitsNamedIn(doc.Name, d.o.Units, ""); len(named) > 0 {
			preview = fmt.Sprintf("文件名提到“%s”，确认下发给全部%d个单位吗？\n", unitNames(named), units) + preview
		}
	}
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmBroadcast, Text: text, File: doc}, preview)
}

// sendBroadcast sends a confirmed notice (text or file) to every unit's
// officials, with the director's confirmation, in one transaction.
func (d *notices) sendBroadcast(ctx context.Context, r *Request, text string, doc *stored) error {
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
func (d *notices) unacknowledged(ctx context.Context, r *Request) error {
	last, err := d.latestNotice(ctx)
	if err != nil {
		return err
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
	rows := make([][]string, len(keys))
	for i, k := range keys {
		names[i] = d.unitName(k)
		rows[i] = []string{names[i], strings.Join(d.contactNames(k), "、")}
	}
	counts := fmt.Sprintf("%s%d个单位中已有%d个回复“收到”，尚有%d个未回复", head, len(d.o.Units), len(d.o.Units)-len(keys), len(keys))
	text := fmt.Sprintf("%s：%s。可发送“催办 单位”提醒。", counts, strings.Join(names, "、"))
	return d.replyLong(ctx, r, text, []string{counts + "。"},
		d.listFile(ctx, "未回复名单", "名单见附件；可发送“催办 单位”提醒。", []string{"单位", "联系人"}, rows))
}

// contactNames are a unit's officials as people know them: by name (the
// remark is the office's internal label, never shown).
func (d *env) contactNames(unitKey string) []string {
	var out []string
	for _, p := range d.officials[unitKey] {
		name := p.Name
		if name == "" {
			name = "联系人"
		}
		out = append(out, name)
	}
	return out
}

// latestNotice is the year's last 下发 (feedback is not a notice), or nil
// when none was sent; 未回复 and the director's greeting both report on it.
func (e *env) latestNotice(ctx context.Context) (*rules.Broadcast, error) {
	bs, err := e.store.Broadcasts(ctx, e.year)
	if err != nil {
		return nil, fmt.Errorf("handlers: broadcasts: %w", err)
	}
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i].Kind == "broadcast" {
			return &bs[i], nil
		}
	}
	return nil, nil
}
