package clock

import "time"

// NewSimOn returns a Sim that reads real time from real instead of the wall
// clock, so that a test moves "real" time by hand (a Fake) and every reading
// is exact.
func NewSimOn(real Clock, start time.Time, speed float64) *Sim {
	return &Sim{real: real.Now, baseSim: start, baseReal: real.Now(), speed: speed}
}
