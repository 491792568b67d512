package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/outbox"
	"dudaobot/rules"
	"dudaobot/scheduler"
	"dudaobot/storage"
	"dudaobot/storage/storagetest"
)

// evaluatedUnits is the number of shipped units that owe anything: 28 less
// the office's own unit (evaluated: false), each with one official.
const evaluatedUnits = 27

// loadConfig loads the shipped config.yaml (28 units, 1 director).
func loadConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sent is one message as the fake WeChat received it.
type sent struct {
	At  time.Time
	Msg rules.Outgoing
}

// recorder is a fake Transport that records every send.
type recorder struct {
	mu     sync.Mutex
	clk    clock.Clock
	online bool
	sent   []sent
}

func (r *recorder) Send(_ context.Context, m rules.Outgoing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sent{r.clk.Now(), m})
	return nil
}

func (r *recorder) Online() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.online
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// world is the bot's persistent state (a SQLite file, or a PostgreSQL
// schema), the fake clock and the fake WeChat; restart() throws the process
// away and builds a new one on the same database, as a restart after a
// crash would.
type world struct {
	t      testing.TB
	cfg    *config.Config
	pol    rules.ReminderPolicy
	loc    *time.Location
	dbOpts storage.Options
	dir    string // backups live here
	clk    *clock.Fake
	tr     *recorder
	logs   *strings.Builder
	st     *storage.Store
	relay  *outbox.Relay
	sched  *scheduler.Scheduler
	mod    func(*scheduler.Options)
}

func newWorld(t testing.TB, start time.Time, mod func(*scheduler.Options)) *world {
	t.Helper()
	return newWorldOn(t, storage.DriverSQLite, start, mod)
}

// newWorldOn is newWorld on a database of the given driver (storagetest).
func newWorldOn(t testing.TB, driver string, start time.Time, mod func(*scheduler.Options)) *world {
	t.Helper()
	cfg := loadConfig(t)
	w := &world{
		t: t, cfg: cfg, pol: cfg.ReminderPolicy(), loc: cfg.Location(),
		dir:  t.TempDir(),
		clk:  clock.NewFake(start.In(cfg.Location())),
		logs: &strings.Builder{},
		mod:  mod,
	}
	w.dbOpts = storagetest.Options(t, driver, w.clk.Now)
	w.tr = &recorder{clk: w.clk, online: true}
	w.open()
	if err := w.st.SyncRoster(context.Background(), cfg.Units(), cfg.Directors()); err != nil {
		t.Fatal(err)
	}
	if err := w.st.EnsureYear(context.Background(), cfg.Calendar()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.st.Close() })
	return w
}

type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (w *world) open() {
	t := w.t
	t.Helper()
	st, err := storage.Open(context.Background(), w.dbOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	log := slog.New(slog.NewTextHandler(&syncWriter{b: w.logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var directors []string
	for _, d := range w.cfg.Directors() {
		directors = append(directors, d.WeChatRemark)
	}
	w.relay = outbox.New(outbox.Options{
		Store: st, Transport: w.tr, Clock: w.clk, Logger: log, Location: w.loc,
		Interval: w.cfg.WeChat.SendInterval.Duration, Jitter: w.cfg.WeChat.SendJitter.Duration,
		DailyCap: w.cfg.WeChat.DailyCapPerPerson, Directors: directors,
		Rand: func() float64 { return 0.5 },
		Sleep: func(_ context.Context, d time.Duration) error {
			w.clk.Advance(d)
			return nil
		},
	})
	o := scheduler.Options{
		Store: st, Relay: w.relay, Clock: w.clk, Logger: log, Location: w.loc,
		Year: w.cfg.Cycle.Year, Policy: w.pol, Directors: w.cfg.Directors(),
		GroupDigest: w.cfg.Reminders.GroupDigest,
		BackupsDir:  filepath.Join(w.dir, "backups"), BackupKeep: w.cfg.Reminders.BackupKeep,
		Specs: scheduler.Specs{
			Sweep: w.cfg.Reminders.SweepCron, Digest: w.cfg.Reminders.DigestCron,
			Outbox: w.cfg.Reminders.OutboxCron, Backup: w.cfg.Reminders.BackupCron,
		},
	}
	if w.mod != nil {
		w.mod(&o)
	}
	s, err := scheduler.New(o)
	if err != nil {
		t.Fatal(err)
	}
	w.sched = s
}

// restart closes the store and builds a new store, relay and scheduler on
// the same file.
func (w *world) restart() {
	w.t.Helper()
	if err := w.st.Close(); err != nil {
		w.t.Fatal(err)
	}
	w.open()
}

func (w *world) at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, w.loc)
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

// set moves the clock to s; it never moves backwards (a drain may have run
// past s).
func (w *world) set(t time.Time) {
	if t.After(w.clk.Now()) {
		w.clk.Set(t)
	}
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) sweep() { w.t.Helper(); w.must(w.sched.SweepReminders(context.Background())) }
func (w *world) drain() { w.t.Helper(); w.must(w.sched.DrainOutbox(context.Background())) }

func (w *world) submit(unit string, st rules.Stage, at time.Time) {
	w.t.Helper()
	w.set(at)
	_, err := w.st.AddSubmission(context.Background(), rules.Submission{
		Year: w.cfg.Cycle.Year, UnitKey: unit, Stage: st, Official: "督导-" + unit,
		OriginalName: string(st) + ".docx", StoredPath: fmt.Sprintf("x/%s-%s", unit, st), Size: 1, SHA256: "00",
		ReceivedAt: at,
	}, "督导-"+unit, nil)
	w.must(err)
}

// remindersTo returns the reminder messages sent to remark.
func remindersTo(all []sent, remark string) []sent {
	var out []sent
	for _, s := range all {
		if s.Msg.To.Remark == remark && s.Msg.Kind == "reminder" {
			out = append(out, s)
		}
	}
	return out
}

func kinds(all []sent, kind string) []sent {
	var out []sent
	for _, s := range all {
		if s.Msg.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}
