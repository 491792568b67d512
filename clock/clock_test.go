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

// Ensure Sim runs at its speed from the instant of the last Jump or
// SetSpeed, and tells its listeners about jumps.
func TestSim(t *testing.T) {
	start := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	s := clock.NewSim(start, 3600) // an hour per real second
	var jumped []time.Time
	s.OnJump(func(t time.Time) { jumped = append(jumped, t) })

	before := time.Now()
	got := s.Now()
	elapsed := time.Since(before) + time.Since(before) // generous upper bound on real time spent
	if got.Before(start) || got.After(start.Add(time.Duration(float64(elapsed+10*time.Millisecond)*3600))) {
		t.Errorf("Now=%v, want within the elapsed real time × 3600 after %v", got, start)
	}

	target := time.Date(2027, 3, 2, 10, 30, 0, 0, time.UTC)
	s.SetSpeed(0) // paused: exact readings
	s.Jump(target)
	if got := s.Now(); !got.Equal(target) {
		t.Errorf("paused after Jump Now=%v, want %v", got, target)
	}
	if len(jumped) != 1 || !jumped[0].Equal(target) {
		t.Errorf("jump listeners got %v, want [%v]", jumped, target)
	}
	if got := s.Speed(); got != 0 {
		t.Errorf("Speed=%v, want 0", got)
	}
	s.SetSpeed(1)
	if got := s.Now(); got.Before(target) {
		t.Errorf("after resuming Now=%v went back before %v", got, target)
	}
}
