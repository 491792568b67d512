package clock_test

import (
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
)

// Ensure Fake moves only when told and wakes every waiter of Changed.
func TestFake(t *testing.T) {
	start := time.Date(2027, 3, 1, 23, 59, 59, 0, time.UTC)
	f := clock.NewFake(start)
	if got := f.Now(); !got.Equal(start) {
		t.Fatalf("Now=%v, want %v", got, start)
	}
	ch1, ch2 := f.Changed(), f.Changed()
	f.Advance(time.Second)
	for i, ch := range []<-chan struct{}{ch1, ch2} {
		select {
		case <-ch:
		default:
			t.Errorf("waiter %d not woken by Advance", i)
		}
	}
	if got, want := f.Now(), start.Add(time.Second); !got.Equal(want) {
		t.Errorf("after Advance Now=%v, want %v", got, want)
	}
	ch3 := f.Changed()
	select {
	case <-ch3:
		t.Error("a new waiter was woken without a change")
	default:
	}
	var wg sync.WaitGroup // concurrent use is race-free
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); f.Advance(time.Minute); _ = f.Now() }()
	}
	wg.Wait()
	if got, want := f.Now(), start.Add(time.Second+8*time.Minute); !got.Equal(want) {
		t.Errorf("after 8 concurrent advances Now=%v, want %v", got, want)
	}
}

// Ensure a goroutine blocked on Changed is woken by the change, and sees
// the new time once woken: waiters learn of a move by the channel alone.
func TestFakeWakesBlockedWaiter(t *testing.T) {
	start := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	f := clock.NewFake(start)
	ready := make(chan struct{})
	woke := make(chan time.Time)
	go func() {
		ch := f.Changed()
		close(ready)
		<-ch
		woke <- f.Now()
	}()
	<-ready // the waiter is registered before the clock moves
	f.Set(start.Add(time.Hour))
	if got, want := <-woke, start.Add(time.Hour); !got.Equal(want) {
		t.Errorf("woken waiter saw %v, want %v", got, want)
	}
}

// Ensure Sim runs at its speed from the instant of the last Jump or
// SetSpeed, and tells its listeners about jumps. "Real" time is a Fake
// moved by hand, so every reading is exact.
func TestSim(t *testing.T) {
	real := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	start := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	s := clock.NewSimOn(real, start, 3600) // an hour per real second
	var jumped []time.Time
	s.OnJump(func(t time.Time) { jumped = append(jumped, t) })

	steps := []struct {
		name string
		do   func()
		want time.Time
	}{
		{"at start", func() {}, start},
		{"a real second is an hour", func() { real.Advance(time.Second) }, start.Add(time.Hour)},
		{"a real 250 ms is 15 minutes", func() { real.Advance(250 * time.Millisecond) }, start.Add(75 * time.Minute)},
		{"paused", func() { s.SetSpeed(0); real.Advance(time.Hour) }, start.Add(75 * time.Minute)},
		{"jump while paused", func() { s.Jump(time.Date(2027, 3, 2, 10, 30, 0, 0, time.UTC)) },
			time.Date(2027, 3, 2, 10, 30, 0, 0, time.UTC)},
		{"still paused after the jump", func() { real.Advance(time.Minute) }, time.Date(2027, 3, 2, 10, 30, 0, 0, time.UTC)},
		{"resumed at real speed", func() { s.SetSpeed(1); real.Advance(time.Minute) }, time.Date(2027, 3, 2, 10, 31, 0, 0, time.UTC)},
		{"double speed from the change on", func() { s.SetSpeed(2); real.Advance(time.Minute) }, time.Date(2027, 3, 2, 10, 33, 0, 0, time.UTC)},
		{"a jump keeps the speed", func() { s.Jump(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)); real.Advance(30 * time.Second) },
			time.Date(2027, 5, 1, 0, 1, 0, 0, time.UTC)},
	}
	for _, st := range steps {
		st.do()
		if got := s.Now(); !got.Equal(st.want) {
			t.Errorf("%s: Now=%v, want %v", st.name, got, st.want)
		}
	}
	want := []time.Time{time.Date(2027, 3, 2, 10, 30, 0, 0, time.UTC), time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)}
	if len(jumped) != len(want) || !jumped[0].Equal(want[0]) || !jumped[1].Equal(want[1]) {
		t.Errorf("jump listeners got %v, want %v", jumped, want)
	}
	if got := s.Speed(); got != 2 {
		t.Errorf("Speed=%v, want 2", got)
	}
}

// Ensure NewSim runs on the wall clock: it starts at start and never goes
// back before it (no bound on how far it has run: that depends on the
// machine).
func TestSimOnWallClock(t *testing.T) {
	start := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	s := clock.NewSim(start, 3600)
	prev := s.Now()
	if prev.Before(start) {
		t.Fatalf("Now=%v before start %v", prev, start)
	}
	for range 100 {
		now := s.Now()
		if now.Before(prev) {
			t.Fatalf("Sim went back from %v to %v", prev, now)
		}
		prev = now
	}
}
