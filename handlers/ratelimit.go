package handlers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"dudaobot/rules"
)

// One sender may give at most Options.RateLimit (20) commands in any
// rateWindow; the next one gets textTooFast once, and the sender's texts
// are then ignored (recorded and marked handled, never answered) for
// rateWindow. Files and images never count and are never ignored: a
// submission is stored and receipted whatever the rate, because losing one
// is worse than a busy queue. Group chatter the bot does not answer does
// not count either.
const (
	rateWindow  = time.Minute
	textTooFast = "操作过于频繁，请稍后再试。"
)

// senderRate is one sender's recent commands.
type senderRate struct {
	times      []time.Time // arrivals inside the window, oldest first
	mutedUntil time.Time
}

// rateLimiter counts each sender's commands in memory. Its mutex guards
// the counts only (no I/O under it).
type rateLimiter struct {
	replier
	perWindow int // Options.RateLimit; negative: off

	mu    sync.Mutex
	rates map[string]*senderRate // sender → recent commands
}

func newRateLimiter(rep replier, perWindow int) *rateLimiter {
	return &rateLimiter{replier: rep, perWindow: perWindow, rates: map[string]*senderRate{}}
}

type rateVerdict int

const (
	rateAdmitted rateVerdict = iota
	rateJustMuted
	rateMuted
)

// limit applies the per-sender rate limit; it runs after identify, on the
// sender's worker, and only counts in memory (no I/O under the mutex).
func (d *rateLimiter) limit(next Handler) Handler {
	return func(ctx context.Context, r *Request) error {
		switch {
		case d.perWindow < 0:
			return next(ctx, r)
		case r.In.Kind == rules.MsgFile || r.In.Kind == rules.MsgImage:
			return next(ctx, r)
		case r.In.Group != "" && (r.Word == OnOther || r.Word == OnUnknown && !r.Mentioned):
			return next(ctx, r) // chatter: silence anyway
		}
		switch d.admit(r.sender, r.At) {
		case rateJustMuted:
			d.log.Warn("sender rate-limited", slog.String("remark", r.ID.Remark), slog.String("msg_id", r.In.Key.MsgID),
				slog.Int("limit", d.perWindow), slog.Duration("window", rateWindow))
			if r.ID.Role == rules.RoleStranger {
				return nil // strangers hear once a day, from refuseStranger
			}
			return d.reply(ctx, r, textTooFast)
		case rateMuted:
			d.log.Info("ignored: rate-limited", slog.String("remark", r.ID.Remark), slog.String("msg_id", r.In.Key.MsgID))
			return nil
		}
		return next(ctx, r)
	}
}

// admit counts one command of sender at at.
func (d *rateLimiter) admit(sender string, at time.Time) rateVerdict {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.rates[sender]
	if s == nil {
		if len(d.rates) >= 10000 { // bound the memory: forget quiet senders
			for k, v := range d.rates {
				if n := len(v.times); !at.Before(v.mutedUntil) && (n == 0 || at.Sub(v.times[n-1]) > rateWindow) {
					delete(d.rates, k)
				}
			}
		}
		s = &senderRate{}
		d.rates[sender] = s
	}
	if at.Before(s.mutedUntil) {
		return rateMuted
	}
	cut := at.Add(-rateWindow)
	i := 0
	for i < len(s.times) && !s.times[i].After(cut) {
		i++
	}
	s.times = append(s.times[i:], at)
	if len(s.times) > d.perWindow {
		s.times, s.mutedUntil = nil, at.Add(rateWindow)
		return rateJustMuted
	}
	return rateAdmitted
}
