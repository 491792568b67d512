package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"dudaobot/rules"
)

// ProblemStore keeps the problem lists and their rectification items
// (rules/problems.go); *storage.Store implements it. Every change commits
// with its audit row and the messages outs builds, in one transaction.
type ProblemStore interface {
	AddProblems(ctx context.Context, l rules.ProblemList, outs func([]rules.Problem) []rules.Outgoing) ([]rules.Problem, error)
	Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error)
	Problem(ctx context.Context, code string) (rules.Problem, error)
	// ProblemCounts is rules.CountProblems of the year's view at today,
	// without loading the items (总览).
	ProblemCounts(ctx context.Context, year int, today rules.Date) (rules.ProblemCounts, error)
	SaveProblemPlan(ctx context.Context, ps rules.PlanSave, outs func(rules.PlanSaved) []rules.Outgoing) (rules.PlanSaved, error)
	AddProblemEvent(ctx context.Context, code string, e rules.ProblemEvent, outs func(rules.Problem) []rules.Outgoing) (rules.Problem, error)
}

// ProblemLedger writes the 整改台账 workbook (export.Ledger implements it).
type ProblemLedger interface {
	WriteProblemLedger(ctx context.Context, year int, w io.Writer) error
}

// problems is the problem-list and rectification-item commands: the
// director's 问题清单, 销号, 退回, 延期, 整改逾期, 整改台账 and the unit's
// 整改措施 and 整改完成.
type problems struct {
	*env
	confirms *confirmations
	off      *official // the sender's last file, for 整改完成's evidence
}

// enabled refuses every problem command when no store is wired.
func (d *problems) enabled() error {
	if d.o.Problems == nil {
		return userErr(ErrBadInput, "问题清单功能暂未启用，请联系管理员。")
	}
	return nil
}

// askList is 问题清单 <单位> followed by numbered lines: parsed, shown
// back, stored only after 确认.
func (d *problems) askList(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	first, rest, _ := strings.Cut(strings.TrimSpace(r.Body), "\n")
	name, inline, _ := strings.Cut(strings.TrimSpace(first), " ")
	if name == "" {
		return userErr(ErrBadInput, "请写明单位并逐行列出问题，如：\n问题清单 财政\n1. ……\n2. ……")
	}
	unit, err := d.resolveUnit(name)
	if err != nil {
		return err
	}
	return d.previewList(ctx, r, unit, strings.TrimSpace(inline+"\n"+rest))
}

// previewList parses a unit's list (text lines) and shows it back for 确认.
func (d *problems) previewList(ctx context.Context, r *Request, unit rules.Unit, text string) error {
	lines, err := rules.ParseProblemListOn(text, d.year, d.today())
	if err != nil {
		return listRefused(err, "问题清单未登记，请改正后重新发送。")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "即将登记%s%d年问题清单，共%d项：", unit.Name, d.year, len(lines))
	for _, l := range lines {
		fmt.Fprintf(&b, "\n%s %s", rules.ProblemID(unit.ShortName(), d.year, l.Seq), clip(l.Text, 40))
		if l.Indicator != "" {
			b.WriteString("（指标" + l.Indicator + "）")
		}
	}
	b.WriteString("\n送达书面反馈意见（“反馈 " + unit.ShortName() + "”）时一并送达。")
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmProblems, Unit: unit.Key, Text: text}, b.String())
}

// listRefused turns a rules.ItemErrors into the sender's message.
func listRefused(err error, tail string) error {
	var es rules.ItemErrors
	if errors.As(err, &es) {
		return userErr(ErrBadInput, es.Chinese()+"\n"+tail)
	}
	return err
}

// storeList stores a confirmed problem list. A unit whose feedback was
// already delivered gets the list now, in the same transaction.
func (d *problems) storeList(ctx context.Context, r *Request, unit rules.Unit, text string) error {
	lines, err := rules.ParseProblemListOn(text, d.year, d.today())
	if err != nil {
		return listRefused(err, "问题清单未登记，请改正后重新发送。")
	}
	uy, err := d.store.UnitYear(ctx, d.year, unit.Key)
	if err != nil {
		return fmt.Errorf("handlers: unit year %s: %w", unit.Key, err)
	}
	l := rules.ProblemList{Year: d.year, UnitKey: unit.Key, Short: unit.ShortName(), Items: lines, By: r.ID.Name, At: r.At}
	var notice string
	var files []stored
	if !uy.FeedbackAt.IsZero() {
		// The feedback is delivered: the list (and its workbooks) go now.
		l.DeliveredAt = r.At
		ps := make([]rules.Problem, len(lines))
		for i, pl := range lines {
			ps[i] = rules.Problem{Seq: pl.Seq, Text: pl.Text, Indicator: pl.Indicator, SuggestedDue: pl.SuggestedDue}
		}
		if notice, files, err = d.listForUnit(ctx, unit, ps, "【问题清单】"+unit.Name+"问题清单", rules.Date{}); err != nil {
			return err
		}
	}
	_, err = d.o.Problems.AddProblems(ctx, l, func(ps []rules.Problem) []rules.Outgoing {
		msg := fmt.Sprintf("已登记%s问题清单%d项（%s至%s）。", unit.Name, len(ps), ps[0].ID, ps[len(ps)-1].ID)
		var outs []rules.Outgoing
		if l.DeliveredAt.IsZero() {
			msg += "发送“反馈 " + unit.ShortName() + "”送达书面反馈意见时一并送达。"
		} else {
			msg += "该单位已收到书面反馈意见，问题清单已同时发给该单位。"
			now, key := d.clock.Now(), msgKey("problems", r)
			outs = d.toOfficials(unit.Key, "notice", key, notice, now)
			for _, p := range d.officials[unit.Key] {
				outs = append(outs, filesTo(rules.Recipient{Remark: p.WeChatRemark}, "notice", key+":"+p.WeChatRemark, files, now)...)
			}
		}
		return append(outs, d.replyMsg(r, msg))
	})
	if errors.Is(err, rules.ErrConflict) {
		return userErr(ErrBadInput, "清单中有序号已随书面反馈意见送达，不能替换。新增问题请接着编号，问题清单未登记。")
	}
	if err != nil {
		return fmt.Errorf("handlers: add problems unit=%s: %w", unit.Key, err)
	}
	return nil
}

// ownUnit is the sender's unit, for an official's command once problem
// lists are enabled.
func (d *problems) ownUnit(r *Request) (rules.Unit, error) {
	if err := d.enabled(); err != nil {
		return rules.Unit{}, err
	}
	return d.units[r.ID.UnitKey], nil
}

// unitProblems is the unit's items of this year's view.
func (d *problems) unitProblems(ctx context.Context, unitKey string) ([]rules.Problem, error) {
	ps, err := d.o.Problems.Problems(ctx, d.year, unitKey)
	if err != nil {
		return nil, fmt.Errorf("handlers: problems %s: %w", unitKey, err)
	}
	return ps, nil
}

// plan is 整改措施 followed by plan lines: merged over the unit's plan so
// far and saved as a draft, or, once every item has a measure and a date,
// as the unit's 整改方案.
func (d *problems) plan(ctx context.Context, r *Request) error {
	unit, err := d.ownUnit(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.Body) == "" {
		if _, _, err := d.planItems(ctx, unit); err != nil {
			return err
		}
		return userErr(ErrBadInput, "请在“整改措施”后逐项写明措施和时限，如：\n整改措施\n1. 措施：……；时限：6月30日；责任人：……")
	}
	return d.savePlan(ctx, r, unit, func() ([]rules.PlanLine, error) {
		return rules.ParsePlanLinesOn(r.Body, d.year, d.today())
	}, nil)
}

// planItems are the unit's delivered items of the year and their plans so
// far; none is the sender's error.
func (d *problems) planItems(ctx context.Context, unit rules.Unit) ([]rules.Problem, map[int]rules.ProblemPlan, error) {
	ps, err := d.unitProblems(ctx, unit.Key)
	if err != nil {
		return nil, nil, err
	}
	have := map[int]rules.ProblemPlan{}
	for _, p := range ps {
		if p.Year == d.year && !p.DeliveredAt.IsZero() {
			have[p.Seq] = p.Plan
		}
	}
	if len(have) == 0 {
		return nil, nil, userErr(ErrBadInput, "尚未收到督导办送达的问题清单，暂不需要报送整改措施。")
	}
	return ps, have, nil
}

// savePlan merges the plan lines read reads over the unit's plan so far
// and saves them: a draft, or, once every item is complete, the unit's
// 整改方案 — the filled template doc when the lines came from one, else
// the plan rendered as text.
func (d *problems) savePlan(ctx context.Context, r *Request, unit rules.Unit, read func() ([]rules.PlanLine, error), doc *stored) error {
	ps, have, err := d.planItems(ctx, unit)
	if err != nil {
		return err
	}
	var items []int
	for _, p := range ps {
		if _, ok := have[p.Seq]; ok && p.Year == d.year {
			items = append(items, p.Seq)
		}
	}
	lines, err := read()
	if err == nil {
		have, err = rules.MergePlan(items, have, lines, rules.PlanDates(d.year, d.o.PlanNextYear))
	}
	if err != nil {
		return listRefused(err, "整改措施未保存，请改正后重新发送。")
	}
	_, cal, uy, err := d.unitNow(ctx, unit.Key)
	if err != nil {
		return err
	}
	plans := map[int]rules.ProblemPlan{}
	for _, l := range lines {
		plans[l.Seq] = have[l.Seq]
	}
	sub := &rules.Submission{Official: r.ID.Remark, ReceivedAt: r.At,
		OnTime: rules.OnTime(rules.DeadlineFor(cal, uy, rules.StageRectificationPlan), r.At)}
	if doc != nil {
		sub.OriginalName, sub.StoredPath, sub.Size, sub.SHA256 = doc.Name, doc.Path, doc.Size, doc.SHA256
	} else {
		blob, err := d.files.PutBytes(ctx, []byte(renderPlan(unit, ps, have)), PutOptions{Ext: "txt"})
		if err != nil {
			return fmt.Errorf("handlers: store item plan unit=%s: %w", unit.Key, err)
		}
		sub.OriginalName, sub.StoredPath, sub.Size, sub.SHA256, sub.IsText = "整改方案（逐项）.txt", blob.Path, blob.Size, blob.SHA256, true
	}
	if uy.Versions[rules.StageRectificationPlan] > 0 {
		sub = nil // already submitted: the items change, no new version
	}
	_, err = d.o.Problems.SaveProblemPlan(ctx, rules.PlanSave{Year: d.year, UnitKey: unit.Key, Plans: plans, By: r.ID.Name, At: r.At, Submission: sub},
		func(res rules.PlanSaved) []rules.Outgoing {
			return []rules.Outgoing{d.replyMsg(r, planReply(unit, res))}
		})
	if err != nil {
		return fmt.Errorf("handlers: save item plan unit=%s: %w", unit.Key, err)
	}
	return nil
}

// planReply says what the plan now is: complete (and submitted), or a
// draft with what is missing by item.
func planReply(unit rules.Unit, res rules.PlanSaved) string {
	var items []int
	plans := map[int]rules.ProblemPlan{}
	for _, p := range res.Problems {
		items = append(items, p.Seq)
		plans[p.Seq] = p.Plan
	}
	if err := rules.CheckPlan(items, plans); err != nil {
		var es rules.ItemErrors
		errors.As(err, &es)
		return fmt.Sprintf("已保存%s整改措施（草稿，尚未算作报送整改方案）。还缺：\n%s\n补齐后发送，如“整改措施 %d. 时限：6月30日”。",
			unit.Name, es.Chinese(), es[0].Item)
	}
	if res.Submitted {
		on := "按时"
		if !res.Submission.OnTime {
			on = "逾期"
		}
		return fmt.Sprintf("%s整改措施已齐全（共%d项），已作为整改方案报送（第%d版，%s），回执号 R-%d。",
			unit.Name, len(items), res.Submission.Version, on, res.Submission.ID)
	}
	return fmt.Sprintf("已更新%s整改措施（共%d项，均已齐全）。", unit.Name, len(items))
}

// renderPlan is the item plan as the text kept with the 整改方案 version.
func renderPlan(unit rules.Unit, ps []rules.Problem, plans map[int]rules.ProblemPlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s整改方案（逐项）\n", unit.Name)
	for _, p := range ps {
		pl, ok := plans[p.Seq]
		if !ok || p.DeliveredAt.IsZero() {
			continue
		}
		fmt.Fprintf(&b, "%d. %s\n   措施：%s\n   时限：%s\n   责任人：%s\n", p.Seq, p.Text, pl.Measure, dateOrBlank(pl.Due), pl.Owner)
	}
	return b.String()
}

func dateOrBlank(d rules.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Chinese()
}

// itemCode resolves an item number of a unit (this year's list) or a full
// id (财政-2026-03, a carried-over item) to its id.
func (d *problems) itemCode(unit rules.Unit, arg string) (string, error) {
	if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(arg, "项"), "第")); err == nil && n > 0 {
		return rules.ProblemID(unit.ShortName(), d.year, n), nil
	}
	if strings.HasPrefix(arg, unit.ShortName()+"-") {
		return arg, nil
	}
	return "", userErr(ErrBadInput, "“"+clip(arg, 20)+"”不是问题序号，请写成数字，如“3”。")
}

// item reads one item, refusing an unknown number with the unit's range.
func (d *problems) item(ctx context.Context, unit rules.Unit, code string) (rules.Problem, error) {
	p, err := d.o.Problems.Problem(ctx, code)
	if isNotFound(err) {
		return p, userErr(ErrBadInput, unit.Name+"的问题清单中没有"+code+"。发送“查询 "+unit.ShortName()+"”可查看各项。")
	}
	if err != nil {
		return p, fmt.Errorf("handlers: problem %s: %w", code, err)
	}
	return p, nil
}

// eventErr turns a refused event into the sender's message.
func (d *problems) eventErr(err error, p rules.Problem) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rules.ErrProblemClosed):
		return userErr(ErrBadInput, p.ID+"已销号，不能再变更。")
	case errors.Is(err, rules.ErrNotReported):
		return userErr(ErrBadInput, p.ID+"尚未报告整改完成，不能退回。")
	case errors.Is(err, rules.ErrNoPlan):
		return userErr(ErrBadInput, p.ID+"还没有完成时限，不能延期。")
	}
	return fmt.Errorf("handlers: problem event %s: %w", p.ID, err)
}

// decide is 销号 / 退回 / 延期 <单位> <序号> …: the director's decision on
// one item, told to the unit in the same transaction.
func (d *problems) decide(kind rules.ProblemEventKind) Handler {
	usage := map[rules.ProblemEventKind]string{
		rules.EventVerified: "销号 财政 3",
		rules.EventReturned: "退回 财政 3 7月15日 照片不清晰",
		rules.EventExtended: "延期 财政 3 7月31日 资金未到位",
	}[kind]
	return func(ctx context.Context, r *Request) error {
		if err := d.enabled(); err != nil {
			return err
		}
		if len(r.Args) < 2 {
			return userErr(ErrBadInput, "请写明单位和问题序号，如“"+usage+"”。")
		}
		unit, err := d.resolveUnit(r.Args[0])
		if err != nil {
			return err
		}
		code, err := d.itemCode(unit, r.Args[1])
		if err != nil {
			return err
		}
		e := rules.ProblemEvent{Kind: kind, At: r.At, Actor: r.ID.Name}
		if kind != rules.EventVerified {
			if len(r.Args) < 3 {
				return userErr(ErrBadInput, "请写明新的完成时限和原因，如“"+usage+"”。")
			}
			if e.NewDue, err = ParseDate(r.Args[2], d.year, d.today()); err != nil {
				return err
			}
			if !rules.PlanDates(d.year, d.o.PlanNextYear).Has(e.NewDue) {
				return userErr(ErrBadInput, "新的完成时限"+e.NewDue.Chinese()+"不在"+rules.PlanDates(d.year, d.o.PlanNextYear).Text()+"。")
			}
			reason := strings.Join(r.Args[3:], " ")
			if kind == rules.EventExtended && strings.Contains(reason, "不计逾期") {
				e.JudgeOnNew = true
				reason = strings.TrimSpace(strings.ReplaceAll(reason, "不计逾期", ""))
			}
			if reason == "" {
				return userErr(ErrBadInput, "请写明原因，如“"+usage+"”。")
			}
			e.Reason = reason
		}
		p, err := d.item(ctx, unit, code)
		if err != nil {
			return err
		}
		_, err = d.o.Problems.AddProblemEvent(ctx, code, e, func(rules.Problem) []rules.Outgoing {
			unitText, reply := decisionTexts(p, e)
			outs := d.toOfficials(unit.Key, "notice", msgKey(string(kind), r), unitText, d.clock.Now())
			return append(outs, d.replyMsg(r, reply))
		})
		return d.eventErr(err, p)
	}
}

// decisionTexts are the unit's notice and the director's reply.
func decisionTexts(p rules.Problem, e rules.ProblemEvent) (unit, reply string) {
	switch e.Kind {
	case rules.EventVerified:
		return fmt.Sprintf("【销号】%s（%s）经督导办核实已销号。", p.ID, clip(p.Text, 30)),
			fmt.Sprintf("%s已销号，已通知该单位。", p.ID)
	case rules.EventReturned:
		return fmt.Sprintf("【退回】%s（%s）的整改完成报告被退回：%s。请于%s前完成整改后再发送“整改完成 %d 整改情况”。",
				p.ID, clip(p.Text, 30), e.Reason, e.NewDue.Chinese(), p.Seq),
			fmt.Sprintf("%s已退回，新的完成时限%s，已通知该单位。", p.ID, e.NewDue.Chinese())
	}
	judged := "逾期仍按原时限计算"
	if e.JudgeOnNew {
		judged = "按新时限判断是否逾期"
	}
	orig := dateOrBlank(p.Plan.Due)
	return fmt.Sprintf("【延期】%s（%s）完成时限由%s延至%s，原因：%s。", p.ID, clip(p.Text, 30), orig, e.NewDue.Chinese(), e.Reason),
		fmt.Sprintf("%s已延期至%s（原时限%s，%s），已通知该单位。", p.ID, e.NewDue.Chinese(), orig, judged)
}

// itemLines lists items with their status, one a line.
func itemLines(ps []rules.Problem, cal rules.Calendar, d *env) string {
	if len(ps) == 0 {
		return ""
	}
	now := d.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "整改事项（%d项）：", len(ps))
	for _, p := range ps {
		fmt.Fprintf(&b, "\n%s %s：%s", p.ID, clip(p.Text, 20), rules.ProblemStatusOf(p, cal, now).Text())
	}
	return b.String()
}

// unitItems is the item list of one unit for 状态 and 查询, with (full,
// 查询) its follow-up visits ("" when the feature is off or the unit has
// none).
func (d *env) unitItems(ctx context.Context, unitKey string, cal rules.Calendar, full bool) (string, error) {
	if d.o.Problems == nil {
		return "", nil
	}
	ps, err := d.o.Problems.Problems(ctx, d.year, unitKey)
	if err != nil {
		return "", fmt.Errorf("handlers: problems %s: %w", unitKey, err)
	}
	text := itemLines(ps, cal, d)
	if v := visitLines(ps); full && v != "" {
		text += "\n" + v
	}
	return text, nil
}

// itemsCount is the 总览 line (items total, closed, overdue); "" with none.
func (d *env) itemsCount(ctx context.Context, cal rules.Calendar) (string, error) {
	if d.o.Problems == nil {
		return "", nil
	}
	n, err := d.o.Problems.ProblemCounts(ctx, d.year, rules.DateOf(d.clock.Now(), cal.Location))
	if err != nil {
		return "", fmt.Errorf("handlers: problem counts: %w", err)
	}
	if n.Total == 0 {
		return "", nil
	}
	return n.Text(), nil
}

// overdue is 整改逾期: every overdue item, by unit.
func (d *problems) overdue(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	cal, err := d.calendar(ctx)
	if err != nil {
		return err
	}
	ps, err := d.unitProblems(ctx, "")
	if err != nil {
		return err
	}
	now := d.clock.Now()
	var b strings.Builder
	n, last, units := 0, "", 0
	for _, p := range ps {
		st := rules.ProblemStatusOf(p, cal, now)
		if st.Kind != rules.ProblemOverdue {
			continue
		}
		if p.UnitKey != last {
			fmt.Fprintf(&b, "\n%s：", d.units[p.UnitKey].Name)
			last = p.UnitKey
			units++
		}
		fmt.Fprintf(&b, "\n  %s %s：%s", p.ID, clip(p.Text, 20), st.Text())
		n++
	}
	if n == 0 {
		return d.reply(ctx, r, "目前没有逾期的整改事项。")
	}
	summary := []string{fmt.Sprintf("逾期整改事项共%d项，涉及%d个单位。", n, units)}
	return d.replyLong(ctx, r, fmt.Sprintf("逾期整改事项共%d项：%s", n, b.String()), summary, d.problemLedgerFile(ctx))
}

// problemLedgerFile is the 整改台账 workbook as a long answer's file.
func (d *problems) problemLedgerFile(ctx context.Context) longFile {
	f := longFile{what: "problem ledger", name: fmt.Sprintf("%d年整改台账.xlsx", d.year), ext: "xlsx", note: "各事项明细见附件整改台账。"}
	if pl, ok := d.o.Ledger.(ProblemLedger); ok {
		f.write = func(w io.Writer) error { return pl.WriteProblemLedger(ctx, d.year, w) }
	}
	return f
}

// ledger is 整改台账: the workbook with sheet 整改台账, as a file.
func (d *problems) ledger(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	pl, ok := d.o.Ledger.(ProblemLedger)
	if !ok {
		return userErr(ErrBadInput, "导出功能暂未启用，请联系管理员在电脑上运行 dudaobot export。")
	}
	var buf bytes.Buffer
	if err := pl.WriteProblemLedger(ctx, d.year, &buf); err != nil {
		return fmt.Errorf("handlers: write problem ledger: %w", err)
	}
	blob, err := d.files.PutBytes(ctx, buf.Bytes(), PutOptions{Ext: "xlsx"})
	if err != nil {
		return fmt.Errorf("handlers: store problem ledger: %w", err)
	}
	text := fmt.Sprintf("%d年整改台账已生成（截至%s），请查收附件。", d.year, fmtTime(d.clock.Now(), d.loc))
	msgs := []rules.Outgoing{d.replyMsg(r, text), d.replyMsg(r, "")}
	msgs[1].FilePath, msgs[1].FileName = blob.Path, fmt.Sprintf("%d年整改台账.xlsx", d.year)
	if err := d.store.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("handlers: queue problem ledger: %w", err)
	}
	return nil
}

// undeliveredList is the 反馈 notice of a unit whose problem list is not
// yet delivered: the list with what to send by the plan's date, and the
// workbooks to attach (listForUnit); "" when it has none (the plain notice
// is sent).
func (d *env) undeliveredList(ctx context.Context, unit rules.Unit, due rules.Date) (string, []stored, error) {
	if d.o.Problems == nil {
		return "", nil, nil
	}
	ps, err := d.o.Problems.Problems(ctx, d.year, unit.Key)
	if err != nil {
		return "", nil, fmt.Errorf("handlers: problems %s: %w", unit.Key, err)
	}
	var list []rules.Problem
	for _, p := range ps {
		if p.Year == d.year && p.DeliveredAt.IsZero() {
			list = append(list, p)
		}
	}
	if len(list) == 0 {
		return "", nil, nil
	}
	text, files, err := d.listForUnit(ctx, unit, list, "【书面反馈意见】"+unit.Name+"：督导办已向贵单位送达书面反馈意见和问题清单", due)
	if err != nil {
		return "", nil, err
	}
	return text + "\n收到请回复“收到”。", files, nil
}
