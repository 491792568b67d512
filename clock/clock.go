// Package clock provides the injected time source. Rules never read the
// clock; adapters (handlers, scheduler, storage) get a Clock from main, and
// tests get a Fake they move by hand.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Fake is a clock that moves only when told to. Safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []chan struct{}
}

// NewFake returns a Fake set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t and wakes everyone waiting in Changed.
func (f *Fake) Set(t time.Time) { f.move(func(time.Time) time.Time { return t }) }

// Advance moves the clock forward by d. The read and the write are one
// step under the lock, so concurrent advances all count.
func (f *Fake) Advance(d time.Duration) { f.move(func(now time.Time) time.Time { return now.Add(d) }) }

// move sets the time from the current one and wakes every waiter; the
// channels are closed after the lock is released.
func (f *Fake) move(next func(now time.Time) time.Time) {
	f.mu.Lock()
	f.now = next(f.now)
	ws := f.waiters
	f.waiters = nil
	f.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// Changed returns a channel closed at the next Set or Advance.
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	f.waiters = append(f.waiters, ch)
	return ch
}
