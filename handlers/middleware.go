package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"dudaobot/rules"
)

// recoverer turns a panic into an error, so that one poisoned message can
// never take the bot down. It guards both halves: Accept on the sync
// goroutine and each message on its worker.
func recoverer(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, r *Request) (err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("handler panic", slog.String("msg_id", r.In.Key.MsgID),
						slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
					err = fmt.Errorf("handlers: panic in %q: %v", r.Word, p)
				}
			}()
			return next(ctx, r)
		}
	}
}

// logger records every message that reaches the bot: who (remark, never the
// text of strangers), what kind and which command word.
func logger(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, r *Request) error {
			logInbound(log, r)
			err := next(ctx, r)
			if err != nil {
				log.Error("inbound not recorded", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
			}
			return err
		}
	}
}

func logInbound(log *slog.Logger, r *Request) {
	log.Info("inbound",
		slog.String("msg_id", r.In.Key.MsgID),
		slog.String("remark", r.In.From.Remark),
		slog.String("kind", string(r.In.Kind)),
		slog.String("word", printable(r.Word)),
		slog.String("group", r.In.Group),
		slog.Bool("recovered", r.recovered))
}

// dedupe drops a message already seen. Known senders get a durable inbox
// row (the sync position may only move after it commits); strangers are
// never stored, so theirs is remembered in memory only. AcceptBatch does
// the same for a whole batch with the same two helpers.
func (d *Intake) dedupe(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		if r.recovered {
			r.sender = r.In.Key.Sender
			return next(ctx, r)
		}
		rec, known := d.inboxRecord(r)
		isNew := true
		if known {
			var err error
			isNew, err = d.inbox.RecordInbound(ctx, rec.Key, rec.Kind, rec.Text, rec.ReceivedAt)
			if err != nil {
				return fmt.Errorf("handlers: record inbound: %w", err)
			}
		}
		if d.duplicate(r, known, !isNew) {
			return nil
		}
		return next(ctx, r)
	}
}

// inboxRecord names r's sender, for the dedupe key and the worker: a known
// person by their remark (never the per-session UserName), a stranger by
// this session's handle. For a known person it returns the inbox row.
func (d *Intake) inboxRecord(r *Request) (rules.InboundRecord, bool) {
	id, known := d.binds.lookup(r.In.From)
	if !known {
		r.sender = "u:" + r.In.From.UserName
		return rules.InboundRecord{}, false
	}
	r.In.Key.Sender = id.Remark
	r.sender = id.Remark
	text := r.In.Text
	if r.In.File != nil {
		text = r.In.File.Name // shown again if the file must be resent
	}
	return rules.InboundRecord{Key: r.In.Key, Kind: r.In.Kind, Text: text, ReceivedAt: r.At}, true
}

// duplicate reports whether r was seen before, and logs the drop: a known
// sender's by the inbox (recorded says the row already existed), a
// stranger's by the strangers' memory.
func (d *Intake) duplicate(r *Request, known, recorded bool) bool {
	switch {
	case known && recorded:
		d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.In.Key.Sender))
		return true
	case !known && d.strangers.seen(r.sender+"|"+r.In.Key.MsgID+"|"+strconv.FormatInt(r.In.Key.CreateTime, 10)):
		d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID))
		return true
	}
	return false
}

// strangers is the memory of unknown contacts, never stored: the keys of
// their messages (dedupe) and the day each was last refused. Its mutex
// guards the maps only.
type strangers struct {
	replier
	loc *time.Location

	mu      sync.Mutex
	refused map[string]rules.Date // UserName → day of the last refusal
	seenNew map[string]struct{}   // message keys, two generations
	seenOld map[string]struct{}
}

func newStrangers(rep replier, loc *time.Location) *strangers {
	return &strangers{replier: rep, loc: loc, refused: map[string]rules.Date{},
		seenNew: map[string]struct{}{}, seenOld: map[string]struct{}{}}
}

// seen remembers a stranger's message key; it keeps two generations of at
// most strangerMemory keys each.
func (s *strangers) seen(key string) bool {
	const strangerMemory = 4096
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seenNew[key]; ok {
		return true
	}
	if _, ok := s.seenOld[key]; ok {
		return true
	}
	if len(s.seenNew) >= strangerMemory {
		s.seenOld, s.seenNew = s.seenNew, map[string]struct{}{}
	}
	s.seenNew[key] = struct{}{}
	return false
}

// handoff ends the part of the chain that runs inside Accept: the rest
// (identify, authorise, the handler) runs on the sender's worker, in
// arrival order. The worker is the one place where a handler's error
// becomes a reply, and where the inbox row is marked handled.
func (d *Intake) handoff(next Handler) Handler {
	guarded := recoverer(d.log)(next)
	return func(ctx context.Context, r *Request) error {
		job := func(ctx context.Context) {
			start := d.clock.Now()
			err := guarded(ctx, r)
			if err != nil {
				d.rep.fail(ctx, r, err)
			}
			d.finish(ctx, r)
			d.log.Info("handled", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.ID.Remark),
				slog.String("word", printable(r.Word)), slog.Duration("took", d.clock.Now().Sub(start)),
				slog.Bool("ok", err == nil))
		}
		if d.sync {
			job(ctx)
			return nil
		}
		d.work.enqueue(r.sender, job)
		return nil
	}
}

// finish writes the replies the handler queued with reply and the inbox
// row's handled mark in ONE transaction (InboxStore.FinishInbound): a crash
// leaves both or neither, and neither means Recover runs the message again
// (the reply keys are deterministic, so nothing is queued twice). Strangers
// have no inbox row: their replies are only queued.
func (d *Intake) finish(ctx context.Context, r *Request) {
	outs := r.outs
	r.outs = nil
	if r.ID.Role != rules.RoleStranger || r.recovered {
		if err := d.inbox.FinishInbound(ctx, r.In.Key, outs); err != nil {
			d.log.Error("mark inbound handled", slog.String("msg_id", r.In.Key.MsgID),
				slog.Int("replies", len(outs)), slog.Any("err", err))
		}
		return
	}
	if len(outs) > 0 {
		if err := d.inbox.Enqueue(ctx, outs...); err != nil {
			d.log.Error("reply not queued", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		}
	}
}

// identify resolves the sender from the remark (or this session's code
// binding). Everyone else is a stranger.
func (d *Intake) identify(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		if id, ok := d.binds.lookup(r.In.From); ok {
			r.ID = id
		} else {
			r.ID = rules.Identity{Role: rules.RoleStranger, Name: r.In.From.NickName}
		}
		return next(ctx, r)
	}
}

// authorise applies the route's Access: role, and group or private chat.
func (d *Intake) authorise(next Handler) Handler {
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
			return d.strangers.refuse(ctx, r)
		}
		if inGroup {
			switch {
			case rt.word == OnOther, rt.word == OnUnknown && !r.Mentioned:
				return nil // ordinary group chatter
			case rt.word == OnFile:
				return userErr(ErrForbidden, "请私聊机器人提交材料，群聊中发送的文件不会登记。")
			case rt.word == OnUnknown:
				// Words to the bot (「@机器人 收到了」): the intent layer
				// answers only what is safe in a group (groupWords).
			case rt.access&InGroups == 0:
				return userErr(ErrForbidden, "为保护各单位信息，请私聊机器人使用“"+rt.word+"”。")
			}
		}
		if rt.access&accessOf(r.ID.Role) == 0 {
			if r.ID.Role == rules.RoleInspector {
				return userErr(ErrForbidden, textInspectorOnly)
			}
			if rt.access&Inspectors != 0 && rt.access&Directors != 0 {
				return userErr(ErrForbidden, "“"+rt.word+"”仅限督导办主任和督学使用。发送“帮助”可查看您可用的命令。")
			}
			if rt.access&Directors != 0 {
				return userErr(ErrForbidden, "“"+rt.word+"”仅限督导办主任使用。发送“帮助”可查看您可用的命令。")
			}
			return userErr(ErrForbidden, "“"+rt.word+"”供各责任单位联系人使用。发送“帮助”可查看主任可用的命令。")
		}
		return next(ctx, r)
	}
}

// refuse answers an unknown contact once per day, by session
// handle only; nothing of theirs is stored.
func (d *strangers) refuse(ctx context.Context, r *Request) error {
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
