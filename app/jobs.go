package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"dudaobot/cronspec"
	"dudaobot/internal/waitgroup"
	"dudaobot/rules"

	"github.com/robfig/cron/v3"
)

// ClockJobs runs the scheduler's jobs from the injected clock instead of
// cron, which only knows wall time. The sandbox's simulated clock and the
// tests' fake clock use it; production leaves Options.ClockJobs nil.
type ClockJobs struct {
	// DrainEvery is how often, in real time, the outbox is drained
	// (default 500 ms).
	DrainEvery time.Duration
	// SweepEvery returns how often, in real time, reminders are swept and
	// the digest's time is checked; it is read again before every wait,
	// so it may follow a changing clock speed. Nil: no automatic sweep
	// (tests sweep when they choose, with App.Scheduler).
	SweepEvery func() time.Duration
	// Paused starts with the outbox drain paused (see App.PauseOutbox).
	Paused bool
}

// jobLoop is ClockJobs at work. Slots, not sweeps, decide what a sweep
// sends, so sweeping more often than sweep_cron is safe; the digest goes out
// when the clock passes today's digest_cron time.
type jobLoop struct {
	a      *App
	o      ClockJobs
	digest cron.Schedule // nil: no digest_cron

	// sweepMu serialises sweeps with a fast-forward.
	sweepMu sync.Mutex
	// drainMu is held during a drain: PauseOutbox waits on it.
	drainMu sync.Mutex
	mu      sync.Mutex
	paused  bool

	sweepKick, drainKick chan struct{}
	quit                 chan struct{}
	cancel               context.CancelFunc
	wg                   sync.WaitGroup
}

func newJobLoop(a *App, o ClockJobs) *jobLoop {
	if o.DrainEvery <= 0 {
		o.DrainEvery = 500 * time.Millisecond
	}
	j := &jobLoop{
		a: a, o: o, paused: o.Paused,
		sweepKick: make(chan struct{}, 1),
		drainKick: make(chan struct{}, 1),
		quit:      make(chan struct{}),
	}
	if spec := a.Config.Reminders.DigestCron; spec != "" {
		if sch, err := cronspec.Parse(spec); err == nil {
			j.digest = sch
		}
	}
	return j
}

// start runs the loops. Their jobs run under a context of their own that
// stop cancels only when its grace is over, so a drain in progress is not
// cut mid-send (cancelling a send the server has already taken would make
// the relay send it again).
func (j *jobLoop) start() {
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	if j.o.SweepEvery != nil {
		last := j.a.Clock.Now()
		j.wg.Go(func() { j.every(j.o.SweepEvery, j.sweepKick, func() { j.sweepAndDigest(ctx, &last) }) })
	}
	drainEvery := func() time.Duration { return j.o.DrainEvery }
	j.wg.Go(func() { j.every(drainEvery, j.drainKick, func() { j.drain(ctx) }) })
}

// stop ends the loops between two jobs and waits for the running one until
// grace ends; then it cancels it.
func (j *jobLoop) stop(grace context.Context) error {
	close(j.quit)
	defer j.cancel()
	if err := waitgroup.Wait(grace, &j.wg); err != nil {
		j.cancel()
		j.wg.Wait()
		return fmt.Errorf("app: stop clock jobs: %w", err)
	}
	return nil
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// every runs job at once, then after each period (read again every time)
// or kick, until stop.
func (j *jobLoop) every(period func() time.Duration, kicked <-chan struct{}, job func()) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-j.quit:
			return
		case <-t.C:
		case <-kicked:
		}
		job()
		t.Reset(period())
	}
}

// sweepAndDigest sweeps the reminders, sends the digest when the clock has
// passed its time since the last run (last), and has the outbox drained.
func (j *jobLoop) sweepAndDigest(ctx context.Context, last *time.Time) {
	j.sweepMu.Lock()
	now := j.a.Clock.Now()
	j.sweep(ctx)
	j.sweepMu.Unlock()
	if digestDue(j.digest, *last, now, j.a.Config.Location()) {
		if err := j.a.Scheduler.SendDigest(ctx); err != nil && ctx.Err() == nil {
			j.a.Logger.Warn("digest", slog.Any("err", err))
		}
	}
	if now.After(*last) {
		*last = now
	}
	kick(j.drainKick)
}

func (j *jobLoop) sweep(ctx context.Context) {
	if err := j.a.Scheduler.SweepReminders(ctx); err != nil && ctx.Err() == nil {
		j.a.Logger.Warn("reminder sweep", slog.Any("err", err))
	}
}

func (j *jobLoop) drain(ctx context.Context) {
	j.drainMu.Lock()
	defer j.drainMu.Unlock()
	j.mu.Lock()
	paused := j.paused
	j.mu.Unlock()
	if paused {
		return
	}
	if err := j.a.Scheduler.DrainOutbox(ctx); err != nil && ctx.Err() == nil {
		j.a.Logger.Warn("outbox drain", slog.Any("err", err))
	}
}

func (j *jobLoop) setPaused(p bool) {
	j.mu.Lock()
	j.paused = p
	j.mu.Unlock()
	if p {
		// A drain already running finishes first: once this returns,
		// nothing is sent until the drain is resumed.
		j.drainMu.Lock()
		j.drainMu.Unlock() //nolint:staticcheck // an empty critical section waits for the drain
	} else {
		kick(j.drainKick)
	}
}

// digestDue reports whether a run of the digest schedule fell in (last,
// now] today: the clock has just passed today's digest time. Runs on
// earlier days that a jump skipped are not sent (the digest is today's).
func digestDue(digest cron.Schedule, last, now time.Time, loc *time.Location) bool {
	if digest == nil || !now.After(last) {
		return false
	}
	now = now.In(loc)
	from := last.In(loc)
	if day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc); from.Before(day) {
		from = day.Add(-time.Nanosecond)
	}
	next := digest.Next(from)
	return !next.IsZero() && !next.After(now)
}

// errNoClockJobs: the method needs Options.ClockJobs.
var errNoClockJobs = errors.New("app: the jobs run on cron (Options.ClockJobs is nil)")

// KickJobs sweeps the reminders (when the loop sweeps by itself) and drains
// the outbox now rather than at the next period.
func (a *App) KickJobs() {
	if a.jobs == nil {
		return
	}
	if a.jobs.o.SweepEvery != nil {
		kick(a.jobs.sweepKick)
	}
	kick(a.jobs.drainKick)
}

// PauseOutbox stops the clock jobs' outbox drain (rows stay queued) until
// ResumeOutbox; a drain in progress finishes first.
func (a *App) PauseOutbox() {
	if a.jobs != nil {
		a.jobs.setPaused(true)
	}
}

// ResumeOutbox lets the clock jobs drain the outbox again.
func (a *App) ResumeOutbox() {
	if a.jobs != nil {
		a.jobs.setPaused(false)
	}
}

// FastForward moves a paused simulated clock to target as if the bot had
// been online all along: jump sets the clock; it stops at every instant a
// reminder slot can fall due (each day's slot time and end of quiet hours,
// and every few hours in between, well inside catchup_grace), sweeps the
// reminders there and sends what fell due at the outbox's pace before
// moving on. So the reminders of the days passed over go out at their own
// times, in order, instead of being recorded as missed as after an outage.
// Digests of the days passed over are not sent; today's is, once its time
// has come. Sweeps of the clock jobs wait meanwhile.
func (a *App) FastForward(ctx context.Context, jump func(time.Time), target time.Time) error {
	if a.jobs == nil {
		return errNoClockJobs
	}
	a.jobs.sweepMu.Lock()
	defer a.jobs.sweepMu.Unlock()
	step := func(t time.Time) error {
		jump(t)
		a.jobs.sweep(ctx)
		a.jobs.drain(ctx)
		return ctx.Err()
	}
	for _, t := range checkpoints(a.Clock.Now(), target, a.Config.ReminderPolicy(), a.Config.Location()) {
		if err := step(t); err != nil {
			return err
		}
	}
	return step(target)
}

// checkpoints are the instants in (from, to) at which a fast-forward
// stops: each day's reminder slot time and end of quiet hours, and every
// few hours in between.
func checkpoints(from, to time.Time, p rules.ReminderPolicy, loc *time.Location) []time.Time {
	every := 4 * time.Hour
	if g := p.CatchupGrace / 2; g > 0 && g < every {
		every = max(g, 10*time.Minute)
	}
	var out []time.Time
	from, to = from.In(loc), to.In(loc)
	for d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc); d.Before(to); d = d.AddDate(0, 0, 1) {
		day := rules.DateOf(d, loc)
		times := []time.Time{p.SlotTime.On(day, loc), p.QuietEnd.On(day, loc)}
		for t := d; t.Before(d.AddDate(0, 0, 1)); t = t.Add(every) {
			times = append(times, t)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for _, t := range times {
			if t.After(from) && t.Before(to) && (len(out) == 0 || t.After(out[len(out)-1])) {
				out = append(out, t)
			}
		}
	}
	return out
}
