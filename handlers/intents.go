package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"dudaobot/rules"
)

// The intent layer: what people actually type instead of commands
// (「你好」「怎么交材料」「我们单位交了吗」「好的，收到」) and what it means.
//
// It runs inside the OnUnknown route (Conversations.unknown), not as a
// middleware step before the router, for three reasons: a command with a
// boundary has already won by then, so no phrasing can shadow a command;
// identify, the rate limit and authorise have already run, so the sender's
// role is known and a group message without an @mention never gets here;
// and a pending question (awaited text, 「请回复 1 … / 2 …」) is answered
// first, so an intent never swallows an answer.
//
// Prose is never a command that changes anything: every intent is a
// read-only answer, except intentAck, which records exactly what the person
// clearly means (收到) and nothing else.

// intent is what a phrasing means.
type intent string

const (
	intentNone        intent = ""
	intentGreet       intent = "greet"        // one line and the 3 things that matter today
	intentStatus      intent = "status"       // 状态 (official) / 总览 (director)
	intentHowTo       intent = "howto"        // how and by when to submit, one line
	intentAck         intent = "ack"          // 收到, while a notice is open
	intentNotReceived intent = "not_received" // 没收到通知: which notices are open
	intentThanks      intent = "thanks"       // a short reply
	intentHelp        intent = "help"         // 帮助, asked in words
	intentMissing     intent = "missing"      // director: 未交
	intentOverdue     intent = "overdue"      // director: 逾期
	intentUnacked     intent = "unacked"      // director: 未回复
)

// intentRule maps texts containing one of any (and none of none) to an
// intent, for the roles in who. max bounds the length in runes of a text
// the rule may read (0: any): 收到 in a long message is not an answer.
// question: true means the rule wants a question, false means it refuses
// one, and the rule does not care when it is nil.
type intentRule struct {
	intent   intent
	who      Access
	any      []string
	none     []string
	max      int
	question *bool
}

var (
	yes = ptr(true)
	no  = ptr(false)
)

func ptr(b bool) *bool { return &b }

// intentTable is read top to bottom; the first rule that fits wins. The
// order matters: a question about a notice (没收到) before 收到, a question
// about one's own status (交了吗, 还差什么) before how to submit, 收到
// before thanks and greetings (「已收到，谢谢」 is an acknowledgement).
var intentTable = []intentRule{
	{intent: intentNotReceived, who: Officials, any: []string{"没收到", "未收到", "没有收到", "收不到", "没看到通知", "没有看到通知", "找不到通知"},
		none: []string{"回执", "材料", "文件", "报告"}}, // 「没收到回执」 asks about the unit's own file: 状态
	{intent: intentUnacked, who: Directors, any: []string{"没回复", "未回复", "谁没回", "没有回复", "都收到了吗", "收到了吗", "回复了吗", "确认了吗", "没确认"}},
	{intent: intentMissing, who: Directors, any: []string{"没交", "未交", "还没报", "没有交", "没报", "谁还没", "还差哪", "哪些单位没", "哪几个单位没"}},
	{intent: intentOverdue, who: Directors, any: []string{"逾期", "超期", "过期", "迟交", "晚交"}},
	{intent: intentHelp, who: Members, any: []string{"怎么用", "如何使用", "怎么使用", "有哪些功能", "有什么功能", "能做什么", "能干什么", "使用说明", "有哪些命令", "命令有哪些", "操作说明"}},
	{intent: intentStatus, who: Officials, any: []string{
		"交了吗", "交上了吗", "交了没", "交没交", "有没有交", "报了吗", "报上了吗", "报送了吗", "提交了吗", "收到了吗", "收到没",
		"收到我们", "收到我的", "交成功", "提交成功", "上传成功", "还差什么", "还要交什么", "还需要交", "还差哪", "进度", "情况",
		"状态", "查一下", "查看", "完成了吗", "算按时", "逾期了吗", "回执",
	}},
	{intent: intentStatus, who: Directors, any: []string{
		"情况", "进度", "状态", "交了多少", "几个单位", "多少单位", "多少个单位", "统计", "汇总", "整体", "总体", "交了几个",
	}},
	{intent: intentHowTo, who: Members, any: []string{
		"怎么交", "如何交", "怎么报", "如何报", "怎么提交", "如何提交", "怎么上传", "如何上传", "怎么发", "发到哪", "交到哪",
		"报到哪", "交什么", "报什么", "要交哪些", "交哪些", "需要交", "截止", "什么时候交", "什么时候报", "几号交", "几号前",
		"哪天交", "期限", "最后一天", "报送要求", "材料要求", "什么格式", "啥时候交",
	}},
	{intent: intentAck, who: Members, max: 20, question: no, any: []string{
		"收到", "已收", "已阅", "好的", "知道了", "明白", "了解", "知悉", "遵照执行", "照办", "好滴", "ok", "OK", "嗯嗯",
	}, none: []string{"没收", "未收", "没有收", "收不到", "不收", "不明白", "不了解", "不知道"}},
	{intent: intentThanks, who: Members, max: 20, any: []string{"谢谢", "感谢", "辛苦了", "辛苦", "多谢", "谢了", "麻烦了", "麻烦您"}},
	{intent: intentGreet, who: Members, max: 16, any: []string{
		"你好", "您好", "在吗", "在不在", "在么", "早上好", "上午好", "中午好", "下午好", "晚上好", "早安", "哈喽", "hello",
		"Hello", "老师好", "主任好", "领导好", "打扰了", "打扰一下", "有人吗",
	}},
}

// questionWords mark a text as a question even after the normaliser has
// dropped its question mark.
var questionWords = []string{"吗", "？", "?", "什么", "怎么", "哪", "几", "是否", "有没有", "呢", "啥", "如何", "多少"}

// intentOf reads what a text that is no command means to a person of role.
func intentOf(raw string, role rules.Role) intent {
	text := strings.ReplaceAll(foldWidth(strings.TrimSpace(raw)), " ", "")
	if text == "" {
		return intentNone
	}
	n := utf8.RuneCountInString(text)
	question := slices.ContainsFunc(questionWords, func(w string) bool { return strings.Contains(text, w) })
	access := accessOf(role)
	for _, rule := range intentTable {
		switch {
		case rule.who&access == 0:
		case rule.max > 0 && n > rule.max:
		case rule.question != nil && *rule.question != question:
		case !containsAny(text, rule.any) || containsAny(text, rule.none):
		default:
			return rule.intent
		}
	}
	return intentNone
}

func containsAny(s string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}

// proseIntents are the command words whose prose the intents may answer:
// the read-only ones and 收到. A text that merely starts with a command
// that changes something (「下发，明天开会」「确认一下截止时间」) keeps its
// answer that nothing was done, because its sender may believe it was.
// Prose of 查询, 成绩 and 检查详情 usually names a unit the intents would
// not read, so it keeps its usage answer too.
var proseIntents = map[string]bool{
	"状态": true, "帮助": true, "菜单": true, "总览": true, "未交": true, "逾期": true, "未回复": true, "收到": true,
}

// answerIntent answers a text by its intent; handled is false when the
// text means nothing the table knows.
func (d *Conversations) answerIntent(ctx context.Context, r *Request) (handled bool, err error) {
	if r.In.Kind != rules.MsgText || (r.Prose != "" && !proseIntents[r.Prose]) {
		return false, nil
	}
	in := intentOf(r.Body, r.ID.Role)
	if in == intentNone {
		return false, nil
	}
	// The read-only commands read their arguments; the words of the
	// phrase are none.
	r.Args = nil
	switch in {
	case intentGreet:
		return true, d.greet(ctx, r)
	case intentStatus:
		return true, d.status(ctx, r)
	case intentHowTo:
		return true, d.howTo(ctx, r)
	case intentAck:
		return true, d.ackInWords(ctx, r)
	case intentNotReceived:
		return true, d.notReceived(ctx, r)
	case intentThanks:
		return true, d.env.reply(ctx, r, "不客气，有需要随时发消息。")
	case intentHelp:
		return true, d.help(ctx, r)
	case intentMissing:
		return true, d.dir.missing(ctx, r)
	case intentOverdue:
		return true, d.dir.overdue(ctx, r)
	case intentUnacked:
		return true, d.notices.unacknowledged(ctx, r)
	}
	return false, nil
}

// groupWords answers words @mentioning the bot in a group: 收到 in words
// and thanks, which say nothing about any unit; everything else is asked
// in a private chat, because nothing about a unit is said in a group.
func (d *Conversations) groupWords(ctx context.Context, r *Request) error {
	switch intentOf(r.Body, r.ID.Role) {
	case intentAck:
		if r.ID.Role == rules.RoleOfficial {
			return d.off.ack(ctx, r)
		}
		return d.env.reply(ctx, r, "好的。")
	case intentThanks:
		return d.env.reply(ctx, r, "不客气，有需要随时发消息。")
	}
	return d.env.reply(ctx, r, "为保护各单位信息，请私聊机器人。发送“帮助”查看全部。")
}

// unknownLine is the answer to text nobody could read: one line, never the
// whole menu.
func unknownLine(text string) string {
	if text == "" {
		return "发送“帮助”查看全部。"
	}
	return "没能理解“" + clip(text, 20) + "”。发送“帮助”查看全部。"
}

// openNotices are the notices and feedback addressed to the unit that it
// has not acknowledged yet, oldest first.
func (d *env) openNotices(ctx context.Context, unitKey string) ([]rules.Broadcast, error) {
	bs, err := d.store.Broadcasts(ctx, d.year)
	if err != nil {
		return nil, fmt.Errorf("handlers: broadcasts: %w", err)
	}
	var open []rules.Broadcast
	for _, b := range bs {
		if b.UnitKey != "" && b.UnitKey != unitKey {
			continue
		}
		keys, err := d.store.Unacknowledged(ctx, b.ID)
		if err != nil {
			return nil, fmt.Errorf("handlers: unacknowledged %d: %w", b.ID, err)
		}
		if slices.Contains(keys, unitKey) {
			open = append(open, b)
		}
	}
	return open, nil
}

func (d *official) noticeNames(bs []rules.Broadcast) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = d.noticeName(b)
	}
	return strings.Join(names, "、")
}

// ackInWords is 收到 said in other words (「好的，收到」「已阅」): with a
// notice open it is 收到; with none a short polite line.
func (d *Conversations) ackInWords(ctx context.Context, r *Request) error {
	if r.ID.Role != rules.RoleOfficial {
		return d.env.reply(ctx, r, "好的。")
	}
	open, err := d.env.openNotices(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return d.env.reply(ctx, r, "好的，谢谢。目前没有需要确认的通知。")
	}
	return d.off.ack(ctx, r)
}

// notReceived answers 「没收到通知」: which notices are open, and who to ask.
func (d *Conversations) notReceived(ctx context.Context, r *Request) error {
	open, err := d.env.openNotices(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return d.env.reply(ctx, r, "目前没有待确认的通知。如有疑问，请联系县督导办。")
	}
	return d.env.reply(ctx, r, "目前待确认的通知："+d.off.noticeNames(open)+"。如未看到原文，请联系县督导办重发；看过后回复“收到”。")
}

// nextOwed is the unit's stage that is owed soonest (overdue first), or
// ok false when nothing is owed now.
func nextOwed(sts []rules.StageStatus) (rules.StageStatus, bool) {
	var best rules.StageStatus
	found := false
	for _, st := range sts {
		if st.Stage == rules.StageFeedback || !st.Kind.Missing() || !st.Deadline.Open {
			continue
		}
		if !found || st.Deadline.DueDate.Before(best.Deadline.DueDate) {
			best, found = st, true
		}
	}
	return best, found
}

// monthDay is 3月1日, the short form of a date people say.
func monthDay(d rules.Date) string { return fmt.Sprintf("%d月%d日", int(d.Month), d.Day) }

// dueClause is 「截止3月1日」 or 「已逾期3天（截止3月1日）」.
func dueClause(st rules.StageStatus) string {
	due := "截止" + monthDay(st.Deadline.DueDate)
	switch {
	case st.Kind == rules.StatusOverdue:
		return fmt.Sprintf("已逾期%d天（%s）", max(st.Days, 1), due)
	case st.Days <= 0:
		return "今天" + due
	}
	return fmt.Sprintf("%s，还剩%d天", due, st.Days)
}

// howTo is 「怎么交」: one line with the real next deadline.
func (d *Conversations) howTo(ctx context.Context, r *Request) error {
	if r.ID.Role == rules.RoleDirector {
		cal, err := d.env.calendar(ctx)
		if err != nil {
			return err
		}
		return d.env.reply(ctx, r, "各单位把Word或PDF直接发给机器人即可，自动登记并回执；"+d.nextCalendarDeadline(cal)+"。")
	}
	_, cal, uy, err := d.env.unitNow(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	st, owed := nextOwed(rules.UnitStatus(cal, uy, d.env.clock.Now()))
	switch {
	case owed && st.Kind == rules.StatusOverdue:
		return d.env.reply(ctx, r, "把"+st.Stage.Label()+"的Word或PDF直接发到这里，"+dueClause(st)+"，请尽快报送。")
	case owed:
		return d.env.reply(ctx, r, "把"+st.Stage.Label()+"的Word或PDF直接发到这里，"+dueClause(st)+"。")
	case uy.FeedbackAt.IsZero() && uy.Applies(rules.StageRectificationPlan):
		return d.env.reply(ctx, r, fmt.Sprintf("目前没有待报送的材料。收到书面反馈意见后%d天内，把整改方案的Word或PDF直接发到这里。", cal.RectificationPlanDays))
	}
	return d.env.reply(ctx, r, "目前没有待报送的材料；如需补充，把Word或PDF直接发到这里即可。")
}

// nextCalendarDeadline is the year's next deadline that is still ahead
// (自查自评报告, the office's own feedback), for the director.
func (d *Conversations) nextCalendarDeadline(cal rules.Calendar) string {
	today := d.env.today()
	for _, dl := range []rules.Deadline{rules.SelfAssessmentDeadline(cal), rules.FeedbackDeadline(cal)} {
		if !dl.DueDate.Before(today) {
			return fmt.Sprintf("下一个截止：%s%s（还剩%d天）", stageLabel(dl.Stage), monthDay(dl.DueDate), today.DaysUntil(dl.DueDate))
		}
	}
	return "今年的统一截止日期都已过去"
}

// greet answers a greeting with one line and the three things that matter
// to the person today.
func (d *Conversations) greet(ctx context.Context, r *Request) error {
	if r.ID.Role == rules.RoleDirector {
		return d.greetDirector(ctx, r)
	}
	unit, cal, uy, err := d.env.unitNow(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	sts := rules.UnitStatus(cal, uy, d.env.clock.Now())
	var b strings.Builder
	fmt.Fprintf(&b, "您好，%s的同志。今天（%s）：", unit.Name, monthDay(d.env.today()))
	// 1. What is due next, and by when.
	if st, owed := nextOwed(sts); owed {
		b.WriteString("\n1. " + st.Stage.Label() + dueClause(st) + "，把Word或PDF直接发到这里即可")
	} else {
		b.WriteString("\n1. 目前没有待报送的材料")
	}
	// 2. Open notices.
	open, err := d.env.openNotices(ctx, unit.Key)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		b.WriteString(fmt.Sprintf("\n2. %d份通知待确认（%s），看过请回复“收到”", len(open), d.off.noticeNames(open)))
	} else {
		b.WriteString("\n2. 没有待确认的通知")
	}
	// 3. What the unit has filed.
	var filed []string
	for _, st := range sts {
		if st.Stage != rules.StageFeedback && st.Kind.Submitted() {
			filed = append(filed, st.Stage.Label()+"（"+st.Kind.Label()+"）")
		}
	}
	if len(filed) > 0 {
		b.WriteString("\n3. 已报送：" + strings.Join(filed, "、"))
	} else {
		b.WriteString("\n3. 今年还没有报送材料")
	}
	return d.env.reply(ctx, r, b.String())
}

// greetDirector is the director's greeting: today's counts.
func (d *Conversations) greetDirector(ctx context.Context, r *Request) error {
	v, err := d.dir.yearView(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "主任您好。今天（%s）：", monthDay(d.env.today()))
	// 1. The counts of the stage that is owed now.
	line := "1. 各单位目前都没有待交的材料"
	for _, sc := range rules.Overview(v.cal, v.units, v.now) {
		if sc.Stage == rules.StageFeedback || sc.Open+sc.Overdue == 0 {
			continue
		}
		line = fmt.Sprintf("1. %s：已交%d个，未交%d个", sc.Stage.Label(), sc.OnTime+sc.Late, sc.Open+sc.Overdue)
		if sc.Overdue > 0 {
			line += fmt.Sprintf("（其中已逾期%d个）", sc.Overdue)
		}
		break
	}
	b.WriteString("\n" + line)
	// 2. The latest notice's acknowledgements.
	last, err := d.env.latestNotice(ctx)
	if err != nil {
		return err
	}
	if last == nil {
		b.WriteString("\n2. 今年还没有下发过通知")
	} else {
		keys, err := d.env.store.Unacknowledged(ctx, last.ID)
		if err != nil {
			return fmt.Errorf("handlers: unacknowledged %d: %w", last.ID, err)
		}
		if len(keys) == 0 {
			b.WriteString("\n2. 最近的通知全部单位已回复“收到”")
		} else {
			fmt.Fprintf(&b, "\n2. 最近的通知尚有%d个单位未回复“收到”", len(keys))
		}
	}
	// 3. The next deadline.
	b.WriteString("\n3. " + d.nextCalendarDeadline(v.cal) + "\n发送“总览”查看详情。")
	return d.env.reply(ctx, r, b.String())
}

// choiceAnswer reads an answer to 「请回复 1 … / 2 …」 given in words
// (「是自查报告」「整改」「第一个」); ok is false when it names no offered
// stage, or more than one.
func choiceAnswer(text string, offered []rules.Stage) (rules.Stage, bool) {
	s := strings.ReplaceAll(foldWidth(strings.TrimSpace(text)), " ", "")
	for _, p := range []string{"应该是", "这个是", "这份是", "这是", "属于", "是", "选", "算"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, p := range []string{"吧", "的", "啊", "呀", "。", "了"} {
		s = strings.TrimSuffix(s, p)
	}
	for i, words := range [][]string{{"第一个", "第1个", "第一项", "第一", "一"}, {"第二个", "第2个", "第二项", "第二", "二"}, {"第三个", "第3个", "第三项", "第三", "三"}} {
		if slices.Contains(words, s) && i < len(offered) {
			return offered[i], true
		}
	}
	if st, ok := parseStage(s); ok && slices.Contains(offered, st) {
		return st, true
	}
	// 「整改」 or 「自查」: the one offered stage whose name starts so.
	var hits []rules.Stage
	for _, st := range offered {
		if utf8.RuneCountInString(s) >= 2 && strings.HasPrefix(st.Label(), s) {
			hits = append(hits, st)
		}
	}
	if len(hits) == 1 {
		return hits[0], true
	}
	return "", false
}

// reAsk repeats 「请回复 1 … / 2 …」 after an answer that named no stage.
func reAsk(stages []rules.Stage) string {
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = fmt.Sprintf("%d %s", i+1, s.Label())
	}
	return "没能确定是哪项材料。请回复 " + strings.Join(parts, " / ") + "（也可以回复“自查”或“整改”）。"
}
