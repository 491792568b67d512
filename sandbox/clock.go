package sandbox

import (
	"errors"
	"log/slog"
	"time"
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
	s.app.KickJobs() // the sweep interval depends on the speed
}

// Jumping returns the target of the jump in progress, or the zero time.
func (s *Sandbox) Jumping() time.Time {
	s.jumpMu.Lock()
	defer s.jumpMu.Unlock()
	return s.jumping
}

// Jump starts moving the simulated clock forward to target and returns at
// once; done (if not nil) is called when the clock has arrived. See
// app.FastForward.
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
		err := s.app.FastForward(s.driveCtx, s.clock.Jump, target)
		s.jumpMu.Lock()
		s.jumping = time.Time{}
		s.clock.SetSpeed(s.speed)
		s.jumpMu.Unlock()
		s.app.KickJobs()
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
