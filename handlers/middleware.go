package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"dudaobot/rules"
)

// recoverer turns a panic into an error, so that one poisoned message can
// never take the bot down. It guards both halves: Accept on the sync
// goroutine and each message on its worker.
func (d *Dispatcher) recoverer(next Handler) Handler {
	return func(ctx context.Context, r *Request) (err error) {
		defer func() {
			if p := recover(); p != nil {
				d.log.Error("handler panic", slog.String("msg_id", r.In.Key.MsgID),
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				err = fmt.Errorf("handlers: panic in %q: %v", r.Word, p)
			}
		}()
		return next(ctx, r)
	}
}

// logger records every message that reaches the bot: who (remark, never the
// text of strangers), what kind and which command word.
func (d *Dispatcher) logger(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		d.logInbound(r)
		err := next(ctx, r)
		if err != nil {
			d.log.Error("inbound not recorded", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		}
		return err
	}
}

func (d *Dispatcher) logInbound(r *Request) {
	d.log.Info("inbound",
		slog.String("msg_id", r.In.Key.MsgID),
		slog.String("remark", r.In.From.Remark),
		slog.String("kind", string(r.In.Kind)),
		slog.String("word", printable(r.Word)),
		slog.String("group", r.In.Group),
		slog.Bool("recovered", r.recovered))
}

// dedupe drops a message already seen. Known senders get a durable inbox
// row (the sync position may only move after it commits); strangers are
// never stored, so theirs is remembered in memory only.
func (d *Dispatcher) dedupe(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		if r.recovered {
			r.sender = r.In.Key.Sender
			return next(ctx, r)
		}
		id, known := d.lookup(r.In.From)
		if !known {
			r.sender = "u:" + r.In.From.UserName
			if d.seenStranger(r.sender + "|" + r.In.Key.MsgID + "|" + strconv.FormatInt(r.In.Key.CreateTime, 10)) {
				d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID))
				return nil
			}
			return next(ctx, r)
		}
		// The dedupe key is the identity, never the per-session UserName.
		r.In.Key.Sender = id.Remark
		r.sender = id.Remark
		text := r.In.Text
		if r.In.File != nil {
			text = r.In.File.Name // shown again if the file must be resent
		}
		isNew, err := d.store.RecordInbound(ctx, r.In.Key, r.In.Kind, text, r.At)
		if err != nil {
			return fmt.Errorf("handlers: record inbound: %w", err)
		}
		if !isNew {
			d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", id.Remark))
			return nil
		}
		return next(ctx, r)
	}
}

// seenStranger remembers a stranger's message key; it keeps two
// generations of at most strangerMemory keys each.
func (d *Dispatcher) seenStranger(key string) bool {
	const strangerMemory = 4096
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[key]; ok {
		return true
	}
	if _, ok := d.seenOld[key]; ok {
		return true
	}
	if len(d.seen) >= strangerMemory {
		d.seenOld, d.seen = d.seen, map[string]struct{}{}
	}
	d.seen[key] = struct{}{}
	return false
}

// handoff ends the part of the chain that runs inside Accept: the rest
// (identify, authorise, the handler) runs on the sender's worker, in
// arrival order. The worker is the one place where a handler's error
// becomes a reply, and where the inbox row is marked handled.
func (d *Dispatcher) handoff(next Handler) Handler {
	guarded := d.recoverer(next)
	return func(ctx context.Context, r *Request) error {
		job := func(ctx context.Context) {
			start := d.clock.Now()
			err := guarded(ctx, r)
			if err != nil {
				d.fail(ctx, r, err)
			}
			d.finish(ctx, r)
			d.log.Info("handled", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.ID.Remark),
				slog.String("word", printable(r.Word)), slog.Duration("took", d.clock.Now().Sub(start)),
				slog.Bool("ok", err == nil))
		}
		if d.o.Synchronous {
			job(ctx)
			return nil
		}
		d.enqueueJob(r.sender, func() {
			ctx, cancel := context.WithTimeout(d.runCtx, 10*time.Minute)
			defer cancel()
			job(ctx)
		})
		return nil
	}
}

// finish writes the replies the handler queued with d.reply and the inbox
// row's handled mark in ONE transaction (Store.FinishInbound): a crash
// leaves both or neither, and neither means Recover runs the message again
// (the reply keys are deterministic, so nothing is queued twice). Strangers
// have no inbox row: their replies are only queued.
func (d *Dispatcher) finish(ctx context.Context, r *Request) {
	outs := r.outs
	r.outs = nil
	if r.ID.Role != rules.RoleStranger || r.recovered {
		if err := d.store.FinishInbound(ctx, r.In.Key, outs); err != nil {
			d.log.Error("mark inbound handled", slog.String("msg_id", r.In.Key.MsgID),
				slog.Int("replies", len(outs)), slog.Any("err", err))
		}
		return
	}
	if len(outs) > 0 {
		if err := d.store.Enqueue(ctx, outs...); err != nil {
			d.log.Error("reply not queued", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		}
	}
}

// identify resolves the sender from the remark (or this session's code
// binding). Everyone else is a stranger.
func (d *Dispatcher) identify(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		if id, ok := d.lookup(r.In.From); ok {
			r.ID = id
		} else {
			r.ID = rules.Identity{Role: rules.RoleStranger, Name: r.In.From.NickName}
		}
		return next(ctx, r)
	}
}

// authorise applies the route's Access: role, and group or private chat.
func (d *Dispatcher) authorise(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		rt := r.route
		inGroup := r.In.Group != ""
		if r.ID.Role == rules.RoleStranger {
			switch {
			case inGroup:
				return nil // strangers in a group: silence
			case rt.access&Strangers != 0:
				return next(ctx, r)
			}
			return d.refuseStranger(ctx, r)
		}
		if inGroup {
			switch {
			case rt.word == OnOther, rt.word == OnUnknown && !r.Mentioned:
				return nil // ordinary group chatter
			case rt.word == OnFile:
				return userErr(ErrForbidden, "请私聊机器人提交材料，群聊中发送的文件不会登记。")
			case rt.access&InGroups == 0:
				return userErr(ErrForbidden, "为保护各单位信息，请私聊机器人使用“"+rt.word+"”。")
			}
		}
		if rt.access&accessOf(r.ID.Role) == 0 {
			if rt.access&Directors != 0 {
				return userErr(ErrForbidden, "“"+rt.word+"”仅限督导办主任使用。发送“帮助”可查看您可用的命令。")
			}
			return userErr(ErrForbidden, "“"+rt.word+"”供各责任单位联系人使用。发送“帮助”可查看主任可用的命令。")
		}
		return next(ctx, r)
	}
}

// refuseStranger answers an unknown contact once per day, by session
// handle only; nothing of theirs is stored.
func (d *Dispatcher) refuseStranger(ctx context.Context, r *Request) error {
	today := rules.DateOf(d.clock.Now(), d.loc)
	d.mu.Lock()
	last, ok := d.refused[r.In.From.UserName]
	if !ok || last != today {
		if len(d.refused) > 10000 { // strangers are never stored; bound the memory
			clear(d.refused)
		}
		d.refused[r.In.From.UserName] = today
	}
	d.mu.Unlock()
	if ok && last == today {
		return nil
	}
	return d.reply(ctx, r, textStranger)
}

func printable(word string) string {
	if len(word) > 0 && word[0] == '\a' {
		return word[1:]
	}
	return word
}
