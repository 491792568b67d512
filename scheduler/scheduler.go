// Package scheduler runs the bot's periodic jobs on robfig/cron: the
// reminder sweep, the director's digest, the outbox drain and the database
// backup. Cron is only a trigger: each job is a named method that reads the
// time from the injected clock and the truth from the database, so tests call
// the methods directly and a job may run late, twice or concurrently without
// sending anything twice (reminder slots are unique rows, written with their
// outbox rows in one transaction).
package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"dudaobot/clock"
	"dudaobot/cronspec"
	"dudaobot/rules"

	"github.com/robfig/cron/v3"
)

// Store is the part of *storage.Store the scheduler uses.
type Store interface {
	Driver() string
	Backup(ctx context.Context, destPath string) error
	Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error)
	Units(ctx context.Context) ([]rules.Unit, error)
	UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error)
	Broadcasts(ctx context.Context, year int) ([]rules.Broadcast, error)
	Acks(ctx context.Context, year int) (map[int64]map[string]time.Time, error)
	Reminders(ctx context.Context, year int) ([]rules.ReminderRecord, error)
	Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error)
	RecordReminder(ctx context.Context, r rules.ReminderRecord, outs []rules.Outgoing) (bool, error)
	Enqueue(ctx context.Context, msgs ...rules.Outgoing) error
	GetState(ctx context.Context, key string) (string, bool, error)
	PutState(ctx context.Context, key, value string) error
	// ReportChecks are the saved checks of the year's latest reports
	// (reminders naming a missing part, the digest's list).
	ReportChecks(ctx context.Context, year int) (map[string]rules.SavedReportCheck, error)
	// SubmissionsToVerify are the year's files that resemble another
	// unit's (the digest's 需核实 lines).
	SubmissionsToVerify(ctx context.Context, year int) ([]rules.Submission, error)
}

// Drainer drains the outbox (*outbox.Relay).
type Drainer interface {
	DrainOnce(ctx context.Context) (int, error)
}

// Specs are the cron schedules (config reminders.*_cron). An empty spec
// leaves that job unscheduled (it can still be called directly).
type Specs struct {
	Sweep, Digest, Outbox, Backup string
}

// Options configures a Scheduler.
type Options struct {
	Store     Store
	Relay     Drainer // may be nil: DrainOutbox is then a no-op
	Clock     clock.Clock
	Logger    *slog.Logger
	Location  *time.Location
	Year      int // the assessment year (calendar.year)
	Policy    rules.ReminderPolicy
	Directors []rules.Director
	// GroupDigest is a group chat name that also gets the daily digest
	// (counts and missing units, no @-tags). "" = off.
	GroupDigest string
	BackupsDir  string
	BackupKeep  int // backups kept (default 14)
	Specs       Specs
}

// Scheduler owns the cron and the jobs.
type Scheduler struct {
	o      Options
	log    *slog.Logger
	cron   *cron.Cron
	jobs   map[string]cron.EntryID
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// lastSweepKey is the state row holding when a sweep last completed.
const lastSweepKey = "scheduler.last_sweep"

// New validates the specs and builds the cron; nothing runs until Start.
func New(o Options) (*Scheduler, error) {
	if o.Store == nil {
		return nil, errors.New("scheduler: no store")
	}
	o.Clock = cmp.Or[clock.Clock](o.Clock, clock.Real{})
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	o.Location = cmp.Or(o.Location, time.UTC)
	if o.BackupKeep <= 0 {
		o.BackupKeep = 14
	}
	s := &Scheduler{o: o, log: o.Logger, jobs: map[string]cron.EntryID{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	l := CronLogger(o.Logger)
	s.cron = cron.New(cron.WithLocation(o.Location), cron.WithChain(JobWrappers(l)...), cron.WithLogger(l))
	for _, j := range []struct {
		name, spec string
		fn         func(context.Context) error
	}{
		{"sweep", o.Specs.Sweep, s.SweepReminders},
		{"digest", o.Specs.Digest, s.SendDigest},
		{"outbox", o.Specs.Outbox, s.DrainOutbox},
		{"backup", o.Specs.Backup, s.Backup},
	} {
		if j.spec == "" {
			continue
		}
		sched, err := cronspec.Parse(j.spec)
		if err != nil {
			return nil, fmt.Errorf("scheduler: %s job: %w", j.name, err)
		}
		name, fn := j.name, j.fn
		s.jobs[name] = s.cron.Schedule(sched, cron.FuncJob(func() { s.run(name, fn) }))
	}
	return s, nil
}

// JobWrappers is the production chain: SkipIfStillRunning OUTSIDE Recover.
// The first wrapper is the outermost. In the other order a job that panics
// once never gets Skip's token back and is skipped for ever (robfig/cron
// #366, fixed on master but in no tag; v3.0.1 has no Recover by default).
func JobWrappers(l cron.Logger) []cron.JobWrapper {
	return []cron.JobWrapper{cron.SkipIfStillRunning(l), cron.Recover(l)}
}

func (s *Scheduler) run(name string, fn func(context.Context) error) {
	start := s.o.Clock.Now()
	if err := fn(s.ctx); err != nil {
		s.log.Error("job failed", slog.String("job", name), slog.String("err", err.Error()))
		return
	}
	s.log.Debug("job done", slog.String("job", name), slog.Duration("took", s.o.Clock.Now().Sub(start)))
}

// Start starts the cron and runs one sweep at once, so slots that fell due
// while the bot was down are caught up (or recorded as missed) now rather
// than at the next scheduled sweep. The start-up sweep goes through the same
// chain as the scheduled one, so the two never overlap.
func (s *Scheduler) Start() {
	s.cron.Start()
	if id, ok := s.jobs["sweep"]; ok {
		job := s.cron.Entry(id).WrappedJob
		s.wg.Go(job.Run)
	}
}

// runJob runs a scheduled job ("sweep", "digest", "outbox", "backup") now,
// synchronously, through the production chain (so it never overlaps a
// scheduled run and a panic is recovered). It reports whether the job is
// scheduled. Tests use it (export_test.go).
func (s *Scheduler) runJob(name string) bool {
	id, ok := s.jobs[name]
	if !ok {
		return false
	}
	s.cron.Entry(id).WrappedJob.Run()
	return true
}

// Stop stops scheduling and waits for running jobs until ctx ends; then it
// cancels their context.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop().Done()
	waited := make(chan struct{})
	go func() {
		<-done
		s.wg.Wait()
		close(waited)
	}()
	defer s.cancel()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		s.cancel()
		return fmt.Errorf("scheduler: stop: %w", ctx.Err())
	}
}

// CronLogger adapts slog to cron.Logger.
func CronLogger(l *slog.Logger) cron.Logger { return cronLogger{l} }

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	// cron logs "start", "schedule", "wake", "run" at Info every tick; keep
	// them at Debug, but surface skips: they mean a job overran.
	lvl := slog.LevelDebug
	if msg == "skip" {
		lvl = slog.LevelWarn
	}
	c.l.Log(context.Background(), lvl, "cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, slog.String("err", fmt.Sprint(err)))...)
}

// SweepReminders plans the reminder slots due now and records each with its
// outbox rows in one transaction. A record that already exists (an
// overlapping or repeated sweep, a restart after a crash) writes nothing.
func (s *Scheduler) SweepReminders(ctx context.Context) error {
	now := s.o.Clock.Now()
	in, err := s.input(ctx, now)
	if err != nil {
		return err
	}
	plan := rules.PlanReminders(in)
	written, msgs := 0, 0
	for _, w := range plan.Writes {
		ok, err := s.o.Store.RecordReminder(ctx, w.Record, w.Outs)
		if err != nil {
			return fmt.Errorf("scheduler: sweep: %w", err)
		}
		if ok {
			written++
			msgs += len(w.Outs)
		}
	}
	if len(plan.Missed) > 0 {
		s.log.Warn("reminder slots missed beyond grace; director alerted", slog.Int("missed", len(plan.Missed)))
	}
	if err := s.o.Store.PutState(ctx, lastSweepKey, now.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("scheduler: sweep: save last sweep: %w", err)
	}
	if written > 0 || plan.Deferred > 0 {
		s.log.Info("reminders swept", slog.Int("records", written), slog.Int("messages", msgs),
			slog.Int("missed", len(plan.Missed)), slog.Int("deferred", plan.Deferred))
	}
	return nil
}

func (s *Scheduler) input(ctx context.Context, now time.Time) (rules.ReminderInput, error) {
	st, y, loc := s.o.Store, s.o.Year, s.o.Location
	in := rules.ReminderInput{Policy: s.o.Policy, Directors: s.o.Directors, Now: now}
	var err error
	wrap := func(what string, err error) error { return fmt.Errorf("scheduler: sweep: %s: %w", what, err) }
	if in.Calendar, err = st.Calendar(ctx, y, loc); err != nil {
		return in, wrap("calendar", err)
	}
	if in.Units, err = st.Units(ctx); err != nil {
		return in, wrap("units", err)
	}
	if in.Years, err = st.UnitYears(ctx, y); err != nil {
		return in, wrap("unit years", err)
	}
	if in.Broadcasts, err = st.Broadcasts(ctx, y); err != nil {
		return in, wrap("broadcasts", err)
	}
	if in.Acks, err = st.Acks(ctx, y); err != nil {
		return in, wrap("acks", err)
	}
	if in.Recorded, err = st.Reminders(ctx, y); err != nil {
		return in, wrap("reminders", err)
	}
	if in.Problems, err = st.Problems(ctx, y, ""); err != nil {
		return in, wrap("problems", err)
	}
	if in.ReportChecks, err = st.ReportChecks(ctx, y); err != nil {
		return in, wrap("report checks", err)
	}
	v, ok, err := st.GetState(ctx, lastSweepKey)
	if err != nil {
		return in, wrap("last sweep", err)
	}
	if ok {
		if in.LastSweep, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return in, wrap("last sweep", err)
		}
	}
	return in, nil
}

// DrainOutbox sends the due outbox rows through the relay.
func (s *Scheduler) DrainOutbox(ctx context.Context) error {
	if s.o.Relay == nil {
		return nil
	}
	_, err := s.o.Relay.DrainOnce(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: drain outbox: %w", err)
	}
	return nil
}

// SendDigest queues the director's digest (and the optional group digest):
// what was received since the digest before, per-stage counts, the units
// that still owe (each once), and how many were escalated (overdue at least
// EscalateAfterDays); then it stores when it was made (rules.DigestState).
// Keys are per day, so a second run the same day queues nothing.
func (s *Scheduler) SendDigest(ctx context.Context) error {
	now := s.o.Clock.Now()
	cal, err := s.o.Store.Calendar(ctx, s.o.Year, s.o.Location)
	if err != nil {
		return fmt.Errorf("scheduler: digest: calendar: %w", err)
	}
	units, err := s.o.Store.Units(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: digest: units: %w", err)
	}
	years, err := s.o.Store.UnitYears(ctx, s.o.Year)
	if err != nil {
		return fmt.Errorf("scheduler: digest: unit years: %w", err)
	}
	checks, err := s.o.Store.ReportChecks(ctx, s.o.Year)
	if err != nil {
		return fmt.Errorf("scheduler: digest: report checks: %w", err)
	}
	toVerify, err := s.o.Store.SubmissionsToVerify(ctx, s.o.Year)
	if err != nil {
		return fmt.Errorf("scheduler: digest: files to verify: %w", err)
	}
	state, err := digestState(ctx, s.o.Store)
	if err != nil {
		return fmt.Errorf("scheduler: digest: %w", err)
	}
	next := state.Next(now, cal.Location)
	d := rules.BuildDigest(cal, s.o.Policy, units, years, now)
	d.ReportGaps = rules.ReportGaps(units, years, checks)
	d.ToVerify = toVerify
	d.Since = next.SinceFor(now, cal.Location)
	day := rules.DateOf(now, cal.Location)
	var outs []rules.Outgoing
	for _, dir := range s.o.Directors {
		if dir.WeChatRemark == "" {
			continue
		}
		outs = append(outs, rules.Outgoing{
			Key: fmt.Sprintf("digest:%s:%s", day, dir.WeChatRemark), Kind: "digest",
			To: rules.Recipient{Remark: dir.WeChatRemark}, Text: d.DirectorText(), Ref: d.Number(),
			Status: rules.OutboxPending, NextTry: now, CreatedAt: now,
		})
	}
	if s.o.GroupDigest != "" {
		outs = append(outs, rules.Outgoing{
			Key: fmt.Sprintf("digest:%s:group:%s", day, s.o.GroupDigest), Kind: "digest",
			To: rules.Recipient{Group: s.o.GroupDigest}, Text: d.GroupText(), Ref: d.Number(),
			Status: rules.OutboxPending, NextTry: now, CreatedAt: now,
		})
	}
	if err := s.o.Store.Enqueue(ctx, outs...); err != nil {
		return fmt.Errorf("scheduler: digest: %w", err)
	}
	if err := s.o.Store.PutState(ctx, rules.DigestStateKey, next.String()); err != nil {
		return fmt.Errorf("scheduler: digest: save state: %w", err)
	}
	return nil
}

// digestState is the stored digest state (zero before the first digest).
func digestState(ctx context.Context, st Store) (rules.DigestState, error) {
	v, ok, err := st.GetState(ctx, rules.DigestStateKey)
	if err != nil || !ok {
		return rules.DigestState{}, err
	}
	return rules.ParseDigestState(v)
}

// backupPrefix and backupSuffix frame the daily backup file names.
const backupPrefix, backupSuffix = "dudao-", ".db"

// Backup copies the SQLite database to <backups_dir>/dudao-YYYY-MM-DD.db
// (a second run the same day replaces that day's file) and keeps the last
// BackupKeep files. PostgreSQL is skipped with a log line: use pg_dump.
func (s *Scheduler) Backup(ctx context.Context) error {
	if drv := s.o.Store.Driver(); drv != "sqlite" {
		s.log.Info("backup skipped: the database is not SQLite; back it up with pg_dump", slog.String("driver", drv))
		return nil
	}
	if s.o.BackupsDir == "" {
		return errors.New("scheduler: backup: backups_dir is empty")
	}
	day := rules.DateOf(s.o.Clock.Now(), s.o.Location)
	dest := filepath.Join(s.o.BackupsDir, backupPrefix+day.String()+backupSuffix)
	if err := s.o.Store.Backup(ctx, dest); err != nil {
		return fmt.Errorf("scheduler: backup: %w", err)
	}
	entries, err := os.ReadDir(s.o.BackupsDir)
	if err != nil {
		return fmt.Errorf("scheduler: backup: list: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			if _, err := rules.ParseDate(strings.TrimSuffix(strings.TrimPrefix(n, backupPrefix), backupSuffix)); err == nil {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names) // ISO dates sort by time
	for len(names) > s.o.BackupKeep {
		if err := os.Remove(filepath.Join(s.o.BackupsDir, names[0])); err != nil {
			return fmt.Errorf("scheduler: backup: prune: %w", err)
		}
		names = names[1:]
	}
	s.log.Info("backup written", slog.String("path", dest), slog.Int("kept", len(names)))
	return nil
}
