package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
)

// replier builds the replies to a message. Intake (refusals, flood
// control, a handler's error) and every command reply through it.
type replier struct {
	clock clock.Clock
	log   *slog.Logger
	// replaceable: readOnly may mark answers replaceable
	// (Options.RateLimit >= 0).
	replaceable bool
}

// fail is the one place where a handler's error becomes a reply: a
// *UserError says what to do instead; anything else is logged with its
// whole %w chain and answered with a fixed apology, so no internal text ever
// reaches a user.
func (d *replier) fail(ctx context.Context, r *Request, err error) {
	msg := genericFailure
	var ue *UserError
	if errors.As(err, &ue) {
		msg = ue.Msg
		d.log.Info("user error", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.ID.Remark), slog.Any("err", err))
	} else {
		d.log.Error("handler failed", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.ID.Remark),
			slog.String("word", printable(r.Word)), slog.Any("err", err))
	}
	if rerr := d.reply(ctx, r, msg); rerr != nil {
		d.log.Error("reply to error not queued", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", rerr))
	}
}

// replyTo is where answers to r go: the group it came from, the configured
// remark, or (strangers and code-bound contacts) this session's handle.
func (d *replier) replyTo(r *Request) rules.Recipient {
	switch {
	case r.In.Group != "":
		return rules.Recipient{Group: r.In.Group}
	case r.ID.Remark != "" && r.In.From.Remark == r.ID.Remark:
		return rules.Recipient{Remark: r.ID.Remark}
	case r.In.From.UserName != "":
		return rules.Recipient{UserName: r.In.From.UserName}
	}
	return rules.Recipient{Remark: r.ID.Remark}
}

// replyKey is deterministic per message and reply number, so re-running a
// message after a crash queues nothing twice.
func (d *replier) replyKey(r *Request) string {
	r.replies++
	who := r.ID.Remark
	if who == "" {
		who = r.In.From.UserName
	}
	return "reply:" + who + ":" + r.In.Key.MsgID + ":" + strconv.FormatInt(r.In.Key.CreateTime, 10) + ":" + strconv.Itoa(r.replies)
}

// replyMsg builds the next reply to r without queueing it (for outs
// callbacks that commit with a state change).
func (d *replier) replyMsg(r *Request, text string) rules.Outgoing {
	m := rules.Outgoing{Kind: "reply", Key: d.replyKey(r), To: d.replyTo(r), Text: text, CreatedAt: d.clock.Now()}
	if r.replaceable {
		to := m.To.Remark + "|" + m.To.UserName + "|" + m.To.Group
		m.ReplaceKey = "reply:" + strings.TrimSpace(r.Word+" "+strings.Join(r.Args, " ")) + ":" + to + ":" + strconv.Itoa(r.replies)
	}
	return m
}

// readOnly marks h's answers replaceable: while one is still queued, the
// same question from the same person replaces it, so 120 「状态」 leave one
// answer, the newest, instead of 120 stale ones ahead of everyone else.
// Only answers that change nothing: nothing stored is lost. This is the
// queue half of flood control: Options.RateLimit < 0 turns it off too.
func (d *replier) readOnly(h Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		r.replaceable = d.replaceable
		return h(ctx, r)
	}
}

// reply adds one text reply to the sender. It is written when the message
// is finished, in the same transaction as the inbox row's handled mark
// (see finish), so it cannot fail here. Every handler replies as its last
// step (return d.reply(...)), so deferring the write changes no order in
// the outbox. Keep it so: a handler that wrote other outbox rows AFTER a
// reply would see them sent before the reply.
func (d *replier) reply(_ context.Context, r *Request, text string) error {
	r.outs = append(r.outs, d.replyMsg(r, text))
	return nil
}

// msgKey is the deterministic prefix for messages r causes to other people.
func msgKey(kind string, r *Request) string {
	return kind + ":" + r.In.Key.Sender + ":" + r.In.Key.MsgID + ":" + strconv.FormatInt(r.In.Key.CreateTime, 10)
}

// toOfficials builds one message per official of the unit.
func (d *env) toOfficials(unitKey, kind, keyPrefix, text string, now time.Time) []rules.Outgoing {
	var out []rules.Outgoing
	for _, p := range d.officials[unitKey] {
		out = append(out, rules.Outgoing{
			Kind: kind, Key: keyPrefix + ":" + unitKey + ":" + p.WeChatRemark,
			To: rules.Recipient{Remark: p.WeChatRemark}, Text: text, CreatedAt: now,
		})
	}
	return out
}

// audit writes one audit row; a failure is an error of the handler.
func (d *env) audit(ctx context.Context, r *Request, action, unitKey, detail string) error {
	e := rules.AuditEntry{At: d.clock.Now(), Actor: r.ID.Remark, Action: action, Year: d.year, UnitKey: unitKey, Detail: detail}
	if err := d.store.Audit(ctx, e); err != nil {
		return fmt.Errorf("handlers: audit %s: %w", action, err)
	}
	return nil
}
