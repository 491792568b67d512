package outbox_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/outbox"
	"dudaobot/rules"
)

func reply(key, to string, created time.Time) rules.Outgoing {
	return rules.Outgoing{Key: key, Kind: "reply", To: rules.Recipient{Remark: to}, Text: "回复 " + key, CreatedAt: created}
}

func bulk(key, kind, to string) rules.Outgoing {
	return rules.Outgoing{Key: key, Kind: kind, To: rules.Recipient{Remark: to}, Text: kind + " " + key}
}

func (e *env) sentKeys() []string {
	var keys []string
	for _, m := range e.tr.sent {
		keys = append(keys, m.Key)
	}
	return keys
}

// TestRelayLanesTurnsQuietAndReplace is the relay's table: what is sent, in
// which order, and what is held or superseded, for each queue.
func TestRelayLanesTurnsQuietAndReplace(t *testing.T) {
	night := time.Date(2027, 3, 1, 22, 0, 0, 0, sh)
	morning := time.Date(2027, 3, 2, 8, 0, 0, 0, sh)
	withReplace := func(m rules.Outgoing, rk string) rules.Outgoing { m.ReplaceKey = rk; return m }
	tests := []struct {
		name   string
		now    time.Time
		queue  func(now time.Time) [][]rules.Outgoing // one Enqueue call per element, in order
		sent   []string
		held   map[string]time.Time // key → next_try, attempts back to 0
		superd []string
	}{
		{
			name: "ReceiptBeforeEarlierReminders",
			now:  t0,
			queue: func(now time.Time) [][]rules.Outgoing {
				return [][]rules.Outgoing{
					{bulk("r1", "reminder", "督导-czj"), bulk("r2", "reminder", "督导-gaj"), bulk("r3", "reminder", "督导-mzj")},
					{{Key: "receipt:1", Kind: "receipt", To: rules.Recipient{Remark: "督导-jyj"}, Text: "【回执】"}},
				}
			},
			sent: []string{"receipt:1", "r1", "r2", "r3"},
		},
		{
			name: "RoundRobinWithinBulk",
			now:  t0,
			queue: func(now time.Time) [][]rules.Outgoing {
				return [][]rules.Outgoing{
					{bulk("bc:a", "broadcast", "a"), bulk("bc:b", "broadcast", "b")},
					{bulk("rem:a", "reminder", "a"), bulk("digest:a", "digest", "a")},
					{bulk("alert:d", "alert", "d")},
				}
			},
			sent: []string{"alert:d", "bc:a", "bc:b", "rem:a", "digest:a"}, // an alert goes in the first lane
		},
		{
			name: "QuietHours_BulkHeldToTheirEnd",
			now:  night,
			queue: func(now time.Time) [][]rules.Outgoing {
				alert := bulk("alert", "alert", "d") // first lane, but not an answer: held too
				alert.CreatedAt = now
				return [][]rules.Outgoing{{bulk("rem", "reminder", "a"), bulk("bc", "broadcast", "b"), alert}}
			},
			held: map[string]time.Time{"rem": morning, "bc": morning, "alert": morning},
		},
		{
			name: "QuietHours_FreshReplySentStaleReplyHeld",
			now:  night,
			queue: func(now time.Time) [][]rules.Outgoing {
				return [][]rules.Outgoing{{
					reply("fresh", "a", now.Add(-9*time.Minute)),
					reply("stale", "b", now.Add(-11*time.Minute)),
					{Key: "receipt:2", Kind: "receipt", To: rules.Recipient{Remark: "c"}, Text: "【回执】", CreatedAt: now.Add(-time.Minute)},
				}}
			},
			sent: []string{"fresh", "receipt:2"},
			held: map[string]time.Time{"stale": morning},
		},
		{
			name: "ReplaceKey_OnlyNewestPendingAnswer",
			now:  t0,
			queue: func(now time.Time) [][]rules.Outgoing {
				return [][]rules.Outgoing{
					{withReplace(reply("s1", "a", now), "reply:状态:a")},
					{withReplace(reply("s2", "a", now), "reply:状态:a")},
					{withReplace(reply("s3", "a", now), "reply:状态:a"), reply("other", "a", now)},
					{withReplace(reply("s1b", "b", now), "reply:状态:b")},
				}
			},
			sent:   []string{"s3", "s1b", "other"},
			superd: []string{"s1", "s2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, func(o *outbox.Options) { o.Quiet = rules.DefaultReminderPolicy() })
			e.clk.Set(tt.now)
			for _, batch := range tt.queue(tt.now) {
				e.enqueue(t, batch...)
			}
			e.drain(t)
			if got := e.sentKeys(); !slices.Equal(got, tt.sent) {
				t.Errorf("sent %v, want %v", got, tt.sent)
			}
			for key, next := range tt.held {
				r := e.row(t, key)
				if r.Status != rules.OutboxPending || !r.NextTry.Equal(next) || r.Attempts != 0 || r.LastError != "quiet hours" {
					t.Errorf("held %s = %s next=%s attempts=%d err=%q, want pending until %s, no attempt",
						key, r.Status, r.NextTry.In(sh), r.Attempts, r.LastError, next)
				}
			}
			for _, key := range tt.superd {
				if r := e.row(t, key); r.Status != rules.OutboxSuperseded {
					t.Errorf("%s = %s, want superseded", key, r.Status)
				}
			}
			if len(tt.held) > 0 {
				// At the end of quiet hours the held rows go out, in order.
				e.clk.Set(morning)
				before := len(e.tr.sent)
				e.drain(t)
				if got := len(e.tr.sent) - before; got != len(tt.held) {
					t.Errorf("at %s sent %d, want the %d held", morning, got, len(tt.held))
				}
			}
		})
	}
}

// TestQuietHoursDoNotCountAttempts: a row held night after night never
// reaches MaxAttempts (holding is not trying).
func TestQuietHoursDoNotCountAttempts(t *testing.T) {
	e := setup(t, func(o *outbox.Options) { o.Quiet = rules.DefaultReminderPolicy(); o.MaxAttempts = 2 })
	e.clk.Set(time.Date(2027, 3, 1, 23, 0, 0, 0, sh))
	e.enqueue(t, bulk("rem", "reminder", "a"))
	for range 5 {
		e.drain(t)
		r := e.row(t, "rem")
		e.clk.Set(r.NextTry.Add(-time.Minute)) // just before the end: still quiet
		e.drain(t)
	}
	if r := e.row(t, "rem"); r.Status != rules.OutboxPending || r.Attempts != 0 {
		t.Fatalf("after holds: %+v", r)
	}
	e.clk.Set(time.Date(2027, 3, 2, 8, 0, 0, 0, sh))
	if n := e.drain(t); n != 1 || !strings.HasPrefix(e.tr.sent[0].Text, "reminder") {
		t.Errorf("morning sent %d", n)
	}
}
