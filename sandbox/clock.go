package sandbox

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"dudaobot/rules"
)

// errJumping refuses a second jump while one is running.
var errJumping = errors.New("sandbox: a jump is in progress")

// backwardError refuses to move the clock back: reminders, receipts and
// the outbox are already recorded at later times.
type backwardError struct{ now time.Time }

func (e *backwardError) Error() string {
	return "sandbox: the simulated clock only moves forward (now " + e.now.Format(time.RFC3339) + ")"
}

// Speed is the clock multiplier chosen on the page (0 = paused). During a
// jump the clock itself is paused, and this is the speed it resumes at.
func (s *Sandbox) Speed() float64 {
	s.jumpMu.Lock()
	defer s.jumpMu.Unlock()
	return s.speed
}

// SetSpeed changes the multiplier (0 pauses the clock). During a jump it
// takes effect when the jump ends.
func (s *Sandbox) SetSpeed(speed float64) {
	s.jumpMu.Lock()
	defer s.jumpMu.Unlock()
	s.speed = speed
	if s.jumping.IsZero() {
		s.clock.SetSpeed(speed)
	}
	kick(s.sweepKick) // the sweep interval depends on the speed
}

// Jumping returns the target of the jump in progress, or the zero time.
func (s *Sandbox) Jumping() time.Time {
	s.jumpMu.Lock()
	defer s.jumpMu.Unlock()
	return s.jumping
}

// Jump starts moving the simulated clock forward to target and returns at
// once; done (if not nil) is called when the clock has arrived. See
// fastForward.
func (s *Sandbox) Jump(target time.Time, done func(error)) error {
	s.jumpMu.Lock()
	defer s.jumpMu.Unlock()
	if !s.jumping.IsZero() {
		return errJumping
	}
	if now := s.clock.Now(); target.Before(now.Truncate(time.Minute)) {
		return &backwardError{now}
	}
	if s.driveCtx.Err() != nil {
		return s.driveCtx.Err()
	}
	s.jumping = target
	s.clock.SetSpeed(0)
	s.jumpWG.Add(1)
	go func() {
		defer s.jumpWG.Done()
		err := s.fastForward(s.driveCtx, target)
		s.jumpMu.Lock()
		s.jumping = time.Time{}
		s.clock.SetSpeed(s.speed)
		s.jumpMu.Unlock()
		kick(s.sweepKick)
		if err != nil && s.driveCtx.Err() == nil {
			s.o.Logger.Warn("clock jump", slog.Any("err", err))
		}
		s.saveClock()
		st := s.clockState()
		s.hub.publish("clock", st)
		s.hub.publish("jumped", st)
		if done != nil {
			done(err)
		}
	}()
	return nil
}

// fastForward moves the paused clock to target as if the bot had been
// online all along: it stops at every instant a reminder slot can fall due
// (each day's slot time and end of quiet hours, and every few hours in
// between, well inside catchup_grace), sweeps the reminders there and sends
// what fell due at the outbox's pace before moving on. So the reminders of
// the days passed over go out at their own times, in order, instead of being
// recorded as missed as after an outage. Digests of the days passed over
// are not sent; today's is, once its time has come.
func (s *Sandbox) fastForward(ctx context.Context, target time.Time) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	step := func(t time.Time) error {
		s.clock.Jump(t)
		s.sweep(ctx)
		if err := s.app.Scheduler.DrainOutbox(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("outbox drain", slog.Any("err", err))
		}
		return ctx.Err()
	}
	for _, t := range checkpoints(s.clock.Now(), target, s.cfg.ReminderPolicy(), s.loc) {
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
