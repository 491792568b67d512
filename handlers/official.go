package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dudaobot/rules"
)

// file handles a file or image: a director's file pairs with 反馈/下发; an
// official's file is the evidence a bare 整改完成 N waits for, else a
// submission for their own unit.
func (d *Conversations) file(ctx context.Context, r *Request) error {
	if r.In.File == nil {
		// Re-run by Recover: the download link died with the process.
		name := r.In.Text
		if name == "" {
			name = "文件"
		}
		if filed, err := d.off.filedBeforeCrash(ctx, r, name); err != nil || filed {
			return err // filed: its receipt was queued with the row
		}
		return d.env.reply(ctx, r, fmt.Sprintf("抱歉，您在%s发送的《%s》因系统重启未能登记，请重新发送一次。",
			fmtTime(r.At, d.env.loc), clip(name, 40)))
	}
	wait, evidence, err := d.probs.evidenceWait(ctx, r)
	if err != nil {
		return err
	}
	doc, err := d.recv.receive(ctx, r)
	switch {
	case err != nil && evidence:
		return evidenceRefused(wait, err)
	case err != nil:
		return err
	case evidence: // 整改完成 N waits for it
		return d.probs.evidenceFile(ctx, r, wait, doc)
	}
	if r.ID.Role == rules.RoleDirector {
		// A file the director announced (反馈, 下发) is that, whatever it is.
		if handled, err := d.notices.awaitedFile(ctx, r, doc); handled || err != nil {
			return err
		}
	}
	// A filled template (sheets.go) goes to its handler.
	if handled, err := d.sheetFile(ctx, r, doc); handled || err != nil {
		return err
	}
	switch r.ID.Role {
	case rules.RoleInspector:
		return userErr(ErrForbidden, fmt.Sprintf("《%s》不是评分表，未登记。%s", doc.Name, textInspectorOnly))
	case rules.RoleDirector:
		handled, err := d.notices.directorFile(ctx, r, doc)
		if handled || err != nil || r.ID.UnitKey == "" {
			return err
		}
	}
	return d.off.submitFile(ctx, r, doc)
}

// filedBeforeCrash reports whether a recovered file message was filed
// before the process died: the submission row (and its receipt, queued in
// the same transaction) committed, the inbox row not yet marked handled.
// Asking for that file again would contradict the receipt.
func (d *official) filedBeforeCrash(ctx context.Context, r *Request, name string) (bool, error) {
	if r.ID.UnitKey == "" {
		return false, nil
	}
	subs, err := d.store.Submissions(ctx, d.year, r.ID.UnitKey)
	if err != nil {
		return false, fmt.Errorf("handlers: submissions %s: %w", r.ID.UnitKey, err)
	}
	clean, _ := d.files.Name(name)
	return slices.ContainsFunc(subs, func(s rules.Submission) bool {
		return s.Official == r.ID.Remark && s.OriginalName == clean && s.ReceivedAt.Equal(r.At)
	}), nil
}

// submitFile files an official's document under the stage the calendar
// says is due; with two possible stages it asks and keeps the file as
// supporting material until the answer.
func (d *official) submitFile(ctx context.Context, r *Request, doc stored) error {
	unit, cal, uy, err := d.unitNow(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	cands := rules.SubmissionCandidates(cal, uy, r.At)
	// Offer the stages in cycle order, as people think of them.
	slices.SortFunc(cands, func(a, b rules.Stage) int {
		return slices.Index(rules.UnitStages, a) - slices.Index(rules.UnitStages, b)
	})
	sub := rules.Submission{
		Year: d.year, UnitKey: unit.Key, Official: r.ID.Remark, OriginalName: doc.Name,
		StoredPath: doc.Path, Size: doc.Size, SHA256: doc.SHA256, ReceivedAt: r.At,
	}
	if sub.Resembles, err = d.resemblance(ctx, unit, doc.Name, doc.SHA256, 0); err != nil {
		return err
	}
	note := d.wrongUnitNote(unit, sub.Resembles)
	switch len(cands) {
	case 0:
		sub.Stage, sub.OnTime = rules.StageSupporting, true
		_, err = d.store.AddSubmission(ctx, sub, r.ID.Remark, func(saved rules.Submission) []rules.Outgoing {
			return []rules.Outgoing{withNote(d.receipt(r, unit, saved, cal, uy), note)}
		})
	case 1:
		sub.Stage = cands[0]
		sub.OnTime = rules.OnTime(rules.DeadlineFor(cal, uy, sub.Stage), r.At)
		var check *pendingCheck
		if sub.Stage == rules.StageSelfAssessment {
			check = d.checks.startReportCheck(ctx, unit, doc)
		}
		inReceipt := check.wait(d.o.ReportCheckBudget)
		var saved rules.Submission
		saved, err = d.store.AddSubmission(ctx, sub, r.ID.Remark, func(saved rules.Submission) []rules.Outgoing {
			out := d.receipt(r, unit, saved, cal, uy)
			if inReceipt {
				out.Text += "\n" + check.check.Line()
			}
			return []rules.Outgoing{withNote(out, note)}
		})
		if err == nil {
			d.checks.finishReportCheck(ctx, r, check, inReceipt, saved)
		}
	default:
		sub.Stage, sub.OnTime = rules.StageSupporting, true
		var saved rules.Submission
		saved, err = d.store.AddSubmission(ctx, sub, r.ID.Remark, func(rules.Submission) []rules.Outgoing {
			return []rules.Outgoing{d.replyMsg(r, choiceText(cands))}
		})
		if err == nil {
			err = d.putState(ctx, choiceKey(r.ID.Remark), pendingChoice{SubmissionID: saved.ID, Stages: cands, At: r.At})
		}
	}
	if err != nil {
		return fmt.Errorf("handlers: submit file unit=%s: %w", unit.Key, err)
	}
	return nil
}

// receipt is the message that tells an official their document is on disk
// and in the database; it is queued in the same transaction as the row.
func (d *official) receipt(r *Request, unit rules.Unit, s rules.Submission, cal rules.Calendar, uy rules.UnitYear) rules.Outgoing {
	var b strings.Builder
	fmt.Fprintf(&b, "【回执】回执号 R-%d\n", s.ID)
	fmt.Fprintf(&b, "单位：%s\n", unit.Name)
	if s.Stage == rules.StageSupporting {
		b.WriteString("材料：补充材料\n")
	} else {
		fmt.Fprintf(&b, "材料：%s（第%d版）\n", s.Stage.Label(), s.Version)
	}
	if s.IsText {
		fmt.Fprintf(&b, "内容：文字，共%d字\n", utf8.RuneCountInString(strings.TrimSpace(r.Body)))
	} else {
		fmt.Fprintf(&b, "文件：%s（%s）\n", s.OriginalName, fmtSize(s.Size))
	}
	fmt.Fprintf(&b, "收到时间：%s\n", fmtTime(s.ReceivedAt, d.loc))
	if s.Stage == rules.StageSupporting {
		b.WriteString("说明：已作为补充材料保存，不计入各阶段的报送。")
	} else {
		dl := rules.DeadlineFor(cal, uy, s.Stage)
		// Lateness is judged on version 1: a later version says so.
		judged, first := s.ReceivedAt, uy.FirstSubmitted[s.Stage]
		prefix := "结果："
		if s.Version >= 2 && !first.IsZero() {
			judged = first
			prefix = "结果：新版本已登记；本阶段以第1版（" + fmtTime(first, d.loc) + "收到）计，"
		}
		switch {
		case !dl.Open:
			b.WriteString(prefix + "已收到")
		case rules.OnTime(dl, judged):
			fmt.Fprintf(&b, "%s按时（截止%s）", prefix, dl.DueDate.Chinese())
		default:
			late := max(dl.DueDate.DaysUntil(rules.DateOf(judged, d.loc)), 1)
			fmt.Fprintf(&b, "%s逾期%d天（截止%s）", prefix, late, dl.DueDate.Chinese())
		}
		if s.Version >= 2 && !s.IsText {
			// Filed as a new version by the calendar; the sender may know better.
			b.WriteString("\n如这份文件是补充材料而非新版本，请在10分钟内回复“补充材料”。")
		}
	}
	return rules.Outgoing{
		Kind: "receipt", Key: fmt.Sprintf("receipt:%d", s.ID), To: d.replyTo(r),
		Text: b.String(), CreatedAt: d.clock.Now(),
	}
}

// choose files the pending supporting document under the stage the
// official picked: 「1」「2」「3」 (or the stage's name, see unknown).
func (d *Conversations) choose(ctx context.Context, r *Request) error {
	var pc pendingChoice
	ok := false
	if r.ID.UnitKey != "" { // a director's 「1」 answers no file question
		var err error
		if ok, err = d.env.getState(ctx, choiceKey(r.ID.Remark), &pc); err != nil {
			return err
		}
	}
	if !ok {
		if ran, err := d.runGuess(ctx, r); ran || err != nil {
			return err
		}
		return d.env.reply(ctx, r, "目前没有等待您回复数字的问题。发送“帮助”查看全部。")
	}
	n := int(r.Word[0] - '0')
	if n < 1 || n > len(pc.Stages) {
		return userErr(ErrBadInput, choiceText(pc.Stages))
	}
	return d.off.refile(ctx, r, pc, pc.Stages[n-1])
}

func (d *official) refile(ctx context.Context, r *Request, pc pendingChoice, stage rules.Stage) error {
	unit, cal, uy, err := d.unitNow(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	onTime := rules.OnTime(rules.DeadlineFor(cal, uy, stage), pc.At) // judged on when the file came
	note, err := d.refiledNote(ctx, unit, pc.SubmissionID)
	if err != nil {
		return err
	}
	_, err = d.store.RefileSubmission(ctx, pc.SubmissionID, stage, onTime, r.ID.Remark, func(saved rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{withNote(d.receipt(r, unit, saved, cal, uy), note)}
	})
	if err != nil {
		return fmt.Errorf("handlers: refile %d: %w", pc.SubmissionID, err)
	}
	return d.deleteState(ctx, choiceKey(r.ID.Remark))
}

// textPlan previews 「整改方案 文字」 as a text plan once it looks like one;
// a bare 「整改方案」 waits for the text (or answers a pending 1/2
// question).
func (d *official) textPlan(ctx context.Context, r *Request) error {
	if r.Body != "" {
		if err := d.planOpen(ctx, r); err != nil {
			return err
		}
		if msg := planProblem(r.Body); msg != "" {
			return userErr(ErrBadInput, msg)
		}
		return d.askPlan(ctx, r, r.Body)
	}
	var pc pendingChoice
	ok, err := d.getState(ctx, choiceKey(r.ID.Remark), &pc)
	if err != nil {
		return err
	}
	if ok && slices.Contains(pc.Stages, rules.StageRectificationPlan) {
		return d.refile(ctx, r, pc, rules.StageRectificationPlan)
	}
	if err := d.planOpen(ctx, r); err != nil {
		return err
	}
	if err := d.putState(ctx, awaitKey(r.ID.Remark), awaiting{Kind: "plan", At: r.At}); err != nil {
		return err
	}
	return d.reply(ctx, r, "好的，请在10分钟内直接发送整改方案全文（不少于50字，发送后回复“确认”）；也可以直接发送整改方案文件。")
}

// planOpen refuses a plan before the unit's feedback was delivered.
func (d *official) planOpen(ctx context.Context, r *Request) error {
	uy, err := d.store.UnitYear(ctx, d.year, r.ID.UnitKey)
	if err != nil {
		return fmt.Errorf("handlers: unit year %s: %w", r.ID.UnitKey, err)
	}
	if uy.FeedbackAt.IsZero() {
		return userErr(ErrBadInput, "贵单位尚未收到督导办的书面反馈意见，暂不需要报送整改方案。收到反馈意见后请在7天内报送。")
	}
	return nil
}

// storeTextPlan keeps a confirmed plan typed in chat as a document
// version, exactly like a file: stored as UTF-8 text, then the row with its
// receipt. at is when the plan's text arrived; lateness is judged on it.
func (d *official) storeTextPlan(ctx context.Context, r *Request, text string, at time.Time) error {
	if err := d.planOpen(ctx, r); err != nil {
		return err
	}
	unit := d.units[r.ID.UnitKey]
	blob, err := d.files.PutBytes(ctx, []byte(text), PutOptions{Ext: "txt"})
	if err != nil {
		return fmt.Errorf("handlers: store text plan unit=%s: %w", unit.Key, err)
	}
	_, cal, uy, err := d.unitNow(ctx, unit.Key)
	if err != nil {
		return err
	}
	// A re-run after a crash must not add a second version.
	subs, err := d.store.Submissions(ctx, d.year, unit.Key)
	if err != nil {
		return fmt.Errorf("handlers: submissions %s: %w", unit.Key, err)
	}
	for _, s := range subs {
		if s.IsText && s.SHA256 == blob.SHA256 && s.ReceivedAt.Equal(at) {
			return nil
		}
	}
	sub := rules.Submission{
		Year: d.year, UnitKey: unit.Key, Stage: rules.StageRectificationPlan, Official: r.ID.Remark,
		OriginalName: "整改方案（文字）.txt", StoredPath: blob.Path, Size: blob.Size, SHA256: blob.SHA256,
		ReceivedAt: at, IsText: true,
	}
	sub.OnTime = rules.OnTime(rules.DeadlineFor(cal, uy, sub.Stage), at)
	saved := r.Body
	r.Body = text
	defer func() { r.Body = saved }()
	if _, err := d.store.AddSubmission(ctx, sub, r.ID.Remark, func(s rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{d.receipt(r, unit, s, cal, uy)}
	}); err != nil {
		return fmt.Errorf("handlers: add text plan unit=%s: %w", unit.Key, err)
	}
	return nil
}

// status is 状态: an official's own unit, or the director's overview.
func (d *Conversations) status(ctx context.Context, r *Request) error {
	if r.ID.Role == rules.RoleDirector {
		return d.dir.overview(ctx, r)
	}
	text, err := d.off.unitReport(ctx, d.env.units[r.ID.UnitKey], false)
	if err != nil {
		return err
	}
	return d.env.reply(ctx, r, text)
}

// unitReport describes one unit's year: each stage's deadline and status,
// what is still owed and (full) every version received.
func (d *official) unitReport(ctx context.Context, unit rules.Unit, full bool) (string, error) {
	_, cal, uy, err := d.unitNow(ctx, unit.Key)
	if err != nil {
		return "", err
	}
	now := d.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d年督导评价情况（截至%s）\n", unit.Name, d.year, fmtTime(now, d.loc))
	var owed []string
	applies := 0
	for i, st := range rules.UnitStatus(cal, uy, now) {
		fmt.Fprintf(&b, "%d. %s\n", i+1, statusLine(st, cal))
		if st.Kind != rules.StatusNotApplicable {
			applies++
		}
		if st.Kind.Missing() && st.Stage != rules.StageFeedback {
			owed = append(owed, st.Stage.Label()+"（截止"+st.Deadline.DueDate.Chinese()+"）")
		}
	}
	if full {
		subs, err := d.store.Submissions(ctx, d.year, unit.Key)
		if err != nil {
			return "", fmt.Errorf("handlers: submissions %s: %w", unit.Key, err)
		}
		if len(subs) > 0 {
			b.WriteString("已收材料：\n")
			for _, s := range subs {
				ver := ""
				if s.Stage != rules.StageSupporting {
					ver = fmt.Sprintf("第%d版", s.Version)
				}
				fmt.Fprintf(&b, "· %s%s：%s，%s，R-%d，%s\n", s.Stage.Label(), ver, s.OriginalName,
					fmtTime(s.ReceivedAt, d.loc), s.ID, short12(s.SHA256))
			}
		}
		sc, ok, err := d.checks.latestReportCheck(ctx, unit.Key)
		if err != nil {
			return "", err
		}
		if ok {
			fmt.Fprintf(&b, "自查报告（第%d版）%s\n", sc.Version, sc.Check.Line())
		}
	}
	items, err := d.unitItems(ctx, unit.Key, cal, full)
	if err != nil {
		return "", err
	}
	if items != "" {
		b.WriteString(items + "\n")
	}
	switch {
	case applies == 0:
		b.WriteString("本单位不参加本年度督导评价，无需报送材料。")
	case len(owed) == 0:
		b.WriteString("目前没有待报送的材料。")
	default:
		b.WriteString("尚需报送：" + strings.Join(owed, "、") + "。")
	}
	return b.String(), nil
}

// ack is 收到: the official confirms every notice and feedback of the
// unit not yet confirmed, and the reply names them.
func (d *official) ack(ctx context.Context, r *Request) error {
	bs, err := d.store.Broadcasts(ctx, d.year)
	if err != nil {
		return fmt.Errorf("handlers: broadcasts: %w", err)
	}
	addressed := slices.ContainsFunc(bs, func(b rules.Broadcast) bool {
		return b.UnitKey == "" || b.UnitKey == r.ID.UnitKey
	})
	if !addressed {
		return d.reply(ctx, r, "目前没有需要确认的通知，谢谢。")
	}
	acked, err := d.store.AcknowledgeOpen(ctx, d.year, r.ID.UnitKey, r.ID.Remark, r.At)
	if err != nil {
		return fmt.Errorf("handlers: acknowledge unit=%s: %w", r.ID.UnitKey, err)
	}
	unit := d.units[r.ID.UnitKey].Name
	if len(acked) == 0 {
		return d.reply(ctx, r, unit+"已确认过全部通知，目前没有新的需要确认的通知。谢谢！")
	}
	names := make([]string, len(acked))
	for i, b := range acked {
		names[i] = d.noticeName(b)
	}
	return d.reply(ctx, r, "已登记"+unit+"确认收到："+strings.Join(names, "、")+"。谢谢！")
}

// noticeName names a notice for people: 「1月10日通知」,
// 「1月10日文件《细则.pdf》」 or 「书面反馈意见」.
func (d *official) noticeName(b rules.Broadcast) string {
	t := b.SentAt.In(d.loc)
	switch {
	case b.Kind == "feedback":
		return "书面反馈意见"
	case b.OriginalName != "":
		return fmt.Sprintf("%d月%d日文件《%s》", int(t.Month()), t.Day(), b.OriginalName)
	}
	return fmt.Sprintf("%d月%d日通知", int(t.Month()), t.Day())
}

// help answers with the commands of the sender's role.
func (d *Conversations) help(ctx context.Context, r *Request) error {
	return d.env.reply(ctx, r, d.helpText(r))
}

func (d *Conversations) helpText(r *Request) string {
	switch r.ID.Role {
	case rules.RoleDirector:
		return helpDirector
	case rules.RoleInspector:
		return helpInspector
	}
	return fmt.Sprintf(helpOfficial, d.env.units[r.ID.UnitKey].Name)
}

// unknown handles text that is no command: the text a bare 整改方案 or 下发
// waits for, a stage named in answer to 1/2, or else the help.
func (d *Conversations) unknown(ctx context.Context, r *Request) error {
	if r.In.Group != "" {
		return d.groupWords(ctx, r)
	}
	if r.In.Kind == rules.MsgText && r.Body != "" {
		a, ok, err := d.env.takeAwaiting(ctx, r)
		if err != nil {
			return err
		}
		if ok {
			// The awaited text counts only if it passes the command's own
			// checks; otherwise the wait goes on for the real text.
			switch {
			case a.Kind == "plan" && r.ID.Role == rules.RoleOfficial:
				if msg := planProblem(r.Body); msg != "" {
					return d.env.keepAwaiting(ctx, r, a, msg)
				}
				if err := d.off.planOpen(ctx, r); err != nil {
					return err
				}
				return d.off.askPlan(ctx, r, r.Body)
			case a.Kind == awaitEvidence && r.ID.Role == rules.RoleOfficial:
				return d.probs.evidenceText(ctx, r, a)
			case a.Kind == "broadcast" && r.ID.Role == rules.RoleDirector:
				if msg := noticeProblem(r.Body); msg != "" {
					return d.env.keepAwaiting(ctx, r, a, msg)
				}
				return d.notices.askBroadcast(ctx, r, r.Body, nil)
			}
		}
		if r.ID.Role == rules.RoleOfficial {
			var pc pendingChoice
			ok, err := d.env.getState(ctx, choiceKey(r.ID.Remark), &pc)
			if err != nil {
				return err
			}
			if ok {
				if s, found := choiceAnswer(r.Body, pc.Stages); found {
					return d.off.refile(ctx, r, pc, s)
				}
				// An unclear answer asks again, unless it is a question of
				// its own (「怎么交」). 「好的」 here answers the question,
				// so it is not taken as 收到 of a notice.
				if intentOf(r.Body, r.ID.Role) != intentAck {
					if handled, err := d.answerIntent(ctx, r); handled || err != nil {
						return err
					}
				}
				return d.env.reply(ctx, r, reAsk(pc.Stages))
			}
		}
	}
	if handled, err := d.answerIntent(ctx, r); handled || err != nil {
		return err
	}
	if r.Prose != "" {
		if asked, err := d.proseGuess(ctx, r); asked || err != nil {
			return err
		}
		return d.env.reply(ctx, r, proseGuidance(r.Prose))
	}
	return d.env.reply(ctx, r, unknownLine(r.Text))
}

// keepAwaiting puts a pending command back after a text that failed its
// checks, and answers with what was wrong.
func (d *env) keepAwaiting(ctx context.Context, r *Request, a awaiting, msg string) error {
	if err := d.putState(ctx, awaitKey(r.ID.Remark), a); err != nil {
		return err
	}
	return d.reply(ctx, r, msg)
}

// unsupported answers voice, video, stickers and the like.
func (d *Conversations) unsupported(ctx context.Context, r *Request) error {
	return d.env.reply(ctx, r, textUnsupported)
}

// parseStage reads a stage name as people type it.
func parseStage(s string) (rules.Stage, bool) {
	s = strings.ReplaceAll(s, " ", "")
	switch s {
	case "自查", "自评", "自查自评", "自查自评报告", "自评报告", "自查报告":
		return rules.StageSelfAssessment, true
	case "反馈", "反馈意见", "书面反馈", "书面反馈意见":
		return rules.StageFeedback, true
	case "整改方案", "方案":
		return rules.StageRectificationPlan, true
	case "整改完成", "完成", "整改完成情况", "整改报告":
		return rules.StageRectificationDone, true
	}
	return "", false
}
