package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/outbox"
	"dudaobot/rules"
	"dudaobot/storage"
)

var sh, _ = time.LoadLocation("Asia/Shanghai")

var t0 = time.Date(2027, 3, 1, 10, 0, 0, 0, sh)

// fakeTransport records sends; fail decides per message whether to fail.
type fakeTransport struct {
	mu      sync.Mutex
	online  bool
	fail    func(m rules.Outgoing, n int) error // n: how many times this key was tried before
	tries   map[string]int
	sent    []rules.Outgoing
	sentAt  []time.Time
	clk     clock.Clock
	offline func() // called after each send
}

func newTransport(clk clock.Clock) *fakeTransport {
	return &fakeTransport{online: true, tries: map[string]int{}, clk: clk}
}

func (f *fakeTransport) Send(_ context.Context, m rules.Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.tries[m.Key]
	f.tries[m.Key]++
	if f.fail != nil {
		if err := f.fail(m, n); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, m)
	f.sentAt = append(f.sentAt, f.clk.Now())
	if f.offline != nil {
		f.offline()
	}
	return nil
}

func (f *fakeTransport) Online() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.online
}

func (f *fakeTransport) setOnline(v bool) {
	f.mu.Lock()
	f.online = v
	f.mu.Unlock()
}

type env struct {
	clk    *clock.Fake
	st     *storage.Store
	tr     *fakeTransport
	relay  *outbox.Relay
	sleeps []time.Duration
	logs   *bytes.Buffer
}

func setup(t *testing.T, mod func(*outbox.Options)) *env {
	t.Helper()
	e := &env{clk: clock.NewFake(t0), logs: &bytes.Buffer{}}
	st, err := storage.Open(t.Context(), storage.Options{Path: filepath.Join(t.TempDir(), "dudao.db"), Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.st = st
	e.tr = newTransport(e.clk)
	o := outbox.Options{
		Store: st, Transport: e.tr, Clock: e.clk, Location: sh,
		Logger:   slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Interval: 3 * time.Second, Jitter: time.Second, DailyCap: 30, MaxAttempts: 5,
		Directors: []string{"督导办主任"},
		Rand:      func() float64 { return 0.5 }, // no jitter: exact figures
		Sleep: func(_ context.Context, d time.Duration) error {
			e.sleeps = append(e.sleeps, d)
			e.clk.Advance(d)
			return nil
		},
	}
	if mod != nil {
		mod(&o)
	}
	e.relay = outbox.New(o)
	return e
}

func msg(key, to string) rules.Outgoing {
	return rules.Outgoing{Key: key, Kind: "reminder", To: rules.Recipient{Remark: to}, Text: "提醒 " + key}
}

func (e *env) enqueue(t *testing.T, msgs ...rules.Outgoing) {
	t.Helper()
	if err := e.st.Enqueue(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
}

func (e *env) drain(t *testing.T) int {
	t.Helper()
	n, err := e.relay.DrainOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) row(t *testing.T, key string) rules.Outgoing {
	t.Helper()
	all, err := e.st.Outbox(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("no outbox row %s", key)
	return rules.Outgoing{}
}

func TestDrainOnce_PacedInOrder(t *testing.T) {
	e := setup(t, nil)
	e.enqueue(t, msg("a", "督导-czj"), msg("b", "督导-gaj"), msg("c", "督导-mzj"))
	if n := e.drain(t); n != 3 {
		t.Fatalf("sent %d, want 3", n)
	}
	var keys []string
	for _, m := range e.tr.sent {
		keys = append(keys, m.Key)
	}
	if strings.Join(keys, ",") != "a,b,c" {
		t.Errorf("order %v", keys)
	}
	for i := 1; i < len(e.tr.sentAt); i++ {
		if gap := e.tr.sentAt[i].Sub(e.tr.sentAt[i-1]); gap != 3*time.Second {
			t.Errorf("gap %d = %v, want 3s", i, gap)
		}
	}
	if n := e.drain(t); n != 0 {
		t.Errorf("second drain sent %d", n)
	}
	if r := e.row(t, "c"); r.Status != rules.OutboxSent || r.Attempts != 1 {
		t.Errorf("row c = %+v", r)
	}
}

func TestPauseJitterBounds(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.999} {
		e := setup(t, func(o *outbox.Options) { o.Rand = func() float64 { return r } })
		e.enqueue(t, msg("a", "x"), msg("b", "y"))
		e.drain(t)
		want := 3*time.Second + time.Duration((2*r-1)*float64(time.Second))
		if len(e.sleeps) != 1 || e.sleeps[0] != want {
			t.Errorf("r=%v: sleeps %v, want [%v]", r, e.sleeps, want)
		}
		if e.sleeps[0] < 2*time.Second || e.sleeps[0] > 4*time.Second {
			t.Errorf("pause %v outside 3s±1s", e.sleeps[0])
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{1, 0.5, time.Second, time.Second},
		{2, 0.5, 16 * time.Second, 16 * time.Second},
		{3, 0.5, 81 * time.Second, 81 * time.Second},
		{4, 0, 230 * time.Second, 231 * time.Second},      // 256 s −10%
		{4, 0.9999, 281 * time.Second, 282 * time.Second}, // 256 s +10%
		{5, 0.5, 625 * time.Second, 625 * time.Second},
		{6, 0.5, 15 * time.Minute, 15 * time.Minute}, // 1296 s capped
		{310, 0.5, 15 * time.Minute, 15 * time.Minute},
		{1 << 20, 0.9999, 15 * time.Minute, 15 * time.Minute}, // no overflow
	}
	for _, tt := range tests {
		if got := outbox.Backoff(tt.attempt, tt.r); got < tt.min || got > tt.max {
			t.Errorf("Backoff(%d, %v) = %v, want [%v, %v]", tt.attempt, tt.r, got, tt.min, tt.max)
		}
	}
}

func TestRetryBackoffThenSent(t *testing.T) {
	for k := 1; k <= 4; k++ {
		t.Run(fmt.Sprintf("fail%d", k), func(t *testing.T) {
			e := setup(t, nil)
			e.tr.fail = func(_ rules.Outgoing, n int) error {
				if n < k {
					return errors.New("sendmsg: ret 1101")
				}
				return nil
			}
			e.enqueue(t, msg("a", "督导-czj"))
			for attempt := 1; attempt <= k; attempt++ {
				if n := e.drain(t); n != 0 {
					t.Fatalf("attempt %d: sent %d", attempt, n)
				}
				r := e.row(t, "a")
				failedAt := e.clk.Now() // after the pace wait, if any
				want := time.Duration(attempt*attempt*attempt*attempt) * time.Second
				if r.Status != rules.OutboxPending || r.Attempts != attempt || !r.NextTry.Equal(failedAt.Add(want)) {
					t.Fatalf("attempt %d: row %+v, want next try %v", attempt, r, failedAt.Add(want))
				}
				// Not due before the backoff has passed.
				e.clk.Set(r.NextTry.Add(-time.Millisecond))
				if n := e.drain(t); n != 0 || len(e.tr.tries) != 1 || e.tr.tries["a"] != attempt {
					t.Fatalf("retried early")
				}
				e.clk.Set(r.NextTry)
			}
			if n := e.drain(t); n != 1 {
				t.Fatalf("final drain sent %d", n)
			}
			if r := e.row(t, "a"); r.Status != rules.OutboxSent || r.Attempts != k+1 {
				t.Errorf("row %+v", r)
			}
		})
	}
}

func TestDeadAfterMaxAttemptsAlertsDirector(t *testing.T) {
	e := setup(t, func(o *outbox.Options) { // MaxAttempts 5
		o.Contacts = rules.ContactLabels([]rules.Unit{{Key: "czj", Name: "县财政局",
			Officials: []rules.Official{{Name: "张三", WeChatRemark: "督导-czj"}}}}, nil, nil)
	})
	e.tr.fail = func(m rules.Outgoing, _ int) error {
		if m.To.Remark == "督导-czj" {
			return fmt.Errorf("bot: remark %q: contact not found: %w", m.To.Remark, rules.ErrNoRecipient)
		}
		return nil
	}
	e.enqueue(t, msg("a", "督导-czj"))
	for i := 0; i < 5; i++ {
		e.drain(t)
		e.clk.Advance(16 * time.Minute)
	}
	if r := e.row(t, "a"); r.Status != rules.OutboxDead || r.Attempts != 5 || !strings.Contains(r.LastError, "contact not found") {
		t.Fatalf("row %+v", r)
	}
	// The alert was queued and goes out on the next drain.
	if n := e.drain(t); n != 1 {
		t.Fatalf("alert drain sent %d", n)
	}
	got := e.tr.sent[len(e.tr.sent)-1]
	// The person is named by unit and name; the remark only in the reason,
	// where it is what the director must check on the phone.
	if got.Kind != "alert" || got.To.Remark != "督导办主任" || !strings.Contains(got.Text, "发给“县财政局 张三”的一条消息") || !strings.Contains(got.Text, "尝试5次") {
		t.Errorf("alert = %+v", got)
	}
	// The reason is one the director can act on, in Chinese; the technical
	// error stays in the row and the log.
	if want := "原因：机器人微信的联系人中找不到备注为“督导-czj”的人，请在手机上核对该联系人的备注"; !strings.Contains(got.Text, want) {
		t.Errorf("alert text %q lacks %q", got.Text, want)
	}
	if strings.Contains(got.Text, "contact not found") {
		t.Errorf("alert shows the internal error: %q", got.Text)
	}
	// Exactly 5 tries, never a 6th.
	e.clk.Advance(time.Hour)
	e.drain(t)
	if e.tr.tries["a"] != 5 {
		t.Errorf("tries = %d", e.tr.tries["a"])
	}
}

func TestTooOften1205RetriedAndLogged(t *testing.T) {
	e := setup(t, nil)
	e.tr.fail = func(_ rules.Outgoing, n int) error {
		if n == 0 {
			return fmt.Errorf("bot: send text: %w", rules.ErrTooOften)
		}
		return nil
	}
	e.enqueue(t, msg("a", "督导-czj"))
	e.drain(t)
	r := e.row(t, "a")
	if r.Status != rules.OutboxPending || !r.NextTry.Equal(e.clk.Now().Add(time.Second)) {
		t.Errorf("row %+v", r)
	}
	if !strings.Contains(e.logs.String(), "1205") || !strings.Contains(e.logs.String(), "level=WARN") {
		t.Errorf("1205 not logged:\n%s", e.logs)
	}
	e.clk.Advance(time.Second)
	if n := e.drain(t); n != 1 {
		t.Errorf("retry sent %d", n)
	}
}

func TestOfflineWaitsNothingDropped(t *testing.T) {
	e := setup(t, nil)
	e.tr.setOnline(false)
	e.enqueue(t, msg("a", "x"), msg("b", "y"), msg("c", "z"))
	if n := e.drain(t); n != 0 {
		t.Fatalf("sent %d while offline", n)
	}
	pending, _ := e.st.Outbox(t.Context(), rules.OutboxPending)
	if len(pending) != 3 || pending[0].Attempts != 0 {
		t.Fatalf("pending = %+v", pending)
	}
	// Goes offline after the first send: the rest stays pending, unclaimed.
	e.tr.setOnline(true)
	e.tr.offline = func() { e.tr.online = false }
	if n := e.drain(t); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	pending, _ = e.st.Outbox(t.Context(), rules.OutboxPending)
	if len(pending) != 2 || pending[0].Attempts != 0 {
		t.Fatalf("pending = %+v", pending)
	}
	e.tr.offline = nil
	e.tr.setOnline(true)
	if n := e.drain(t); n != 2 {
		t.Fatalf("after re-login sent %d", n)
	}
}

func TestDailyCapPerPerson(t *testing.T) {
	e := setup(t, func(o *outbox.Options) { o.DailyCap = 2 })
	e.enqueue(t, msg("a", "督导-czj"), msg("b", "督导-czj"), msg("c", "督导-czj"), msg("d", "督导-gaj"),
		rules.Outgoing{Key: "alert", Kind: "alert", To: rules.Recipient{Remark: "督导-czj"}, Text: "告警"})
	if n := e.drain(t); n != 4 {
		t.Fatalf("sent %d, want 4 (2 to czj, 1 to gaj, the alert)", n)
	}
	r := e.row(t, "c")
	if r.Status != rules.OutboxPending || !r.NextTry.Equal(time.Date(2027, 3, 2, 8, 0, 0, 0, sh)) {
		t.Errorf("capped row %+v", r)
	}
	e.clk.Set(time.Date(2027, 3, 2, 8, 0, 0, 0, sh))
	if n := e.drain(t); n != 1 {
		t.Errorf("next day sent %d", n)
	}
}

// writeCounter is the relay's store with its writes counted: each call of
// a method that changes the outbox is one commit.
type writeCounter struct {
	*storage.Store
	writes int
}

func (w *writeCounter) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]rules.Outgoing, error) {
	w.writes++
	return w.Store.ClaimDue(ctx, now, limit, lease)
}

func (w *writeCounter) MarkSent(ctx context.Context, id int64, at time.Time) error {
	w.writes++
	return w.Store.MarkSent(ctx, id, at)
}

func (w *writeCounter) MarkRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	w.writes++
	return w.Store.MarkRetry(ctx, id, next, errText)
}

func (w *writeCounter) Hold(ctx context.Context, id int64, until time.Time, reason string) error {
	w.writes++
	return w.Store.Hold(ctx, id, until, reason)
}

func (w *writeCounter) HoldRecipient(ctx context.Context, id int64, to rules.Recipient, until time.Time, reason string) (int, error) {
	w.writes++
	return w.Store.HoldRecipient(ctx, id, to, until, reason)
}

// TestDailyCapHoldsRecipientOnce: past the cap, the recipient's other
// queued rows are held to the next morning with the one that met the cap,
// in one write, not two commits a row (claim, then put off) on every
// drain; another recipient's row still goes out; the next drain that day
// writes nothing; alerts are never held.
func TestDailyCapHoldsRecipientOnce(t *testing.T) {
	const queued = 40
	var wc *writeCounter
	e := setup(t, func(o *outbox.Options) {
		o.DailyCap = 2
		wc = &writeCounter{Store: o.Store.(*storage.Store)}
		o.Store = wc
	})
	var msgs []rules.Outgoing
	for i := range 2 + queued {
		msgs = append(msgs, msg(fmt.Sprintf("czj-%d", i), "督导-czj"))
	}
	e.enqueue(t, append(msgs, msg("gaj", "督导-gaj"))...)
	if n := e.drain(t); n != 3 {
		t.Fatalf("sent %d, want 3 (2 to czj, 1 to gaj)", n)
	}
	// 3 sends (claim + mark sent each), the claim that met the cap and its
	// hold, the last claim that found nothing: 9, whatever the queue.
	if wc.writes > 9 {
		t.Errorf("%d writes for %d held rows, want at most 9", wc.writes, queued)
	}
	tomorrow := time.Date(2027, 3, 2, 8, 0, 0, 0, sh)
	for _, m := range msgs[2:] {
		r := e.row(t, m.Key)
		if r.Status != rules.OutboxPending || !r.NextTry.Equal(tomorrow) || r.Attempts != 0 || r.LastError != "daily cap per person reached" {
			t.Fatalf("held row %+v", r)
		}
	}
	wc.writes = 0
	e.enqueue(t, rules.Outgoing{Key: "alert", Kind: "alert", To: rules.Recipient{Remark: "督导-czj"}, Text: "告警"})
	if n := e.drain(t); n != 1 || wc.writes > 3 {
		t.Errorf("later drain: sent %d with %d writes, want the alert alone, at most 3 writes", n, wc.writes)
	}
	wc.writes = 0
	e.clk.Set(tomorrow)
	if n := e.drain(t); n != 2 {
		t.Errorf("next day sent %d, want 2", n)
	}
	if wc.writes > 7 { // 2 sends, the cap's claim and hold, the empty claim
		t.Errorf("next day: %d writes, want at most 7", wc.writes)
	}
}

func TestExpiredLeaseResent(t *testing.T) {
	e := setup(t, nil)
	e.enqueue(t, msg("a", "x"))
	// A relay claimed it and died before sending.
	if rows, err := e.st.ClaimDue(t.Context(), e.clk.Now(), 1, 2*time.Minute); err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	if n := e.drain(t); n != 0 {
		t.Fatalf("sent a leased row")
	}
	e.clk.Advance(2 * time.Minute)
	if n := e.drain(t); n != 1 {
		t.Fatalf("expired lease not rescued")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var e *env
	e = setup(t, func(o *outbox.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			e.clk.Advance(d)
			if len(e.tr.sent) == 2 {
				cancel()
			}
			return ctx.Err()
		}
	})
	e.tr.setOnline(false)
	e.enqueue(t, msg("a", "x"), msg("b", "y"))
	go func() { <-e.clk.Changed(); e.tr.setOnline(true) }()
	if err := e.relay.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if len(e.tr.sent) != 2 {
		t.Errorf("sent %d", len(e.tr.sent))
	}
}

// TestStoppedDuringPauseHoldsNoRow: the relay paces BEFORE it claims, so a
// relay stopped (or killed) in the pause leaves the next row pending, not
// leased: a restarted relay sends it at once instead of after the lease.
func TestStoppedDuringPauseHoldsNoRow(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var e *env
	e = setup(t, func(o *outbox.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel() // "killed" in the pause after the first send
			return ctx.Err()
		}
	})
	e.enqueue(t, msg("a", "x"), msg("b", "y"))
	if n, err := e.relay.DrainOnce(ctx); !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("DrainOnce = %d, %v", n, err)
	}
	if r := e.row(t, "b"); r.Status != rules.OutboxPending || r.Attempts != 0 {
		t.Fatalf("row b after a stop in the pause = %+v; want pending, never claimed", r)
	}
	// A new relay (the restarted process) sends it without waiting a lease.
	restarted := outbox.New(outbox.Options{Store: e.st, Transport: e.tr, Clock: e.clk, Interval: time.Second,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if n, err := restarted.DrainOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("restarted relay sent %d (%v), want 1", n, err)
	}
}

// TestEmptyDrainDoesNotPause: with nothing due, a drain right after a send
// returns at once (HasDue), it does not sleep the pacing pause first.
func TestEmptyDrainDoesNotPause(t *testing.T) {
	e := setup(t, nil)
	e.enqueue(t, msg("a", "x"))
	if n := e.drain(t); n != 1 {
		t.Fatalf("sent %d", n)
	}
	if n := e.drain(t); n != 0 {
		t.Fatalf("sent %d", n)
	}
	if len(e.sleeps) != 0 {
		t.Errorf("slept %v with nothing due", e.sleeps)
	}
	e.enqueue(t, msg("b", "y"))
	if n := e.drain(t); n != 1 {
		t.Fatalf("sent %d", n)
	}
	if len(e.sleeps) != 1 || e.sleeps[0] != 3*time.Second {
		t.Errorf("sleeps %v, want one 3s pause before b", e.sleeps)
	}
}

// TestDeadAlertNamesThePersonNotTheRemark: when the failure has nothing to
// do with the remark, the director's alert names the person by unit and
// name only (and an unknown remark as 联系人), never by the remark.
func TestDeadAlertNamesThePersonNotTheRemark(t *testing.T) {
	e := setup(t, func(o *outbox.Options) {
		o.Contacts = rules.ContactLabels([]rules.Unit{{Key: "czj", Name: "县财政局",
			Officials: []rules.Official{{Name: "张三", WeChatRemark: "督导-czj"}}}}, nil, nil)
	})
	e.tr.fail = func(m rules.Outgoing, _ int) error {
		if m.Kind != "alert" {
			return errors.New("bot: upload: http 502")
		}
		return nil
	}
	e.enqueue(t, msg("a", "督导-czj"), msg("b", "督导-已删除"))
	// Drain on the fake clock until both rows are dead (the backoff grows
	// to its cap; 40 rounds of 16 minutes are far more than 5 attempts need).
	for i := 0; i < 40 && (e.row(t, "a").Status != rules.OutboxDead || e.row(t, "b").Status != rules.OutboxDead); i++ {
		e.drain(t)
		e.clk.Advance(16 * time.Minute)
	}
	e.drain(t)
	var alerts []string
	for _, m := range e.tr.sent {
		if m.Kind == "alert" {
			alerts = append(alerts, m.Text)
		}
	}
	if len(alerts) != 2 || !strings.Contains(alerts[0], "发给“县财政局 张三”") || !strings.Contains(alerts[1], "发给“联系人”") {
		t.Fatalf("alerts %q, want one naming 县财政局 张三 and one naming 联系人", alerts)
	}
	for _, a := range alerts {
		if strings.Contains(a, "督导-") {
			t.Errorf("alert shows a remark: %s", a)
		}
	}
}
