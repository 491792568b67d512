package bot

import (
	"errors"
	"sync"
	"time"
)

// IntakeStatus reports that the Intake could not record messages (the
// database cannot be written: disk full, locked, unreachable) and that it
// can again. While it fails the bot keeps retrying and never advances the
// sync position, so nothing is lost; this only lets the app tell people.
// Reported through Options.OnIntake.
type IntakeStatus struct {
	// Failing is true when retries keep failing (reported once, when the
	// first retry failed too), false when a retry succeeded afterwards.
	Failing bool
	// Since is when the first failed attempt ended.
	Since time.Time
	// Err is the last error (Failing only); the app classifies it with
	// errors.Is against the rules' named errors.
	Err error
	// Held is how long messages were held (recovery only): from Since to
	// the successful retry.
	Held time.Duration
	// Messages is the number of messages the successful retry recorded
	// (recovery only).
	Messages int
}

// intakeHealth turns the intake's failures and successes into IntakeStatus
// transitions. It lives on the Client, not the session, so a failure that
// outlasts a session is still reported as recovered once a later session
// records a message.
type intakeHealth struct {
	mu       sync.Mutex
	failures int // consecutive failed attempts
	since    time.Time
	reported bool // the Failing status was sent
}

// failed records one failed attempt; a recovered intake panic is not a
// write failure and does not count.
func (c *Client) intakeFailed(err error) {
	var pe *intakePanic
	if errors.As(err, &pe) {
		return
	}
	now := c.now()
	h := &c.health
	h.mu.Lock()
	h.failures++
	if h.failures == 1 {
		h.since = now
	}
	report := h.failures == 2 && !h.reported
	if report {
		h.reported = true
	}
	since := h.since
	h.mu.Unlock()
	if report {
		c.log.Error("intake failing: messages are held on WeChat's side until it records again",
			"since", since, "err", err)
		c.reportIntake(IntakeStatus{Failing: true, Since: since, Err: err})
	}
}

// recorded records a successful attempt that took n messages.
func (c *Client) intakeRecorded(n int) {
	h := &c.health
	h.mu.Lock()
	if h.failures == 0 {
		h.mu.Unlock()
		return
	}
	report, since := h.reported, h.since
	h.failures, h.since, h.reported = 0, time.Time{}, false
	h.mu.Unlock()
	if report {
		held := max(c.now().Sub(since), 0)
		c.log.Info("intake recovered", "since", since, "held", held, "messages", n)
		c.reportIntake(IntakeStatus{Since: since, Held: held, Messages: n})
	}
}

func (c *Client) reportIntake(st IntakeStatus) {
	if c.o.OnIntake == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("OnIntake panicked", "panic", r)
		}
	}()
	c.o.OnIntake(st)
}
