// Package apptest starts the whole bot — app.New over the shipped
// config.yaml, real SQLite under t.TempDir(), the real openwechat client —
// against a wxsim simulator on loopback, in one call, so an end-to-end test
// reads as a conversation:
//
//	h := apptest.Start(t)
//	h.Say("督导-财政局", "状态")
//	got := h.WaitFor("督导-财政局", apptest.TextHas("县财政局 2027年"))
//
// Time is a clock.Fake (receipts, deadlines and reminders use it); the
// harness never moves it by itself. The jobs run on app.ClockJobs, not cron:
// app drains the outbox every 20 ms of real time, and reminders run when
// the test calls Sweep.
//
// Every wait is channel-based with a deadline; a failed wait reports what
// the contact received so far and what is stuck in the outbox.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zoneinfo

	"dudaobot/app"
	"dudaobot/bot"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// Harness is one running bot and its simulated WeChat.
type Harness struct {
	TB    testing.TB
	Sim   *wxsim.Server
	App   *app.App // the current instance (replaced by Restart)
	Clock *clock.Fake
	Cfg   *config.Config
	Loc   *time.Location
	Dir   string // temp dir holding the database, files, backups, hot-login file

	// guard bounds every wait of the harness. It is a hang guard only: every
	// wait ends as soon as what it waits for happens, so a slow or loaded
	// machine makes a test longer, never red; guard (shortly before the test
	// binary's own deadline) only turns a hung test into a failure that says
	// what was missing.
	guard time.Time

	opts     options
	log      *slog.Logger
	logBuf   *testutil.LockedBuffer
	qr       *countingWriter
	contacts map[string]wxsim.Contact // by remark, and by nick for contacts without remark
	backups  []string                 // backup remarks: the sentinels of Settle
	nextSent atomic.Int64

	mu       sync.Mutex
	consumed map[int64]bool // Sent seqs returned by WaitFor
	changed  chan struct{}  // closed and replaced on every sent message / status
	statuses []bot.Status
	paused   bool // the outbox drain is paused (kept across Restart)

	run *instance // the running app
}

// instance is one app.New + Run.
type instance struct {
	app    *app.App
	cancel context.CancelFunc
	done   chan error // Run's result
}

type options struct {
	start    time.Time
	extra    [][2]string // nick, remark
	groups   []group
	mutate   []func(*config.Config)
	botOpts  []func(*bot.Options)
	hOpts    []func(*handlers.Options)
	logLevel slog.Level
	hold     time.Duration
	// pace: the relay's interval, jitter and pause (WithRelayPace).
	interval, jitter time.Duration
	relaySleep       func(ctx context.Context, d time.Duration) error
	absent           map[string]bool // configured remarks with no contact
}

// Option adjusts Start.
type Option func(*options)

// At sets the fake clock's start (default 2027-01-10 09:00 in the configured zone).
func At(t time.Time) Option { return func(o *options) { o.start = t } }

// WithContact adds a friend of the bot account before it logs in. An empty
// remark makes a contact the bot does not know (a stranger); address it in
// Say/WaitFor by its nick.
func WithContact(nick, remark string) Option {
	return func(o *options) { o.extra = append(o.extra, [2]string{nick, remark}) }
}

type group struct {
	name    string
	members []string // remarks or nicks
}

// WithGroup adds a group chat (saved to contacts) with these members
// (remarks, or nicks of WithContact contacts) and the bot. Address it in
// SayInGroup/WaitFor/Messages by its name. The bot handles it only if the
// config lists it (WithConfig: cfg.WeChat.Groups).
func WithGroup(name string, members ...string) Option {
	return func(o *options) { o.groups = append(o.groups, group{name, members}) }
}

// WithoutContact leaves out the contact a configured person would have:
// their remark is on no contact (a person to bind with a code).
func WithoutContact(remark string) Option {
	return func(o *options) {
		if o.absent == nil {
			o.absent = map[string]bool{}
		}
		o.absent[remark] = true
	}
}

// WithInspector adds an inspector (督学) to the configuration and a
// contact for them (the shipped config names none). Address them by remark.
func WithInspector(name, remark string) Option {
	return WithConfig(func(c *config.Config) {
		c.Office.Inspectors = append(c.Office.Inspectors, config.Person{Name: name, WeChatRemark: remark})
	})
}

// WithConfig edits the loaded configuration (after the paths are moved
// into the temp dir).
func WithConfig(f func(*config.Config)) Option {
	return func(o *options) { o.mutate = append(o.mutate, f) }
}

// WithBotOptions edits the WeChat client's options.
func WithBotOptions(f func(*bot.Options)) Option {
	return func(o *options) { o.botOpts = append(o.botOpts, f) }
}

// WithRelayPace sets the relay's interval ± jitter (default 5 ms ± 1 ms of
// real time) and its pause: a sleep that advances the fake clock measures
// the pace in simulated seconds, and may wait on progress to let a test
// interleave its messages with a drain at a chosen send.
func WithRelayPace(interval, jitter time.Duration, sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.interval, o.jitter, o.relaySleep = interval, jitter, sleep }
}

// WithHandlerOptions adjusts the conversations' options after app's
// defaults.
func WithHandlerOptions(f func(*handlers.Options)) Option {
	return func(o *options) { o.hOpts = append(o.hOpts, f) }
}

// WithLogLevel sets the level of the logs printed when a test fails
// (default Info).
func WithLogLevel(l slog.Level) Option { return func(o *options) { o.logLevel = l } }

// Start builds and runs the bot against a new simulator, waits until it is
// logged in, and registers the shutdown with t.Cleanup.
func Start(tb testing.TB, opts ...Option) *Harness {
	tb.Helper()
	cfg := handlerstest.Config(tb)
	loc := cfg.Location()
	o := options{
		start:    time.Date(cfg.Cycle.Year, time.January, 10, 9, 0, 0, 0, loc),
		logLevel: slog.LevelInfo,
		hold:     time.Second,
		interval: 5 * time.Millisecond,
		jitter:   time.Millisecond,
	}
	for _, opt := range opts {
		opt(&o)
	}
	dir := tb.TempDir()
	cfg.Database.Driver = "sqlite"
	cfg.Database.Path = filepath.Join(dir, "data", "dudao.db")
	cfg.Database.DSN, cfg.Database.DSNEnv = "", ""
	cfg.FilesDir = filepath.Join(dir, "data", "files")
	cfg.BackupsDir = filepath.Join(dir, "data", "backups")
	cfg.WeChat.HotLoginFile = filepath.Join(dir, "data", "hotlogin.json")
	cfg.SMTP = config.SMTP{}
	for _, f := range o.mutate {
		f(cfg)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		tb.Fatal(err)
	}

	h := &Harness{
		TB: tb, Cfg: cfg, Loc: loc, Dir: dir, opts: o,
		guard:    testutil.GuardDeadline(tb),
		Clock:    clock.NewFake(o.start),
		logBuf:   &testutil.LockedBuffer{},
		qr:       &countingWriter{},
		contacts: map[string]wxsim.Contact{},
		consumed: map[int64]bool{},
		changed:  make(chan struct{}),
	}
	h.log = slog.New(slog.NewTextHandler(h.logBuf, &slog.HandlerOptions{Level: o.logLevel}))
	// Cleanups run last-in first-out: logs are printed after everything
	// stopped, the simulator closes after the bot.
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("apptest logs:\n%s", h.logBuf.String())
		}
	})
	h.Sim = wxsim.New(wxsim.Options{
		AutoConfirm:  true,
		LongPollHold: o.hold,
		Logger:       h.log.With("component", "wxsim"),
		DataDir:      filepath.Join(dir, "wxsim"),
	})
	tb.Cleanup(h.Sim.Close)

	for _, d := range cfg.Office.Directors {
		h.addContact(d.Name, d.WeChatRemark)
	}
	for _, p := range cfg.Office.Inspectors {
		h.addContact(p.Name, p.WeChatRemark)
	}
	for _, u := range cfg.Roster {
		for _, p := range u.Officials {
			if !o.absent[p.WeChatRemark] {
				h.addContact(p.Name, p.WeChatRemark)
			}
		}
		if u.Backup != nil {
			h.addContact(u.Backup.Name, u.Backup.WeChatRemark)
			h.backups = append(h.backups, u.Backup.WeChatRemark)
		}
	}
	for _, c := range o.extra {
		h.addContact(c[0], c[1])
	}
	for _, g := range o.groups {
		var ids []string
		for _, m := range g.members {
			ids = append(ids, h.Contact(m).ID)
		}
		if _, dup := h.contacts[g.name]; dup {
			tb.Fatalf("apptest: two contacts named %q", g.name)
		}
		h.contacts[g.name] = h.Sim.AddGroup(g.name, ids...)
	}

	events, unsubscribe := h.Sim.Subscribe()
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for range events {
			h.notify()
		}
	}()
	tb.Cleanup(func() { unsubscribe(); <-subDone })
	tb.Cleanup(h.stop)

	h.launch()
	h.WaitStatus("the first login", 0, func(s bot.Status) bool { return s.Online })
	return h
}

// ConfigPath is config.yaml at the module root (the first directory above
// the working directory holding go.mod).
func ConfigPath(tb testing.TB) string { return handlerstest.ConfigPath(tb) }

// ModuleRoot is the directory holding go.mod.
func ModuleRoot(tb testing.TB) string { return filepath.Dir(ConfigPath(tb)) }

func (h *Harness) addContact(nick, remark string) wxsim.Contact {
	c := h.Sim.AddContact(nick, remark)
	key := remark
	if key == "" {
		key = nick
	}
	if _, dup := h.contacts[key]; dup {
		h.TB.Fatalf("apptest: two contacts named %q", key)
	}
	h.contacts[key] = c
	return c
}

// AddContact adds a friend while the bot runs (the bot resolves an unknown
// sender on its first message).
func (h *Harness) AddContact(nick, remark string) wxsim.Contact {
	h.TB.Helper()
	return h.addContact(nick, remark)
}

// launch builds a new app over the same config, clock, files and simulator
// and runs it.
func (h *Harness) launch() {
	h.TB.Helper()
	tmp := filepath.Join(h.Dir, "send-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		h.TB.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{
		Config:    h.Cfg,
		Clock:     h.Clock,
		Logger:    h.log,
		Transport: h.Sim.Transport(),
		QRWriter:  h.qr,
		// The drain is never cut short: cancelling a send the server has
		// already taken would make the relay send it again.
		ClockJobs:     &app.ClockJobs{DrainEvery: 20 * time.Millisecond, Paused: h.outboxPaused()},
		ShutdownGrace: time.Until(h.guard),
		SendInterval:  h.opts.interval,
		SendJitter:    h.opts.jitter,
		RelaySleep:    h.opts.relaySleep,
		HandlerOptions: func(ho *handlers.Options) {
			// A receipt waits for its report check however slow this
			// machine is (tests never depend on speed); a test that wants
			// the follow-up message sets a negative budget.
			ho.ReportCheckBudget = max(time.Until(h.guard), time.Minute)
			for _, f := range h.opts.hOpts {
				f(ho)
			}
		},
		BotOptions: func(bo *bot.Options) {
			inner := bo.OnStatus
			bo.OnStatus = func(s bot.Status) {
				h.mu.Lock()
				h.statuses = append(h.statuses, s)
				h.mu.Unlock()
				h.notify()
				if inner != nil {
					inner(s)
				}
			}
			fast := bot.BackoffPolicy{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}
			bo.Backoff, bo.SyncBackoff = fast, fast
			bo.LongPollTimeout = 5 * time.Second
			// A call or a download on a loaded machine is slow, not failed.
			bo.RequestTimeout = max(time.Until(h.guard), time.Minute)
			bo.DownloadTimeout = bo.RequestTimeout
			bo.TempDir = tmp
			for _, f := range h.opts.botOpts {
				f(bo)
			}
		},
	})
	if err != nil {
		h.TB.Fatalf("apptest: app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{app: a, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- a.Run(ctx) }()
	h.mu.Lock()
	h.run, h.App = in, a
	h.mu.Unlock()
}

// guardAfter fires extra after the hang guard.
func (h *Harness) guardAfter(extra time.Duration) <-chan time.Time {
	return time.After(time.Until(h.guard) + extra)
}

// stop ends the running instance: Run stops the jobs (a drain in progress
// finishes), the client, the conversations and the database; stop waits for
// all of it.
func (h *Harness) stop() {
	h.mu.Lock()
	in := h.run
	h.run = nil
	h.mu.Unlock()
	if in == nil {
		return
	}
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			h.TB.Errorf("apptest: App.Run: %v", err)
		}
	case <-h.guardAfter(15 * time.Second): // the shutdown grace ends at the guard
		h.TB.Errorf("apptest: App.Run did not return after cancel (hung)")
	}
}

// Restart stops the app (a process kill: no logout is sent) and starts a
// new one on the same database, files, hot-login file and simulator, then
// waits until it is online again. It returns the status of that login
// (Cause "hot login" when the saved session was re-entered).
func (h *Harness) Restart() bot.Status {
	h.TB.Helper()
	h.stop()
	n := h.StatusCount()
	h.launch()
	return h.WaitStatus("online after restart", n, func(s bot.Status) bool { return s.Online })
}

func (h *Harness) notify() {
	h.mu.Lock()
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

func (h *Harness) changedCh() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// Contact is the simulator contact with this remark (or, for a contact
// without remark, this nick).
func (h *Harness) Contact(who string) wxsim.Contact {
	h.TB.Helper()
	c, ok := h.contacts[who]
	if !ok {
		h.TB.Fatalf("apptest: no contact %q", who)
	}
	return c
}

// Say sends a text from the contact to the bot and returns its MsgId.
func (h *Harness) Say(who, text string) string {
	h.TB.Helper()
	id, err := h.Sim.SendText(h.Contact(who).ID, text)
	if err != nil {
		h.TB.Fatalf("apptest: %s says %q: %v", who, text, err)
	}
	return id
}

// SendFile sends an attachment from the contact and returns its MsgId.
func (h *Harness) SendFile(who, name string, data []byte) string {
	h.TB.Helper()
	id, err := h.Sim.SendFile(h.Contact(who).ID, name, bytes.NewReader(data))
	if err != nil {
		h.TB.Fatalf("apptest: %s sends %s: %v", who, name, err)
	}
	return id
}

// SayInGroup posts a text by a member in a group chat and returns its MsgId.
func (h *Harness) SayInGroup(groupName, who, text string) string {
	h.TB.Helper()
	id, err := h.Sim.SendGroupText(h.Contact(groupName).ID, h.Contact(who).ID, text)
	if err != nil {
		h.TB.Fatalf("apptest: %s says %q in %s: %v", who, text, groupName, err)
	}
	return id
}

// SendOther sends a message of another type (34 voice, 43 video, …).
func (h *Harness) SendOther(who string, msgType int) string {
	h.TB.Helper()
	id, err := h.Sim.SendOther(h.Contact(who).ID, msgType)
	if err != nil {
		h.TB.Fatalf("apptest: %s sends type %d: %v", who, msgType, err)
	}
	return id
}

// Messages is everything the bot sent to the contact so far, in order.
func (h *Harness) Messages(who string) []wxsim.Sent {
	h.TB.Helper()
	return h.Sim.SentTo(h.Contact(who).ID)
}

// WaitFor waits for the first message to the contact that matches and was
// not returned by an earlier WaitFor, and marks it returned. It fails the
// test at the hang guard with what the contact received and what the outbox
// still holds.
func (h *Harness) WaitFor(who string, match func(wxsim.Sent) bool) wxsim.Sent {
	h.TB.Helper()
	id := h.Contact(who).ID
	deadline := time.NewTimer(time.Until(h.guard))
	defer deadline.Stop()
	for {
		ch := h.changedCh()
		sent := h.Sim.SentTo(id)
		h.mu.Lock()
		for _, s := range sent {
			if !h.consumed[s.Seq] && match(s) {
				h.consumed[s.Seq] = true
				h.mu.Unlock()
				return s
			}
		}
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			h.TB.Fatalf("apptest: hung waiting for a message to %s\nreceived:\n%s\noutbox:\n%s",
				who, h.describe(sent), h.outboxReport())
		}
	}
}

// WaitText waits for a text to the contact containing want.
func (h *Harness) WaitText(who, want string) string {
	h.TB.Helper()
	return h.WaitFor(who, TextHas(want)).Text
}

// TextHas matches a text message containing want.
func TextHas(want string) func(wxsim.Sent) bool {
	return func(s wxsim.Sent) bool { return s.Kind == "text" && strings.Contains(s.Text, want) }
}

// TextPrefix matches a text message starting with p.
func TextPrefix(p string) func(wxsim.Sent) bool {
	return func(s wxsim.Sent) bool { return s.Kind == "text" && strings.HasPrefix(s.Text, p) }
}

// FileNamed matches a file message with this visible name.
func FileNamed(name string) func(wxsim.Sent) bool {
	return func(s wxsim.Sent) bool { return s.Kind == "file" && s.FileName == name }
}

// AnyMessage matches every message.
func AnyMessage(wxsim.Sent) bool { return true }

func (h *Harness) describe(sent []wxsim.Sent) string {
	if len(sent) == 0 {
		return "  (nothing)"
	}
	var b strings.Builder
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range sent {
		mark := " "
		if h.consumed[s.Seq] {
			mark = "✓"
		}
		body := s.Text
		if s.Kind != "text" {
			body = fmt.Sprintf("%s (%d bytes, sha256 %.12s)", s.FileName, s.Size, s.SHA256)
		}
		fmt.Fprintf(&b, "  %s #%d %s: %s\n", mark, s.Seq, s.Kind, body)
	}
	return b.String()
}

// outboxReport lists the rows that are not sent (pending, sending, dead).
func (h *Harness) outboxReport() string {
	h.mu.Lock()
	a := h.App
	h.mu.Unlock()
	var b strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, st := range []rules.OutboxStatus{rules.OutboxPending, rules.OutboxSending, rules.OutboxDead} {
		rows, err := a.Store.Outbox(ctx, st)
		if err != nil {
			fmt.Fprintf(&b, "  %s: %v\n", st, err)
			continue
		}
		for _, m := range rows {
			fmt.Fprintf(&b, "  %s #%d %s to=%+v attempts=%d next=%s err=%q text=%.40q\n",
				st, m.ID, m.Key, m.To, m.Attempts, m.NextTry.In(h.Loc).Format(time.DateTime), m.LastError, m.Text)
		}
	}
	if b.Len() == 0 {
		return "  (empty)"
	}
	return b.String() + fmt.Sprintf("  (fake clock %s, bot online %v)\n", h.Clock.Now().In(h.Loc).Format(time.DateTime), a.Bot.Online())
}

// Settle waits until every message sent to the bot so far has been handled
// and every reply it caused has been delivered: a sentinel (a backup
// contact, rotating so no one reaches the daily cap) sends 帮助 and waits
// for the answer — WeChat delivers in order, so everything before it was
// accepted — then the conversations go idle and the due outbox empties.
// Use it before asserting that something was NOT sent.
func (h *Harness) Settle() {
	h.TB.Helper()
	n := h.nextSent.Add(1)
	sentinel := h.backups[int(n)%len(h.backups)]
	h.Say(sentinel, "帮助")
	h.WaitFor(sentinel, TextHas("您可以"))
	h.App.Intake.Wait()
	h.waitOutboxIdle()
}

// waitOutboxIdle waits until no row is due or being sent.
func (h *Harness) waitOutboxIdle() {
	h.TB.Helper()
	h.pollOutbox("", "outbox still busy", func(rows []rules.Outgoing, now time.Time) bool {
		return !outboxBusy(rows, now)
	})
}

// outboxBusy says whether a row is being sent or due at now. The rows are
// read in one query: reading the sending rows and then the pending ones
// would miss a row claimed in between.
func outboxBusy(rows []rules.Outgoing, now time.Time) bool {
	for _, m := range rows {
		if m.Status == rules.OutboxSending || (m.Status == rules.OutboxPending && !m.NextTry.After(now)) {
			return true
		}
	}
	return false
}

// WaitQueued waits until the outbox holds a pending row that matches (the
// drain may be paused to keep it there) and returns it.
func (h *Harness) WaitQueued(match func(rules.Outgoing) bool) rules.Outgoing {
	h.TB.Helper()
	var found rules.Outgoing
	h.pollOutbox(rules.OutboxPending, "no matching row queued", func(rows []rules.Outgoing, _ time.Time) bool {
		for _, m := range rows {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// pollOutbox reads the outbox rows with this status ("" for all) every
// 10 ms until done holds for them and the fake clock's time read before
// the query. At the hang guard it fails the test with what it
// waited for and what the outbox holds.
func (h *Harness) pollOutbox(status rules.OutboxStatus, failure string, done func(rows []rules.Outgoing, now time.Time) bool) {
	h.TB.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), h.guard)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		now := h.Clock.Now()
		rows, err := h.App.Store.Outbox(ctx, status)
		if err != nil && ctx.Err() == nil {
			h.TB.Fatalf("apptest: outbox: %v", err)
		}
		if err == nil && done(rows, now) {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			h.TB.Fatalf("apptest: %s (hung):\n%s", failure, h.outboxReport())
		}
	}
}

// PauseOutbox stops the outbox drain (rows stay queued) until
// ResumeOutbox, across Restart too. A drain already running finishes
// first: when this returns nothing is sent until ResumeOutbox.
func (h *Harness) PauseOutbox() { h.setPaused(true) }

// ResumeOutbox lets the outbox drain run again.
func (h *Harness) ResumeOutbox() { h.setPaused(false) }

func (h *Harness) setPaused(paused bool) {
	h.mu.Lock()
	h.paused = paused
	a := h.App
	h.mu.Unlock()
	if paused {
		a.PauseOutbox()
	} else {
		a.ResumeOutbox()
	}
}

func (h *Harness) outboxPaused() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paused
}

// Sweep runs the reminder sweep now (the sweep_cron job).
func (h *Harness) Sweep() {
	h.TB.Helper()
	if err := h.App.Scheduler.SweepReminders(context.Background()); err != nil {
		h.TB.Fatalf("apptest: sweep: %v", err)
	}
}

// SetTime moves the fake clock to a civil time in the configured zone.
func (h *Harness) SetTime(year int, month time.Month, day, hour, min int) {
	h.Clock.Set(time.Date(year, month, day, hour, min, 0, 0, h.Loc))
}

// Statuses are the WeChat client's online/offline transitions so far, all
// instances included.
func (h *Harness) Statuses() []bot.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.statuses)
}

// StatusCount is len(Statuses()), to wait for transitions after a point.
func (h *Harness) StatusCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.statuses)
}

// WaitStatus waits for a transition at index ≥ from that matches.
func (h *Harness) WaitStatus(what string, from int, match func(bot.Status) bool) bot.Status {
	h.TB.Helper()
	deadline := time.NewTimer(time.Until(h.guard))
	defer deadline.Stop()
	for {
		ch := h.changedCh()
		h.mu.Lock()
		for _, s := range h.statuses[min(from, len(h.statuses)):] {
			if match(s) {
				h.mu.Unlock()
				return s
			}
		}
		seen := slices.Clone(h.statuses)
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			h.TB.Fatalf("apptest: hung waiting for %s; statuses: %+v", what, seen)
		}
	}
}

// QRDrawn is how many writes went to the QR writer (a QR login draws one).
func (h *Harness) QRDrawn() int64 { return h.qr.n.Load() }

// OpenSent reads the content of a file the bot sent.
func (h *Harness) OpenSent(s wxsim.Sent) []byte {
	h.TB.Helper()
	rc, err := h.Sim.OpenSentFile(s.Seq)
	if err != nil {
		h.TB.Fatalf("apptest: open sent #%d: %v", s.Seq, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		h.TB.Fatalf("apptest: read sent #%d: %v", s.Seq, err)
	}
	return data
}

// Logs is what the bot logged so far.
func (h *Harness) Logs() string { return h.logBuf.String() }

// Director is the first configured director's remark.
func (h *Harness) Director() string { return h.Cfg.Office.Directors[0].WeChatRemark }

// Inspector is the first configured inspector's remark (WithInspector).
func (h *Harness) Inspector() string {
	h.TB.Helper()
	if len(h.Cfg.Office.Inspectors) == 0 {
		h.TB.Fatal("apptest: no inspector configured (use WithInspector)")
	}
	return h.Cfg.Office.Inspectors[0].WeChatRemark
}

// Official is the first official's remark of the unit with this key.
func (h *Harness) Official(unitKey string) string {
	h.TB.Helper()
	return h.Unit(unitKey).Officials[0].WeChatRemark
}

// Unit is the configured unit with this key.
func (h *Harness) Unit(key string) rules.Unit {
	h.TB.Helper()
	for _, u := range h.Cfg.Units() {
		if u.Key == key {
			return u
		}
	}
	h.TB.Fatalf("apptest: no unit %q", key)
	return rules.Unit{}
}

// Docx is a minimal real .docx (a zip with [Content_Types].xml and
// word/document.xml); the same text gives the same bytes.
func Docx(text string) []byte { return handlerstest.Docx(text) }

// PDF is a small byte slice that passes the PDF content check.
func PDF(text string) []byte { return handlerstest.PDF(text) }

type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(1)
	return len(p), nil
}
