package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"dudaobot/rules"
)

// confirmWindow is how long a preview waits for its 确认.
const confirmWindow = 10 * time.Minute

// confirmTail ends every preview.
const confirmTail = "10分钟内有效。回复“确认”发送 / “取消”放弃"

// Kinds of pending confirmation.
const (
	confirmBroadcast        = "broadcast"
	confirmFeedback         = "feedback"
	confirmInspectionEnd    = "inspection_end"
	confirmRectificationDue = "rectification_due"
	confirmPlan             = "plan"
	confirmInspected        = "inspected"      // 受检单位 (handlers/inspected.go)
	confirmUnbind           = "unbind"         // 解绑 (handlers/unbind.go)
	confirmPublishScores    = "publish_scores" // 发布成绩 (handlers/scores.go)
	confirmProblems         = "problems"       // 问题清单 (handlers/problems.go)
)

// actionNames name a pending action in the answers to 确认 and 取消.
var actionNames = map[string]string{
	confirmBroadcast: "下发通知", confirmFeedback: "送达书面反馈意见", confirmInspectionEnd: "登记督导结束日期",
	confirmRectificationDue: "设定整改期限", confirmPlan: "报送整改方案", confirmInspected: "登记受检单位",
	confirmUnbind: "解除绑定", confirmPublishScores: "发布成绩", confirmProblems: "登记问题清单",
	confirmScores: "登记评分",
}

// pendingConfirm is an irreversible or wide action shown as a preview and
// waiting for the sender's 确认. It lives in the state table, so it
// survives a restart like the other pending questions; nothing of it is
// stored or sent before 确认.
type pendingConfirm struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"` // when the previewed command arrived
	Text string    `json:"text,omitempty"`
	File *stored   `json:"file,omitempty"`
	Unit string    `json:"unit,omitempty"`
	Date string    `json:"date,omitempty"` // rules.Date.String()
	// Units are the unit keys of a 受检单位 set, roster order.
	Units []string `json:"units,omitempty"`
}

// confirmations keep one pending action per person and run it on 确认.
type confirmations struct {
	*env
	dir     *director
	notices *notices
	off     *official
	binds   *bindings
	sc      *scores
	probs   *problems
}

func confirmKey(remark string) string { return "handlers:confirm:" + remark }

// ask keeps p as the sender's pending action (replacing an earlier one)
// and answers with its preview.
func (d *confirmations) ask(ctx context.Context, r *Request, p pendingConfirm, preview string) error {
	p.At = r.At
	if err := d.putState(ctx, confirmKey(r.ID.Remark), p); err != nil {
		return err
	}
	return d.reply(ctx, r, preview+"\n"+confirmTail)
}

// confirm is 确认: it runs the pending action if it is still fresh. The
// action runs before the pending state is cleared, so a crash in between
// re-runs 确认 and the action, which is idempotent per 确认 message.
func (d *confirmations) confirm(ctx context.Context, r *Request) error {
	p, ok, err := d.pending(ctx, r)
	if err != nil || !ok {
		return err
	}
	if r.At.Sub(p.At) > confirmWindow {
		if err := d.deleteState(ctx, confirmKey(r.ID.Remark)); err != nil {
			return err
		}
		return d.reply(ctx, r, "“"+actionNames[p.Kind]+"”的预览已超过10分钟未确认，已失效，未发送也未登记任何内容。如仍需办理，请重新发送命令。")
	}
	err = d.runConfirmed(ctx, r, p)
	if ue := (*UserError)(nil); err != nil && !errors.As(err, &ue) {
		return err // kept: 确认 again retries it
	}
	if derr := d.deleteState(ctx, confirmKey(r.ID.Remark)); derr != nil {
		// The action is done and its answer queued: saying otherwise
		// would be untrue. The stale preview still expires after 10 minutes.
		d.log.Error("pending confirmation not cleared", slog.String("remark", r.ID.Remark),
			slog.String("kind", p.Kind), slog.Any("err", derr))
	}
	return err
}

// cancel is 取消: it drops the pending action.
func (d *confirmations) cancel(ctx context.Context, r *Request) error {
	p, ok, err := d.pending(ctx, r)
	if err != nil || !ok {
		return err
	}
	if err := d.deleteState(ctx, confirmKey(r.ID.Remark)); err != nil {
		return err
	}
	return d.reply(ctx, r, "已取消“"+actionNames[p.Kind]+"”，未发送也未登记任何内容。")
}

// pending reads the sender's pending action for 确认 and 取消; when there
// is none (ok false) it has answered so.
func (d *confirmations) pending(ctx context.Context, r *Request) (p pendingConfirm, ok bool, err error) {
	ok, err = d.getState(ctx, confirmKey(r.ID.Remark), &p)
	if err == nil && !ok {
		err = d.reply(ctx, r, "目前没有需要确认的操作。")
	}
	return p, ok, err
}

func (d *confirmations) runConfirmed(ctx context.Context, r *Request, p pendingConfirm) error {
	var date rules.Date
	if p.Date != "" {
		var err error
		if date, err = rules.ParseDate(p.Date); err != nil {
			return fmt.Errorf("handlers: pending %s date %q: %w", p.Kind, p.Date, err)
		}
	}
	unit, known := d.units[p.Unit]
	if p.Unit != "" && !known {
		return userErr(ErrBadInput, "该单位已不在名册中，操作未执行。")
	}
	switch p.Kind {
	case confirmBroadcast:
		return d.notices.sendBroadcast(ctx, r, p.Text, p.File)
	case confirmFeedback:
		if p.File == nil {
			return fmt.Errorf("handlers: pending feedback without a file")
		}
		return d.notices.deliverFeedback(ctx, r, unit, *p.File)
	case confirmInspectionEnd:
		return d.dir.setInspectionEnd(ctx, r, date)
	case confirmRectificationDue:
		return d.dir.setRectificationDue(ctx, r, unit, date)
	case confirmPlan:
		if r.ID.Role != rules.RoleOfficial {
			return userErr(ErrForbidden, "整改方案由各责任单位联系人报送。")
		}
		return d.off.storeTextPlan(ctx, r, p.Text, p.At)
	case confirmInspected:
		return d.dir.setInspected(ctx, r, p.Units)
	case confirmUnbind:
		return d.binds.unbind(ctx, r, p.Text)
	case confirmPublishScores:
		return d.sc.publish(ctx, r)
	case confirmProblems:
		return d.probs.storeList(ctx, r, unit, p.Text)
	case confirmScores:
		if p.File == nil {
			return fmt.Errorf("handlers: pending scores without a file")
		}
		return d.sc.storeScoreSheet(ctx, r, *p.File)
	}
	return fmt.Errorf("handlers: unknown pending action %q", p.Kind)
}

// askPlan previews a rectification plan typed in chat.
func (d *official) askPlan(ctx context.Context, r *Request, text string) error {
	text = strings.TrimSpace(text)
	preview := fmt.Sprintf("即将以文字报送%s的整改方案（共%d字）：\n“%s”",
		d.units[r.ID.UnitKey].Name, utf8.RuneCountInString(text), clip(text, 30))
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmPlan, Text: text}, preview)
}
