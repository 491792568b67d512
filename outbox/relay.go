// Package outbox drains the persistent outbox through a Transport (the
// WeChat bot) at a safe pace. Every message the bot sends is a row written
// in the same transaction as the state change it reports (a receipt, a
// reminder), so a crash never loses one; the relay may send a row twice only
// when it dies between the send and MarkSent, and every text carries its own
// number so such a rare duplicate is recognisable.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
)

// reasonZH says why a message could not be sent, in words the director can
// act on; the technical error goes to the log, never into the chat.
//
// The remark appears only where it is what the director must fix on the
// phone (no contact, or several, carry it); everywhere else a person is
// named by unit and name.
func reasonZH(err error, remark string) string {
	switch {
	case errors.Is(err, rules.ErrNoRecipient) && remark != "":
		return "机器人微信的联系人中找不到备注为“" + remark + "”的人，请在手机上核对该联系人的备注"
	case errors.Is(err, rules.ErrNoRecipient):
		return "机器人微信的联系人中找不到此联系人"
	case errors.Is(err, rules.ErrAmbiguousRecipient) && remark != "":
		return "有多个联系人使用了备注“" + remark + "”，请在手机上改正，使备注唯一"
	case errors.Is(err, rules.ErrAmbiguousRecipient):
		return "有多个联系人与此联系人同名，无法确定发给谁"
	case errors.Is(err, rules.ErrTooOften):
		return "微信提示操作过于频繁，暂时不允许发送"
	case errors.Is(err, rules.ErrOffline):
		return "机器人微信处于离线状态"
	}
	return "微信未能送达（技术原因已记入日志）"
}

// Transport sends one message. Online reports whether a session is up; the
// relay does not claim rows while it is down. Send wraps rules' transport
// errors (rules.ErrTooOften, rules.ErrOffline, rules.ErrNoRecipient,
// rules.ErrAmbiguousRecipient) so the relay can say why a message failed.
type Transport interface {
	Send(ctx context.Context, m rules.Outgoing) error
	Online() bool
}

// Store is the part of *storage.Store the relay uses.
type Store interface {
	Enqueue(ctx context.Context, msgs ...rules.Outgoing) error
	ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]rules.Outgoing, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	MarkRetry(ctx context.Context, id int64, nextTry time.Time, errText string) error
	MarkDead(ctx context.Context, id int64, errText string) error
	SentSince(ctx context.Context, to rules.Recipient, since time.Time) (int, error)
	// Hold puts a claimed row back until a time without counting an attempt.
	Hold(ctx context.Context, id int64, until time.Time, reason string) error
	// HoldRecipient is Hold for the claimed row and, in the same write,
	// every other pending row counting against the same recipient's daily
	// cap; it returns the rows held.
	HoldRecipient(ctx context.Context, id int64, to rules.Recipient, until time.Time, reason string) (int, error)
	// Supersede ends a row unsent: what it asserted no longer holds.
	Supersede(ctx context.Context, id int64, reason string) error
	// Retext records the text (and assertions) a row is sent with.
	Retext(ctx context.Context, id int64, text string, asserts []rules.Obligation) error
}

// Truth re-checks, just before the send, a message that asserts something
// (Outgoing.Rechecked): a reminder whose unit has since submitted must not
// go out, and a digest must describe the moment it is read.
type Truth interface {
	// Recheck returns m as it may be sent at now — unchanged, or its text
	// rebuilt for what still holds — or ok=false when nothing it asserts
	// holds any more (the row is then superseded, never sent).
	Recheck(ctx context.Context, m rules.Outgoing, now time.Time) (out rules.Outgoing, ok bool, err error)
}

// DueChecker is optional for a Store (*storage.Store has it): with it the
// relay checks that a row is due before it paces, so a drain that finds
// nothing returns at once instead of sleeping the pause first.
type DueChecker interface {
	HasDue(ctx context.Context, now time.Time) (bool, error)
}

// Options configures a Relay. Zero values take the defaults noted.
type Options struct {
	Store     Store
	Transport Transport
	Clock     clock.Clock    // default clock.Real
	Logger    *slog.Logger   // default: discard
	Location  *time.Location // day boundary of the per-person cap; default UTC
	// Interval ± Jitter is the pause between two sends (config
	// wechat.send_interval / send_jitter; default 3s ± 1s).
	Interval, Jitter time.Duration
	// DailyCap is the most messages one person gets per day
	// (wechat.daily_cap_per_person; 0 = no cap). Alerts to directors are
	// exempt: they report failures and must get through.
	DailyCap int
	// MaxAttempts before a row is dead (default 8: the 8th retry waits the
	// 15 min cap, about 40 min in all).
	MaxAttempts int
	// Lease on a claimed row (default 2 min): a relay that dies mid-send
	// leaves the row to be claimed again after it.
	Lease time.Duration
	// Poll is how often Run looks for due rows and for the session coming
	// back (default 5s).
	Poll time.Duration
	// Directors' remarks get an alert when a row goes dead.
	Directors []string
	// Contacts names a recipient in that alert as people know them, by
	// remark (rules.ContactLabels: unit and name); a remark it lacks is
	// named 联系人, never by the remark.
	Contacts map[string]string
	// Truth re-checks what bulk messages assert (nil: sent as queued).
	Truth Truth
	// Quiet gives the quiet hours (reminders.quiet_start/quiet_end, in
	// Location): a message due inside them is held to their end unless it
	// answers someone who wrote within rules.ReplyFresh. The zero policy
	// has no quiet hours.
	Quiet rules.ReminderPolicy
	// Sleep waits d or until ctx is done. Tests inject one that advances a
	// fake clock; default a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a float in [0,1) for jitter; default math/rand/v2.
	Rand func() float64
}

// Relay drains the outbox. DrainOnce and Run may be called concurrently;
// drains are serialised so the pace holds.
type Relay struct {
	o        Options
	mu       sync.Mutex
	lastSend time.Time
}

// New returns a Relay with defaults filled in.
func New(o Options) *Relay {
	o.Clock = cmp.Or[clock.Clock](o.Clock, clock.Real{})
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	o.Location = cmp.Or(o.Location, time.UTC)
	if o.Interval == 0 && o.Jitter == 0 {
		o.Interval, o.Jitter = 3*time.Second, time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return &Relay{o: o}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff is the wait before retry number attempt (1-based): attempt^4
// seconds ±10%, capped at 15 minutes. r is a float in [0,1).
func Backoff(attempt int, r float64) time.Duration {
	const maxWait = 15 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	secs := math.Pow(float64(attempt), 4)
	d := time.Duration(secs * float64(time.Second) * (0.9 + 0.2*r))
	if secs > maxWait.Seconds() || d > maxWait {
		return maxWait
	}
	return d
}

// pause is the gap between two sends: Interval ± Jitter.
func (r *Relay) pause() time.Duration {
	d := r.o.Interval + time.Duration((2*r.o.Rand()-1)*float64(r.o.Jitter))
	return max(d, 0)
}

// DrainOnce sends every due row, one at a time at the configured pace,
// until none is due, the transport goes offline, a send fails (the next
// drain goes on: a failing WeChat is not hammered) or ctx ends. It returns
// how many were sent.
func (r *Relay) DrainOnce(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := 0
	for {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		if !r.o.Transport.Online() {
			return sent, nil
		}
		// Keep the pace BEFORE claiming: a relay stopped or killed during
		// the pause holds no row, so nothing waits out a lease. The claim
		// and the send follow each other at once.
		if !r.lastSend.IsZero() {
			if wait := r.pause() - r.o.Clock.Now().Sub(r.lastSend); wait > 0 {
				if dc, ok := r.o.Store.(DueChecker); ok {
					due, err := dc.HasDue(ctx, r.o.Clock.Now())
					if err != nil {
						return sent, fmt.Errorf("outbox: has due: %w", err)
					}
					if !due {
						return sent, nil // nothing to pace for
					}
				}
				if err := r.o.Sleep(ctx, wait); err != nil {
					return sent, err
				}
				if !r.o.Transport.Online() {
					return sent, nil
				}
			}
		}
		rows, err := r.o.Store.ClaimDue(ctx, r.o.Clock.Now(), 1, r.o.Lease)
		if err != nil {
			return sent, fmt.Errorf("outbox: claim: %w", err)
		}
		if len(rows) == 0 {
			return sent, nil
		}
		ok, err := r.deliver(ctx, rows[0])
		if err != nil {
			return sent, err
		}
		switch ok {
		case outcomeSent:
			sent++
		case outcomeFailed:
			return sent, nil
		}
	}
}

type outcome int

const (
	outcomeSent       outcome = iota
	outcomeHeld               // held back by quiet hours or the daily cap
	outcomeSuperseded         // what it asserted no longer holds: never sent
	outcomeFailed
)

// quietExempt: a reply queued within ReplyFresh answers someone who just
// wrote, and they are waiting for it, so quiet hours do not hold it.
func quietExempt(m rules.Outgoing, now time.Time) bool {
	return rules.IsAnswer(m.Kind) && !m.CreatedAt.IsZero() && now.Sub(m.CreatedAt) <= rules.ReplyFresh
}

// deliver sends one claimed row and records the outcome. In order: quiet
// hours (held, not an attempt), the send-time truth (superseded or
// rebuilt), the daily cap, the send.
func (r *Relay) deliver(ctx context.Context, m rules.Outgoing) (outcome, error) {
	log := r.o.Logger.With(slog.Int64("id", m.ID), slog.String("key", m.Key), slog.String("kind", m.Kind))
	if m.Ref != "" {
		// The number a reminder or digest no longer shows its reader: every
		// outcome of the row is logged with it, so a message sent twice
		// shows twice under one number.
		log = log.With(slog.String(refAttr(m.Kind), m.Ref))
	}
	now := r.o.Clock.Now()
	if !quietExempt(m, now) {
		if end, quiet := r.o.Quiet.QuietUntil(now, r.o.Location); quiet {
			log.Info("quiet hours, held", slog.Time("next_try", end))
			if err := r.o.Store.Hold(ctx, m.ID, end, "quiet hours"); err != nil {
				return outcomeFailed, fmt.Errorf("outbox: hold id=%d: %w", m.ID, err)
			}
			return outcomeHeld, nil
		}
	}
	if r.o.Truth != nil && m.Rechecked() {
		checked, ok, err := r.o.Truth.Recheck(ctx, m, now)
		if err != nil {
			// The state could not be read: try again later rather than send
			// something that may no longer be true.
			next := now.Add(Backoff(attemptOf(m), r.o.Rand()))
			log.Error("send-time check failed, will retry", slog.Time("next_try", next), slog.String("err", err.Error()))
			if err := r.o.Store.MarkRetry(ctx, m.ID, next, "send-time check: "+rules.ScrubSecrets(err.Error())); err != nil {
				return outcomeFailed, fmt.Errorf("outbox: mark retry id=%d: %w", m.ID, err)
			}
			return outcomeFailed, nil
		}
		if !ok {
			log.Info("superseded: nothing it asserts still holds")
			if err := r.o.Store.Supersede(ctx, m.ID, "no longer true at send time"); err != nil {
				return outcomeFailed, fmt.Errorf("outbox: supersede id=%d: %w", m.ID, err)
			}
			return outcomeSuperseded, nil
		}
		if checked.Text != m.Text {
			log.Info("rebuilt at send time for what still holds", slog.Int("asserts", len(checked.Asserts)))
			if err := r.o.Store.Retext(ctx, m.ID, checked.Text, checked.Asserts); err != nil {
				return outcomeFailed, fmt.Errorf("outbox: retext id=%d: %w", m.ID, err)
			}
		}
		m = checked
	}
	if r.o.DailyCap > 0 && m.Kind != "alert" && (m.To.Remark != "" || m.To.UserName != "" || m.To.Group != "") {
		y, mo, d := now.In(r.o.Location).Date()
		dayStart := time.Date(y, mo, d, 0, 0, 0, 0, r.o.Location)
		n, err := r.o.Store.SentSince(ctx, m.To, dayStart)
		if err != nil {
			return outcomeFailed, fmt.Errorf("outbox: sent since: %w", err)
		}
		if n >= r.o.DailyCap {
			// The recipient's other queued rows are held with this one: each
			// would meet the same cap, and claiming them one by one cost two
			// commits a row on every drain.
			next := time.Date(y, mo, d+1, 8, 0, 0, 0, r.o.Location)
			held, err := r.o.Store.HoldRecipient(ctx, m.ID, m.To, next, "daily cap per person reached")
			if err != nil {
				return outcomeFailed, fmt.Errorf("outbox: hold recipient id=%d: %w", m.ID, err)
			}
			log.Warn("daily cap reached, the recipient's messages held until tomorrow",
				slog.Int("sent_today", n), slog.Int("held", held), slog.Time("next_try", next))
			return outcomeHeld, nil
		}
	}
	sendErr := r.o.Transport.Send(ctx, m)
	r.lastSend = r.o.Clock.Now()
	if sendErr == nil {
		// Logged before MarkSent: the message is out whatever the store
		// says next. Reminders and digests are logged by number (a few a
		// day per person); replies and receipts only at debug.
		if m.Ref != "" {
			log.Info("sent")
		} else {
			log.Debug("sent")
		}
		if err := r.o.Store.MarkSent(ctx, m.ID, r.lastSend); err != nil {
			// The message went out; if MarkSent is lost the row is sent
			// again after its lease: its number (Ref) logged twice makes
			// that visible.
			return outcomeSent, fmt.Errorf("outbox: mark sent id=%d: %w", m.ID, err)
		}
		return outcomeSent, nil
	}
	if errors.Is(sendErr, rules.ErrTooOften) {
		log.Warn("wechat says too often (1205); backing off — consider a longer send_interval", slog.String("err", sendErr.Error()))
	}
	attempt := attemptOf(m)
	if attempt >= r.o.MaxAttempts {
		log.Error("giving up", slog.Int("attempts", attempt), slog.String("err", sendErr.Error()))
		if err := r.o.Store.MarkDead(ctx, m.ID, rules.ScrubSecrets(sendErr.Error())); err != nil {
			return outcomeFailed, fmt.Errorf("outbox: mark dead id=%d: %w", m.ID, err)
		}
		if m.Kind != "alert" {
			if err := r.o.Store.Enqueue(ctx, deadAlerts(m, attempt, sendErr, r.o.Directors, r.o.Contacts, r.lastSend)...); err != nil {
				return outcomeFailed, fmt.Errorf("outbox: enqueue dead alert id=%d: %w", m.ID, err)
			}
		}
		return outcomeFailed, nil
	}
	next := r.lastSend.Add(Backoff(attempt, r.o.Rand()))
	log.Info("send failed, will retry", slog.Int("attempt", attempt), slog.Time("next_try", next), slog.String("err", sendErr.Error()))
	if err := r.o.Store.MarkRetry(ctx, m.ID, next, rules.ScrubSecrets(sendErr.Error())); err != nil {
		return outcomeFailed, fmt.Errorf("outbox: mark retry id=%d: %w", m.ID, err)
	}
	return outcomeFailed, nil
}

// refAttr names the log attribute of a message's Ref: digest_id for a
// digest (RB-…), reminder_id for the rest (TX-…).
func refAttr(kind string) string {
	if kind == "digest" {
		return "digest_id"
	}
	return "reminder_id"
}

// attemptOf is the number of this try: ClaimDue counts the claim in
// Attempts (storage contract), so a first try reads 1.
func attemptOf(m rules.Outgoing) int { return max(m.Attempts, 1) }

func deadAlerts(m rules.Outgoing, attempts int, cause error, directors []string, contacts map[string]string, now time.Time) []rules.Outgoing {
	var to string
	switch {
	case m.To.Remark != "":
		to = rules.ContactLabel(contacts, m.To.Remark)
	case m.To.Group != "":
		to = "群“" + m.To.Group + "”"
	default:
		to = "临时会话联系人"
	}
	text := fmt.Sprintf("【系统告警】发给“%s”的一条消息（%s）尝试%d次仍未发出，已停止重试。\n原因：%s\n消息开头：%s\n如有需要，请直接联系对方。",
		to, kindLabel(m.Kind), attempts, reasonZH(cause, m.To.Remark), head(m.Text, 40))
	var out []rules.Outgoing
	for _, d := range directors {
		out = append(out, rules.Outgoing{
			Key:       fmt.Sprintf("alert:dead:%d:%s", m.ID, d),
			Kind:      "alert",
			To:        rules.Recipient{Remark: d},
			Text:      text,
			Status:    rules.OutboxPending,
			NextTry:   now,
			CreatedAt: now,
		})
	}
	return out
}

func kindLabel(k string) string {
	switch k {
	case "receipt":
		return "回执"
	case "reminder":
		return "提醒"
	case "broadcast":
		return "通知"
	case "feedback":
		return "反馈意见"
	case "digest":
		return "汇总"
	case "reply":
		return "回复"
	}
	return k
}

func head(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Run drains until ctx ends: every Poll while online, and it waits while
// the transport is offline (rows stay pending; nothing is dropped).
func (r *Relay) Run(ctx context.Context) error {
	for {
		if r.o.Transport.Online() {
			if _, err := r.DrainOnce(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.o.Logger.Error("outbox drain failed", slog.String("err", err.Error()))
			}
		}
		if err := r.o.Sleep(ctx, r.o.Poll); err != nil {
			return err
		}
	}
}
