package bot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/rules"
)

// onMessage is openwechat's MessageHandler. It runs on the single sync
// goroutine, after the batch's dump was buffered (see hotStore): it converts
// the message and blocks until the Intake has durably accepted it. Nothing
// here may panic the process.
func (s *session) onMessage(msg *openwechat.Message) {
	defer func() {
		// Last line of defence: openwechat runs handlers without recover,
		// so any panic here would kill the process (#276).
		if r := recover(); r != nil {
			s.c.log.Error("panic in message handler", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	in, ok := s.convertSafe(msg)
	if !ok {
		return
	}
	if _, batched := s.c.in.(BatchIntake); batched {
		// Handed over with the rest of the batch by endBatch, before the
		// batch's SyncKey may be committed.
		s.batch = append(s.batch, in)
		return
	}
	s.accept(in)
}

// endBatch hands the buffered batch to a BatchIntake in one AcceptBatch
// call, on the sync goroutine, retrying errors with backoff like accept.
// It reports whether the batch is recorded (or there was none), i.e.
// whether the batch's SyncKey may be committed; false means the session
// ended first: the store is closed and the batch will be delivered again.
func (s *session) endBatch() bool {
	if len(s.batch) == 0 {
		return true
	}
	bi := s.c.in.(BatchIntake)
	ins := s.batch
	for attempt := 0; ; attempt++ {
		err := s.acceptBatchOnce(bi, ins)
		if err == nil {
			s.c.intakeRecorded(len(ins))
			s.batch = nil
			return true
		}
		var pe *intakePanic
		if errors.As(err, &pe) {
			// Find the poisoned message the slow way: one by one, each with
			// accept's retry and skip rules. Those recorded by the batch
			// call (if any) are duplicates the Intake drops.
			s.c.log.Error("intake panicked on a batch; accepting its messages one by one", "messages", len(ins), "err", err)
			for _, in := range ins {
				if !s.accept(in) {
					return false
				}
			}
			s.batch = nil
			return true
		}
		if s.ctx.Err() != nil {
			// Never recorded: keep the old SyncKey on disk so the next
			// login delivers the batch again.
			s.store.close()
			s.c.log.Warn("session ended before the intake recorded a batch; it will be delivered again",
				"messages", len(ins), "err", err)
			return false
		}
		s.c.intakeFailed(err)
		d := s.c.o.SyncBackoff.delay(attempt)
		s.c.log.Error("intake refused a batch; retrying", "messages", len(ins), "err", err, "retry_in", d)
		if !sleepCtx(s.ctx, d) {
			s.store.close()
			return false
		}
	}
}

func (s *session) acceptBatchOnce(bi BatchIntake, ins []rules.Inbound) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &intakePanic{v: r}
			s.c.log.Error("intake panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return bi.AcceptBatch(s.ctx, ins)
}

// convertSafe converts msg, recovering from panics in openwechat's helpers
// (#548: SenderInGroup and friends). A message that cannot be converted is
// still delivered as MsgOther from its raw sender, so it is not silently lost.
func (s *session) convertSafe(msg *openwechat.Message) (in rules.Inbound, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.c.log.Error("panic converting message; delivering as other", "panic", r,
				"msg_id", msg.MsgId, "type", int(msg.MsgType), "stack", string(debug.Stack()))
			in = rules.Inbound{
				Key:        rules.InboundKey{Sender: msg.FromUserName, MsgID: msgID(msg), CreateTime: msg.CreateTime},
				From:       rules.Contact{UserName: msg.FromUserName},
				Kind:       rules.MsgOther,
				ReceivedAt: s.c.now(),
			}
			ok = msg.FromUserName != "" && !strings.HasPrefix(msg.FromUserName, "@@")
		}
	}()
	return s.convert(msg)
}

// accept hands in to the Intake and retries errors with backoff until it is
// recorded or the session ends. Blocking the sync goroutine here is on
// purpose: until the Intake can record, consuming further messages (and
// advancing the SyncKey) would only lose them. It reports false when the
// session ended first (the store is then closed).
func (s *session) accept(in rules.Inbound) bool {
	panics := 0
	for attempt := 0; ; attempt++ {
		err := s.acceptOnce(in)
		if err == nil {
			s.c.intakeRecorded(1)
			return true
		}
		var pe *intakePanic
		if errors.As(err, &pe) {
			panics++
			if panics >= 3 {
				// A deterministic crash in the Intake: skip it, so one bad
				// message cannot stall every message behind it.
				s.c.log.Error("intake panics on this message; skipping it", "key", in.Key, "err", err)
				return true
			}
		}
		if s.ctx.Err() != nil {
			// Never recorded: keep the old SyncKey on disk so the next
			// login delivers the batch again.
			s.store.close()
			s.c.log.Warn("session ended before the intake recorded a message; it will be delivered again",
				"key", in.Key, "err", err)
			return false
		}
		s.c.intakeFailed(err)
		d := s.c.o.SyncBackoff.delay(attempt)
		s.c.log.Error("intake refused a message; retrying", "key", in.Key, "err", err, "retry_in", d)
		if !sleepCtx(s.ctx, d) {
			s.store.close()
			return false
		}
	}
}

func (s *session) acceptOnce(in rules.Inbound) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &intakePanic{v: r}
			s.c.log.Error("intake panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return s.c.in.Accept(s.ctx, in)
}

// intakePanic is a recovered panic of Intake.Accept.
type intakePanic struct{ v any }

func (p *intakePanic) Error() string { return fmt.Sprintf("bot: panic in Intake.Accept: %v", p.v) }

func msgID(msg *openwechat.Message) string {
	if msg.MsgId != "" {
		return msg.MsgId
	}
	return strconv.FormatInt(msg.NewMsgId, 10)
}

// convert turns an openwechat message into rules.Inbound; ok=false means the
// message is not for the intake (self-sent, status notify, system accounts,
// official accounts, groups not configured).
func (s *session) convert(msg *openwechat.Message) (rules.Inbound, bool) {
	log := s.c.log
	if msg.StatusNotify() || msg.IsSendBySelf() {
		return rules.Inbound{}, false
	}
	from := msg.FromUserName
	in := rules.Inbound{ReceivedAt: s.c.now()}
	if strings.HasPrefix(from, "@") {
		s.ensureContacts()
	}

	switch {
	case strings.HasPrefix(from, "@@"):
		name, err := s.groupName(msg)
		if err != nil {
			log.Warn("group message: group unknown; ignored", "group", from, "err", err)
			return rules.Inbound{}, false
		}
		if !s.c.groupWanted(name) {
			log.Debug("message from an unconfigured group ignored", "group", name)
			return rules.Inbound{}, false
		}
		if msg.IsSystem() {
			// "X joined the group" and the like: there is no sender.
			log.Debug("group system message ignored", "group", name)
			return rules.Inbound{}, false
		}
		// SenderInGroup returns a nil user whenever err != nil (#548).
		member, err := msg.SenderInGroup()
		if err != nil || member == nil {
			log.Warn("group message: sender not resolved; ignored", "group", name, "msg_id", msg.MsgId, "err", err)
			return rules.Inbound{}, false
		}
		in.Group = name
		in.From = rules.Contact{UserName: member.UserName, NickName: openwechat.FormatEmoji(member.NickName)}
		if fr, ok := s.snapshot().byUser[member.UserName]; ok && fr.friend {
			in.From.Remark = fr.remark
		}
	case strings.HasPrefix(from, "@"):
		fr, ok := s.lookupSender(from)
		if ok && fr.mp {
			log.Debug("official account message ignored", "from", fr.nick)
			return rules.Inbound{}, false
		}
		in.From = rules.Contact{UserName: from}
		if ok {
			in.From.NickName = fr.nick
			in.From.Remark = fr.remark
		}
	default:
		// filehelper, fmessage (friend requests), weixin and other system
		// senders are not people submitting documents.
		log.Debug("message from a system account ignored", "from", from, "type", int(msg.MsgType))
		return rules.Inbound{}, false
	}

	sender := in.From.Remark
	if sender == "" {
		// Not a remark: the per-session handle (it always starts with "@"),
		// so the intake can tell it apart and decide what to do.
		sender = in.From.UserName
	}
	in.Key = rules.InboundKey{Sender: sender, MsgID: msgID(msg), CreateTime: msg.CreateTime}

	switch {
	case msg.IsText():
		in.Kind, in.Text = rules.MsgText, msg.Content
	case msg.HasAttachment():
		in.Kind = rules.MsgFile
		size, _ := strconv.ParseInt(strings.TrimSpace(msg.FileSize), 10, 64)
		in.File = &rules.InboundFile{Name: msg.FileName, Size: size, Open: s.mediaOpener(msg)}
	case msg.IsPicture():
		in.Kind = rules.MsgImage
		in.File = &rules.InboundFile{Name: "图片_" + msgID(msg) + ".jpg", Open: s.imageOpener(msg)}
	default:
		in.Kind = rules.MsgOther
	}
	return in, true
}

func (c *Client) groupWanted(name string) bool {
	for _, g := range c.o.Groups {
		if g == name {
			return true
		}
	}
	return false
}

// groupName resolves a group's NickName from our snapshot, falling back to
// openwechat's own cache/network lookup (on the sync goroutine, where that
// cache lives).
func (s *session) groupName(msg *openwechat.Message) (string, error) {
	if g, ok := s.snapshot().byUser[msg.FromUserName]; ok && g.group {
		return g.nick, nil
	}
	g, err := msg.Sender()
	if err != nil {
		return "", err
	}
	if g == nil {
		return "", openwechat.ErrNoSuchUserFound
	}
	return openwechat.FormatEmoji(g.NickName), nil
}

// ensureContacts loads the contact list if no snapshot exists yet: the first
// batch (e.g. the backlog after a login) can reach the handler before the
// login goroutine's initial fetch finishes; waiting for it costs one request
// instead of one lookup per unknown sender.
func (s *session) ensureContacts() {
	if s.contacts.Load() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := s.refreshContacts(ctx, false); err != nil {
		s.c.log.Warn("contact list not loaded", "err", err)
	}
}

// lookupSender finds a 1:1 sender in the snapshot; an unknown one (a new
// friend, or a remark set since the last refresh) is fetched alone with
// webwxbatchgetcontact — one short request — and a full refresh is scheduled.
func (s *session) lookupSender(userName string) (*contactInfo, bool) {
	if ci, ok := s.snapshot().byUser[userName]; ok {
		return ci, true
	}
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	defer cancel()
	ci, err := s.fetchOne(ctx, userName)
	if err != nil {
		s.c.log.Warn("unknown sender not resolved", "user", userName, "err", err)
		return nil, false
	}
	go func() {
		if err := s.refreshContacts(s.ctx, false); err != nil {
			s.c.log.Warn("contact refresh failed", "err", err)
		}
	}()
	return ci, true
}

// mediaOpener streams an attachment (webwxgetmedia on file.<domain>).
func (s *session) mediaOpener(msg *openwechat.Message) func(context.Context) (io.ReadCloser, error) {
	// Copy what the request needs now: the Message must not be touched from
	// the intake's worker goroutines (Message.WithContext mutates it).
	ref := struct{ from, mediaID, encName, name string }{msg.FromUserName, msg.MediaId, msg.EncryFileName, msg.FileName}
	client, info, timeout := s.bot.Caller.Client, s.info(), s.c.o.DownloadTimeout
	return func(ctx context.Context) (io.ReadCloser, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		m := &openwechat.Message{FromUserName: ref.from, MediaId: ref.mediaID, EncryFileName: ref.encName}
		resp, err := client.WebWxGetMedia(ctx, m, info)
		return checkDownload(resp, err, cancel, ref.name)
	}
}

// imageOpener streams a picture (webwxgetmsgimg).
func (s *session) imageOpener(msg *openwechat.Message) func(context.Context) (io.ReadCloser, error) {
	id := msg.MsgId
	client, info, timeout := s.bot.Caller.Client, s.info(), s.c.o.DownloadTimeout
	return func(ctx context.Context) (io.ReadCloser, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := client.WebWxGetMsgImg(ctx, &openwechat.Message{MsgId: id}, info)
		return checkDownload(resp, err, cancel, "")
	}
}

// checkDownload turns a media response into a stream, or an error for
// anything that is not the document: openwechat never checks the status, so
// an error page would otherwise be stored as the file.
func checkDownload(resp *http.Response, err error, cancel context.CancelFunc, name string) (io.ReadCloser, error) {
	if err != nil {
		cancel()
		return nil, fmt.Errorf("bot: download: %w", err)
	}
	fail := func(format string, args ...any) (io.ReadCloser, error) {
		_ = resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("bot: download: "+format, args...)
	}
	if resp.StatusCode != http.StatusOK {
		return fail("HTTP status %d", resp.StatusCode)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/html" {
		return fail("server returned an HTML page (Content-Type %s)", ct)
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	ext := strings.ToLower(path.Ext(name))
	if ext != ".html" && ext != ".htm" {
		head, _ := br.Peek(512)
		if looksLikeHTML(head) {
			return fail("server returned an HTML page instead of the file")
		}
	}
	return &download{Reader: br, body: resp.Body, cancel: cancel}, nil
}

func looksLikeHTML(head []byte) bool {
	h := bytes.ToLower(bytes.TrimLeft(head, " \t\r\n\ufeff"))
	h = bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<title"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return false
}

type download struct {
	*bufio.Reader
	body   io.Closer
	cancel context.CancelFunc
}

func (d *download) Close() error {
	err := d.body.Close()
	d.cancel()
	return err
}
