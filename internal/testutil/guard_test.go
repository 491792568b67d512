package testutil_test

import (
	"context"
	"testing"
	"time"

	"dudaobot/internal/testutil"
)

// fakeDeadline is a testing.TB whose binary deadline the test chooses.
type fakeDeadline struct {
	testing.TB
	at time.Time
	ok bool
}

func (f fakeDeadline) Deadline() (time.Time, bool) { return f.at, f.ok }

func TestGuardDeadlineFollowsTheBinaryDeadline(t *testing.T) {
	// The real deadline of this run: the guard ends before it, never at a
	// fixed window after now.
	if td, ok := t.Deadline(); ok {
		g := testutil.GuardDeadline(t)
		if !g.Before(td) || td.Sub(g) > max(30*time.Second, time.Until(td)/20)+time.Second {
			t.Fatalf("guard %v, binary deadline %v", g, td)
		}
	}
	far := time.Now().Add(10 * time.Hour)
	g := testutil.GuardDeadline(fakeDeadline{TB: t, at: far, ok: true})
	if lead := far.Sub(g); lead < 29*time.Minute || lead > 31*time.Minute {
		t.Fatalf("guard leads a 10 h deadline by %v, want 1/20 of it (30 min)", lead)
	}
	g = testutil.GuardDeadline(fakeDeadline{TB: t})
	if left := time.Until(g); left < 29*time.Minute {
		t.Fatalf("without a deadline the guard ends in %v, want 30 min", left)
	}
	if b := testutil.GuardBudget(fakeDeadline{TB: t, at: time.Now().Add(10 * time.Second), ok: true}); b != time.Minute {
		t.Fatalf("budget near the deadline %v, want the 1 min floor", b)
	}
}

func TestWaitForEndsOnProgressOrGuard(t *testing.T) {
	n := 0
	if !testutil.WaitFor(testutil.HangGuard(t), func() bool { n++; return n == 3 }) {
		t.Fatal("WaitFor gave up before cond held")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if testutil.WaitFor(ctx, func() bool { return false }) {
		t.Fatal("WaitFor reported true for a cond that never holds")
	}
	guard := testutil.HangGuard(t)
	if d, ok := guard.Deadline(); !ok || d.Sub(testutil.GuardDeadline(t)) > time.Second {
		t.Fatalf("hang guard ends at %v (set %v), want the guard deadline", d, ok)
	}
}
