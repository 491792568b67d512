package handlers

import (
	"context"
	"fmt"
	"time"

	"dudaobot/rules"
)

// withdrawWindow is how long after it arrived a submission may be
// withdrawn (撤回) from chat; later, a correction is a new version.
const withdrawWindow = 30 * time.Minute

// lastSubmission is the sender's unit's latest live submission; ok is false
// when the unit has none.
func (d *official) lastSubmission(ctx context.Context, r *Request) (rules.Submission, bool, error) {
	subs, err := d.store.Submissions(ctx, d.year, r.ID.UnitKey)
	if err != nil {
		return rules.Submission{}, false, fmt.Errorf("handlers: submissions %s: %w", r.ID.UnitKey, err)
	}
	var last rules.Submission
	for _, s := range subs {
		if last.ID == 0 || s.ReceivedAt.After(last.ReceivedAt) || (s.ReceivedAt.Equal(last.ReceivedAt) && s.ID > last.ID) {
			last = s
		}
	}
	return last, last.ID != 0, nil
}

// withdraw is 撤回: it withdraws the unit's latest submission if the sender
// made it within the last 30 minutes. Only the person who sent a file may
// withdraw it, and only the unit's latest, so version numbers stay
// contiguous: the row and the file stay for the audit, the version counts
// nowhere, and the next file of that stage takes its number again.
func (d *official) withdraw(ctx context.Context, r *Request) error {
	last, ok, err := d.lastSubmission(ctx, r)
	if err != nil {
		return err
	}
	if !ok {
		return d.reply(ctx, r, "贵单位目前没有可撤回的材料。")
	}
	what := submissionName(last)
	switch {
	case last.Official != r.ID.Remark:
		return d.reply(ctx, r, "贵单位最近一份材料"+what+"由“"+last.Official+"”报送，只能由报送人本人撤回。")
	case r.At.Sub(last.ReceivedAt) > withdrawWindow:
		return d.reply(ctx, r, fmt.Sprintf("最近一份材料%s于%s收到，已超过30分钟，不能撤回。如需更正，请直接发送新版本；确需撤回请联系县督导办。",
			what, fmtTime(last.ReceivedAt, d.loc)))
	}
	_, err = d.store.WithdrawSubmission(ctx, last.ID, r.ID.Remark, r.At, func(was rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{d.replyMsg(r, fmt.Sprintf("已撤回：%s %s，回执号 R-%d，收到时间%s。该材料不再计入报送记录（原文件和记录已存档备查）；如需重新报送，请直接发送。",
			d.units[r.ID.UnitKey].Name, submissionName(was), was.ID, fmtTime(was.ReceivedAt, d.loc)))}
	})
	if err != nil {
		return fmt.Errorf("handlers: withdraw %d: %w", last.ID, err)
	}
	return d.dropChoiceFor(ctx, r, last.ID)
}

// dropChoiceFor clears a pending 1/2 question about submission id.
func (d *official) dropChoiceFor(ctx context.Context, r *Request, id int64) error {
	var pc pendingChoice
	ok, err := d.getState(ctx, choiceKey(r.ID.Remark), &pc)
	if err != nil || !ok || pc.SubmissionID != id {
		return err
	}
	return d.deleteState(ctx, choiceKey(r.ID.Remark))
}

// submissionName is 「自查自评报告（第2版）《报告.docx》」 or 「补充材料《x.pdf》」.
func submissionName(s rules.Submission) string {
	name := "《" + s.OriginalName + "》"
	if s.IsText {
		name = "（文字）"
	}
	if s.Stage == rules.StageSupporting {
		return "补充材料" + name
	}
	return fmt.Sprintf("%s（第%d版）%s", s.Stage.Label(), s.Version, name)
}

// asSupporting is 补充材料: the sender's file just filed as a new version of
// a stage (within 10 minutes) is kept as supporting material instead. The
// version is withdrawn (kept for the audit) and the same file is stored as
// supporting material with its own receipt.
func (d *official) asSupporting(ctx context.Context, r *Request) error {
	last, ok, err := d.lastSubmission(ctx, r)
	if err != nil {
		return err
	}
	if !ok || last.Official != r.ID.Remark || last.IsText || last.Stage == rules.StageSupporting ||
		r.At.Sub(last.ReceivedAt) > pairWindow {
		return d.reply(ctx, r, "没有可改为补充材料的文件：只能在发送文件后10分钟内，把刚登记为新版本的文件改为补充材料。")
	}
	if _, err := d.store.WithdrawSubmission(ctx, last.ID, r.ID.Remark, r.At, nil); err != nil {
		return fmt.Errorf("handlers: withdraw %d for supporting: %w", last.ID, err)
	}
	unit, cal, uy, err := d.unitNow(ctx, r.ID.UnitKey)
	if err != nil {
		return err
	}
	sub := last
	sub.ID, sub.Version, sub.Stage, sub.OnTime = 0, 0, rules.StageSupporting, true
	// The list read no finding about another unit: found again, so the
	// digest still lists a file that resembles another unit's.
	if sub.Resembles, err = d.resemblance(ctx, unit, last.OriginalName, last.SHA256, last.ID); err != nil {
		return err
	}
	_, err = d.store.AddSubmission(ctx, sub, r.ID.Remark, func(saved rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{d.receipt(r, unit, saved, cal, uy)}
	})
	if err != nil {
		return fmt.Errorf("handlers: refile %d as supporting: %w", last.ID, err)
	}
	return nil
}
