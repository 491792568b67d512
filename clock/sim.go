package clock

import (
	"sync"
	"time"
)

// Sim is a clock for the sandbox: simulated time runs at Speed times real
// time from a base instant, and can jump forward, so a whole supervision
// year plays out in minutes. Safe for concurrent use.
type Sim struct {
	mu        sync.Mutex
	real      func() time.Time
	baseSim   time.Time
	baseReal  time.Time
	speed     float64
	listeners []func(time.Time)
}

// NewSim returns a Sim showing start now and running at speed (1 = real time).
func NewSim(start time.Time, speed float64) *Sim {
	return &Sim{real: time.Now, baseSim: start, baseReal: time.Now(), speed: speed}
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Sim) nowLocked() time.Time {
	el := s.real().Sub(s.baseReal)
	return s.baseSim.Add(time.Duration(float64(el) * s.speed))
}

// Jump sets the simulated time to t (it keeps running at the same speed).
func (s *Sim) Jump(t time.Time) {
	s.mu.Lock()
	s.baseSim, s.baseReal = t, s.real()
	ls := append([]func(time.Time){}, s.listeners...)
	s.mu.Unlock()
	for _, l := range ls {
		l(t)
	}
}

// SetSpeed changes the multiplier from now on.
func (s *Sim) SetSpeed(speed float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseSim, s.baseReal = s.nowLocked(), s.real()
	s.speed = speed
}

// Speed returns the multiplier.
func (s *Sim) Speed() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speed
}

// OnJump registers f to be called after every Jump.
func (s *Sim) OnJump(f func(time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, f)
}
