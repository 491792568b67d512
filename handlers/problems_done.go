package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"dudaobot/rules"
)

// awaitEvidence is the awaiting kind of 整改完成 N sent without evidence:
// the file, photo or text that follows within pairWindow is its evidence.
const awaitEvidence = "evidence"

// done is 整改完成 N [整改情况]: the unit reports an item done. The evidence
// is the text after the number; without text, the file or photo the
// sender sent within the last ten minutes; else the file, photo or text
// that follows within ten minutes (as 反馈 pairs with its file either
// way). The directors are told to verify it.
func (d *problems) done(ctx context.Context, r *Request) error {
	unit, err := d.ownUnit(r)
	if err != nil {
		return err
	}
	if len(r.Args) == 0 {
		return userErr(ErrBadInput, "请写明问题序号和整改情况，如“整改完成 3 已补齐2026年经费台账”；也可先发“整改完成 3”，再发送照片或文件作为佐证。")
	}
	code, err := d.itemCode(unit, r.Args[0])
	if err != nil {
		return err
	}
	p, err := d.reportable(ctx, unit, code)
	if err != nil {
		return err
	}
	_, text, _ := strings.Cut(strings.TrimSpace(r.Body), " ")
	if text = strings.TrimSpace(text); text != "" {
		return d.report(ctx, r, unit, p, rules.Evidence{Text: text}, nil)
	}
	last, ok, err := d.off.lastSubmission(ctx, r)
	if err != nil {
		return err
	}
	if ok && last.Official == r.ID.Remark && !last.IsText && !r.At.Before(last.ReceivedAt) && r.At.Sub(last.ReceivedAt) <= pairWindow {
		ev := rules.Evidence{Name: last.OriginalName, StoredPath: last.StoredPath, SHA256: last.SHA256, Size: last.Size, SubmissionID: last.ID}
		if err := d.report(ctx, r, unit, p, ev, &last); err != nil {
			return err
		}
		return d.off.dropChoiceFor(ctx, r, last.ID)
	}
	if err := d.putState(ctx, awaitKey(r.ID.Remark), awaiting{Kind: awaitEvidence, Unit: unit.Key, Item: code, At: r.At}); err != nil {
		return err
	}
	return d.reply(ctx, r, fmt.Sprintf("好的，请在10分钟内发送%s（%s）的整改佐证：照片或文件均可，也可以直接发送文字说明。",
		p.ID, clip(p.Text, 20)))
}

// reportable reads an item the unit may report done (not yet closed).
func (d *problems) reportable(ctx context.Context, unit rules.Unit, code string) (rules.Problem, error) {
	p, err := d.item(ctx, unit, code)
	if err != nil {
		return p, err
	}
	if err := rules.CheckProblemEvent(p, rules.ProblemEvent{Kind: rules.EventReported}); err != nil {
		return p, d.eventErr(err, p)
	}
	return p, nil
}

// report records the item reported done with one piece of evidence, the
// unit's reply and the directors' notice (with the file, if any) in one
// transaction. filed is the submission the file arrived as, when it came
// before 整改完成: a stage version among them no longer counts as one.
func (d *problems) report(ctx context.Context, r *Request, unit rules.Unit, p rules.Problem, ev rules.Evidence, filed *rules.Submission) error {
	e := rules.ProblemEvent{Kind: rules.EventReported, At: r.At, Actor: r.ID.Name, Evidence: []rules.Evidence{ev}}
	_, err := d.o.Problems.AddProblemEvent(ctx, p.ID, e, func(rules.Problem) []rules.Outgoing {
		now := d.clock.Now()
		what := clip(ev.Text, 60)
		if ev.Name != "" {
			what = "佐证文件《" + ev.Name + "》（附后）"
		}
		note := fmt.Sprintf("【整改完成】%s报告%s（%s）已整改完成：%s\n核实后请回复“销号 %s %d”，或“退回 %s %d 新时限 原因”。",
			unit.Name, p.ID, clip(p.Text, 30), what, unit.ShortName(), p.Seq, unit.ShortName(), p.Seq)
		var outs []rules.Outgoing
		for _, dir := range d.o.Directors {
			to := rules.Recipient{Remark: dir.WeChatRemark}
			key := msgKey("done", r) + ":" + dir.WeChatRemark
			outs = append(outs, rules.Outgoing{Kind: "notice", Key: key, To: to, Text: note, CreatedAt: now})
			if ev.Name != "" {
				outs = append(outs, rules.Outgoing{Kind: "notice", Key: key + ":file", To: to, FilePath: ev.StoredPath, FileName: ev.Name, CreatedAt: now})
			}
		}
		reply := fmt.Sprintf("已收到%s整改完成报告，等待督导办核实销号。", p.ID)
		if ev.Name != "" {
			reply = fmt.Sprintf("已收到%s整改完成报告，佐证文件《%s》已保存，等待督导办核实销号。", p.ID, ev.Name)
		}
		if filed != nil && filed.Stage != rules.StageSupporting {
			reply += fmt.Sprintf("该文件改作整改佐证，不再计为%s（第%d版）。", filed.Stage.Label(), filed.Version)
		}
		return append(outs, d.replyMsg(r, reply))
	})
	if errors.Is(err, rules.ErrConflict) && ev.SubmissionID != 0 && !errors.Is(err, rules.ErrProblemClosed) {
		return userErr(ErrBadInput, "文件《"+ev.Name+"》已撤回或已改作他用，请重新发送照片或文件。")
	}
	if err != nil {
		return d.eventErr(err, p)
	}
	// The item is reported: a wait for its evidence is over.
	var a awaiting
	if ok, err := d.getState(ctx, awaitKey(r.ID.Remark), &a); err != nil || !ok || a.Kind != awaitEvidence || a.Item != p.ID {
		return err
	}
	return d.deleteState(ctx, awaitKey(r.ID.Remark))
}

// evidenceWait is the sender's 整改完成 waiting for its evidence, if one
// is fresh at r.At; it stays until evidence is recorded, so a refused file
// can be sent again.
func (d *problems) evidenceWait(ctx context.Context, r *Request) (awaiting, bool, error) {
	var a awaiting
	if d.o.Problems == nil || r.ID.Role != rules.RoleOfficial {
		return a, false, nil
	}
	ok, err := d.getState(ctx, awaitKey(r.ID.Remark), &a)
	if err != nil || !ok || a.Kind != awaitEvidence || a.Unit != r.ID.UnitKey {
		return a, false, err
	}
	if r.At.Sub(a.At) > pairWindow || r.At.Before(a.At.Add(-pairWindow)) {
		return a, false, nil
	}
	return a, true, nil
}

// evidenceRefused names the item whose evidence file was refused; the
// refusal itself says what is wrong (type, size, quota).
func evidenceRefused(a awaiting, err error) error {
	var ue *UserError
	if errors.As(err, &ue) {
		return &UserError{Msg: a.Item + "的整改佐证未保存：" + ue.Msg, Err: ue.Err}
	}
	return err
}

// evidenceFile records a file or photo, durably stored, as the evidence
// the sender's 整改完成 waits for.
func (d *problems) evidenceFile(ctx context.Context, r *Request, a awaiting, doc stored) error {
	unit := d.units[a.Unit]
	p, err := d.reportable(ctx, unit, a.Item)
	if err != nil {
		return err
	}
	ev := rules.Evidence{Name: doc.Name, StoredPath: doc.Path, SHA256: doc.SHA256, Size: doc.Size}
	return d.report(ctx, r, unit, p, ev, nil)
}

// evidenceText records text sent after a bare 整改完成 N as its evidence;
// a word or two is not evidence, and the wait goes on.
func (d *problems) evidenceText(ctx context.Context, r *Request, a awaiting) error {
	text := strings.TrimSpace(r.Body)
	if utf8.RuneCountInString(text) < 4 || strings.HasSuffix(text, "?") || strings.HasSuffix(text, "？") {
		return d.keepAwaiting(ctx, r, a, "请发送"+a.Item+"的整改佐证：照片或文件，或用一句话说明整改情况，如“已补齐2026年经费台账”。")
	}
	unit := d.units[a.Unit]
	p, err := d.reportable(ctx, unit, a.Item)
	if err != nil {
		return err
	}
	return d.report(ctx, r, unit, p, rules.Evidence{Text: text}, nil)
}
