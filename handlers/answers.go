package handlers

import (
	"context"
	"fmt"
	"strings"

	"dudaobot/rules"
)

// The director's short answers (总览, 未交, 逾期) follow rules/summary.go:
// counts and what came since the last digest first, each unit named once,
// no all-zero lines, the office's own feedback apart from the units' 未交
// and only once the inspection is over. An answer that would not fit on a
// phone screen (rules.PhoneLineBudget) becomes a short summary with the
// ledger attached.

// sinceDigest is when the last digest was made (zero before the first).
func (d *director) sinceDigest(ctx context.Context) (rules.DigestState, error) {
	v, ok, err := d.store.GetState(ctx, rules.DigestStateKey)
	if err != nil {
		return rules.DigestState{}, fmt.Errorf("handlers: digest state: %w", err)
	}
	if !ok {
		return rules.DigestState{}, nil
	}
	st, err := rules.ParseDigestState(v)
	if err != nil {
		return rules.DigestState{}, fmt.Errorf("handlers: %w", err)
	}
	return st, nil
}

// changesLine is what was received since the last digest, among stages:
// 「日报后新交：县卫健委（自查自评报告）」, "" if nothing.
func (d *director) changesLine(ctx context.Context, v yearView, stages []rules.Stage) (string, error) {
	st, err := d.sinceDigest(ctx)
	if err != nil {
		return "", err
	}
	var keep []rules.Change
	for _, ch := range rules.ChangesSince(v.units, st.At, v.now) {
		for _, s := range stages {
			if ch.Stage == s {
				keep = append(keep, ch)
			}
		}
	}
	return rules.ChangesLineWithin(keep, d.unitName, "日报后"), nil
}

// officeFeedbackLine is the office's own feedback stage in one line, once
// the inspection is over and while units wait for it: 「督导办尚未反馈：25个
// 单位（截止5月14日，已逾期6天）」. "" otherwise.
func (d *director) officeFeedbackLine(v yearView) string {
	if !rules.FeedbackShown(v.cal, v.units, v.now) {
		return ""
	}
	n := 0
	var st rules.StageStatus
	for _, u := range v.units {
		if s := rules.StageStatusOf(v.cal, u, rules.StageFeedback, v.now); s.Kind.Missing() {
			n, st = n+1, s
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("督导办尚未反馈：%d个单位（截止%s，%s）", n, st.Deadline.DueDate.Chinese(), shortStatus(st))
}

// feedbackWaiting is 未交 反馈: the units still waiting for the office's
// feedback, or why there is no such list yet.
func (d *director) feedbackWaiting(v yearView) string {
	if !rules.FeedbackShown(v.cal, v.units, v.now) {
		return "实地督导尚未结束，书面反馈意见在督导结束后统计。"
	}
	var keys []string
	var st rules.StageStatus
	for _, u := range v.units {
		if s := rules.StageStatusOf(v.cal, u, rules.StageFeedback, v.now); s.Kind.Missing() {
			keys, st = append(keys, u.UnitKey), s
		}
	}
	if len(keys) == 0 {
		return "书面反馈意见已全部送达。"
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = d.unitName(k)
	}
	return fmt.Sprintf("督导办尚未反馈（%d个，截止%s，%s）：\n%s", len(keys), st.Deadline.DueDate.Chinese(), shortStatus(st), strings.Join(names, "、"))
}

// shortOrLedger replies with lines if they fit on a phone screen; else with
// the summary lines and the ledger attached (replyLong; the summary alone
// when the ledger is not available).
func (d *director) shortOrLedger(ctx context.Context, r *Request, lines, summary []string) error {
	return d.replyLong(ctx, r, strings.Join(lines, "\n"), summary, d.ledgerFile(ctx))
}
